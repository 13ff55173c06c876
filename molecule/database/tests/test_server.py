"""The database server: MariaDB up on all addresses, both schemas loaded once, least-privilege accounts."""

import re

import pytest

from conftest import DATABASES, SCRIPTS, mariadb

testinfra_hosts = ["ansible://db-server"]


def root_sql(host, query):
    result = mariadb(host, query=query)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def client_address(host):
    return host.check_output("getent hosts db-client").split()[0]


def test_mariadb_is_running_and_enabled(host):
    service = host.service("mariadb")
    assert service.is_running
    assert service.is_enabled


def test_mariadb_listens_on_every_address(host):
    assert host.socket("tcp://0.0.0.0:3306").is_listening


def test_drop_in_is_managed_and_effective(host):
    drop_in = host.file("/etc/mysql/mariadb.conf.d/60-wso2am.cnf")
    assert drop_in.is_file
    assert drop_in.user == "root"
    assert drop_in.mode == 0o644
    header = drop_in.content_string.splitlines()[:3]
    assert all(line.startswith("#") for line in header)
    assert "Ansible managed" in "\n".join(header)
    assert root_sql(host, "SELECT @@bind_address, @@skip_name_resolve, @@character_set_server, @@max_connections") \
        == "0.0.0.0\t1\tutf8mb4\t500"


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_database_is_latin1_with_a_case_sensitive_collation(host, key):
    name = DATABASES[key][0]
    charset = root_sql(
        host, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
              "WHERE SCHEMA_NAME = '%s'" % name)
    # docs (changing to MySQL, 4.5/4.6): CHARACTER SET latin1 COLLATE latin1_bin.
    assert charset == "latin1\tlatin1_bin"


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_schema_holds_every_table_of_its_script(host, key):
    name, script = DATABASES[key][:2]
    text = host.file("%s/%s" % (SCRIPTS, script)).content_string
    expected = len(re.findall(r"^\s*CREATE TABLE", text, re.IGNORECASE | re.MULTILINE))
    tables = int(root_sql(
        host, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s'" % name))
    assert expected > 0
    assert tables == expected


def test_only_the_two_scripts_were_unpacked(host):
    files = sorted(host.check_output("find /var/lib/wso2am-db -type f").split())
    assert files == sorted("%s/%s" % (SCRIPTS, spec[1]) for spec in DATABASES.values())
    assert host.file("/var/lib/wso2am-db/4.5.0").mode == 0o750


def test_one_account_per_user_on_the_client_address_only(host):
    rows = root_sql(host, "SELECT User, Host FROM mysql.user WHERE User IN ('apimadmin', 'sharedadmin') ORDER BY User")
    address = client_address(host)
    assert rows.splitlines() == ["apimadmin\t%s" % address, "sharedadmin\t%s" % address]


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_account_has_privileges_on_its_database_only(host, key):
    name, _, user = DATABASES[key][:3]
    grants = root_sql(host, "SHOW GRANTS FOR '%s'@'%s'" % (user, client_address(host))).splitlines()
    on_objects = sorted(line.split(" ON ")[1].split(" TO ")[0] for line in grants)
    assert on_objects == ["*.*", "`%s`.*" % name]
    assert any(line.startswith("GRANT ALL PRIVILEGES ON `%s`.*" % name) for line in grants)
    assert any(line.startswith("GRANT USAGE ON *.*") for line in grants)


@pytest.mark.parametrize("server", [None, "127.0.0.1", "db-server"], ids=["socket", "loopback", "own-address"])
def test_apim_user_cannot_log_in_from_the_server_itself(host, passwords, server):
    result = mariadb(host, user="apimadmin", password=passwords["apim_db"], server=server, database="apim_db")
    assert result.rc != 0
    # Over the socket the account is missing (1698); over TCP the host is refused (1130).
    assert "Access denied for user" in result.stderr or "is not allowed to connect" in result.stderr, result.stderr


def test_a_populated_database_in_another_collation_is_refused_by_preflight(host):
    """Asked for utf8mb4_bin (4.7) while the schemas hold tables in latin1_bin: preflight stops, nothing changes."""
    import os
    import subprocess

    before = root_sql(host, "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'apim_db'")
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(scenario, "converge.yml"),
         "-e", "wso2am_version=4.7.0", "-e", "wso2am_db_apim_encoding=utf8mb4",
         "-e", "wso2am_db_shared_encoding=utf8mb4", "-e", "wso2am_db_mysql_collation=utf8mb4_bin"],
        capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False, timeout=600,
    )
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, text[-3000:]
    assert "apim_db already holds tables in character set latin1 and collation latin1_bin, not utf8mb4 / utf8mb4_bin" in text
    assert "Nothing was changed" in text
    assert "Refuse a populated database in another character set or collation (MySQL)" in text
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M)
    assert recap and all(changed == "0" for _host, changed in recap), recap
    assert root_sql(host, "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'apim_db'") == before
