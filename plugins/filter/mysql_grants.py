# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: mysql_grants
short_description: Tell in one query whether the MySQL accounts of API-M's databases are as the role makes them
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - The database role gives each database user one account per client address, with its password and all
    privileges on its own database only (community.mysql.mysql_user, one module run per account). On a server
    where that is so already, those runs change nothing; this filter lets one query tell.
  - Given the accounts, it returns the queries (and their named arguments) for one community.mysql.mysql_query
    run on MariaDB. They read the hash C(PASSWORD()) makes of each user's password, then C(SHOW GRANTS) of each account.
  - With O(result), it returns whether every account has exactly the two grants the role gives (usage with that
    password hash, all privileges on its database), so that the role can skip mysql_user. Anything else, or no
    result, and it returns false; the role then runs mysql_user as before.
positional: result
options:
  _input:
    description: The accounts, as the role's C(_wso2am_db_accounts) lists them.
    type: list
    elements: dict
    required: true
    suboptions:
      user:
        description: The database user.
        type: str
        required: true
      password:
        description: Its password.
        type: str
        required: true
      database:
        description: The database it gets all privileges on.
        type: str
        required: true
      hosts:
        description: The client addresses it gets an account for.
        type: list
        elements: str
        required: true
  result:
    description: The registered result of the query run, or omitted for the queries to run.
    type: dict
"""

EXAMPLES = r"""
- name: Read the accounts' grants in one query
  community.mysql.mysql_query:
    query: "{{ (_wso2am_db_accounts | wso2am.distributed.mysql_grants).query }}"
    named_args: "{{ (_wso2am_db_accounts | wso2am.distributed.mysql_grants).named_args }}"
  register: grants
  failed_when: false
  no_log: true

- name: Create the accounts with privileges on their database only
  community.mysql.mysql_user:
    name: "{{ item.0.user }}"
  loop: "{{ _wso2am_db_accounts | subelements('hosts') }}"
  when: not (_wso2am_db_accounts | wso2am.distributed.mysql_grants(grants))
"""

RETURN = r"""
_value:
  description: Without O(result), C({query, named_args}); with it, whether every account is as the role makes it.
  type: raw
"""

from ansible.errors import AnsibleFilterError

FILTER_NAME = "wso2am.distributed.mysql_grants"


def _accounts(accounts):
    if not isinstance(accounts, list):
        raise AnsibleFilterError(f"{FILTER_NAME}: expects the list of accounts, got {type(accounts).__name__}")
    out = []
    for number, account in enumerate(accounts):
        for key in ("user", "password", "database", "hosts"):
            if not isinstance(account, dict) or key not in account:
                raise AnsibleFilterError(f"{FILTER_NAME}: account {number} has no {key}")
        for host in account["hosts"]:
            out.append((number, str(account["user"]), str(host), str(account["database"])))
    return out


def queries(accounts):
    """One SELECT of the password hashes, then one SHOW GRANTS per account (client-side named arguments)."""
    each = _accounts(accounts)
    named = {f"p{number}": str(account["password"]) for number, account in enumerate(accounts)}
    hashes = "SELECT " + ", ".join(f"PASSWORD(%(p{number})s) AS p{number}" for number in range(len(accounts)))
    query = [hashes] if accounts else []
    for index, (_number, user, host, _database) in enumerate(each):
        named[f"u{index}"], named[f"h{index}"] = user, host
        query.append(f"SHOW GRANTS FOR %(u{index})s@%(h{index})s")
    return {"query": query, "named_args": named}


def settled(accounts, result):
    """Whether the query run found every account with exactly the grants mysql_user would leave."""
    each = _accounts(accounts)
    if not isinstance(result, dict) or result.get("failed") or result.get("skipped"):
        return False
    rows = result.get("query_result")
    if not isinstance(rows, list) or len(rows) != len(each) + 1 or not each or not rows[0]:
        return False
    hashes = rows[0][0]
    for index, (number, user, host, database) in enumerate(each):
        found = [next(iter(row.values()), None) for row in rows[index + 1] if isinstance(row, dict)]
        wanted = [f"GRANT USAGE ON *.* TO `{user}`@`{host}` IDENTIFIED BY PASSWORD '{hashes.get(f'p{number}')}'",
                  f"GRANT ALL PRIVILEGES ON `{database}`.* TO `{user}`@`{host}`"]
        if sorted(found) != sorted(wanted):
            return False
    return True


def mysql_grants(accounts, result=None):
    return queries(accounts) if result is None else settled(accounts, result)


class FilterModule:
    """wso2am.distributed.mysql_grants filter."""

    def filters(self):
        return {"mysql_grants": mysql_grants}
