"""Verify the Simple Scalable Deployment on every node of the scenario (testinfra)."""

import os
import re
import subprocess

import pytest
import security_checks
from testinfra_helpers import (carbon_log, deployment_toml, lab_vars, main_pid_user, mysql_login, node_name, only,
                               pki_dir, service_unit, services_version, verify_tls_from_node)

CP, TM, GWS, DB = "ss-cp1", "ss-tm1", ["ss-gw1", "ss-gw2"], "ss-db"
PORTS = {
    "control_plane": [9443, 9763, 5672, 9611, 9711],
    "traffic_manager": [9443, 9763, 5672, 9611, 9711],
    "gateway": [9443, 9763, 8243, 8280, 9099, 8099],
}


def test_service_active_enabled_and_runs_as_wso2carbon(host):
    component = only(host, "control_plane", "traffic_manager", "gateway")
    unit = service_unit(component)
    service = host.service(unit)
    assert service.is_running and service.is_enabled
    assert main_pid_user(host, unit) == "wso2carbon"
    unit_text = host.file("/etc/systemd/system/%s.service" % unit).content_string
    assert "Type=simple" in unit_text and "Restart=on-failure" in unit_text
    assert re.search(r"^Environment=JAVA_HOME=/usr/lib/jvm/\S+$", unit_text, re.M)


def test_ports_of_its_kind_listen(host):
    component = only(host, "control_plane", "traffic_manager", "gateway")
    for port in PORTS[component]:
        assert host.socket("tcp://0.0.0.0:%d" % port).is_listening, port


def test_health_url_answers(host):
    only(host, "control_plane", "traffic_manager", "gateway")
    body = services_version(host)
    assert "WSO2 API Manager-4.6.0" in body


def test_deployment_toml_is_private_and_managed(host):
    component = only(host, "control_plane", "traffic_manager", "gateway")
    f = host.file("/opt/wso2/%s/repository/conf/deployment.toml" % component)
    assert f.user == "wso2carbon" and f.mode == 0o600
    assert f.content_string.startswith("#") and "Ansible managed" in "".join(f.content_string.splitlines()[:3])
    assert host.file("/opt/wso2/%s" % component).is_symlink


def test_gateway_wiring(host):
    only(host, "gateway")
    conf = deployment_toml(host, "gateway")
    apim = conf["apim"]
    assert apim["key_manager"]["service_url"] == "https://%s:9443/services/" % CP
    assert apim["event_hub"]["service_url"] == "https://%s:9443/services/" % CP
    assert apim["event_hub"]["event_listening_endpoints"] == ["tcp://%s:5672" % CP]
    assert apim["throttling"]["throttle_decision_endpoints"] == ["tcp://%s:5672" % TM]
    groups = apim["throttling"]["url_group"]
    assert [g["traffic_manager_urls"] for g in groups] == [["tcp://%s:9611" % TM]]
    assert [g["traffic_manager_auth_urls"] for g in groups] == [["ssl://%s:9711" % TM]]
    assert apim["gateway_notification"]["gateway_id"] == host.backend.get_hostname()
    # §2: a gateway never uses apim_db and keeps shared_db on H2 without multi-tenancy.
    assert "apim_db" not in conf["database"]
    assert conf["database"]["shared_db"]["type"] == "h2"


def test_control_plane_wiring(host):
    only(host, "control_plane")
    conf = deployment_toml(host, "control_plane")
    envs = conf["apim"]["gateway"]["environment"]
    assert [e["name"] for e in envs] == ["Default"]
    assert envs[0]["https_endpoint"] == "https://%s:8243" % GWS[0]
    assert envs[0]["service_url"] == "https://%s:9443/services/" % GWS[0]
    assert envs[0]["gateway_type"] == "Regular" and envs[0]["provider"] == "wso2"
    assert envs[0]["websub_event_receiver_https_endpoint"] == "https://%s:8021" % GWS[0]
    # The 4.5-4.7 control plane carries no [apim.throttling] and keeps its token revocation listener.
    assert "throttling" not in conf["apim"]
    assert conf["event_listener"][0]["id"] == "token_revocation"
    assert conf["apim"]["gateway_type"] == "Regular,APK,AWS,Azure,Kong,Envoy"
    assert conf["apim"]["event_hub"]["service_url"] == "https://%s:9443/services/" % CP
    assert conf["server"]["server_role"] == "default"
    for name in ("apim_db", "shared_db"):
        ds = conf["database"][name]
        # MySQL Connector/J, never the MariaDB connector (API-M picks its SQL dialect from the driver name).
        assert ds["type"] == "mysql" and ds["url"].startswith("jdbc:mysql://%s:3306/" % DB)
        assert ds["driver"] == "com.mysql.cj.jdbc.Driver"
    lib = "/opt/wso2/control_plane/repository/components/lib/"
    assert host.file(lib + "mysql-connector-j-standin.jar").exists
    assert not host.file(lib + "mariadb-java-client.jar").exists


def test_traffic_manager_wiring(host):
    only(host, "traffic_manager")
    conf = deployment_toml(host, "traffic_manager")
    assert conf["apim"]["event_hub"]["service_url"] == "https://%s:9443/services/" % CP
    assert conf["apim"]["event_hub"]["event_listening_endpoints"] == ["tcp://%s:5672" % CP]
    assert set(conf["database"]) >= {"apim_db", "shared_db"}
    assert "key_manager" not in conf["apim"]


def test_standin_reached_every_upstream(host):
    component = only(host, "control_plane", "traffic_manager", "gateway")
    expected = {
        "gateway": ["key_manager %s:9443" % CP, "event_hub %s:9443" % CP, "traffic_manager %s:9611" % TM,
                    "throttle_decision %s:5672" % TM],
        "control_plane": ["database.apim_db %s:3306" % DB, "database.shared_db %s:3306" % DB,
                          "gateway_environment %s:9443" % GWS[0]],
        "traffic_manager": ["event_hub %s:9443" % CP, "database.apim_db %s:3306" % DB],
    }[component]
    log = carbon_log(host, component)
    for upstream in expected:
        assert "UPSTREAM %s reachable" % upstream in log, upstream


def test_database_schema_and_charset(host):
    only(host, "database")
    sql = "mysql -N -B -e \"%s\""
    for schema in ("apim_db", "shared_db"):
        found = host.check_output(sql % ("SELECT default_character_set_name, default_collation_name "
                                         "FROM information_schema.schemata WHERE schema_name='%s'" % schema))
        assert found == "latin1\tlatin1_bin", schema
    for schema in ("apim_db", "shared_db"):
        count = host.check_output(sql % ("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='%s'" % schema))
        assert int(count) >= 3, schema


def test_database_users_only_from_allowed_hosts(host):
    component = only(host, "control_plane", "traffic_manager", "gateway")
    lab = lab_vars()
    apim = mysql_login(host, DB, "apimadmin", lab["wso2am_db_apim_password"], "apim_db")
    shared = mysql_login(host, DB, "sharedadmin", lab["wso2am_db_shared_password"], "shared_db")
    if component == "gateway":
        assert apim.startswith("refused") and shared.startswith("refused")
    else:
        assert apim == "ok" and shared == "ok"
    # A user never reaches the other user's database.
    assert mysql_login(host, DB, "apimadmin", lab["wso2am_db_apim_password"], "shared_db").startswith("refused")


# --- certificates and secrets (the collection's PKI and WSO2's secure vault) ------------------

APP = ("control_plane", "traffic_manager", "gateway")
SECRETS = ("wso2am_admin_password", "wso2am_db_apim_password", "wso2am_db_shared_password", "wso2am_keystore_password")


def test_every_tls_upstream_verifies_with_its_hostname(host):
    security_checks.every_tls_upstream_verifies(host, only(host, *APP))


def test_truststore_trusts_the_ca_and_the_primary_certificate(host):
    security_checks.truststore_trusts_the_ca_and_the_primary(host, only(host, *APP))


def test_secure_vault_on_and_password_tmp_consumed(host):
    security_checks.secure_vault_is_on_and_password_tmp_is_gone(host, only(host, *APP))


def test_no_inventory_password_in_product_or_unit_files(host):
    only(host, *APP)
    lab = lab_vars()
    security_checks.no_secret_on_disk(host, {name: lab[name] for name in SECRETS})


def _playbook(name, *args):
    root = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], *args, os.path.join(root, "playbooks", name)],
        capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False, timeout=900,
    )


def test_a_rerun_of_pki_issues_nothing(host):
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    proc = _playbook("pki.yml")
    assert proc.returncode == 0, proc.stdout[-3000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M)
    assert recap and all(changed == "0" for _name, changed in recap), recap


def test_a_certificate_without_the_nodes_hostname_fails_its_health_check(host, tmp_path):
    """A ready-made certificate for ss-gw2 that names another host: the run fails at ss-gw2's health check,
    naming the node and the hostname mismatch; the next normal run puts a right certificate back."""
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    gateway = GWS[1]
    pki = pki_dir(host)
    key = tmp_path / "wrong.key"
    cert = tmp_path / "wrong.crt"
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-subj", "/CN=wrong.example", "-out", str(tmp_path / "wrong.csr")], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(tmp_path / "wrong.csr"), "-CA", os.path.join(pki, "ca", "ca.crt"),
                    "-CAkey", os.path.join(pki, "ca", "ca.key"), "-CAcreateserial", "-days", "30",
                    "-extfile", "/dev/stdin", "-out", str(cert)],
                   input="subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth,clientAuth\n",
                   text=True, check=True, capture_output=True)
    extra = tmp_path / "wrong-san.yml"
    extra.write_text(
        "all:\n  hosts:\n    %s:\n      wso2am_pki_node_cert_src: %s\n      wso2am_pki_node_key_src: %s\n"
        "      wso2am_pki_ca_cert_src: %s\n      wso2am_pki_dir: %s\n"
        % (gateway, cert, key, os.path.join(pki, "ca", "ca.crt"), pki))
    try:
        proc = _playbook("site.yml", "-i", str(extra), "--limit", gateway)
        text = " ".join((proc.stdout + proc.stderr).split())
        assert proc.returncode != 0, proc.stdout[-3000:]
        assert "wso2am-gateway on %s is not healthy after keystores: the certificate it serves on https://%s:9443" % (
            gateway, gateway) in text, text[-3000:]
        assert "does not name its hostname %s" % gateway in text
        # The node is put back on its last good keystore, and serves the right certificate again.
        assert "Rolled back to its last good release" in text and "it is healthy again" in text, text[-3000:]
        bundle = "/tmp/verify-ca.pem"
        host.run("cp /opt/wso2/pki/ca.crt %s" % bundle)
        assert verify_tls_from_node(host, bundle, gateway, 9443) == "ok"
        assert "Hostname mismatch" in text or "doesn't match" in text, text[-3000:]
    finally:
        proc = _playbook("site.yml", "--limit", gateway)
    assert proc.returncode == 0, proc.stdout[-3000:]
    bundle = "/tmp/verify-ca.pem"
    host.run("cp /opt/wso2/pki/ca.crt %s" % bundle)
    assert verify_tls_from_node(host, bundle, gateway, 9443) == "ok"


def test_status_reports_each_nodes_certificate(host):
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    proc = _playbook("status.yml")
    assert proc.returncode == 0, proc.stdout[-3000:]
    text = " ".join(proc.stdout.split())
    for node in [CP, TM] + GWS:
        found = re.search(r"%s on %s: HEALTHY;.*?certificate %s, names DNS:%s, expires in (\d+) days"
                          % (re.escape(service_unit_component(node)), node, node, node), text)
        assert found, (node, text[-3000:])
        assert 300 < int(found.group(1)) <= 397


def service_unit_component(node):
    return {CP: "control_plane", TM: "traffic_manager"}.get(node, "gateway")


def test_a_gateway_that_cannot_reach_its_traffic_manager_stops_at_its_gate(host):
    """With the traffic manager down, the next run stops at ss-gw1's connectivity gate, naming what it
    cannot reach, before the gateway is restarted; the gateway keeps running as it was."""
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    gateway = GWS[0]
    pid = subprocess.run(["docker", "exec", gateway, "systemctl", "show", "-p", "MainPID", "--value", "wso2am-gateway"],
                         capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["docker", "exec", TM, "systemctl", "stop", "wso2am-traffic-manager"], check=True)
    try:
        proc = _playbook("site.yml", "--limit", gateway, "-e", "wso2am_gate_timeout=3")
        text = " ".join((proc.stdout + proc.stderr).split())
        assert proc.returncode != 0, proc.stdout[-3000:]
        assert ("%s cannot reach %s:5672 (traffic manager JMS), %s:9611 (traffic manager binary), "
                "%s:9711 (traffic manager binary SSL)" % (gateway, TM, TM, TM)) in text, text[-3000:]
        assert "it was not (re)started" in text
        recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M))
        assert recap.get(gateway) == "0", recap
    finally:
        subprocess.run(["docker", "exec", TM, "systemctl", "start", "wso2am-traffic-manager"], check=True)
    after = subprocess.run(["docker", "exec", gateway, "systemctl", "show", "-p", "MainPID", "--value", "wso2am-gateway"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert after == pid != "0"


def _docker(node, *argv):
    return subprocess.run(["docker", "exec", node, *argv], capture_output=True, text=True, check=True).stdout.strip()


def test_a_change_the_node_refuses_at_start_is_rolled_back(host, tmp_path):
    """A JVM option the product refuses at start (a port offset that is not a number) on both gateways:
    site.yml configures both, then restarts ss-gw1 first; the run fails naming ss-gw1 and the change,
    ss-gw1 is back on its last good release and unit and healthy, and ss-gw2, which waited for its
    turn, was put back on the unit it still runs, never restarted, with no restart left pending."""
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    first, second = GWS
    release = _docker(first, "readlink", "-f", "/opt/wso2/gateway")
    unit = _docker(first, "cat", "/etc/systemd/system/wso2am-gateway.service")
    second_pid = _docker(second, "systemctl", "show", "-p", "MainPID", "--value", "wso2am-gateway")
    second_unit = _docker(second, "cat", "/etc/systemd/system/wso2am-gateway.service")
    extra = tmp_path / "refused.yml"
    extra.write_text("gateway:\n  vars:\n    wso2am_java_opts: -DportOffset=not-a-number\n")
    proc = _playbook("site.yml", "-i", str(extra), "--limit", "gateway", "-e", "wso2am_health_timeout=30")
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "wso2am-gateway on %s is not healthy after systemd unit:" % first in text, text[-3000:]
    assert "Rolled back to its last good release %s" % os.path.basename(release) in text, text[-3000:]
    assert "it is healthy again" in text, text[-3000:]
    assert "-DportOffset" in text and "is not an integer" in text, text[-3000:]
    assert _docker(first, "readlink", "-f", "/opt/wso2/gateway") == release
    assert _docker(first, "cat", "/etc/systemd/system/wso2am-gateway.service") == unit
    assert _docker(first, "systemctl", "is-active", "wso2am-gateway") == "active"
    assert "WSO2 API Manager-" in _docker(first, "curl", "-fsS", "http://127.0.0.1:9763/services/Version")
    # ss-gw2 got the change on disk in the tier's play, then waited for its turn: put back, not restarted.
    assert re.search(r"changed: \[%s -> %s\]" % (first, second), proc.stdout), proc.stdout[-3000:]
    assert _docker(second, "cat", "/etc/systemd/system/wso2am-gateway.service") == second_unit
    assert _docker(second, "systemctl", "show", "-p", "MainPID", "--value", "wso2am-gateway") == second_pid
    assert _docker(second, "sh", "-c", "test -e /opt/wso2/state/gateway/restart-pending && echo left || echo none") == "none"
    # The next run without the bad option changes nothing: the rollback left both nodes as they were.
    proc = _playbook("site.yml", "--limit", "gateway")
    assert proc.returncode == 0, proc.stdout[-3000:]
    recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M))
    assert recap.get(first) == "0" and recap.get(second) == "0", (recap, proc.stdout[-3000:])


def test_a_move_to_another_minor_version_needs_the_database_migration(host):
    """The lab runs 4.6: asking for 4.5.0 (or 4.7.0) stops in preflight, before any host changes."""
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    proc = _playbook("site.yml", "--limit", GWS[0], "-e", "wso2am_version=4.5.0")
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "%s: the gateway runs API-M 4.6 (wso2am-universal-gw-4.6.0) and wso2am_version asks for 4.5.0" % GWS[0] in text, \
        text[-3000:]
    assert 'set wso2am_db_migrated_to: "4.5"' in text
    recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M))
    assert recap.get(GWS[0]) == "0", recap


def test_an_update_level_rolls_out_as_a_new_release_with_the_state_carried(host, tmp_path):
    """wso2am_update_level 2 for the gateways: the stand-in update tool (which first updates itself,
    exit code 2) makes the updated pack once on the controller with the credentials from its
    environment; each gateway moves to the release wso2am-universal-gw-4.6.0+u2, keeps its H2 data,
    keeps the previous release for rollback, answers with level 2, and status.yml shows the level."""
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    server = tmp_path / "update-server"
    (server / "wso2am-universal-gw-4.6.0").mkdir(parents=True)
    (server / "credentials.json").write_text('{"username": "lab-user", "password": "lab-update-secret"}')
    (server / "wso2am-universal-gw-4.6.0" / "levels.json").write_text(
        '{"levels": [1, 2, 3], "conflict_levels": [], "self_update": true}')
    before = {}
    for gateway in GWS:
        before[gateway] = _docker(gateway, "readlink", "-f", "/opt/wso2/gateway")
        _docker(gateway, "sh", "-c", "echo lab-data > /opt/wso2/gateway/repository/database/LABMARK.mv.db")
    extra = tmp_path / "update.yml"
    extra.write_text("gateway:\n  vars:\n    wso2am_update_level: 2\n    wso2am_update_cache_dir: %s\n"
                     "    wso2am_update_username: lab-user\n    wso2am_update_password: lab-update-secret\n"
                     % (tmp_path / "cache"))
    env_before = os.environ.get("WSO2AM_STANDIN_UPDATES_DIR")
    os.environ["WSO2AM_STANDIN_UPDATES_DIR"] = str(server)
    try:
        proc = _playbook("site.yml", "-i", str(extra), "--limit", "gateway", "-v")
    finally:
        if env_before is None:
            del os.environ["WSO2AM_STANDIN_UPDATES_DIR"]
        else:
            os.environ["WSO2AM_STANDIN_UPDATES_DIR"] = env_before
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "lab-update-secret" not in proc.stdout + proc.stderr
    assert (tmp_path / "cache" / "wso2am-universal-gw-4.6.0+u2.zip").is_file()
    for gateway in GWS:
        release = _docker(gateway, "readlink", "-f", "/opt/wso2/gateway")
        assert release == "/opt/wso2/releases/gateway/wso2am-universal-gw-4.6.0+u2"
        assert _docker(gateway, "cat", release + "/repository/database/LABMARK.mv.db") == "lab-data"
        subprocess.run(["docker", "exec", gateway, "test", "-d", before[gateway]], check=True)
        level = _docker(gateway, "python3", "-c", "import json;print(json.load(open('%s/updates/config.json'))"
                        "['update-level'])" % release)
        assert level == "2"
        assert '"update_level": 2' in _docker(gateway, "curl", "-sk", "https://127.0.0.1:8243/standin/echo/1.0.0")
    proc = _playbook("status.yml", "-i", str(extra))
    assert proc.returncode == 0, proc.stdout[-3000:]
    text = " ".join(proc.stdout.split())
    for gateway in GWS:
        assert re.search(r"gateway on %s: HEALTHY;[^;]*; update level 2" % gateway, text), text[-3000:]


def test_a_gateway_marked_absent_is_dropped_then_stopped_and_comes_back(host, tmp_path):
    """wso2am_state: absent on ss-gw1: the control plane's gateway environment moves to ss-gw2 (the
    control plane restarts), then ss-gw1's service is stopped and disabled with its files kept;
    without the mark, the next run brings it back and the environment back to it."""
    if node_name(host) != CP:
        pytest.skip("runs once, from the controller")
    gone, kept = GWS
    extra = tmp_path / "absent.yml"
    extra.write_text("all:\n  hosts:\n    %s:\n      wso2am_state: absent\n" % gone)

    def environment_url():
        return deployment_toml(host, "control_plane", fresh=True)["apim"]["gateway"]["environment"][0]["service_url"]

    assert gone in environment_url()
    try:
        proc = _playbook("site.yml", "-i", str(extra))
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        assert kept in environment_url() and gone not in environment_url()
        state = subprocess.run(["docker", "exec", gone, "systemctl", "is-active", "wso2am-gateway"],
                               capture_output=True, text=True, check=False).stdout.strip()
        enabled = subprocess.run(["docker", "exec", gone, "systemctl", "is-enabled", "wso2am-gateway"],
                                 capture_output=True, text=True, check=False).stdout.strip()
        assert (state, enabled) == ("inactive", "disabled")
        assert _docker(gone, "test", "-f", "/opt/wso2/gateway/repository/conf/deployment.toml") == ""
    finally:
        # Back: the same run without the mark.
        proc = _playbook("site.yml")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert gone in environment_url()
    assert _docker(gone, "systemctl", "is-active", "wso2am-gateway") == "active"
    assert _docker(gone, "systemctl", "is-enabled", "wso2am-gateway") == "enabled"
