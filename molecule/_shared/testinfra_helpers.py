"""Helpers shared by the scenarios' testinfra verifiers (molecule/<scenario>/tests/).

Each scenario's tests/conftest.py puts molecule/_shared on sys.path, so a verifier imports what
it needs with ``from testinfra_helpers import ...``. The helpers read a node through testinfra's
``host`` fixture and the scenario through the variables molecule sets for its verifier
(MOLECULE_PROJECT_DIRECTORY, MOLECULE_SCENARIO_DIRECTORY). They assert nothing themselves: what
a scenario checks stays in its own tests.
"""

import json
import os
import re
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
    for group in COMPONENTS + ("load_balancer",):
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


def deployment_toml(host, component_name, fresh=False):
    """The node's deployment.toml, parsed on the node (read once per node: SSH round trips are slow;
    fresh=True reads it again, after a test changed it)."""
    key = (node_name(host), component_name)
    if fresh or key not in _TOML_CACHE:
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


# --- certificates and the secure vault (wso2am_pki, wso2am_secure_vault) -------------------

def pki_dir(host):
    """The controller's PKI folder of the scenario (wso2am_pki_dir, as the node's variables give it)."""
    inventory_dir = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    default = os.path.join(os.path.dirname(inventory_dir), "pki", os.path.basename(inventory_dir))
    return host.ansible.get_variables().get("wso2am_pki_dir") or default


def keytool(host):
    """Path of keytool on the node (the JRE the lab image carries)."""
    return host.check_output("ls /usr/lib/jvm/*/bin/keytool | head -n 1")


def truststore_aliases(host, component_name, password="wso2carbon"):
    """{alias: SHA-256 fingerprint} of the node's truststore, read with keytool on the node."""
    path = "/opt/wso2/%s/repository/resources/security/client-truststore.jks" % component_name
    out = host.check_output("%s -list -keystore %s -storepass %s" % (keytool(host), path, shlex.quote(password)))
    aliases, alias = {}, None
    for line in out.splitlines():
        if "," in line and ("trustedCertEntry" in line or "PrivateKeyEntry" in line):
            alias = line.split(",", 1)[0].strip()
        elif alias and "(SHA-256):" in line:
            aliases[alias] = line.split("):", 1)[1].strip().replace(":", "").lower()
            alias = None
    return aliases


def truststore_bundle(host, component_name, password="wso2carbon"):
    """Write the node's truststore certificates as one PEM file on the node; return its path."""
    path = "/opt/wso2/%s/repository/resources/security/client-truststore.jks" % component_name
    bundle = "/tmp/verify-truststore-%s.pem" % component_name
    host.check_output("%s -list -rfc -keystore %s -storepass %s | sed -n '/BEGIN CERT/,/END CERT/p' > %s"
                      % (keytool(host), path, shlex.quote(password), bundle))
    return bundle


def tls_upstreams(conf):
    """(host, port, where) of every https://, wss:// or ssl:// URL in a parsed deployment.toml."""
    found = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, "%s.%s" % (where, key) if where else key)
        elif isinstance(value, list):
            for item in value:
                walk(item, where)
        elif isinstance(value, str):
            for scheme, hostname, port in re.findall(r"\b(https|wss|ssl)://([A-Za-z0-9.\-]+):(\d+)", value):
                entry = (hostname, int(port), where)
                if entry not in found:
                    found.append(entry)

    walk(conf, "")
    return found


def verify_tls_from_node(host, bundle, hostname, port):
    """'ok' or the error: a TLS handshake from the node to hostname:port, verifying the chain against
    the PEM bundle on the node and the certificate's names against hostname."""
    script = (
        "import socket, ssl, sys\n"
        "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
        "try:\n"
        "    with socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10) as raw:\n"
        "        with ctx.wrap_socket(raw, server_hostname=sys.argv[2]):\n"
        "            print('ok')\n"
        "except (OSError, ssl.SSLError) as err:\n"
        "    print('failed', err)\n"
    )
    return host.run("python3 -c %s %s %s %s" % (shlex.quote(script), bundle, hostname, port)).stdout.strip()


def files_containing(host, text, *paths):
    """Files under paths (on the node) whose bytes contain text, as grep -rlF lists them."""
    result = host.run("grep -rlF -- %s %s" % (shlex.quote(text), " ".join(paths)))
    return [line for line in result.stdout.splitlines() if line]


def vault_secret(host, conf, alias, encryption_key=None):
    """The secure vault secret alias of a parsed deployment.toml, decrypted on the controller as the
    product does: with the 4.7 encryption key (key-based vault: AES-GCM, base64 of the JSON
    {"cipherText", "iv"}) or else with the deployment's primary key (RSA PKCS#1 v1.5)."""
    import base64

    text = conf["secrets"][alias]
    if encryption_key:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        document = json.loads(base64.b64decode(text))
        return AESGCM(bytes.fromhex(encryption_key)).decrypt(
            base64.b64decode(document["iv"]), base64.b64decode(document["cipherText"]), None).decode()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    with open(os.path.join(pki_dir(host), "primary", "primary.key"), "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    return key.decrypt(base64.b64decode(text), padding.PKCS1v15()).decode()
