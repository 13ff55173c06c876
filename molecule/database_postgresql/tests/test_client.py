"""From the allowed client: each user reaches its own database and nothing else."""

import pytest

from conftest import DATABASES, psql

testinfra_hosts = ["ansible://dbpg-client"]


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_user_reads_its_own_database(host, passwords, key):
    name, _, user, _, table = DATABASES[key]
    result = psql(host, user=user, password=passwords[key], server="dbpg-server", database=name,
                  query="SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
    assert result.rc == 0, result.stderr
    assert int(result.stdout.strip()) > 0
    result = psql(host, user=user, password=passwords[key], server="dbpg-server", database=name,
                  query="SELECT count(*) FROM %s" % table)
    assert result.rc == 0, result.stderr


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_user_can_write_its_own_tables(host, passwords, key):
    name, _, user = DATABASES[key][:3]
    # A row in one of the script's tables (rolled back), and a table of its own in public.
    insert = ("INSERT INTO am_subscriber (user_id, tenant_id) VALUES ('probe', -1)" if key == "apim_db"
              else "INSERT INTO reg_path (reg_path_value) VALUES ('/probe')")
    result = psql(host, user=user, password=passwords[key], server="dbpg-server", database=name,
                  query="BEGIN; %s; CREATE TABLE probe (id int); INSERT INTO probe VALUES (1); "
                        "SELECT count(*) FROM probe; ROLLBACK" % insert)
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["1"]


@pytest.mark.parametrize("key, other", [("apim_db", "shared_db"), ("shared_db", "apim_db")])
def test_user_cannot_use_the_other_database(host, passwords, key, other):
    user = DATABASES[key][2]
    result = psql(host, user=user, password=passwords[key], server="dbpg-server", database=DATABASES[other][0])
    assert result.rc != 0
    assert "pg_hba.conf rejects connection" in result.stderr, result.stderr


@pytest.mark.parametrize("database", ["postgres", "template1"])
def test_users_cannot_use_the_other_databases_of_the_server(host, passwords, database):
    result = psql(host, user="apimadmin", password=passwords["apim_db"], server="dbpg-server", database=database)
    assert result.rc != 0
    assert "pg_hba.conf rejects connection" in result.stderr, result.stderr


def test_wrong_password_is_refused(host):
    result = psql(host, user="apimadmin", password="not-the-password", server="dbpg-server", database="apim_db")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr, result.stderr
