"""Helpers shared by the database scenario's tests; the helpers of every scenario come from
molecule/_shared/testinfra_helpers.py, put on sys.path here."""

import shlex
import sys
from pathlib import Path

import pytest

SHARED = str(Path(__file__).resolve().parents[2] / "_shared")
if SHARED not in sys.path:
    sys.path.insert(0, SHARED)

from testinfra_helpers import inventory_values  # noqa: E402  (needs SHARED on sys.path)

VERSION = "4.5.0"
SCRIPTS = "/var/lib/wso2am-db/%s/wso2am-acp-%s" % (VERSION, VERSION)
DATABASES = {
    # logical key: (database, script inside the pack, user variable, password variable)
    "apim_db": ("apim_db", "dbscripts/apimgt/mysql.sql", "apimadmin", "wso2am_db_apim_password"),
    "shared_db": ("shared_db", "dbscripts/mysql.sql", "sharedadmin", "wso2am_db_shared_password"),
}


def mariadb(host, user=None, password=None, server=None, database=None, query="SELECT 1"):
    """Run one query with the mariadb client; returns testinfra's CommandResult."""
    cmd = ["mariadb", "--batch", "--skip-column-names", "--connect-timeout=5"]
    if server:
        cmd.append("--host=%s" % server)
    if user:
        cmd.append("--user=%s" % user)
    if database:
        cmd.append("--database=%s" % database)
    cmd += ["--execute", query]
    env = "MYSQL_PWD=%s " % shlex.quote(password) if password is not None else ""
    return host.run(env + " ".join(shlex.quote(part) for part in cmd))


@pytest.fixture(scope="module")
def passwords(host):
    return inventory_values(host, {key: spec[3] for key, spec in DATABASES.items()})
