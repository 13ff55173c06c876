"""A tiny fake MySQL/MariaDB server for the stand-in collation tests.

Speaks the server side of just enough protocol: handshake v10, login with
mysql_native_password or caching_sha2_password (with auth switch), one
COM_QUERY answered with a one-row text result set, COM_QUIT.  It checks
passwords the way a server does (from the stored hash), independently of
the client's scramble functions.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import threading

NATIVE = "mysql_native_password"
CACHING_SHA2 = "caching_sha2_password"
CAPS = (0x00000001 | 0x00000004 | 0x00000008 | 0x00000200 | 0x00002000
        | 0x00008000 | 0x00080000 | 0x00200000)
LENENC_AUTH = 0x00200000
WITH_DB = 0x00000008
OK = b"\x00\x00\x00\x02\x00\x00\x00"
EOF = b"\xfe\x00\x00\x02\x00"


def _xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def _lenenc(data):
    assert len(data) < 251
    return bytes([len(data)]) + data


def _err(code, state, message):
    return (b"\xff" + struct.pack("<H", code) + b"#" + state.encode()
            + message.encode())


class FakeMySQL:
    """Threaded fake server on 127.0.0.1 (``port``); ``stop()`` it."""

    def __init__(self, users=None, databases=("apim_db",), charset="latin1",
                 collation="latin1_bin", plugin=NATIVE, user_plugin=None,
                 full_auth=False, port=0):
        self.users = {"apim": "secret"} if users is None else users
        self.databases = set(databases)
        self.charset = charset
        self.collation = collation
        self.plugin = plugin            # announced in the handshake
        self.user_plugin = user_plugin or plugin  # the account's plugin
        self.full_auth = full_auth      # caching_sha2: cache miss
        self.queries = []
        self.logins = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
        except OSError:
            pass
        self.sock.close()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ plumbing

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            threading.Thread(target=self._session, args=(conn,),
                             daemon=True).start()

    @staticmethod
    def _recv(conn, size):
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise ConnectionResetError
            data += chunk
        return data

    def _read(self, conn):
        header = self._recv(conn, 4)
        self.seq = header[3] + 1
        return self._recv(conn, int.from_bytes(header[:3], "little"))

    def _send(self, conn, payload):
        conn.sendall(len(payload).to_bytes(3, "little") + bytes([self.seq])
                     + payload)
        self.seq += 1

    def _session(self, conn):
        conn.settimeout(5)
        try:
            self._talk(conn)
        except OSError:
            pass
        finally:
            conn.close()

    # ------------------------------------------------------------ protocol

    def _handshake(self, nonce):
        return (b"\x0a" + b"5.5.5-10.11.99-MariaDB-fake\0"
                + struct.pack("<I", 7) + nonce[:8] + b"\0"
                + struct.pack("<H", CAPS & 0xFFFF) + b"\x08"
                + struct.pack("<H", 2) + struct.pack("<H", CAPS >> 16)
                + bytes([21]) + b"\0" * 10 + nonce[8:] + b"\0"
                + self.plugin.encode() + b"\0")

    def _talk(self, conn):
        nonce = os.urandom(20).replace(b"\0", b"\1")
        self.seq = 0
        self._send(conn, self._handshake(nonce))
        reply = self._read(conn)
        flags = struct.unpack_from("<I", reply, 0)[0]
        pos = 32
        end = reply.index(b"\0", pos)
        user = reply[pos:end].decode()
        pos = end + 1
        size = reply[pos]
        auth = reply[pos + 1:pos + 1 + size]
        pos += 1 + size
        database = ""
        if flags & WITH_DB:
            end = reply.index(b"\0", pos)
            database = reply[pos:end].decode()
            pos = end + 1
        client_plugin = reply[pos:].rstrip(b"\0").decode()
        self.logins.append({"user": user, "database": database,
                            "plugin": client_plugin,
                            "lenenc": bool(flags & LENENC_AUTH)})
        if client_plugin != self.user_plugin:
            nonce = os.urandom(20).replace(b"\0", b"\1")
            self._send(conn, b"\xfe" + self.user_plugin.encode() + b"\0"
                       + nonce + b"\0")
            auth = self._read(conn)
        if not self._authenticated(conn, user, auth, nonce):
            using = "YES" if auth else "NO"
            self._send(conn, _err(1045, "28000", f"Access denied for user "
                                  f"'{user}'@'localhost' (using password: "
                                  f"{using})"))
            return
        if database and database not in self.databases:
            self._send(conn, _err(1049, "42000",
                                  f"Unknown database '{database}'"))
            return
        self._send(conn, OK)
        while True:
            command = self._read(conn)
            if command[:1] == b"\x01":
                return
            self.queries.append(command[1:].decode())
            self._send(conn, b"\x02")
            for name in (b"@@character_set_database",
                         b"@@collation_database"):
                self._send(conn, _lenenc(b"def") + b"\0\0\0" + _lenenc(name)
                           + _lenenc(name) + b"\x0c\x21\x00"
                           + struct.pack("<I", 96) + b"\xfd\0\0\x27\0\0")
            self._send(conn, EOF)
            self._send(conn, _lenenc(self.charset.encode())
                       + (_lenenc(self.collation.encode())
                          if self.collation is not None else b"\xfb"))
            self._send(conn, EOF)

    def _authenticated(self, conn, user, auth, nonce):
        if user not in self.users:
            return False
        password = self.users[user].encode()
        if self.user_plugin == NATIVE:
            if not password:
                return auth == b""
            stored = hashlib.sha1(hashlib.sha1(password).digest()).digest()
            stage1 = _xor(auth, hashlib.sha1(nonce + stored).digest())
            return hashlib.sha1(stage1).digest() == stored
        if self.user_plugin == CACHING_SHA2:
            if self.full_auth:
                self._send(conn, b"\x01\x04")
                self._read(conn)  # the client would send more; never does
                return False
            stored = hashlib.sha256(hashlib.sha256(password).digest())
            stored = stored.digest()
            stage1 = _xor(auth, hashlib.sha256(stored + nonce).digest())
            if hashlib.sha256(stage1).digest() != stored:
                return False
            self._send(conn, b"\x01\x03")
            return True
        return False
