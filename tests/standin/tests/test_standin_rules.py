"""Refusal rules, version ranges and upstream extraction of the stand-in."""

from __future__ import annotations

import os
import tomllib
import zipfile
from pathlib import Path

import pytest

import standin_server as ss

OPENJDK = 'openjdk version "{}" 2025-04-15\nOpenJDK Runtime Environment'
ORACLE8 = 'java version "1.8.0_402"\nJava(TM) SE Runtime Environment'


# ------------------------------------------------------------------ Java

@pytest.mark.parametrize("version, expected", [
    ("4.2.0", (11, 17)),
    ("4.3.0", (11, 21)),
    ("4.4.0", (11, 21)),
    ("4.5.0", (11, 21)),
    ("4.6.0", (11, 21)),
    ("4.7.0", (21, 25)),
])
def test_java_range(version, expected):
    assert ss.java_range(version) == expected


def test_java_range_rejects_garbage():
    with pytest.raises(ValueError):
        ss.java_range("latest")


@pytest.mark.parametrize("text, major", [
    (OPENJDK.format("17.0.15"), 17),
    (OPENJDK.format("21.0.5"), 21),
    (OPENJDK.format("21"), 21),
    (OPENJDK.format("25-ea"), 25),
    (OPENJDK.format("11.0.2+9"), 11),
    (ORACLE8, 8),
    ('openjdk version "1.7.0_80"', 7),
    ("no version here", None),
    ("", None),
])
def test_parse_java_major(text, major):
    assert ss.parse_java_major(text) == major


@pytest.mark.parametrize("java_home", [None, ""])
def test_java_home_unset_refused(java_home):
    err = ss.check_java("4.5.0", java_home)
    assert err and "JAVA_HOME is not set" in err


def test_java_home_without_java_refused(tmp_path):
    err = ss.check_java("4.5.0", str(tmp_path))
    assert err and "bin/java" in err


def test_java_version_command_failing_refused(fake_java):
    home = fake_java("Error: could not create the Java Virtual Machine", 1)
    err = ss.check_java("4.5.0", home)
    assert err and "-version failed" in err


def test_java_version_unparsable_refused(fake_java):
    err = ss.check_java("4.5.0", fake_java("hello"))
    assert err and "cannot read the Java version" in err


@pytest.mark.parametrize("api_version, java, ok", [
    ("4.5.0", "1.8.0_402", False),   # too old
    ("4.5.0", "11.0.24", True),
    ("4.5.0", "17.0.15", True),
    ("4.5.0", "21.0.5", True),
    ("4.5.0", "25.0.1", False),      # too new
    ("4.2.0", "21.0.5", False),
    ("4.2.0", "17.0.15", True),
    ("4.7.0", "17.0.15", False),     # too old for 4.7
    ("4.7.0", "21.0.5", True),
    ("4.7.0", "25", True),
    ("4.7.0", "26-ea", False),       # too new
])
def test_java_version_range_enforced(fake_java, api_version, java, ok):
    text = ORACLE8 if java.startswith("1.") else OPENJDK.format(java)
    err = ss.check_java(api_version, fake_java(text))
    if ok:
        assert err is None
    else:
        assert err and "is not supported" in err and api_version in err


def test_real_java_accepted():
    from standin_testlib import real_java_home

    home = real_java_home()
    if home is None:
        pytest.skip("no real JDK")
    assert ss.check_java("4.5.0", home) is None


# --------------------------------------------------------- deployment.toml

H2_SHARED = """
[database.shared_db]
type = "h2"
url = "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"
"""

MYSQL_APIM = """
[database.apim_db]
type = "mysql"
url = "jdbc:mysql://db.example.com:3306/apim_db?useSSL=false"
username = "apim"
password = "secret"
driver = "{driver}"
"""


INFER_JSON = (Path(ss.__file__).resolve().parents[2] / "conf" / "infer.json")


def make_home(tmp_path, toml_text):
    """A node home with deployment.toml, the pack's infer.json, empty lib."""
    home = tmp_path / "home"
    (home / "repository" / "conf").mkdir(parents=True, exist_ok=True)
    (home / "repository" / "components" / "lib").mkdir(parents=True,
                                                       exist_ok=True)
    (home / "repository" / "conf" / "deployment.toml").write_text(toml_text)
    resources = home / "repository" / "resources" / "conf"
    resources.mkdir(parents=True, exist_ok=True)
    (resources / "infer.json").write_bytes(INFER_JSON.read_bytes())
    return home


def make_jar(path, *classes):
    with zipfile.ZipFile(path, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for cls in classes:
            jar.writestr(cls.replace(".", "/") + ".class", b"\xca\xfe\xba\xbe")
    return path


def test_bad_toml_refused(tmp_path):
    home = make_home(tmp_path, '[server]\nhostname = "a\n')
    err = ss.check_config("control_plane", str(home))
    assert err and "is not valid TOML" in err
    assert "\n" not in err


def test_missing_toml_refused(tmp_path):
    home = tmp_path / "empty"
    home.mkdir()
    err = ss.check_config("control_plane", str(home))
    assert err and "not found" in err


def test_h2_only_needs_no_jar(tmp_path):
    home = make_home(tmp_path, H2_SHARED + """
[database.apim_db]
type = "H2"
url = "jdbc:h2:./repository/database/WSO2AM_DB"
[database.local]
url = "jdbc:h2:./repository/database/WSO2CARBON_DB"
""")
    for kind in ss.KINDS:
        assert ss.check_config(kind, str(home)) is None


def test_mysql_without_driver_jar_refused(tmp_path):
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(
        driver="com.mysql.cj.jdbc.Driver"))
    err = ss.check_config("control_plane", str(home))
    assert err and "[database.apim_db]" in err
    assert "com.mysql.cj.jdbc.Driver" in err


def test_mysql_with_wrong_jar_refused(tmp_path):
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(
        driver="com.mysql.cj.jdbc.Driver"))
    make_jar(home / "repository/components/lib/postgresql.jar",
             "org.postgresql.Driver")
    (home / "repository/components/lib/notajar.jar").write_text("junk")
    assert ss.check_config("control_plane", str(home))


def test_mysql_with_driver_jar_ok(tmp_path):
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(
        driver="com.mysql.cj.jdbc.Driver"))
    make_jar(home / "repository/components/lib/mysql-connector-j-8.4.0.jar",
             "com.mysql.cj.jdbc.Driver")
    assert ss.check_config("control_plane", str(home)) is None


def test_driver_jar_through_symlink_ok(tmp_path):
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(
        driver="com.mysql.cj.jdbc.Driver"))
    shared = tmp_path / "usr-share-java"
    shared.mkdir()
    real = make_jar(shared / "mysql-connector-j-9.1.0.jar",
                    "com.mysql.cj.jdbc.Driver")
    lib = home / "repository/components/lib"
    os.symlink(real, lib / "mysql-connector-j.jar")
    os.symlink(tmp_path / "missing.jar",
               home / "repository/components/lib/broken.jar")
    assert ss.check_config("traffic_manager", str(home)) is None


def test_mariadb_driver_through_symlink_refused(tmp_path):
    # Found, but API-M does not know the name "MariaDB Connector/J".
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(
        driver="org.mariadb.jdbc.Driver"))
    shared = tmp_path / "usr-share-java"
    shared.mkdir()
    real = make_jar(shared / "mariadb-java-client-3.5.jar",
                    "org.mariadb.jdbc.Driver")
    os.symlink(real, home / "repository/components/lib/"
                            "mariadb-java-client.jar")
    err = ss.check_config("traffic_manager", str(home))
    assert err and "Error occurred while initializing SQL Constants " \
                   "Manager" in err and "MariaDB Connector/J" in err


def test_non_h2_without_driver_key_refused(tmp_path):
    home = make_home(tmp_path, H2_SHARED + """
[database.apim_db]
type = "postgre"
url = "jdbc:postgresql://db:5432/apim"
""")
    make_jar(home / "repository/components/lib/postgresql.jar",
             "org.postgresql.Driver")
    err = ss.check_config("control_plane", str(home))
    assert err and "no JDBC driver class" in err


def test_postgres_shared_db_with_jar_ok(tmp_path):
    home = make_home(tmp_path, """
[database.shared_db]
type = "postgre"
url = "jdbc:postgresql://db:5432/shared"
driver = "org.postgresql.Driver"
""")
    make_jar(home / "repository/components/lib/postgresql-42.7.jar",
             "org.postgresql.Driver")
    assert ss.check_config("gateway", str(home)) is None


def test_gateway_without_shared_db_refused(tmp_path):
    home = make_home(tmp_path, '[server]\nhostname = "gw"\n')
    err = ss.check_config("gateway", str(home))
    assert err and "[database.shared_db]" in err and "gateway" in err
    # other kinds do not need it
    for kind in ("control_plane", "key_manager", "traffic_manager"):
        assert ss.check_config(kind, str(home)) is None


def test_gateway_with_h2_shared_db_ok(tmp_path):
    home = make_home(tmp_path, H2_SHARED)
    assert ss.check_config("gateway", str(home)) is None


@pytest.mark.parametrize("config, override, expected", [
    ({}, None, 0),
    ({"server": {"offset": 3}}, None, 3),
    ({"server": {"offset": "5"}}, None, 5),
    ({"server": {"offset": 3}}, "7", 7),
])
def test_resolve_offset(config, override, expected):
    assert ss.resolve_offset(config, override) == (expected, None)


@pytest.mark.parametrize("config, override", [
    ({"server": {"offset": "x"}}, None),
    ({}, "-1"),
    ({}, "60000"),
])
def test_resolve_offset_invalid(config, override):
    offset, err = ss.resolve_offset(config, override)
    assert offset is None and err


# --------------------------------------------------------------- upstreams

SAMPLE = """
[server]
hostname = "cp1.example.com"

[apim.key_manager]
service_url = "https://km.example.com:9443/services/"

[apim.event_hub]
enable = true
service_url = "https://cp1.example.com:9443/services/"
event_listening_endpoints = ["tcp://cp1.example.com:5672",
                             "tcp://cp2.example.com:5672"]
event_duplicate_url = ["tcp://cp2.example.com:5672"]

[[apim.event_hub.publish.url_group]]
urls = ["tcp://cp1.example.com:9611"]
auth_urls = ["ssl://cp1.example.com:9711"]

[[apim.event_hub.publish.url_group]]
urls = ["tcp://cp2.example.com:9611"]
auth_urls = ["ssl://cp2.example.com:9711"]

[apim.throttling]
service_url = "https://tm1.example.com:9443/services/"
throttle_decision_endpoints = ["tcp://tm1.example.com:5672"]
event_duplicate_url = ["tcp://tm2.example.com:5672"]

[[apim.throttling.url_group]]
traffic_manager_urls = ["tcp://tm1.example.com:9611"]
traffic_manager_auth_urls = ["ssl://tm1.example.com:9711"]
type = "loadbalance"

[[apim.throttling.url_group]]
traffic_manager_urls = ["tcp://tm2.example.com:9611"]
traffic_manager_auth_urls = ["ssl://tm2.example.com:9711"]
type = "loadbalance"

[[apim.gateway.environment]]
name = "Default"
service_url = "https://gw1.example.com/services/"

[[apim.gateway.environment]]
name = "Internal"
service_url = "https://localhost:${mgt.transport.https.port}/services/"

[[event_listener]]
id = "token_revocation"
[event_listener.properties]
notification_endpoint = "https://${carbon.host}:9443/internal/data/v1/notify"

[database.apim_db]
type = "mysql"
url = "jdbc:mysql://db1.example.com:3306,db2.example.com:3307/apim?x=1"
driver = "com.mysql.cj.jdbc.Driver"

[database.shared_db]
type = "postgre"
url = "jdbc:postgresql://pg.example.com/shared"
driver = "org.postgresql.Driver"

[database.local]
type = "h2"
url = "jdbc:h2:./repository/database/WSO2CARBON_DB"
"""


def test_extract_upstreams_sample():
    config = tomllib.loads(SAMPLE)
    got = ss.extract_upstreams(config, offset=2)
    assert got == [
        ("key_manager", "km.example.com", 9443),
        ("event_hub", "cp1.example.com", 9443),
        ("event_hub_listener", "cp1.example.com", 5672),
        ("event_hub_listener", "cp2.example.com", 5672),
        ("throttle_decision", "tm1.example.com", 5672),
        ("traffic_manager", "tm1.example.com", 9611),
        ("traffic_manager_auth", "tm1.example.com", 9711),
        ("traffic_manager", "tm2.example.com", 9611),
        ("traffic_manager_auth", "tm2.example.com", 9711),
        ("throttling_service", "tm1.example.com", 9443),
        ("event_hub_publish", "cp1.example.com", 9611),
        ("event_hub_publish_auth", "cp1.example.com", 9711),
        ("event_hub_publish", "cp2.example.com", 9611),
        ("event_hub_publish_auth", "cp2.example.com", 9711),
        ("event_duplicate", "cp2.example.com", 5672),
        ("event_duplicate", "tm2.example.com", 5672),
        ("gateway_environment", "gw1.example.com", 443),
        ("gateway_environment", "localhost", 9445),
        ("notification_endpoint", "cp1.example.com", 9443),
        ("database.apim_db", "db1.example.com", 3306),
        ("database.apim_db", "db2.example.com", 3307),
        ("database.shared_db", "pg.example.com", 5432),
    ]


def test_extract_upstreams_dedupes_and_accepts_strings():
    config = tomllib.loads("""
[apim.event_hub]
service_url = "https://cp:9443/services/"
event_listening_endpoints = "tcp://cp:5672"
[apim.key_manager]
service_url = "https://cp:9443/services/"
[apim.throttling]
throttle_decision_endpoints = ["tcp://tm:5672", "tcp://tm:5672"]
""")
    assert ss.extract_upstreams(config) == [
        ("key_manager", "cp", 9443),
        ("event_hub", "cp", 9443),
        ("event_hub_listener", "cp", 5672),
        ("throttle_decision", "tm", 5672),
    ]


def test_extract_upstreams_defaults_pack_tomls():
    conf = Path(ss.__file__).resolve().parents[2] / "conf" / "gateway.toml"
    with open(conf, "rb") as fh:
        config = tomllib.load(fh)
    names = {name for name, _, _ in ss.extract_upstreams(config)}
    assert names == {"key_manager", "event_hub", "event_hub_listener",
                     "throttle_decision", "traffic_manager",
                     "traffic_manager_auth"}


@pytest.mark.parametrize("url, expected", [
    ("https://h:9443/services/", [("h", 9443)]),
    ("https://h/services/", [("h", 443)]),
    ("http://h/", [("h", 80)]),
    ("tcp://h:5672", [("h", 5672)]),
    ("ssl://h:9711", [("h", 9711)]),
    ("tcp://h", []),
    ("jdbc:mysql://h:3306/db?useSSL=false", [("h", 3306)]),
    ("jdbc:mysql://h/db", [("h", 3306)]),
    ("jdbc:mariadb://u:p@h:3310/db", [("h", 3310)]),
    ("jdbc:postgresql://h:5433/db", [("h", 5433)]),
    ("jdbc:postgresql://[::1]:5432/db", [("::1", 5432)]),
    ("jdbc:sqlserver://h:1433;databaseName=db", [("h", 1433)]),
    ("jdbc:oracle:thin:@h:1521/db", [("h", 1521)]),
    ("jdbc:oracle:thin:@//h:1522/db", [("h", 1522)]),
    ("jdbc:h2:./repository/database/X", []),
    ("https://$ref{server.hostname}:9443/", []),
    ("https://h:${unknown.port}/", []),
    ("not a url", []),
])
def test_parse_endpoint(url, expected):
    assert ss.parse_endpoint(url) == expected


def test_parse_args():
    opts = ss.parse_args(["--kind", "gateway", "--home", "/h", "--daemon",
                          "-DportOffset=3", "-Dfoo=bar", "-Xmx1g"])
    assert opts["kind"] == "gateway" and opts["home"] == "/h"
    assert opts["daemon"] is True and opts["port_offset"] == "3"
    assert opts["ignored"] == ["-Xmx1g"]
    assert opts["sysprops"] == {"httpclient.hostnameVerifier": "AllowAll",
                                "portOffset": "3", "foo": "bar"}
