# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Values as inventories and AWX send them, and addresses: the helpers every part of the model uses.

Plain Python without Ansible imports. Every problem is a :class:`Wso2amModelError` whose message
says which rule broke and what to do; the filter plugins prefix it with their name.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping


class Wso2amModelError(ValueError):
    """A rule of the deployment model is broken; the message says which and what to do."""


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
        f"{what} must be a boolean (true/false, yes/no, on/off or 1/0), got {value!r}"
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
        raise Wso2amModelError(f"{what} must be an integer, got the boolean {value!r}")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value):
        return int(value.strip())
    raise Wso2amModelError(f"{what} must be an integer, got {value!r}")


def _text(value, what):
    """A non-empty string, or None when unset or blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Wso2amModelError(f"{what} must be a string, got {value!r}")
    text = str(value).strip()
    return text or None


def _mapping(value, what):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Wso2amModelError(f"{what} must be a dictionary, got {type(value).__name__}")
    return value


def _is_list(value):
    return isinstance(value, (list, tuple))


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
