# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Checks of single settings that need no other host: types as YAML gave them, host names and
URLs Java accepts, passwords, heap sizes, deployment.toml extras. Each returns None or yields
messages that name the variable and say how to fix it; wso2am_validate runs them on every host.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import type_name

# Playbook variables: set per run (-e, AWX surveys), read by the playbooks themselves.
PLAYBOOK_VARIABLES = {
    "wso2am_serial": {"type": "raw"},
    "wso2am_limit_to": {"type": "raw"},
}
# WSO2's well-known default admin password, and passwords shipped in examples.
KNOWN_PASSWORDS = ("admin", "wso2carbon", "password", "changeme", "change-me", "secret")
MIN_PASSWORD_LENGTH = 8
HOST_VARIABLES = ("wso2am_hostname", "wso2am_public_hostname", "wso2am_db_host", "wso2am_db_client_address")
URL_VARIABLES = ("wso2am_key_manager_url", "wso2am_event_hub_url")
DOWNLOAD_URL_VARIABLES = ("wso2am_pack_base_url", "wso2am_jdbc_driver_url")
HEAP_RE = re.compile(r"^[1-9][0-9]*[kKmMgG]?$")
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_TRUE = ("true", "yes", "on", "1", "y", "t")
_FALSE = ("false", "no", "off", "0", "n", "f")
_UNREAD = object()


def _truthy(value):
    return value is True or (isinstance(value, str) and value.strip().lower() in _TRUE) or value == 1


def _check_type(name, value, spec, secret):
    """A problem with the type YAML (or AWX) gave ``value``, or None."""
    kind = spec.get("type", "str")
    shown = "its value" if secret else repr(value)
    if kind == "str":
        if isinstance(value, str):
            return None
        if isinstance(value, (bool, int, float)) and secret:
            return (f"{name} is {type_name(value)}, not a string: YAML turned the unquoted value into "
                    f"{type_name(value)} (012345 becomes 5349, yes becomes true); quote it")
        if isinstance(value, (bool, int, float)):
            return (f"{name} is {type_name(value)} ({value!r}), not a string: YAML read the unquoted "
                    f"value as {type_name(value)}; quote it, for example {name}: \"{value}\"")
        return f"{name} must be a string, got {type_name(value)}"
    if kind == "int":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value))
        ):
            return f"{name} must be a whole number, got {type_name(value)} ({shown})"
        return None
    if kind == "bool":
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return None
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return None
        return f"{name} must be true or false, got {type_name(value)} ({shown})"
    if kind == "list":
        if isinstance(value, (list, tuple)):
            return None
        return f"{name} must be a list such as [a, b], got {type_name(value)} ({shown})"
    if kind == "dict":
        if isinstance(value, Mapping):
            return None
        return f"{name} must be a dictionary (key: value), got {type_name(value)} ({shown})"
    return None


def _address_problem(name, value):
    """A host name or address that cannot go into a URL, or None."""
    text = str(value).strip()
    if not text:
        return None
    if "://" in text:
        return f"{name} is '{text}', a URL; give only the host name or address (no scheme)"
    try:
        ipaddress.ip_address(text.strip("[]"))
        return None
    except ValueError:
        pass
    if re.search(r":\d+$", text):
        return f"{name} is '{text}', with a port; give only the host name (ports follow from the offsets)"
    if not HOSTNAME_RE.match(text):
        return (f"{name} is '{text}', which Java's URI parser rejects as a host name (letters, digits, "
                f"'-' and '.' only: no '_', spaces or '/'); use the DNS name or the address")
    return None


def _url_problem(name, value, *, path_required):
    text = str(value).strip()
    if not text:
        return None
    match = re.match(r"^(https?)://([^/?#]+)(/[^?#]*)?", text)
    if not match:
        return f"{name} is '{text}', not an http(s) URL; write it like https://<host>:<port>/services/"
    host = re.sub(r":\d+$", "", match.group(2)).strip("[]")
    problem = _address_problem(name, host)
    if problem:
        return problem
    if path_required and not (match.group(3) or "").strip("/"):
        return f"{name} is '{text}', without a path; write it like https://{match.group(2)}/services/"
    return None


def _password_problems(host_values, username):
    for name in ("wso2am_admin_password", "wso2am_db_apim_password", "wso2am_db_shared_password"):
        value = host_values.get(name)
        if not isinstance(value, str) or not value:
            continue
        if value.strip().lower() in KNOWN_PASSWORDS or value == username:
            yield (f"{name} is a well-known default password (or the user name); anyone can guess "
                   f"it: choose another and keep it in Ansible Vault")
        elif len(value) < MIN_PASSWORD_LENGTH:
            yield (f"{name} has {len(value)} characters; use at least {MIN_PASSWORD_LENGTH} (WSO2 "
                   f"would accept it, but it is too weak to guard a production deployment)")


def _heap_problems(values):
    sizes = {}
    for name in ("wso2am_heap_min", "wso2am_heap_max"):
        value = values.get(name)
        if value is None:
            continue
        if not HEAP_RE.match(str(value).strip()):
            yield (f"{name} is '{value}', which the JVM refuses as a heap size; write it like "
                   f"1024m or 2g")
            continue
        number, unit = re.match(r"^(\d+)([kKmMgG]?)$", str(value).strip()).groups()
        sizes[name] = int(number) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit.lower()]
    if len(sizes) == 2 and sizes["wso2am_heap_min"] > sizes["wso2am_heap_max"]:
        yield "wso2am_heap_min is larger than wso2am_heap_max; the JVM refuses to start"


def _extra_problems(extra):
    if not isinstance(extra, Mapping):
        return
    for key, value in extra.items():
        if value is None or (isinstance(value, Mapping) and not value):
            yield (f"wso2am_deployment_toml_extra sets '{key}' to an empty value, which removes the "
                   f"whole [{key}] table of deployment.toml; set only the keys you want to change")
    database = extra.get("database")
    if isinstance(database, Mapping):
        for name, table in database.items():
            if name == "local":
                continue
            if name not in ("apim_db", "shared_db"):
                yield (f"wso2am_deployment_toml_extra adds the datasource [database.{name}], which the "
                       f"database role never creates nor grants; only apim_db and shared_db exist")
            elif isinstance(table, Mapping) and set(table) & {"url", "username", "password", "type"}:
                yield (f"wso2am_deployment_toml_extra sets the url, type or credentials of "
                       f"[database.{name}], which the database role would not grant; use the "
                       f"wso2am_db_* settings and wso2am_node_datasources instead")
