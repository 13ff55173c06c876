# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""deployment.toml as text: a small TOML writer (ansible-core ships none) and secret masking.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    _is_list,
    shown,
    type_name,
    Wso2amModelError,
)


MASK = "********"
# Keys whose value is a secret wherever they appear (compared lower-cased): the collection's
# own (passwords of the super admin, datasources, keystores) and what users add through
# wso2am_deployment_toml_extra ([apim.ai] token, OAuth client secrets, API keys ...).
SECRET_KEYS = frozenset(
    (
        "password",
        "key_password",
        "secret",
        "client_secret",
        "token",
        "auth_token",
        "access_token",
        "apikey",
        "api_key",
        "private_key",
    )
)
# ... and every key ending like these (db_password, consumer_secret, refresh_token ...).
SECRET_SUFFIXES = ("_password", "_secret", "_token")
# Secrets under other key names: (parent table, key), lower-cased. [encryption] key is the
# 4.7 symmetric key; [apim.ai] key the on-premise key of WSO2's AI services.
SECRET_PATHS = frozenset((("encryption", "key"), ("ai", "key")))
# Tables whose every value is a secret: [secrets] holds the aliases of WSO2's secure vault
# with their (encrypted or [plain]) values.
SECRET_TABLES = frozenset(("secrets",))
# WSO2 placeholders name a secret, they are not one: never masked.
_PLACEHOLDER_RE = re.compile(r"\$(ref|secret|env|sys)?\{[A-Za-z0-9_.\-]+\}\Z")


# --------------------------------------------------------------------------
# TOML
# --------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(text):
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _toml_key(key, path):
    if not isinstance(key, str):
        raise Wso2amModelError(
            f"TOML keys must be strings, got {shown(key)} at '{_path_text(path)}' (rule: every "
            f"key of deployment.toml is a name); quote the key in YAML"
        )
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _path_text(path):
    return ".".join(str(part) for part in path) or "<root>"


def _dotted(path):
    return ".".join(_toml_key(part, path) for part in path)


def _toml_float(value):
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    if "." not in text and "e" not in text and "E" not in text:
        text += ".0"
    return text


def _toml_inline(value, path):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _toml_float(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        parts = [
            f"{_toml_key(key, path)} = {_toml_inline(item, path + (key,))}"
            for key, item in value.items()
            if item is not None
        ]
        return "{ " + ", ".join(parts) + " }" if parts else "{}"
    if _is_list(value):
        parts = [
            _toml_inline(item, path + (index,))
            for index, item in enumerate(value)
            if item is not None
        ]
        return "[" + ", ".join(parts) + "]"
    raise Wso2amModelError(
        f"cannot write {type_name(value)} at '{_path_text(path)}' as TOML (rule: a value is a "
        f"string, a number, a boolean, a date, a list or a dictionary)"
    )


def _is_table_array(value):
    if not _is_list(value):
        return False
    items = [item for item in value if item is not None]
    return bool(items) and all(isinstance(item, Mapping) for item in items)


def _toml_table(lines, table, path, header):
    scalars, tables, arrays = [], [], []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif _is_table_array(value):
            arrays.append((key, value))
        else:
            scalars.append((key, value))
    if header == "array" or (header == "table" and (scalars or not (tables or arrays))):
        if lines:
            lines.append("")
        brackets = ("[[", "]]") if header == "array" else ("[", "]")
        lines.append(f"{brackets[0]}{_dotted(path)}{brackets[1]}")
    for key, value in scalars:
        lines.append(f"{_toml_key(key, path)} = {_toml_inline(value, path + (key,))}")
    for key, value in tables:
        _toml_table(lines, value, path + (key,), "table")
    for key, value in arrays:
        for item in value:
            if item is not None:
                _toml_table(lines, item, path + (key,), "array")


def _is_placeholder(value):
    """True when the whole value is one WSO2 placeholder such as ${admin.password}."""
    return bool(_PLACEHOLDER_RE.match(value))  # match: anchored at the start; \Z at the end


def is_secret_key(key, parent=None):
    """True when the value of ``key`` (in the table named ``parent``) is a secret.

    Names are compared lower-cased: a key of :data:`SECRET_KEYS` or ending with one of
    :data:`SECRET_SUFFIXES`, a (parent, key) pair of :data:`SECRET_PATHS`, or any key of a
    table of :data:`SECRET_TABLES`. ``token_types``, ``key_manager`` or ``auth_header`` are no
    secrets.
    """
    if not isinstance(key, str):
        return False
    name = key.lower()
    table = parent.lower() if isinstance(parent, str) else None
    return (
        name in SECRET_KEYS
        or name.endswith(SECRET_SUFFIXES)
        or (table, name) in SECRET_PATHS
        or table in SECRET_TABLES
    )


def _mask(value):
    """MASK for a secret value, keeping exactly one WSO2 placeholder; tables and lists masked whole."""
    if value is None:
        return None
    if isinstance(value, str) and _is_placeholder(value):
        return value
    return MASK


def mask_secrets(data, parent=None):
    """Copy ``data`` with every secret value replaced by ``********``.

    Secrets (:func:`is_secret_key`) are the values of keys named ``password``,
    ``key_password``, ``secret``, ``client_secret``, ``token``, ``auth_token``,
    ``access_token``, ``apikey``, ``api_key``, ``private_key`` or ending with ``_password``,
    ``_secret`` or ``_token`` (any case, any depth), of ``[encryption] key`` and
    ``[apim.ai] key``, and every value under a ``[secrets]`` table. A value that is exactly
    one WSO2 placeholder ($ref{...}, $secret{...}, $env{...}, $sys{...}, ${...}) names a
    secret rather than holds one and is kept; anything longer is masked. A table whose name
    only ends like a secret (``[apim.cache.gateway_token]`` holds no secret) is judged key by
    key; under an exact secret name (``password = {...}``) it is masked whole; every value
    below a ``[secrets]`` table is masked.
    """
    if isinstance(data, Mapping):
        result = {}
        for key, value in data.items():
            if isinstance(value, Mapping) and isinstance(parent, str) and parent.lower() in SECRET_TABLES:
                result[key] = mask_secrets(value, parent)  # every value below [secrets]
            elif (isinstance(key, str) and key.lower() not in SECRET_KEYS and (
                    isinstance(value, Mapping)
                    or (_is_list(value) and value and all(isinstance(i, Mapping) for i in value)))):
                result[key] = mask_secrets(value, key)  # a table named like gateway_token: key by key
            elif is_secret_key(key, parent):
                result[key] = _mask(value)
            else:
                result[key] = mask_secrets(value, key)
        return result
    if _is_list(data):
        return [mask_secrets(item, parent) for item in data]
    return data


def to_toml(data, mask=False):
    """Write ``data`` (a mapping) as a TOML document.

    Tables keep insertion order; within a table its plain values come first,
    then its sub-tables, then its arrays of tables. A top-level ``secrets`` table
    (WSO2's secure vault) is written last of all, as WSO2's cipher tool requires.
    ``None`` values are left out. The output always ends with a newline unless it is empty.
    """
    if not isinstance(data, Mapping):
        raise Wso2amModelError(
            f"expects a dictionary to write as TOML, got {type_name(data)}"
        )
    if mask:
        data = mask_secrets(data)
    lines = []
    last = {key: value for key, value in data.items() if str(key).lower() in SECRET_TABLES and isinstance(value, Mapping)}
    _toml_table(lines, {key: value for key, value in data.items() if key not in last}, (), "root")
    for key, value in last.items():
        _toml_table(lines, {key: value}, (), "root")
    return "\n".join(lines) + "\n" if lines else ""
