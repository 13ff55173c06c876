"""The PostgreSQL server: up on all addresses, both schemas loaded once and owned by their users,
CONNECT for the owner only, pg_hba.conf rules for the client address only."""

import re

import pytest

from conftest import DATABASES, SCRIPTS, USERS, psql

testinfra_hosts = ["ansible://dbpg-server"]


def sql(host, query, database="postgres"):
    result = psql(host, database=database, query=query)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def address_of(host, name):
    return host.check_output("getent ahostsv4 %s" % name).split()[0]


@pytest.fixture(scope="module")
def cluster(host):
    # Ver Cluster Port Status Owner Data-directory Log-file
    return host.check_output("pg_lsclusters --no-header").split()


@pytest.fixture(scope="module")
def hba_rules(host):
    """The rules the server itself read from pg_hba.conf (pg_hba_file_rules), in file order."""
    rows = sql(host, "SELECT type, array_to_string(database, ','), array_to_string(user_name, ','), "
                     "coalesce(address, ''), coalesce(netmask, ''), auth_method, coalesce(error, '') "
                     "FROM pg_hba_file_rules ORDER BY line_number")
    return [tuple(row.split("|")) for row in rows.splitlines()]


def test_one_cluster_of_the_distribution_is_online(host, cluster):
    expected = {"bookworm": "15", "trixie": "17"}.get(host.system_info.codename)
    assert len(cluster) == 7, cluster
    if expected:
        assert cluster[0] == expected
    assert cluster[1:4] == ["main", "5432", "online"]


def test_postgresql_is_running_and_enabled(host, cluster):
    for unit in ("postgresql", "postgresql@%s-%s" % (cluster[0], cluster[1])):
        service = host.service(unit)
        assert service.is_running, unit
    assert host.service("postgresql").is_enabled


def test_postgresql_listens_on_every_address(host):
    assert host.socket("tcp://0.0.0.0:5432").is_listening


def test_settings_are_effective(host):
    assert sql(host, "SELECT current_setting('listen_addresses'), current_setting('port'), "
                     "current_setting('max_connections'), "
                     "(SELECT count(*) FROM pg_settings WHERE pending_restart)") == "0.0.0.0|5432|500|0"


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_database_is_utf8_and_owned_by_its_user(host, key):
    name, _, user = DATABASES[key][:3]
    assert sql(host, "SELECT pg_encoding_to_char(encoding), pg_get_userbyid(datdba) FROM pg_database "
                     "WHERE datname = '%s'" % name) == "UTF8|%s" % user


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_schema_holds_every_table_of_its_script_owned_by_its_user(host, key):
    name, script, user = DATABASES[key][:3]
    text = host.file("%s/%s" % (SCRIPTS, script)).content_string
    expected = len(re.findall(r"^\s*CREATE TABLE", text, re.IGNORECASE | re.MULTILINE))
    owners = sql(host, "SELECT tableowner, count(*) FROM pg_tables WHERE schemaname = 'public' GROUP BY 1",
                 database=name)
    assert expected > 0
    assert owners == "%s|%d" % (user, expected)
    # The sequences behind the SERIAL columns belong to the user too.
    assert sql(host, "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                     "WHERE relnamespace = 'public'::regnamespace", database=name) == user


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_only_its_user_may_connect_to_a_database(host, key):
    name = DATABASES[key][0]
    rows = sql(host, "SELECT r.rolname, has_database_privilege(r.oid, '%s', 'CONNECT') FROM pg_roles r "
                     "WHERE r.rolname IN ('apimadmin', 'sharedadmin') ORDER BY 1" % name)
    assert rows.splitlines() == ["%s|%s" % (user, "t" if user == DATABASES[key][2] else "f") for user in USERS]
    acl = sql(host, "SELECT datacl::text FROM pg_database WHERE datname = '%s'" % name)
    assert not re.search(r"[{,]=[A-Za-z]*c", acl), acl


def test_users_are_plain_login_roles_with_scram_passwords(host):
    rows = sql(host, "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
                     "rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid "
                     "WHERE rolname IN ('apimadmin', 'sharedadmin') ORDER BY 1")
    assert rows.splitlines() == ["%s|t|f|f|f|f|t" % user for user in USERS]


def test_only_the_two_scripts_were_unpacked(host):
    files = sorted(host.check_output("find /var/lib/wso2am-db -type f").split())
    assert files == sorted("%s/%s" % (SCRIPTS, spec[1]) for spec in DATABASES.values())
    for folder in ("/var/lib/wso2am-db", "/var/lib/wso2am-db/4.5.0"):
        assert host.file(folder).mode == 0o750
        assert host.file(folder).group == "postgres"


def test_pg_hba_has_no_error(hba_rules):
    assert [rule for rule in hba_rules if rule[6]] == []


def test_pg_hba_allows_each_user_from_the_client_to_its_database_only(host, hba_rules):
    client = address_of(host, "dbpg-client")
    allowed = sorted(rule[:6] for rule in hba_rules if set(rule[2].split(",")) & set(USERS) and rule[5] != "reject")
    assert allowed == sorted(("host", spec[0], spec[2], client, "255.255.255.255", "scram-sha-256")
                             for spec in DATABASES.values())


def test_pg_hba_rejects_the_users_everywhere_else(host, hba_rules):
    rejected = {}
    for rule in hba_rules:
        if rule[2] in USERS and rule[5] == "reject":
            rejected.setdefault(rule[2], set()).add((rule[0], rule[1], rule[3], rule[4]))
    network = host.check_output(
        "runuser -u postgres -- psql -XAtc \"SELECT address || '/' || netmask FROM pg_hba_file_rules "
        "WHERE user_name = '{all}' AND address NOT IN ('127.0.0.1', '::1') AND type = 'host'\"")
    for user in USERS:
        # unix socket, any address, the loopback rules of Debian and the broad rule of the side effect
        assert ("local", "all", "", "") in rejected[user]
        assert ("host", "all", "all", "") in rejected[user]
        assert ("host", "all", "127.0.0.1", "255.255.255.255") in rejected[user]
        assert ("host", "all", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") in rejected[user]
        assert network
        assert ("host", "all", network.split("/")[0], network.split("/")[1]) in rejected[user]


def test_pg_hba_rejects_come_before_the_rules_for_all_users(hba_rules):
    # First match wins: a reject of the role's users must come before any rule for all users
    # with the same address.
    for index, rule in enumerate(hba_rules):
        if rule[2] == "all" and rule[1] != "replication":
            earlier = {(r[2], r[3]) for r in hba_rules[:index] if r[5] == "reject"}
            for user in USERS:
                assert (user, rule[3]) in earlier, (user, rule)


def test_stale_client_line_was_removed_and_the_dba_rule_kept(host, hba_rules):
    assert not [rule for rule in hba_rules if rule[3] == "10.9.9.9"]
    assert [rule for rule in hba_rules if rule[2] == "all" and rule[5] == "scram-sha-256"
            and rule[3] not in ("127.0.0.1", "::1")]


@pytest.mark.parametrize("server", [None, "127.0.0.1", "dbpg-server"], ids=["socket", "loopback", "own-address"])
@pytest.mark.parametrize("key", sorted(DATABASES))
def test_users_cannot_log_in_from_the_server_itself(host, passwords, key, server):
    name, _, user = DATABASES[key][:3]
    target = address_of(host, server) if server == "dbpg-server" else server
    command = psql(host, user=user, password=passwords[key], server=target, database=name)
    assert command.rc != 0
    assert "pg_hba.conf rejects connection" in command.stderr, command.stderr


def test_pg_hba_conf_ends_with_a_newline(host):
    path = host.check_output("runuser -u postgres -- psql -XAtc 'SHOW hba_file'")
    assert host.file(path).content_string.endswith("\n")
    assert host.file(path).user == "postgres"
    assert host.file(path).mode == 0o640
