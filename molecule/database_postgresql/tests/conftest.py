"""Helpers shared by the database_postgresql scenario's tests; the helpers of every scenario come from
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
    # logical key: (database, script inside the pack, user, password variable, a table of the script)
    "apim_db": ("apim_db", "dbscripts/apimgt/postgresql.sql", "apimadmin", "wso2am_db_apim_password", "am_api"),
    "shared_db": ("shared_db", "dbscripts/postgresql.sql", "sharedadmin", "wso2am_db_shared_password", "um_user"),
}
USERS = sorted(spec[2] for spec in DATABASES.values())


def psql(host, user=None, password=None, server=None, database="postgres", query="SELECT 1"):
    """Run one query with psql; without user, as the postgres OS user over the socket."""
    cmd = ["psql", "--no-psqlrc", "--no-align", "--tuples-only", "--field-separator=|",
           "--set=ON_ERROR_STOP=1", "--no-password", "--quiet", "--dbname=%s" % database, "--command=%s" % query]
    if server:
        cmd.append("--host=%s" % server)
    if user:
        cmd.append("--username=%s" % user)
    else:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    env = "PGCONNECT_TIMEOUT=5 "
    env += "PGPASSWORD=%s " % shlex.quote(password) if password is not None else "PGPASSWORD= "
    return host.run(env + " ".join(shlex.quote(part) for part in cmd))


@pytest.fixture(scope="module")
def passwords(host):
    return inventory_values(host, {key: spec[3] for key, spec in DATABASES.items()})
