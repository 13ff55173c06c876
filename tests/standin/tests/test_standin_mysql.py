"""The stand-in's MySQL client and collation rule, against a fake server."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import standin_mysql as sm
import standin_server as ss
from fake_mysql import CACHING_SHA2, NATIVE, FakeMySQL


def _table(port, password="secret", database="apim_db", user="apim"):
    return {"type": "mysql",
            "url": f"jdbc:mysql://127.0.0.1:{port}/{database}?useSSL=false",
            "username": user, "password": password,
            "driver": "com.mysql.cj.jdbc.Driver"}


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check(table, wait=5.0):
    logs = []
    err = sm.check_mysql_database("apim_db", table, wait=wait,
                                  log=lambda lvl, msg: logs.append((lvl, msg)))
    return err, logs


# ---------------------------------------------------------------- pure parts

@pytest.mark.parametrize("url, expected", [
    ("jdbc:mysql://db:3306/apim_db?useSSL=false", ([("db", 3306)], "apim_db")),
    ("jdbc:mysql://db/apim_db", ([("db", 3306)], "apim_db")),
    ("JDBC:MYSQL://db:3307/x;foo", ([("db", 3307)], "x")),
    ("jdbc:mysql://a:1,b:2/shared", ([("a", 1), ("b", 2)], "shared")),
    ("jdbc:mysql://[::1]:3306/db", ([("::1", 3306)], "db")),
    ("jdbc:mysql://db:3306", ([("db", 3306)], "")),
    ("jdbc:mysql://db:3306/?x=1", ([("db", 3306)], "")),
    ("jdbc:mysql://db:port/x", None),
    ("jdbc:postgresql://db/x", None),
])
def test_parse_mysql_url(url, expected):
    assert sm.parse_mysql_url(url) == expected


@pytest.mark.parametrize("collation, ok", [
    ("latin1_bin", True), ("utf8mb4_bin", True), ("latin1_general_cs", True),
    ("utf8mb4_0900_as_cs", True), ("latin1_swedish_ci", False),
    ("utf8mb4_general_ci", False), ("utf8mb4_0900_ai_ci", False),
    ("", False), (None, False),
])
def test_is_case_sensitive(collation, ok):
    assert sm.is_case_sensitive(collation) is ok


def test_native_scramble_shape():
    # Correctness is checked by the fake server, which verifies the
    # scramble from the stored hash as a real server does.
    nonce = bytes(range(1, 21))
    got = sm.scramble_native("secret", nonce)
    assert len(got) == 20
    assert sm.scramble_native("", nonce) == b""
    assert got != sm.scramble_native("secret", bytes(range(2, 22)))


@pytest.mark.parametrize("raw, value, pos", [
    (b"\x05", 5, 1), (b"\xfc\x01\x02", 0x0201, 3),
    (b"\xfd\x01\x02\x03", 0x030201, 4), (b"\xfe" + b"\x01" + b"\0" * 7, 1, 9),
])
def test_lenenc_int(raw, value, pos):
    assert sm.lenenc_int(raw, 0) == (value, pos)


# ------------------------------------------------------------ fake server

def test_case_sensitive_collation_accepted():
    with FakeMySQL(collation="latin1_bin") as server:
        err, logs = _check(_table(server.port))
        assert err is None and logs == []
        assert server.queries == [sm.COLLATION_QUERY]
        assert server.logins[0]["user"] == "apim"
        assert server.logins[0]["database"] == "apim_db"
        assert server.logins[0]["plugin"] == NATIVE


def test_utf8mb4_bin_accepted():
    with FakeMySQL(charset="utf8mb4", collation="utf8mb4_bin") as server:
        assert _check(_table(server.port))[0] is None


def test_case_insensitive_collation_refused():
    with FakeMySQL(collation="latin1_swedish_ci") as server:
        err, _ = _check(_table(server.port))
    assert err == (
        f"[database.apim_db] database apim_db on 127.0.0.1:{server.port} has "
        "collation latin1_swedish_ci (character set latin1), which is not "
        "case-sensitive; WSO2 API Manager needs a case-sensitive MySQL "
        "collation (*_bin or *_cs): before creating its tables run ALTER "
        "DATABASE apim_db CHARACTER SET latin1 COLLATE latin1_bin")


def test_wrong_password_refused_with_server_text():
    with FakeMySQL() as server:
        err, logs = _check(_table(server.port, password="wrong"))
    assert err == (
        "[database.apim_db] Cannot create PoolableConnectionFactory (Access "
        "denied for user 'apim'@'localhost' (using password: YES)) [MySQL "
        f"error 1045 (28000) from 127.0.0.1:{server.port}, user 'apim']")
    assert logs == []  # not retried


def test_empty_password_sent_as_no_password():
    with FakeMySQL(users={"apim": ""}) as server:
        assert _check(_table(server.port, password=""))[0] is None
    with FakeMySQL() as server:
        err, _ = _check(_table(server.port, password=""))
    assert "(using password: NO)" in err


def test_unknown_database_refused():
    with FakeMySQL() as server:
        err, _ = _check(_table(server.port, database="nope"))
    assert "Unknown database 'nope'" in err and "error 1049" in err


def test_caching_sha2_fast_path():
    with FakeMySQL(plugin=CACHING_SHA2, collation="latin1_bin") as server:
        assert _check(_table(server.port))[0] is None
        assert server.logins[0]["plugin"] == CACHING_SHA2
    with FakeMySQL(plugin=CACHING_SHA2) as server:
        err, _ = _check(_table(server.port, password="wrong"))
    assert "Access denied" in err


def test_auth_switch_to_caching_sha2():
    # MySQL 8: the handshake names mysql_native_password, the account uses
    # caching_sha2_password, so the server switches.
    with FakeMySQL(plugin=NATIVE, user_plugin=CACHING_SHA2,
                   collation="latin1_swedish_ci") as server:
        err, _ = _check(_table(server.port))
    assert err and "latin1_swedish_ci" in err


def test_auth_switch_to_native():
    with FakeMySQL(plugin=CACHING_SHA2, user_plugin=NATIVE) as server:
        assert _check(_table(server.port))[0] is None


def test_caching_sha2_full_auth_refused_clearly():
    with FakeMySQL(plugin=CACHING_SHA2, full_auth=True) as server:
        err, _ = _check(_table(server.port))
    assert err.startswith("[database.apim_db] Cannot create "
                          f"PoolableConnectionFactory (127.0.0.1:"
                          f"{server.port}: caching_sha2_password asks for "
                          "full authentication")


def test_unsupported_plugin_refused_clearly():
    with FakeMySQL(user_plugin="sha256_password") as server:
        err, _ = _check(_table(server.port))
    assert "authentication plugin sha256_password" in err


def test_null_collation_is_not_refused():
    with FakeMySQL(collation=None) as server:
        assert _check(_table(server.port))[0] is None


def test_unreachable_database_refused_after_wait():
    port = _closed_port()
    start = time.monotonic()
    err, logs = _check(_table(port), wait=0.5)
    assert time.monotonic() - start < 5
    assert err.startswith("[database.apim_db] Cannot create "
                          "PoolableConnectionFactory (Communications link "
                          f"failure: 127.0.0.1:{port}: ")
    assert err.endswith("; gave up after 0.5 s)")
    assert logs == [("WARN", logs[0][1])]
    assert "retrying for up to 0.5 s" in logs[0][1]


def test_database_coming_up_later_is_waited_for():
    port = _closed_port()
    holder = {}

    def later():
        time.sleep(0.5)
        holder["server"] = FakeMySQL(collation="latin1_bin", port=port)

    thread = threading.Thread(target=later)
    thread.start()
    try:
        err, logs = _check(_table(port), wait=15)
    finally:
        thread.join()
        holder["server"].stop()
    assert err is None
    assert len(logs) == 1 and logs[0][0] == "WARN"


def test_url_without_database_or_with_secret_not_checked():
    err, logs = _check({"url": "jdbc:mysql://127.0.0.1:1", "username": "a"})
    assert err is None and "names no database" in logs[0][1]
    err, logs = _check(_table(_closed_port(), password="$secret{db}"))
    assert err is None and "cipher-tool secret" in logs[0][1]
    err, logs = _check(_table(_closed_port(), user="$sys{db.user}"))
    assert err is None and "system property" in logs[0][1]


def test_env_credentials_resolved(monkeypatch):
    monkeypatch.setenv("STANDIN_TEST_DB_PASSWORD", "secret")
    with FakeMySQL(collation="latin1_swedish_ci") as server:
        err, _ = _check(_table(server.port,
                               password="$env{STANDIN_TEST_DB_PASSWORD}"))
    assert err and "latin1_swedish_ci" in err  # logged in, then refused
    monkeypatch.delenv("STANDIN_TEST_DB_PASSWORD")
    err, logs = _check(_table(_closed_port(),
                              password="$env{STANDIN_TEST_DB_PASSWORD}"))
    assert err is None and "unset environment variable" in logs[0][1]


# ------------------------------------------------------ server integration

def test_check_databases_only_mysql_urls():
    with FakeMySQL(collation="latin1_swedish_ci") as server:
        config = {"database": {
            "shared_db": {"type": "h2", "url": "jdbc:h2:./x"},
            "pg": {"type": "postgre", "url": "jdbc:postgresql://h/x"},
            "apim_db": _table(server.port),
        }}
        assert [n for n, _ in ss.mysql_databases(config)] == ["apim_db"]
        err = ss.check_databases(config, wait=1)
    assert err and err.startswith("[database.apim_db] database apim_db")


@pytest.mark.parametrize("env, wait", [
    ({}, 60.0), ({"STANDIN_DB_WAIT": "5"}, 5.0),
    ({"STANDIN_DB_WAIT": "0.5"}, 0.5), ({"STANDIN_DB_WAIT": "x"}, 60.0),
    ({"STANDIN_DB_WAIT": "-3"}, 0.0),
])
def test_db_wait_seconds(env, wait):
    assert ss.db_wait_seconds(env) == wait
