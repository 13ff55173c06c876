"""Minimal MySQL/MariaDB client for the STAND-IN server's collation check.

THIS IS A TEST FIXTURE, NOT WSO2 SOFTWARE.  Shipped in the stand-in packs
next to standin_server.py, which imports it.  Standard library only.

Speaks just enough of the MySQL client/server protocol to log in and run
one query: the v10 handshake (no TLS), mysql_native_password, the fast
path of caching_sha2_password (its full authentication, which needs TLS
or the server's RSA key, is refused clearly), auth switch requests,
COM_QUERY with a text result set, and COM_QUIT.

``check_mysql_database`` is what the server calls for each
``[database.<name>]`` whose url is ``jdbc:mysql://``: WSO2's docs require
a case-sensitive collation (``*_bin`` or ``*_cs``) on MySQL.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import struct
import time

DEFAULT_PORT = 3306
CONNECT_TIMEOUT = 5.0
RETRY_INTERVAL = 2.0
COLLATION_QUERY = "SELECT @@character_set_database, @@collation_database"

# Capability flags
CLIENT_LONG_PASSWORD = 0x00000001
CLIENT_LONG_FLAG = 0x00000004
CLIENT_CONNECT_WITH_DB = 0x00000008
CLIENT_PROTOCOL_41 = 0x00000200
CLIENT_TRANSACTIONS = 0x00002000
CLIENT_SECURE_CONNECTION = 0x00008000
CLIENT_PLUGIN_AUTH = 0x00080000
CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x00200000

NATIVE = "mysql_native_password"
CACHING_SHA2 = "caching_sha2_password"
CHARSET_UTF8 = 33  # utf8(mb3)_general_ci, known to every server
MAX_PACKET = 1 << 24
# Server errors worth another try while waiting (too many connections).
TRANSIENT_ERRORS = {1040}


class MySQLError(Exception):
    """An ERR packet from the server."""

    def __init__(self, code, state, message):
        super().__init__(message)
        self.code = code
        self.state = state
        self.message = message


class ProtocolError(Exception):
    """The server said something this client does not handle."""


# --------------------------------------------------------------------------
# Encoding helpers
# --------------------------------------------------------------------------

def _xor(left, right):
    return bytes(a ^ b for a, b in zip(left, right))


def scramble_native(password, nonce):
    """mysql_native_password: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    stage1 = hashlib.sha1(password.encode("utf-8")).digest()
    stage2 = hashlib.sha1(stage1).digest()
    return _xor(stage1, hashlib.sha1(nonce[:20] + stage2).digest())


def scramble_caching_sha2(password, nonce):
    """caching_sha2_password fast path:
    SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce)."""
    if not password:
        return b""
    stage1 = hashlib.sha256(password.encode("utf-8")).digest()
    stage2 = hashlib.sha256(stage1).digest()
    return _xor(stage1, hashlib.sha256(stage2 + nonce[:20]).digest())


def lenenc_int(data, pos):
    """(value, new_pos) of a length-encoded integer at ``pos``."""
    first = data[pos]
    if first < 0xFB:
        return first, pos + 1
    if first == 0xFC:
        return struct.unpack_from("<H", data, pos + 1)[0], pos + 3
    if first == 0xFD:
        return int.from_bytes(data[pos + 1:pos + 4], "little"), pos + 4
    if first == 0xFE:
        return struct.unpack_from("<Q", data, pos + 1)[0], pos + 9
    raise ProtocolError(f"bad length-encoded integer 0x{first:02x}")


def lenenc_bytes(value):
    """Length-encoded string of ``value``."""
    size = len(value)
    if size < 0xFB:
        prefix = bytes([size])
    elif size < 1 << 16:
        prefix = b"\xfc" + struct.pack("<H", size)
    elif size < 1 << 24:
        prefix = b"\xfd" + size.to_bytes(3, "little")
    else:
        prefix = b"\xfe" + struct.pack("<Q", size)
    return prefix + value


def _cstring(data, pos):
    end = data.find(b"\0", pos)
    if end < 0:
        return data[pos:], len(data)
    return data[pos:end], end + 1


def parse_error(payload):
    """MySQLError from an ERR packet payload (starting with 0xff)."""
    code = struct.unpack_from("<H", payload, 1)[0] if len(payload) >= 3 else 0
    rest = payload[3:]
    state = ""
    if rest[:1] == b"#":
        state, rest = rest[1:6].decode("ascii", "replace"), rest[6:]
    return MySQLError(code, state, rest.decode("utf-8", "replace"))


def parse_handshake(payload):
    """Fields of an initial handshake packet (protocol 10)."""
    if payload[:1] == b"\xff":
        raise parse_error(payload)
    if payload[:1] != b"\x0a":
        raise ProtocolError(f"unsupported protocol version {payload[0]}")
    version, pos = _cstring(payload, 1)
    pos += 4  # connection id
    nonce = payload[pos:pos + 8]
    pos += 9  # nonce part 1 + filler
    caps = struct.unpack_from("<H", payload, pos)[0]
    pos += 2
    plugin = NATIVE
    if pos < len(payload):
        pos += 3  # character set, status flags
        caps |= struct.unpack_from("<H", payload, pos)[0] << 16
        pos += 2
        nonce_len = payload[pos]
        pos += 11  # nonce length + 10 reserved bytes
        if caps & CLIENT_SECURE_CONNECTION:
            part2 = max(13, nonce_len - 8)
            nonce += payload[pos:pos + part2].rstrip(b"\0")
            pos += part2
        if caps & CLIENT_PLUGIN_AUTH:
            plugin = _cstring(payload, pos)[0].decode("ascii", "replace")
    return {"server_version": version.decode("utf-8", "replace"),
            "capabilities": caps, "nonce": nonce, "plugin": plugin or NATIVE}


# --------------------------------------------------------------------------
# Connection
# --------------------------------------------------------------------------

class Connection:
    """One logged-in connection (use ``connect``)."""

    def __init__(self, sock):
        self.sock = sock
        self.seq = 0

    def _recv(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionResetError("server closed the connection")
            data += chunk
        return data

    def read_packet(self):
        header = self._recv(4)
        size = int.from_bytes(header[:3], "little")
        self.seq = (header[3] + 1) & 0xFF
        return self._recv(size)

    def write_packet(self, payload):
        header = len(payload).to_bytes(3, "little") + bytes([self.seq])
        self.sock.sendall(header + payload)
        self.seq = (self.seq + 1) & 0xFF

    def login(self, user, password, database):
        hello = parse_handshake(self.read_packet())
        caps = hello["capabilities"]
        needed = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION
        if (caps & needed) != needed:
            raise ProtocolError(f"server {hello['server_version']} lacks "
                                "the 4.1 protocol")
        flags = caps & (CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG
                        | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
                        | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
                        | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)
        if database:
            flags |= caps & CLIENT_CONNECT_WITH_DB
        plugin = hello["plugin"] if hello["plugin"] == CACHING_SHA2 else NATIVE
        auth = _scramble(plugin, password, hello["nonce"])
        body = struct.pack("<IIB23x", flags, MAX_PACKET, CHARSET_UTF8)
        body += user.encode("utf-8") + b"\0"
        if flags & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
            body += lenenc_bytes(auth)
        else:
            body += bytes([len(auth)]) + auth
        if flags & CLIENT_CONNECT_WITH_DB:
            body += database.encode("utf-8") + b"\0"
        if flags & CLIENT_PLUGIN_AUTH:
            body += plugin.encode("ascii") + b"\0"
        self.write_packet(body)
        self._finish_auth(plugin, password)

    def _finish_auth(self, plugin, password):
        while True:
            reply = self.read_packet()
            kind = reply[:1]
            if kind == b"\x00":
                return
            if kind == b"\xff":
                raise parse_error(reply)
            if kind == b"\xfe":  # auth switch request
                if len(reply) == 1:
                    raise ProtocolError("the server asks for the pre-4.1 "
                                        "mysql_old_password authentication")
                name, pos = _cstring(reply, 1)
                plugin = name.decode("ascii", "replace")
                self.write_packet(_scramble(plugin, password, reply[pos:]))
            elif kind == b"\x01" and plugin == CACHING_SHA2:
                if reply[1:2] == b"\x03":  # fast auth success, OK follows
                    continue
                raise ProtocolError(
                    "caching_sha2_password asks for full authentication "
                    "(the user's password is not in the server's cache), "
                    "which needs TLS or the server's RSA key; the stand-in "
                    "client does neither: log in once with a TLS client or "
                    "use mysql_native_password for this user")
            else:
                raise ProtocolError("unexpected packet 0x"
                                    f"{reply[0]:02x} during authentication")

    def query(self, sql):
        """Rows (lists of str or None) of a text-protocol query."""
        self.seq = 0
        self.write_packet(b"\x03" + sql.encode("utf-8"))
        first = self.read_packet()
        if first[:1] == b"\xff":
            raise parse_error(first)
        if first[:1] == b"\x00":
            return []
        columns, _ = lenenc_int(first, 0)
        for _ in range(columns):
            self.read_packet()  # column definitions: not needed
        if not _is_eof(self.read_packet()):
            raise ProtocolError("no EOF after the column definitions")
        rows = []
        while True:
            packet = self.read_packet()
            if _is_eof(packet):
                return rows
            if packet[:1] == b"\xff":
                raise parse_error(packet)
            rows.append(_parse_row(packet, columns))

    def close(self):
        try:
            self.seq = 0
            self.write_packet(b"\x01")  # COM_QUIT
        except OSError:
            pass
        self.sock.close()


def _scramble(plugin, password, nonce):
    if plugin == NATIVE:
        return scramble_native(password, nonce)
    if plugin == CACHING_SHA2:
        return scramble_caching_sha2(password, nonce)
    raise ProtocolError(f"the server asks for authentication plugin "
                        f"{plugin}, which the stand-in client does not "
                        f"speak (only {NATIVE} and the fast path of "
                        f"{CACHING_SHA2})")


def _is_eof(packet):
    return packet[:1] == b"\xfe" and len(packet) < 9


def _parse_row(packet, columns):
    values, pos = [], 0
    for _ in range(columns):
        if packet[pos] == 0xFB:
            values.append(None)
            pos += 1
            continue
        size, pos = lenenc_int(packet, pos)
        values.append(packet[pos:pos + size].decode("utf-8", "replace"))
        pos += size
    return values


def connect(host, port, user, password, database, timeout=CONNECT_TIMEOUT):
    """A logged-in Connection (raises OSError, MySQLError, ProtocolError)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    conn = Connection(sock)
    try:
        conn.login(user or "", password or "", database)
    except BaseException:
        sock.close()
        raise
    return conn


def database_collation(host, port, user, password, database,
                       timeout=CONNECT_TIMEOUT):
    """(character set, collation) of ``database``."""
    conn = connect(host, port, user, password, database, timeout)
    try:
        rows = conn.query(COLLATION_QUERY)
    finally:
        conn.close()
    if not rows or len(rows[0]) < 2:
        raise ProtocolError(f"no result for {COLLATION_QUERY}")
    return rows[0][0], rows[0][1]


# --------------------------------------------------------------------------
# The stand-in rule
# --------------------------------------------------------------------------

def parse_mysql_url(url):
    """([(host, port)], database) of a jdbc:mysql:// url, or None."""
    m = re.match(r"(?i)jdbc:mysql://([^/?#]*)(?:/([^?#;]*))?", url.strip())
    if not m:
        return None
    hosts = []
    for part in m.group(1).split(","):
        part = part.rpartition("@")[2].strip()
        if part.startswith("["):
            host, _, rest = part[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else ""
        else:
            host, _, port = part.partition(":")
        if not host or (port and not port.isdigit()):
            return None
        hosts.append((host, int(port) if port else DEFAULT_PORT))
    return hosts, (m.group(2) or "")


def is_case_sensitive(collation):
    """True for a ``*_bin`` or ``*_cs`` collation."""
    return bool(collation) and collation.lower().endswith(("_bin", "_cs"))


def resolve_value(value, environ=None):
    """(text, None) for a deployment.toml credential, or (None, reason).

    ``$env{VAR}`` is read from the environment; ``$secret{..}`` (cipher
    tool) and ``$sys{..}`` cannot be resolved by the stand-in.
    """
    if not isinstance(value, str):
        return "", None
    m = re.fullmatch(r"\s*\$(secret|env|sys)\{([^}]+)\}\s*", value)
    if not m:
        return value, None
    kind, ref = m.groups()
    environ = os.environ if environ is None else environ
    if kind == "env" and ref in environ:
        return environ[ref], None
    what = {"secret": "a cipher-tool secret", "sys": "a system property",
            "env": "an unset environment variable"}[kind]
    return None, (f"credential {value.strip()} is {what} the stand-in "
                  "cannot read")


def check_mysql_database(name, table, wait=60.0, log=None,
                         clock=time.monotonic, sleep=time.sleep,
                         environ=None):
    """Error string if [database.<name>] (a jdbc:mysql:// url) must refuse.

    Connects as the table's username/password, retrying connection
    failures for up to ``wait`` seconds, and requires a case-sensitive
    collation on the url's database.  ``log(level, message)`` gets the
    warnings.
    """
    label = f"[database.{name}]"
    log = log or (lambda level, message: None)
    parsed = parse_mysql_url(str(table.get("url", "")))
    if parsed is None:
        return None  # not a jdbc:mysql:// url the stand-in understands
    hosts, database = parsed
    if not database:
        log("WARN", f"{label} url names no database; collation not checked")
        return None
    user, err = resolve_value(table.get("username"), environ)
    if err is None:
        password, err = resolve_value(table.get("password"), environ)
    if err:
        log("WARN", f"{label} {err}; collation not checked")
        return None

    deadline = clock() + wait
    warned = False
    while True:
        for host, port in hosts:
            where = f"{host}:{port}"
            try:
                charset, collation = database_collation(
                    host, port, user, password, database)
            except MySQLError as exc:
                if exc.code not in TRANSIENT_ERRORS:
                    return (f"{label} Cannot create PoolableConnectionFactory "
                            f"({exc.message}) [MySQL error {exc.code}"
                            f"{' (' + exc.state + ')' if exc.state else ''} "
                            f"from {where}, user {user!r}]")
                last = f"{where}: {exc.message}"
            except ProtocolError as exc:
                return (f"{label} Cannot create PoolableConnectionFactory "
                        f"({where}: {exc})")
            except OSError as exc:
                reason = exc.strerror or str(exc) or type(exc).__name__
                last = f"{where}: {reason}"
            else:
                return _collation_error(label, database, where, charset,
                                        collation)
        remaining = deadline - clock()
        if remaining <= 0:
            return (f"{label} Cannot create PoolableConnectionFactory "
                    f"(Communications link failure: {last}; gave up after "
                    f"{wait:g} s)")
        if not warned:
            log("WARN", f"{label} cannot connect to the database ({last}), "
                        f"retrying for up to {wait:g} s")
            warned = True
        sleep(min(RETRY_INTERVAL, remaining))


def _collation_error(label, database, where, charset, collation):
    if collation is None or is_case_sensitive(collation):
        return None
    return (f"{label} database {database} on {where} has collation "
            f"{collation} (character set {charset}), which is not "
            "case-sensitive; WSO2 API Manager needs a case-sensitive MySQL "
            "collation (*_bin or *_cs): before creating its tables run "
            f"ALTER DATABASE {database} CHARACTER SET latin1 COLLATE "
            "latin1_bin")
