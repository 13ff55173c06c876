# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Values as inventories and AWX send them, and addresses: the helpers every part of the model uses.

Plain Python without Ansible imports. Every problem is a :class:`Wso2amModelError` whose message
says which rule broke and what to do; the filter plugins prefix it with their name. A message
names the variable the user sets (:func:`variable`, from :data:`SETTING_VARIABLES`), never the
key of the settings the roles pass to the filters, and describes a wrong value by its kind
(:func:`type_name`), never by a Python class name such as ``_AnsibleTaggedStr``.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping


class Wso2amModelError(ValueError):
    """A rule of the deployment model is broken; the message says which and what to do."""


# --------------------------------------------------------------------------
# What messages call a setting and a value
# --------------------------------------------------------------------------

# The variable a user sets for each key of the settings the roles pass to the filters
# (``_wso2am_settings`` in roles/_common/vars/main.yml; nested keys dotted). The one place
# that maps a key to a variable: every message of the model names a setting through
# :func:`variable`.
SETTING_VARIABLES = {
    "version": "wso2am_version",
    "admin_username": "wso2am_admin_username",
    "admin_password": "wso2am_admin_password",
    "multi_tenancy": "wso2am_multi_tenancy",
    "google_analytics": "wso2am_google_analytics",
    "tm_apim_db": "wso2am_traffic_manager_apim_db",
    "server_roles": "wso2am_server_roles",
    "encryption_key": "wso2am_encryption_key",
    "overrides": "wso2am_node_datasources",
    "extra": "wso2am_deployment_toml_extra",
    "db.type": "wso2am_db_type",
    "db.host": "wso2am_db_host",
    "db.port": "wso2am_db_port",
    "db.apim_name": "wso2am_db_apim_name",
    "db.shared_name": "wso2am_db_shared_name",
    "db.apim_user": "wso2am_db_apim_user",
    "db.apim_password": "wso2am_db_apim_password",
    "db.shared_user": "wso2am_db_shared_user",
    "db.shared_password": "wso2am_db_shared_password",
    "db.driver_class": "wso2am_db_driver_class",
    "db.url_options": "wso2am_db_url_options",
    "db.pool_options": "wso2am_db_pool_options",
    "keystore.alias": "wso2am_keystore_alias",
    "keystore.password": "wso2am_keystore_password",
    "keystore.key_password": "wso2am_keystore_password",
    "primary_keystore.alias": "wso2am_keystore_alias",
    "primary_keystore.password": "wso2am_keystore_password",
    "primary_keystore.key_password": "wso2am_keystore_password",
    "truststore.password": "wso2am_truststore_password",
    # Groups the roles build from several variables: only a direct call of a filter can get
    # them wrong, so the message names the filter's argument and the variables behind it.
    "settings": "the settings argument",
    "db": "settings.db (the wso2am_db_* variables)",
    "keystore": "settings.keystore (the wso2am_keystore_* variables)",
    "primary_keystore": "settings.primary_keystore (the wso2am_keystore_* variables)",
    "truststore": "settings.truststore (the wso2am_truststore_* variables)",
}


def variable(setting):
    """The variable a user sets for the settings key ``setting`` (``"db.port"``: ``wso2am_db_port``).

    A key no variable stands for (``gateway_count``, ``node_overrides``: filled in by the roles,
    or given only by a direct call of a filter) is named as the filter's argument,
    ``settings.<key>``.
    """
    return SETTING_VARIABLES.get(setting, f"settings.{setting}")


def type_name(value):
    """What a message calls the kind of ``value``: "a string", "a number", "a boolean", ...

    Ansible hands the filters its own subclasses (``_AnsibleTaggedStr``,
    ``_AnsibleLazyTemplateDict`` ...); they are named like the YAML value they came from.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a dictionary"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (set, frozenset)):
        return "a set"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    name = re.sub(r"^_*(Ansible)?(Tagged|LazyTemplate|Unsafe)?", "", type(value).__name__)
    return f"a value of type {name or type(value).__name__}"


def shown(value):
    """``value`` as a message shows it: a string quoted, a number or boolean as YAML writes it,
    anything else by its kind only (:func:`type_name`), so a message never prints a whole list
    or dictionary, nor a Python class name."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return repr(int(value) if isinstance(value, int) else float(value))
    if isinstance(value, str):
        return repr(str(value))
    return type_name(value)


# --------------------------------------------------------------------------
# Scalars as AWX and inventories send them
# --------------------------------------------------------------------------

_TRUE_STRINGS = frozenset(("true", "yes", "y", "on", "1", "t"))
_FALSE_STRINGS = frozenset(("false", "no", "n", "off", "0", "f"))
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")


def to_bool(value, what="value", default=None):
    """Return ``value`` as a bool.

    Accepts real booleans, the integers 0 and 1 and the strings AWX surveys and
    INI inventories send: true/false, yes/no, y/n, on/off, t/f, 1/0 (any case,
    surrounding blanks ignored). ``None`` gives ``default`` when a default is
    given. Anything else raises :class:`Wso2amModelError` naming ``what``.
    """
    if value is None and default is not None:
        return bool(default)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_STRINGS:
            return True
        if text in _FALSE_STRINGS:
            return False
    raise Wso2amModelError(
        f"{what} must be a boolean (true/false, yes/no, on/off or 1/0), got {shown(value)}"
    )


def to_int(value, what="value", default=None):
    """Return ``value`` as an int.

    Accepts ints, integral floats and strings of digits such as ``"2"`` (AWX
    passes survey answers and extra vars as strings). Booleans are refused.
    ``None`` gives ``default`` when a default is given.
    """
    if value is None and default is not None:
        return int(default)
    if isinstance(value, bool):
        raise Wso2amModelError(f"{what} must be an integer, got {shown(value)}")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value):
        return int(value.strip())
    raise Wso2amModelError(f"{what} must be an integer, got {shown(value)}")


def _text(value, what):
    """A non-empty string, or None when unset or blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Wso2amModelError(f"{what} must be a string, got {shown(value)}")
    text = str(value).strip()
    return text or None


def _mapping(value, what):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Wso2amModelError(f"{what} must be a dictionary, got {type_name(value)}")
    return value


def _is_list(value):
    return isinstance(value, (list, tuple))


# --------------------------------------------------------------------------
# Values Ansible would read as templates
# --------------------------------------------------------------------------

def deep_merge(base, extra):
    """Merge ``extra`` over ``base`` into a new dict.

    Dictionaries merge recursively; every other value, lists included,
    replaces what ``base`` holds. Neither argument is modified.
    """
    result = {key: _plain_copy(value) for key, value in base.items()}
    for key, value in (extra or {}).items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = _plain_copy(value)
    return result


def _plain_copy(value):
    """Copy nested mappings and lists into plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if _is_list(value):
        return [_plain_copy(item) for item in value]
    return value


# --------------------------------------------------------------------------
# Addresses and URLs
# --------------------------------------------------------------------------

_LOOPBACK_NAMES = frozenset(
    (
        "localhost",
        "localhost.localdomain",
        "localhost4",
        "localhost4.localdomain4",
        "localhost6",
        "localhost6.localdomain6",
        "ip6-localhost",
        "ip6-loopback",
    )
)


def is_loopback(address):
    """True for 127.0.0.0/8, ::1 and the usual localhost names."""
    text = str(address).strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text in _LOOPBACK_NAMES or text.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def _host_in_url(host):
    """Bracket IPv6 literals so that ``host:port`` stays unambiguous."""
    if ":" in host and not host.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return host
        return f"[{host}]"
    return host


def _url(scheme, host, port, path=""):
    return f"{scheme}://{_host_in_url(host)}:{port}{path}"


def _services_url(host, port):
    return _url("https", host, port, "/services/")
