# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.mysql_grants: when the database role may skip mysql_user (one query instead)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.mysql_grants import mysql_grants

ACCOUNTS = [
    {"key": "apim_db", "user": "apimadmin", "password": "apim'pass", "database": "apim_db", "hosts": ["172.18.0.3", "172.18.0.4"]},
    {"key": "shared_db", "user": "sharedadmin", "password": "shared", "database": "shared_db", "hosts": ["172.18.0.3"]},
]
HASHES = {"p0": "*238E7EEA40210738EC501FFA650AF101C7F19771", "p1": "*DF6AFC23E37FB69D499704B9C028949E6666CA47"}


def grants(user, host, database, password_hash):
    # As MariaDB 10.11 prints them for an account mysql_user made (lab-db, SHOW GRANTS).
    return [{f"Grants for {user}@{host}": f"GRANT USAGE ON *.* TO `{user}`@`{host}` IDENTIFIED BY PASSWORD '{password_hash}'"},
            {f"Grants for {user}@{host}": f"GRANT ALL PRIVILEGES ON `{database}`.* TO `{user}`@`{host}`"}]


def converged():
    return {"changed": False, "failed": False, "query_result": [
        [HASHES],
        grants("apimadmin", "172.18.0.3", "apim_db", HASHES["p0"]),
        grants("apimadmin", "172.18.0.4", "apim_db", HASHES["p0"]),
        grants("sharedadmin", "172.18.0.3", "shared_db", HASHES["p1"]),
    ]}


def test_the_queries_pass_every_value_as_an_argument():
    asked = mysql_grants(ACCOUNTS)
    assert asked["query"] == ["SELECT PASSWORD(%(p0)s) AS p0, PASSWORD(%(p1)s) AS p1",
                              "SHOW GRANTS FOR %(u0)s@%(h0)s", "SHOW GRANTS FOR %(u1)s@%(h1)s", "SHOW GRANTS FOR %(u2)s@%(h2)s"]
    assert asked["named_args"] == {"p0": "apim'pass", "p1": "shared", "u0": "apimadmin", "h0": "172.18.0.3",
                                   "u1": "apimadmin", "h1": "172.18.0.4", "u2": "sharedadmin", "h2": "172.18.0.3"}
    assert "apim'pass" not in " ".join(asked["query"])


def test_every_account_as_the_role_makes_it_is_settled():
    assert mysql_grants(ACCOUNTS, converged()) is True


@pytest.mark.parametrize("spoil", [
    "another password", "extra global privilege", "grant option", "other database", "extra table grant", "missing grant"])
def test_any_difference_lets_mysql_user_run(spoil):
    result = converged()
    rows = result["query_result"][1]
    if spoil == "another password":
        result["query_result"][0] = [dict(HASHES, p0="*0000000000000000000000000000000000000000")]
    elif spoil == "extra global privilege":
        rows[0] = {"g": rows[0]["Grants for apimadmin@172.18.0.3"].replace("GRANT USAGE", "GRANT SELECT")}
    elif spoil == "grant option":
        rows[1] = {"g": rows[1]["Grants for apimadmin@172.18.0.3"] + " WITH GRANT OPTION"}
    elif spoil == "other database":
        rows[1] = {"g": "GRANT ALL PRIVILEGES ON `shared_db`.* TO `apimadmin`@`172.18.0.3`"}
    elif spoil == "extra table grant":
        rows.append({"g": "GRANT SELECT ON `mysql`.`user` TO `apimadmin`@`172.18.0.3`"})
    else:
        rows.pop()
    assert mysql_grants(ACCOUNTS, result) is False


@pytest.mark.parametrize("result", [
    {"failed": True, "msg": "There is no such grant defined for user 'apimadmin' on host '172.18.0.9'"},
    {"failed": False, "msg": "FUNCTION PASSWORD does not exist"},   # failed_when: false on MySQL 8
    {"skipped": True, "changed": False},
    {"failed": False, "query_result": [[HASHES]]},                    # fewer results than accounts
    None,
])
def test_no_answer_or_an_error_lets_mysql_user_run(result):
    assert mysql_grants(ACCOUNTS, result or {}) is False


def test_no_account_is_never_settled_and_bad_input_is_refused():
    assert mysql_grants([], {"query_result": [[]]}) is False
    assert mysql_grants([])["query"] == []
    with pytest.raises(AnsibleFilterError, match="has no password"):
        mysql_grants([{"user": "u", "database": "d", "hosts": []}])
    with pytest.raises(AnsibleFilterError, match="list of accounts"):
        mysql_grants({"user": "u"})
