"""Helpers shared by the scenarios' testinfra verifiers (molecule/<scenario>/tests/).

Each scenario's tests/conftest.py puts molecule/_shared on sys.path, so a verifier imports what
it needs with ``from testinfra_helpers import ...``. The helpers read a node through testinfra's
``host`` fixture and the scenario through the variables molecule sets for its verifier
(MOLECULE_PROJECT_DIRECTORY, MOLECULE_SCENARIO_DIRECTORY). They assert nothing themselves: what
a scenario checks stays in its own tests.
"""

import json
import os
import shlex

import pytest
import yaml

# The tier groups of the inventories; a node belongs to one of them.
COMPONENTS = ("control_plane", "key_manager", "traffic_manager", "gateway", "database")
# The lab inventory's settings (simple_scalable links its group_vars).
LAB_VARS = "inventories/lab/group_vars/all/main.yml"


# --- the scenario -------------------------------------------------------------------------

def lab_vars():
    """The lab inventory's group_vars/all/main.yml (inventories/lab), as written."""
    with open(os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], LAB_VARS), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def scenario_vars():
    """The group_vars of all in the scenario's molecule.yml, as written (not templated)."""
    path = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "molecule.yml")
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["provisioner"]["inventory"]["group_vars"]["all"]


def inventory_values(host, names):
    """{key: the node's value of the inventory variable names[key]} (e.g. the passwords to use)."""
    variables = host.ansible.get_variables()
    return {key: variables[variable] for key, variable in names.items()}


# --- the node -----------------------------------------------------------------------------

def node_name(host):
    """The node's inventory name."""
    return host.ansible.get_variables()["inventory_hostname"]


def component(host):
    """The node's tier: the group of COMPONENTS it belongs to."""
    groups = host.ansible.get_variables()["group_names"]
    for group in COMPONENTS:
        if group in groups:
            return group
    raise AssertionError(groups)


def only(host, *components):
    """The node's tier; skips the test on a node of any other tier."""
    found = component(host)
    if found not in components:
        pytest.skip("not a %s node" % "/".join(components))
    return found


# --- an API-M node (roles control_plane, key_manager, traffic_manager, gateway) ------------

_TOML_CACHE = {}


def deployment_toml(host, component_name):
    """The node's deployment.toml, parsed on the node (read once per node: SSH round trips are slow)."""
    key = (node_name(host), component_name)
    if key not in _TOML_CACHE:
        path = "/opt/wso2/%s/repository/conf/deployment.toml" % component_name
        script = "import json,sys,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))"
        _TOML_CACHE[key] = json.loads(host.check_output("python3 -c %s %s" % (shlex.quote(script), path)))
    return _TOML_CACHE[key]


def carbon_log(host, component_name):
    """The text of the node's repository/logs/wso2carbon.log."""
    return host.file("/opt/wso2/%s/repository/logs/wso2carbon.log" % component_name).content_string


def service_unit(component_name):
    """The systemd unit of a tier: wso2am-control-plane, wso2am-gateway ..."""
    return "wso2am-%s" % component_name.replace("_", "-")


def main_pid_user(host, unit):
    """The user the unit's main process runs as."""
    pid = host.check_output("systemctl show -p MainPID --value %s" % unit)
    return host.check_output("ps -o user= -p %s" % pid)


def services_version(host):
    """The body of GET /services/Version on the node's HTTP port 9763 (curl -sf: fails unless 2xx)."""
    return host.check_output("curl -sf http://127.0.0.1:9763/services/Version")


# --- logins from the node to the database server ------------------------------------------

def mysql_login(host, server, user, password, database):
    """'ok', or 'refused <MySQL error number>': a PyMySQL login from the node."""
    script = (
        "import pymysql\n"
        "try:\n"
        "    pymysql.connect(host=%r, user=%r, password=%r, database=%r, connect_timeout=5).close()\n"
        "    print('ok')\n"
        "except pymysql.err.MySQLError as err:\n"
        "    print('refused', err.args[0])\n"
    ) % (server, user, password, database)
    return host.run("python3 -c %s" % shlex.quote(script)).stdout.strip()


def postgresql_login(host, server, user, password, database):
    """'ok', or 'refused <first line of the error>': a psycopg2 login from the node."""
    script = (
        "import psycopg2\n"
        "try:\n"
        "    psycopg2.connect(host=%r, user=%r, password=%r, dbname=%r, connect_timeout=5).close()\n"
        "    print('ok')\n"
        "except psycopg2.Error as err:\n"
        "    print('refused', str(err).strip().splitlines()[0])\n"
    ) % (server, user, password, database)
    return host.check_output("python3 -c %s" % shlex.quote(script))
