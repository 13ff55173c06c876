"""From the allowed client: each user reaches its own database and nothing else."""

import pytest

from conftest import DATABASES, mariadb

testinfra_hosts = ["ansible://db-client"]


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_user_reads_its_own_database(host, passwords, key):
    name, _, user = DATABASES[key][:3]
    result = mariadb(host, user=user, password=passwords[key], server="db-server", database=name,
                     query="SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
    assert result.rc == 0, result.stderr
    assert int(result.stdout.strip()) > 0


@pytest.mark.parametrize("key", sorted(DATABASES))
def test_user_can_write_its_own_database(host, passwords, key):
    name, _, user = DATABASES[key][:3]
    result = mariadb(host, user=user, password=passwords[key], server="db-server", database=name,
                     query="CREATE TEMPORARY TABLE probe (id INT); INSERT INTO probe VALUES (1); SELECT COUNT(*) FROM probe")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "1"


@pytest.mark.parametrize("key, other", [("apim_db", "shared_db"), ("shared_db", "apim_db")])
def test_user_cannot_use_the_other_database(host, passwords, key, other):
    user = DATABASES[key][2]
    result = mariadb(host, user=user, password=passwords[key], server="db-server", database=DATABASES[other][0])
    assert result.rc != 0
    assert "Access denied" in result.stderr
    listed = mariadb(host, user=user, password=passwords[key], server="db-server", query="SHOW DATABASES")
    assert listed.rc == 0, listed.stderr
    assert sorted(listed.stdout.split()) == sorted(["information_schema", DATABASES[key][0]])


def test_wrong_password_is_refused(host):
    result = mariadb(host, user="apimadmin", password="not-the-password", server="db-server", database="apim_db")
    assert result.rc != 0
    assert "Access denied" in result.stderr
