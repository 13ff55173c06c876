"""Driver name, server_role and 4.7 encryption key rules of the stand-in."""

from __future__ import annotations

import json
import os
import re
import tomllib
import zipfile

import pytest

import build_packs
import standin_checks as sc
import standin_server as ss
from test_standin_rules import H2_SHARED, MYSQL_APIM, make_home, make_jar

MARIADB = "org.mariadb.jdbc.Driver"
MYSQL = "com.mysql.cj.jdbc.Driver"
HEX64 = "0123456789abcdef" * 4


def _jar(path, driver_class, manifest=None):
    with zipfile.ZipFile(path, "w") as jar:
        if manifest is not None:
            jar.writestr("META-INF/MANIFEST.MF", manifest)
        jar.writestr(driver_class.replace(".", "/") + ".class", b"\0")
    return str(path)


# ------------------------------------------------------------ driver name

@pytest.mark.parametrize("driver_class, name", [
    (MYSQL, "MySQL Connector/J"),
    ("com.mysql.jdbc.Driver", "MySQL Connector/J"),
    (MARIADB, "MariaDB Connector/J"),
    ("org.postgresql.Driver", "PostgreSQL JDBC Driver"),
    ("oracle.jdbc.OracleDriver", "Oracle JDBC driver"),
    ("com.microsoft.sqlserver.jdbc.SQLServerDriver",
     "Microsoft JDBC Driver for SQL Server"),
    ("org.h2.Driver", "H2 JDBC Driver"),
])
def test_driver_name_by_package(tmp_path, driver_class, name):
    jar = _jar(tmp_path / "d.jar", driver_class,
               "Manifest-Version: 1.0\nBundle-Name: something else\n")
    assert sc.driver_name(driver_class, jar)[0] == name


def test_driver_name_from_manifest(tmp_path):
    jar = _jar(tmp_path / "d.jar", "org.example.Driver",
               "Manifest-Version: 1.0\r\nImplementation-Title: Example\r\n"
               "  Driver\r\nBundle-Name: ignored\r\n\r\nName: x\r\n"
               "Implementation-Title: not the main section\r\n")
    assert sc.driver_name("org.example.Driver", jar) == (
        "Example Driver", "META-INF/MANIFEST.MF Implementation-Title")
    jar = _jar(tmp_path / "e.jar", "org.example.Driver",
               "Manifest-Version: 1.0\nBundle-Name: Example JDBC\n")
    assert sc.driver_name("org.example.Driver", jar)[0] == "Example JDBC"
    jar = _jar(tmp_path / "f.jar", "org.example.Driver")
    assert sc.driver_name("org.example.Driver", jar) == (None, None)


@pytest.mark.parametrize("name, db2, dialect", [
    ("MySQL Connector/J", False, "h2mysql"),
    ("H2 JDBC Driver", False, "h2mysql"),
    ("PostgreSQL JDBC Driver", False, "postgre"),
    ("Oracle JDBC driver", False, "oracle"),
    ("Microsoft JDBC Driver 12.4 for SQL Server", False, "mssql"),
    ("jTDS Type 4 JDBC Driver for MS SQL Server and Sybase", False, "mssql"),
    ("IBM Data Server Driver for JDBC and SQLJ", True, "db2"),
    ("MariaDB Connector/J", False, None),
    ("mysql connector", False, None),  # case-sensitive, as Java
    (None, False, None),
])
def test_sql_dialect(name, db2, dialect):
    assert sc.sql_dialect(name, db2) == dialect


def test_mysql_connector_accepted(tmp_path):
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(driver=MYSQL))
    make_jar(home / "repository/components/lib/mysql-connector-j-9.1.0.jar",
             MYSQL)
    assert ss.check_config("control_plane", str(home)) is None


def test_postgresql_accepted(tmp_path):
    home = make_home(tmp_path, """
[database.apim_db]
type = "postgre"
url = "jdbc:postgresql://db:5432/apim"
driver = "org.postgresql.Driver"
""" + H2_SHARED)
    _jar(home / "repository/components/lib/postgresql-42.7.jar",
         "org.postgresql.Driver",
         "Manifest-Version: 1.0\nImplementation-Title: PostgreSQL JDBC "
         "Driver\n")
    assert ss.check_config("key_manager", str(home)) is None


def test_mariadb_refused_by_class_table(tmp_path):
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(driver=MARIADB))
    # Debian's jar: no Implementation-Title, Bundle-Name mariadb-java-client
    jar = _jar(home / "repository/components/lib/mariadb-java-client.jar",
               MARIADB, "Manifest-Version: 1.0\nBundle-Name: "
               "mariadb-java-client\n")
    err = ss.check_config("control_plane", str(home))
    assert err == (
        "[database.apim_db] (type=mysql) Could not find DB type to load "
        "constants: Error occurred while initializing SQL Constants Manager. "
        f"JDBC driver {MARIADB} in {jar} reports the driver name "
        '"MariaDB Connector/J" (driver class package org.mariadb.jdbc); '
        "API-M needs a driver name containing MySQL, H2, MS SQL, Microsoft, "
        "PostgreSQL or Oracle, or a DB2 database (for MySQL and MariaDB "
        "servers use MySQL Connector/J, com.mysql.cj.jdbc.Driver)")


def test_mariadb_refused_by_manifest(tmp_path):
    driver = "org.example.wrapped.Driver"
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(driver=driver))
    _jar(home / "repository/components/lib/wrapped.jar", driver,
         "Manifest-Version: 1.0\nImplementation-Title: MariaDB Connector/J\n")
    err = ss.check_config("traffic_manager", str(home))
    assert err and "SQL Constants Manager" in err
    assert '"MariaDB Connector/J" (META-INF/MANIFEST.MF ' \
           'Implementation-Title)' in err


def test_unknown_driver_without_name_refused(tmp_path):
    driver = "org.example.Driver"
    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(driver=driver))
    _jar(home / "repository/components/lib/x.jar", driver)
    err = ss.check_config("control_plane", str(home))
    assert err and "no driver name the stand-in can tell" in err


def test_standin_driver_jars(tmp_path):
    paths = build_packs.write_driver_jars(tmp_path, log=lambda *_: None)
    assert paths == build_packs.driver_jars(tmp_path)
    mysql, mariadb = paths["mysql"], paths["mariadb"]
    assert mysql.name == "mysql-connector-j-standin.jar"
    assert mariadb.name == "mariadb-java-client-standin.jar"
    assert sc.read_manifest(mysql)["Implementation-Title"] == \
        "MySQL Connector/J"
    assert "stand-in test fixture" in \
        sc.read_manifest(mysql)["Standin-Fixture"]
    with zipfile.ZipFile(mysql) as jar:
        assert "com/mysql/cj/jdbc/Driver.class" in jar.namelist()
        assert "README-STANDIN.txt" in jar.namelist()
        assert {i.date_time for i in jar.infolist()} == {build_packs.ZIP_DATE}
    assert mysql.read_bytes() == build_packs.driver_jar_bytes("mysql")
    mtime = mysql.stat().st_mtime_ns
    messages = []
    build_packs.write_driver_jars(tmp_path, log=messages.append)
    assert messages == [] and mysql.stat().st_mtime_ns == mtime

    home = make_home(tmp_path, H2_SHARED + MYSQL_APIM.format(driver=MYSQL))
    lib = home / "repository/components/lib"
    os.symlink(mysql, lib / "mysql-connector-j.jar")
    assert ss.check_config("control_plane", str(home)) is None
    (home / "repository/conf/deployment.toml").write_text(
        H2_SHARED + MYSQL_APIM.format(driver=MARIADB))
    os.symlink(mariadb, lib / "mariadb-java-client.jar")
    err = ss.check_config("control_plane", str(home))
    assert err and "MariaDB Connector/J" in err


# ---------------------------------------------------------- server_role

def test_pack_infer_json_knows_only_default():
    src = build_packs.SRC / "conf" / "infer.json"
    data = json.loads(src.read_text())
    assert list(data["server.server_role"]) == ["default"]
    for conf in (build_packs.SRC / "conf").glob("*.toml"):
        with open(conf, "rb") as fh:
            assert tomllib.load(fh)["server"]["server_role"] == "default"


@pytest.mark.parametrize("role", ['"default"', None])
def test_server_role_default_or_unset_ok(tmp_path, role):
    line = f"server_role = {role}\n" if role else ""
    home = make_home(tmp_path, f'[server]\nhostname = "h"\n{line}'
                     + H2_SHARED)
    assert ss.check_config("gateway", str(home)) is None


@pytest.mark.parametrize("role, shown", [
    ('"gateway-worker"', "gateway-worker"),
    ('"control-plane"', "control-plane"),
    ('"Default"', "Default"),
    ("1", "1"),
])
def test_unknown_server_role_refused(tmp_path, role, shown):
    home = make_home(tmp_path, f"[server]\nserver_role = {role}\n"
                     + H2_SHARED)
    err = ss.check_config("gateway", str(home))
    infer = home / "repository/resources/conf/infer.json"
    assert err == (
        f'[server] server_role = "{shown}" is not a value of '
        f"server.server_role in {infer} (known: \"default\"); a real node "
        "would start without any of that role's inferred settings")


def test_missing_or_broken_infer_json_refused(tmp_path):
    home = make_home(tmp_path, H2_SHARED)
    infer = home / "repository/resources/conf/infer.json"
    infer.write_text("{not json")
    err = ss.check_config("gateway", str(home))
    assert err and err.startswith("Error while reading inferring file")
    infer.unlink()
    err = ss.check_config("gateway", str(home))
    assert err and "infer.json not found" in err


# --------------------------------------------------------- encryption key

@pytest.mark.parametrize("version, used", [
    ("4.5.0", False), ("4.6.0", False), ("4.7.0", True), ("4.8.0", True),
    ("5.0.0", True),
])
def test_uses_encryption_key(version, used):
    assert sc.uses_encryption_key(version) is used


@pytest.mark.parametrize("key", [
    "abc", "0123456789abcdef" * 2 + "0", "g" * 64, HEX64 + "0", 12345, "",
])
def test_bad_key_refused_on_47(tmp_path, key):
    value = json.dumps(key)
    config = tomllib.loads(f"[encryption]\nkey = {value}\n")
    err = sc.encryption_key_problem("4.7.0", config)
    assert err and err.startswith("[encryption] key in "
                                  "repository/conf/deployment.toml is not a "
                                  "usable AES key (")
    assert "64 or 48 hexadecimal characters" in err
    assert str(key) not in err or key == ""  # the key itself is not logged
    home = make_home(tmp_path, f"[encryption]\nkey = {value}\n")
    before = (home / "repository/conf/deployment.toml").read_text()
    _, warning, err2 = sc.ensure_encryption_key("4.7.0", str(home), config)
    assert err2 == err and warning is None
    assert (home / "repository/conf/deployment.toml").read_text() == before


@pytest.mark.parametrize("key", ["0123456789abcdef" * 3, "k" * 16, "k" * 24, "k" * 32])
def test_keys_the_real_provider_accepts_are_not_refused(key):
    # 48 hex characters decode to 24 bytes; other strings are used as raw bytes (16/24/32 work).
    assert sc.encryption_key_problem("4.7.0", {"encryption": {"key": key}}) is None


@pytest.mark.parametrize("key", ["$secret{encryption_key}",
                                 "$env{WSO2_ENCRYPTION_KEY}",
                                 "$sys{encryption.key}"])
def test_key_resolved_at_startup_not_refused(key):
    config = {"encryption": {"key": key}}
    assert sc.encryption_key_problem("4.7.0", config) is None


@pytest.mark.parametrize("version", ["4.5.0", "4.6.0"])
def test_key_ignored_before_47(tmp_path, version):
    config = tomllib.loads('[encryption]\nkey = "short"\n')
    assert sc.encryption_key_problem(version, config) is None
    home = make_home(tmp_path, H2_SHARED)
    conf = home / "repository/conf/deployment.toml"
    got = sc.ensure_encryption_key(version, str(home), {})
    assert got == ({}, None, None)
    assert conf.read_text() == H2_SHARED  # no key generated


def test_good_key_kept(tmp_path):
    text = H2_SHARED + f'\n[encryption]\nkey = "{HEX64.upper()}"\n'
    home = make_home(tmp_path, text)
    config = tomllib.loads(text)
    assert sc.ensure_encryption_key("4.7.0", str(home), config) == \
        (config, None, None)
    assert (home / "repository/conf/deployment.toml").read_text() == text


def _generated(home):
    conf = home / "repository/conf/deployment.toml"
    return tomllib.loads(conf.read_text())["encryption"]["key"]


def test_missing_key_generated_and_appended(tmp_path):
    home = make_home(tmp_path, H2_SHARED.rstrip("\n"))  # no final newline
    config, warning, err = sc.ensure_encryption_key(
        "4.7.0", str(home), tomllib.loads(H2_SHARED))
    assert err is None
    assert warning.startswith(
        "[WARNING]: A random encryption key has been created and added to "
        "deployment.toml at ")
    assert "Please modify this [encryption] key" in warning
    key = _generated(home)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert config["encryption"]["key"] == key
    assert config["database"]["shared_db"]["type"] == "h2"
    text = (home / "repository/conf/deployment.toml").read_text()
    assert text.endswith(f'\n\n[encryption]\nkey = "{key}"\n')
    # a second node gets another key
    other = make_home(tmp_path / "other", H2_SHARED)
    sc.ensure_encryption_key("4.7.0", str(other), {})
    assert _generated(other) != key


def test_missing_key_inserted_in_existing_table(tmp_path):
    text = ("[encryption]  # internal data\n"
            'internal_crypto_provider = "x"\n\n' + H2_SHARED)
    home = make_home(tmp_path, text)
    config, warning, err = sc.ensure_encryption_key(
        "4.7.0", str(home), tomllib.loads(text))
    assert err is None and warning
    assert config["encryption"] == {"internal_crypto_provider": "x",
                                    "key": _generated(home)}
    lines = (home / "repository/conf/deployment.toml").read_text() \
        .splitlines()
    assert lines[1].startswith('key = "')


def test_missing_key_with_dotted_encryption_table(tmp_path):
    text = 'encryption.internal_crypto_provider = "x"\n' + H2_SHARED
    home = make_home(tmp_path, text)
    config, warning, err = sc.ensure_encryption_key(
        "4.7.0", str(home), tomllib.loads(text))
    assert err is None and warning
    assert config["encryption"]["internal_crypto_provider"] == "x"
    assert re.fullmatch(r"[0-9a-f]{64}", config["encryption"]["key"])


def test_unwritable_deployment_toml_refused(tmp_path):
    home = make_home(tmp_path, H2_SHARED)
    conf = home / "repository/conf/deployment.toml"
    conf.unlink()
    conf.mkdir()  # cannot be opened as a file, even by root
    _, warning, err = sc.ensure_encryption_key("4.7.0", str(home), {})
    assert warning is None
    assert err and "cannot write the one it generated" in err
