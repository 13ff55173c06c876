"""Start-up rules of the STAND-IN server that look past deployment.toml.

THIS IS A TEST FIXTURE, NOT WSO2 SOFTWARE.  Shipped in the stand-in packs
next to standin_server.py, which imports it.  Standard library only.

* the JDBC driver name API-M picks its SQL dialect from
  (``driver_name``, ``check_driver_dialect``);
* the ``[server] server_role`` values the pack's infer.json knows
  (``check_server_role``);
* the 4.7+ ``[encryption] key`` (``encryption_key_problem``, checked on
  the value after secure vault resolution, ``ensure_encryption_key``).

Every ``check_*`` function returns an error string (one line) or None.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tomllib
import zipfile

INFER_REL = os.path.join("repository", "resources", "conf", "infer.json")
CONF_REL = os.path.join("repository", "conf", "deployment.toml")

# --------------------------------------------------------------------------
# JDBC driver name -> API-M SQL dialect
# --------------------------------------------------------------------------

# What DatabaseMetaData.getDriverName() returns, by driver class package.
# The name is a constant inside each driver, so a known package wins over
# the jar's manifest (Debian's MariaDB jar, for one, has only
# "Bundle-Name: mariadb-java-client" there).
DRIVER_NAMES = (
    ("org.mariadb.jdbc.", "MariaDB Connector/J"),
    ("com.mysql.cj.jdbc.", "MySQL Connector/J"),
    ("com.mysql.jdbc.", "MySQL Connector/J"),
    ("org.postgresql.", "PostgreSQL JDBC Driver"),
    ("oracle.jdbc.", "Oracle JDBC driver"),
    ("com.microsoft.sqlserver.", "Microsoft JDBC Driver for SQL Server"),
    ("net.sourceforge.jtds.",
     "jTDS Type 4 JDBC Driver for MS SQL Server and Sybase"),
    ("org.h2.", "H2 JDBC Driver"),
    ("com.ibm.db2.", "IBM Data Server Driver for JDBC and SQLJ"),
)
DB2_PACKAGE = "com.ibm.db2."
SQL_CONSTANTS_ERROR = "Error occurred while initializing SQL Constants Manager"
NO_DB_TYPE = "Could not find DB type to load constants"


def read_manifest(jar_path):
    """Main attributes of the jar's META-INF/MANIFEST.MF ({} if none)."""
    try:
        with zipfile.ZipFile(jar_path) as jar:
            raw = jar.read("META-INF/MANIFEST.MF")
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    attrs = {}
    last = None
    for line in raw.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # end of the main section
        if line.startswith(" ") and last:  # continuation line
            attrs[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            attrs[last] = value[1:] if value.startswith(" ") else value
    return {key: value.strip() for key, value in attrs.items()}


def driver_name(driver_class, jar_path):
    """(name, source) the driver would report as its name, or (None, None).

    From the driver class package when it is a known driver, else from the
    jar manifest (Implementation-Title, else Bundle-Name).
    """
    cls = driver_class.strip()
    for prefix, name in DRIVER_NAMES:
        if cls.startswith(prefix):
            return name, f"driver class package {prefix.rstrip('.')}"
    manifest = read_manifest(jar_path)
    for attr in ("Implementation-Title", "Bundle-Name"):
        if manifest.get(attr):
            return manifest[attr], f"META-INF/MANIFEST.MF {attr}"
    return None, None


def sql_dialect(name, db2=False):
    """The SQL dialect API-M picks for a driver name, or None.

    Same order as carbon-apimgt's SQLConstantManagerFactory: the driver
    name contains "MySQL" or "H2"; else the database product is DB2; else
    the name contains "MS SQL", "Microsoft", "PostgreSQL" or "Oracle"
    (case-sensitive, as Java's String.contains).
    """
    name = name or ""
    if "MySQL" in name or "H2" in name:
        return "h2mysql"
    if db2:
        return "db2"
    if "MS SQL" in name or "Microsoft" in name:
        return "mssql"
    if "PostgreSQL" in name:
        return "postgre"
    if "Oracle" in name:
        return "oracle"
    return None


def check_driver_dialect(label, driver_class, jar_path):
    """Error if API-M would not recognise the driver in ``jar_path``."""
    name, source = driver_name(driver_class, jar_path)
    db2 = driver_class.strip().startswith(DB2_PACKAGE)
    if sql_dialect(name, db2):
        return None
    what = (f'reports the driver name "{name}" ({source})' if name else
            "has no driver name the stand-in can tell (unknown driver "
            "package, no Implementation-Title or Bundle-Name in "
            "META-INF/MANIFEST.MF)")
    return (f"{label} {NO_DB_TYPE}: {SQL_CONSTANTS_ERROR}. JDBC driver "
            f"{driver_class.strip()} in {jar_path} {what}; API-M needs a "
            "driver name containing MySQL, H2, MS SQL, Microsoft, "
            "PostgreSQL or Oracle, or a DB2 database (for MySQL and "
            "MariaDB servers use MySQL Connector/J, com.mysql.cj.jdbc.Driver)")


# --------------------------------------------------------------------------
# [server] server_role and infer.json
# --------------------------------------------------------------------------

def known_server_roles(home):
    """(roles, error): the keys of ``server.server_role`` in infer.json."""
    path = os.path.join(home, INFER_REL)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None, (f"Error while reading inferring file: {INFER_REL} not "
                      f"found under {home}")
    except (OSError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        return None, f"Error while reading inferring file {path}: {detail}"
    roles = data.get("server.server_role") if isinstance(data, dict) else None
    if not isinstance(roles, dict):
        return [], None
    return sorted(roles), None


def check_server_role(config, home):
    """Error if [server] server_role is a value infer.json does not know.

    The real config mapper skips an unknown value silently, so the node
    starts without that role's inferred settings; the stand-in refuses.
    A missing or unreadable infer.json fails the real node too.
    """
    roles, err = known_server_roles(home)
    if err:
        return err
    server = config.get("server") if isinstance(config, dict) else None
    if not isinstance(server, dict) or "server_role" not in server:
        return None
    role = server["server_role"]
    value = role if isinstance(role, str) else json.dumps(role)
    if isinstance(role, str) and role in roles:
        return None
    known = ", ".join(f'"{r}"' for r in roles) or "none"
    return (f'[server] server_role = "{value}" is not a value of '
            f"server.server_role in {os.path.join(home, INFER_REL)} (known: "
            f"{known}); a real node would start without any of that role's "
            "inferred settings")


# --------------------------------------------------------------------------
# [encryption] key (4.7+)
# --------------------------------------------------------------------------

ENCRYPTION_SINCE = (4, 7)
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")
# Values resolved at start-up (cipher tool, environment, system property).
# The server resolves $secret{} before the check; an $env{}/$sys{} whose
# variable/property it cannot see is let pass.
_RESOLVED_LATER = re.compile(r"\$(secret|env|sys)\{([^}]+)\}")
_SECRETS_HEADER = re.compile(r"^[ \t]*\[[ \t]*secrets[ \t]*\][ \t]*(#.*)?$",
                             re.MULTILINE)
_ENCRYPTION_HEADER = re.compile(r"^[ \t]*\[[ \t]*encryption[ \t]*\][ \t]*"
                                r"(#.*)?$", re.MULTILINE)


def uses_encryption_key(version):
    """True for API-M 4.7 and newer (symmetric internal crypto provider)."""
    m = re.match(r"\s*(\d+)\.(\d+)", str(version))
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= ENCRYPTION_SINCE


def _encryption_key(config):
    table = config.get("encryption") if isinstance(config, dict) else None
    if not isinstance(table, dict) or "key" not in table:
        return None, False
    return table["key"], True


def _aes_key_bytes(key):
    """Length in bytes of the AES key SymmetricKeyInternalCryptoProvider makes of ``key``.

    A 64- or 48-character hexadecimal key is decoded as hex; any other string
    is used as its UTF-8 bytes (the provider's own rule).
    """
    if len(key) in (48, 64):
        # Decoded as hex: anything else there fails to decode.
        return len(key) // 2 if re.fullmatch(r"[0-9A-Fa-f]+", key) else None
    return len(key.encode("utf-8"))


def _resolve_reference(key, environ, sysprops):
    """(value, source) of an $env{}/$sys{} key; (None, ..) if unknown."""
    m = _RESOLVED_LATER.fullmatch(key.strip())
    if not m:
        return key, None
    kind, name = m.group(1), m.group(2)
    if kind == "env" and environ is not None and name in environ:
        return environ[name], f"$env{{{name}}}"
    if kind == "sys" and sysprops is not None and name in sysprops:
        return sysprops[name], f"$sys{{{name}}}"
    return None, None


def encryption_key_problem(version, config, environ=None, sysprops=None):
    """Error if a 4.7+ node's [encryption] key cannot be an AES key.

    The real provider decodes a 64- or 48-character hex key and takes any
    other string as raw bytes; AES needs 16, 24 or 32 bytes, anything else
    fails at start-up. ``config`` is the one after secure vault
    resolution, so a $secret{..} key is checked as its decrypted value; an
    $env{..} key as the variable in ``environ``, a $sys{..} key as the -D
    property in ``sysprops``.  None when the key is fine, when there is
    none (the node generates one), when it is a reference the stand-in
    cannot see, and for 4.5/4.6, which ignore [encryption] key.
    """
    if not uses_encryption_key(version):
        return None
    key, present = _encryption_key(config)
    if not present:
        return None
    source = None
    if isinstance(key, str):
        key, source = _resolve_reference(key, environ, sysprops)
        if key is None:
            return None
    if isinstance(key, str) and (_HEX64.fullmatch(key)
                                 or _RESOLVED_LATER.fullmatch(key.strip())
                                 or _aes_key_bytes(key) in (16, 24, 32)):
        return None
    shape = (f"{len(key)} characters" if isinstance(key, str)
             else f"a TOML {type(key).__name__}, not a string")
    if source:
        shape += f", from {source}"
    return (f"[encryption] key in {CONF_REL} is not a usable AES key "
            f"({shape}): API-M {version} encrypts internal data with "
            "SymmetricKeyInternalCryptoProvider, which decodes 64 or 48 "
            "hexadecimal characters and otherwise needs 16, 24 or 32 bytes "
            "(a 256-bit key is 64 hexadecimal characters)")


def add_encryption_key(text, key):
    """deployment.toml text with ``key`` set as [encryption] key, or None.

    Puts it in an existing [encryption] table, else appends the table
    (before a [secrets] table, which must stay the last one), else (the
    table was made by dotted keys) adds a top-level ``encryption.key``;
    keeps the first result that is valid TOML and holds the key.
    """
    line = f'key = "{key}"'
    candidates = []
    header = _ENCRYPTION_HEADER.search(text)
    if header:
        end = header.end()
        candidates.append(f"{text[:end]}\n{line}{text[end:]}")
    secrets = _SECRETS_HEADER.search(text)
    if secrets:
        start = secrets.start()
        candidates.append(f"{text[:start]}[encryption]\n{line}\n\n"
                          f"{text[start:]}")
    body = text if not text or text.endswith("\n") else text + "\n"
    candidates.append(f"{body}\n[encryption]\n{line}\n")
    candidates.append(f'encryption.key = "{key}"\n{text}')
    for candidate in candidates:
        try:
            parsed = tomllib.loads(candidate)
        except tomllib.TOMLDecodeError:
            continue
        if _encryption_key(parsed) == (key, True):
            return candidate
    return None


def ensure_encryption_key(version, home, config, check=True):
    """Generate a 4.7+ node's missing [encryption] key, as a real node does.

    Returns (config, warning, error).  With no key, writes a random 256-bit
    key (64 hex) into deployment.toml in place and returns the re-read
    config and a warning; with a bad key (when ``check``), an error;
    otherwise the config.  Any present key, $secret{}/$env{} included,
    counts as present (the start script's EncryptionKeyGenerator); the
    server passes ``check=False`` and checks the resolved key later.
    """
    err = encryption_key_problem(version, config) if check else None
    if err:
        return config, None, err
    if not uses_encryption_key(version) or _encryption_key(config)[1]:
        return config, None, None
    path = os.path.join(home, CONF_REL)
    key = secrets.token_hex(32)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        new_text = add_encryption_key(text, key)
        if new_text is None:
            return config, None, (f"{CONF_REL} has no [encryption] key and "
                                  "the node cannot add one that keeps the "
                                  "file valid TOML")
        with open(path, "w", encoding="utf-8") as fh:  # in place: keeps owner
            fh.write(new_text)
    except OSError as exc:
        return config, None, (f"{CONF_REL} has no [encryption] key and the "
                              "node cannot write the one it generated into "
                              f"it: {exc.strerror or exc}")
    # The 4.7 start scripts' key generator prints this ALERT (its wording).
    warning = (f"[WARNING]: A random encryption key has been created and "
               f"added to deployment.toml at {path}. Please modify this "
               "[encryption] key and follow the production guidelines in the "
               "documentation for a safe production deployment. (stand-in: "
               "nodes with different keys cannot read each other's "
               "encrypted data)")
    return tomllib.loads(new_text), warning, None
