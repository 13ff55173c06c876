"""Verify the KM-separated HA deployment (testinfra over SSH with sudo) on every node."""

import os
import re
import subprocess

import pytest
import security_checks
from testinfra_helpers import (carbon_log, deployment_toml, main_pid_user, node_name, only, pki_dir, postgresql_login,
                               scenario_vars, service_unit, services_version, vault_secret)

CPS, KM, TMS, GWS, DB = ["kh-cp1", "kh-cp2"], "kh-km1", ["kh-tm1", "kh-tm2"], ["kh-gw1", "kh-gw2"], "kh-pg"
VERSION = "4.7.0"
KM_URL = "https://%s:9443/services/" % KM
# The control planes' public name, on the load balancer kh-lb: the other tiers reach their
# /services/ (event hub) and /internal/ (token revocation) through it; JMS stays per node.
CP_FRONT = "https://kh-apim:443"
PORTS = {
    "control_plane": [9443, 9763, 5672, 9611, 9711],
    "key_manager": [9443, 9763],
    "traffic_manager": [9443, 9763, 5672, 9611, 9711],
    "gateway": [9443, 9763, 8243, 8280, 9099, 8099],
}
APP = tuple(PORTS)


def test_connection_is_ssh_as_a_sudo_user(host):
    variables = host.ansible.get_variables()
    assert variables["ansible_connection"] == "ssh" and variables["ansible_user"] == "deploy"
    assert variables["ansible_host"] == "127.0.0.1" and variables["ansible_become"] is True
    # testinfra, like Ansible, logs in as deploy and becomes root through sudo.
    assert host.check_output("echo $SUDO_USER") == "deploy"
    assert host.user().name == "root"


def test_service_runs_as_wso2carbon_and_files_belong_to_it(host):
    component = only(host, *APP)
    unit = service_unit(component)
    assert host.service(unit).is_running and host.service(unit).is_enabled
    assert main_pid_user(host, unit) == "wso2carbon"
    conf = host.file("/opt/wso2/%s/repository/conf/deployment.toml" % component)
    assert conf.user == "wso2carbon" and conf.mode == 0o600
    home = host.file("/opt/wso2/%s" % component)
    assert home.is_symlink and VERSION in home.linked_to


def test_ports_listen_and_health(host):
    component = only(host, *APP)
    for port in PORTS[component]:
        assert host.socket("tcp://0.0.0.0:%d" % port).is_listening, port
    assert "WSO2 API Manager-%s" % VERSION in services_version(host)


def test_key_manager_ran_profile_setup_once_and_uses_its_script(host):
    only(host, "key_manager")
    assert host.file("/opt/wso2/key_manager/.wso2am-profile-key-manager").exists
    assert host.file("/opt/wso2/key_manager/repository/conf/deployment.toml.backup").exists
    unit = host.file("/etc/systemd/system/wso2am-key-manager.service").content_string
    assert re.search(r"^ExecStart=/opt/wso2/key_manager/bin/key-manager.sh$", unit, re.M)


def test_every_tier_points_at_the_key_manager(host):
    component = only(host, "control_plane", "traffic_manager", "gateway")
    conf = deployment_toml(host, component)
    if component == "traffic_manager":
        # The 4.5-4.7 traffic manager samples carry no [apim.key_manager].
        assert "key_manager" not in conf["apim"]
    else:
        assert conf["apim"]["key_manager"]["service_url"] == KM_URL
        assert conf["apim"]["key_manager"]["password"] == "${admin.password}"


def test_every_node_runs_the_packs_server_role_and_the_same_encryption_key(host):
    component = only(host, *APP)
    conf = deployment_toml(host, component)
    assert conf["server"]["server_role"] == "default"
    # Through the key-based secure vault: the reference, and its ciphertext holds the inventory's key.
    assert conf["encryption"]["key"] == "$secret{encryption_key}"
    key = scenario_vars()["wso2am_encryption_key"]
    assert vault_secret(host, conf, "encryption_key", key) == key
    assert vault_secret(host, conf, "super_admin_password", key) == scenario_vars()["wso2am_admin_password"]
    fingerprint = host.file("/opt/wso2/.encryption-key.sha256")
    assert fingerprint.user == "root" and fingerprint.mode == 0o644
    import hashlib
    expected = hashlib.sha256(scenario_vars()["wso2am_encryption_key"].encode()).hexdigest()
    assert fingerprint.content_string.strip() == expected
    assert scenario_vars()["wso2am_encryption_key"] not in fingerprint.content_string
    # The stand-in, like a 4.7 node, would have appended a random key of its own had none been given.
    log = carbon_log(host, component)
    assert "random encryption key" not in log


def test_jwt_token_type_on_control_plane_and_key_manager(host):
    component = only(host, "control_plane", "key_manager")
    token_types = deployment_toml(host, component)["oauth"]["extensions"]["token_types"]
    assert [t["name"] for t in token_types] == ["JWT"]


def test_key_manager_points_at_the_control_plane(host):
    only(host, "key_manager")
    conf = deployment_toml(host, "key_manager")
    assert conf["apim"]["event_hub"]["service_url"] == CP_FRONT + "/services/"
    assert conf["apim"]["event_hub"]["event_listening_endpoints"] == ["tcp://%s:5672" % cp for cp in CPS]
    listener = conf["event_listener"][0]
    assert listener["id"] == "token_revocation"
    assert listener["properties"]["notification_endpoint"] == CP_FRONT + "/internal/data/v1/notify"
    assert set(conf["database"]) == {"apim_db", "shared_db"}


def test_control_planes_publish_to_each_other(host):
    only(host, "control_plane")
    me = node_name(host)
    other = [cp for cp in CPS if cp != me]
    hub = deployment_toml(host, "control_plane")["apim"]["event_hub"]
    assert hub["event_duplicate_url"] == ["tcp://%s:5672" % cp for cp in other]
    assert [g["urls"] for g in hub["publish"]["url_group"]] == [["tcp://%s:9611" % cp] for cp in CPS]
    conf = deployment_toml(host, "control_plane")
    assert conf["apim"]["cache_invalidation"]["enabled"] is True
    # The control plane keeps its own token revocation listener with a separated key manager.
    listener = conf["event_listener"][0]
    assert listener["properties"]["notification_endpoint"] == "https://%s:9443/internal/data/v1/notify" % me
    assert "throttling" not in conf["apim"]
    envs = conf["apim"]["gateway"]["environment"]
    assert [e["name"] for e in envs] == ["Default"]


def test_traffic_managers_duplicate_to_each_other(host):
    only(host, "traffic_manager")
    me = node_name(host)
    conf = deployment_toml(host, "traffic_manager")
    assert conf["apim"]["throttling"]["event_duplicate_url"] == ["tcp://%s:5672" % tm for tm in TMS if tm != me]
    assert conf["apim"]["event_hub"]["event_listening_endpoints"] == ["tcp://%s:5672" % cp for cp in CPS]


def test_gateways_have_one_url_group_per_traffic_manager_and_no_apim_db(host):
    only(host, "gateway")
    conf = deployment_toml(host, "gateway")
    groups = conf["apim"]["throttling"]["url_group"]
    assert [g["traffic_manager_urls"] for g in groups] == [["tcp://%s:9611" % tm] for tm in TMS]
    assert conf["apim"]["gateway_notification"]["gateway_id"] == node_name(host)
    assert "apim_db" not in conf["database"] and conf["database"]["shared_db"]["type"] == "h2"


def test_standins_reached_every_upstream(host):
    component = only(host, *APP)
    log = carbon_log(host, component)
    upstreams = re.findall(r"UPSTREAM (\S+) (\S+) (?:reachable|unreachable)", log)
    assert upstreams, log[-2000:]
    for name, address in set(upstreams):
        assert "UPSTREAM %s %s reachable" % (name, address) in log, (name, address)
    expected = {
        "gateway": "key_manager %s:9443" % KM,
        "traffic_manager": "event_hub kh-apim:443",
        "control_plane": "event_duplicate %s:5672" % [cp for cp in CPS if cp != node_name(host)][0],
        "key_manager": "notification_endpoint kh-apim:443",
    }[component]
    assert "UPSTREAM %s reachable" % expected in log


def test_check_mode_on_the_converged_deployment_changes_nothing(host):
    if node_name(host) != CPS[0]:
        pytest.skip("runs once, from the controller")
    root = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--check", "--diff",
         os.path.join(root, "playbooks", "site.yml")],
        capture_output=True, text=True, env=env, check=False, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout, re.M)
    assert {name for name, *_ in recap} == set(CPS + TMS + GWS + [KM, DB, "kh-lb"])
    for name, changed, unreachable, failed in recap:
        assert (changed, unreachable, failed) == ("0", "0", "0"), name
    assert "kh-apim-not-secret" not in proc.stdout and "kh-admin-not-secret" not in proc.stdout


def test_a_changed_encryption_key_fails_preflight_and_changes_nothing(host):
    if node_name(host) != CPS[0]:
        pytest.skip("runs once, from the controller")
    root = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    before = host.file("/opt/wso2/control_plane/repository/conf/deployment.toml").mtime
    other_key = "ab" * 32
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         "-e", "wso2am_encryption_key=%s" % other_key, os.path.join(root, "playbooks", "site.yml")],
        capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False, timeout=900,
    )
    assert proc.returncode != 0, proc.stdout[-3000:]
    # Failures may go to stderr (molecule's environment); Ansible may wrap long error lines.
    text = " ".join((proc.stdout + proc.stderr).split())
    assert "wso2am_encryption_key is not the key this node started with" in text, (proc.stdout + proc.stderr)[-3000:]
    assert "must never change" in text
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M)
    assert recap and all(changed == "0" for _name_, changed in recap), recap
    assert "Preflight" in proc.stdout and "PLAY [API Control Plane]" not in proc.stdout
    assert host.file("/opt/wso2/control_plane/repository/conf/deployment.toml").mtime == before
    assert other_key not in text and scenario_vars()["wso2am_encryption_key"] not in text


def test_postgresql_users_only_from_the_hosts_that_need_them(host):
    component = only(host, *APP)
    lab = scenario_vars()
    apim = postgresql_login(host, DB, "apimadmin", lab["wso2am_db_apim_password"], "apim_db")
    shared = postgresql_login(host, DB, "sharedadmin", lab["wso2am_db_shared_password"], "shared_db")
    if component == "gateway":
        # §2: gateways use neither database here (no multi-tenancy): pg_hba refuses them.
        assert apim.startswith("refused") and shared.startswith("refused"), (apim, shared)
    else:
        assert (apim, shared) == ("ok", "ok")
    assert postgresql_login(host, DB, "apimadmin", lab["wso2am_db_apim_password"], "shared_db").startswith("refused")


def test_postgresql_datasources_use_postgre_type_and_debian_driver(host):
    component = only(host, "control_plane", "key_manager", "traffic_manager")
    ds = deployment_toml(host, component)["database"]["apim_db"]
    assert ds["type"] == "postgre" and ds["driver"] == "org.postgresql.Driver"
    assert ds["url"] == "jdbc:postgresql://%s:5432/apim_db" % DB
    assert host.file("/opt/wso2/%s/repository/components/lib/postgresql.jar" % component).exists


# --- certificates and secrets (the collection's PKI and 4.7's key-based secure vault) --------

SECRETS = ("wso2am_admin_password", "wso2am_db_apim_password", "wso2am_db_shared_password", "wso2am_keystore_password",
           "wso2am_encryption_key")


def test_every_tls_upstream_verifies_with_its_hostname(host):
    security_checks.every_tls_upstream_verifies(host, only(host, *APP))


def test_truststore_trusts_the_ca_and_the_primary_certificate(host):
    security_checks.truststore_trusts_the_ca_and_the_primary(host, only(host, *APP))


def test_secure_vault_on_and_its_key_file_consumed(host):
    security_checks.secure_vault_is_on_and_password_tmp_is_gone(host, only(host, *APP))


def test_no_inventory_secret_in_product_or_unit_files(host):
    only(host, *APP)
    lab = scenario_vars()
    security_checks.no_secret_on_disk(host, {name: lab[name] for name in SECRETS})


def _events(stdout):
    """(task, host, status) in the order ansible-playbook printed them."""
    events, task = [], None
    for line in stdout.splitlines():
        found = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\]", line)
        if found:
            task = found.group(1)
            continue
        found = re.match(r"^(ok|changed|failed|fatal|skipping): \[([^\]\s]+)", line)
        if found and task:
            events.append((task, found.group(2), found.group(1)))
    return events


def _not_after(path):
    out = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-enddate"], capture_output=True, text=True,
                         check=True).stdout
    return subprocess.run(["date", "-d", out.split("=", 1)[1].strip(), "+%s"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_certificates_near_expiry_are_renewed_one_gateway_at_a_time(host):
    """Both gateways' certificates are re-signed to expire in 2 days: the next site.yml renews them (within
    wso2am_pki_renew_days), and rolls them out one gateway at a time, each healthy before the next; no other
    node changes."""
    if node_name(host) != CPS[0]:
        pytest.skip("runs once, from the controller")
    pki = pki_dir(host)
    for gateway in GWS:
        node = os.path.join(pki, "nodes", gateway)
        subprocess.run(["openssl", "x509", "-req", "-in", os.path.join(node, "tls.csr"), "-CA",
                        os.path.join(pki, "ca", "ca.crt"), "-CAkey", os.path.join(pki, "ca", "ca.key"),
                        "-CAcreateserial", "-days", "2", "-copy_extensions", "copy", "-out", os.path.join(node, "tls.crt")],
                       check=True, capture_output=True)
    soon = int(_not_after(os.path.join(pki, "nodes", GWS[0], "tls.crt")))
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "site.yml")],
        capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False, timeout=1200,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    for gateway in GWS:
        assert int(_not_after(os.path.join(pki, "nodes", gateway, "tls.crt"))) > soon + 300 * 86400, gateway
    recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M))
    assert all(recap[name] == "0" for name in CPS + TMS + [KM, DB]), recap
    assert all(recap[name] != "0" for name in GWS), recap
    events = _events(proc.stdout)

    def position(task_part, gateway, status):
        for index, (task, name, state) in enumerate(events):
            if task_part in task and name == gateway and state == status:
                return index
        raise AssertionError("no %s %s for %s in %s" % (status, task_end, gateway, events[-40:]))

    restart = [position("Restart wso2am-gateway", gw, "changed") for gw in GWS]
    healthy = [position("check the served certificate against the CA and the hostname", gw, "ok") for gw in GWS]
    assert restart[0] < healthy[0] < restart[1] < healthy[1], (restart, healthy)


LB = "kh-lb"
LOADGEN = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "tests", "lab", "loadgen.py")


def _lb_address():
    return subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", LB],
                          capture_output=True, text=True, check=True).stdout.strip()


def _site_under_load(host, tmp_path, extra_inventory, env=None):
    """Runs site.yml with one more inventory file while the bounded load generator sends the test API
    requests through the load balancer (https://kh-api/, verified with the deployment's CA); returns
    (the playbook's process, the load generator's report)."""
    stop = tmp_path / "stop"
    report = tmp_path / "load.json"
    load = subprocess.Popen(
        [os.environ.get("PYTHON", "python3"), LOADGEN, "--url", "https://kh-api/standin/echo/1.0.0",
         "--resolve", "kh-api:%s" % _lb_address(), "--cafile", os.path.join(pki_dir(host), "ca", "ca.crt"),
         "--count", "100000", "--duration", "1200", "--concurrency", "4", "--delay-ms", "50",
         "--stop-file", str(stop), "--report", str(report)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        proc = subprocess.run(
            ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "-i", str(extra_inventory),
             os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "site.yml")],
            capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1", **(env or {})), check=False,
            timeout=1500,
        )
    finally:
        stop.touch()
        out, _ = load.communicate(timeout=60)
    import json
    return proc, json.loads(report.read_text()), out


def test_the_load_balancer_serves_the_test_api_from_both_gateways(host):
    if node_name(host) != CPS[0]:
        pytest.skip("runs once, from the controller")
    seen = set()
    for _ in range(8):
        body = subprocess.run(["docker", "exec", KM, "curl", "-sf", "--cacert", "/opt/wso2/pki/ca.crt",
                               "https://kh-api/standin/echo/1.0.0"], capture_output=True, text=True, check=True).stdout
        assert '"node": "kh-api"' in body, body  # behind the load balancer, its name is the gateways' hostname
        seen.add(re.search(r'"host": "([^"]+)"', body).group(1))
    assert seen == set(GWS), seen
    # The control planes' web apps answer through it under their public name.
    status = subprocess.run(["docker", "exec", KM, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                             "/opt/wso2/pki/ca.crt", "https://kh-apim/services/Version"],
                            capture_output=True, text=True, check=True).stdout
    assert status == "200", status


def test_a_change_rolls_through_control_planes_and_gateways_without_a_failed_request(host, tmp_path, capsys):
    """A JVM option for every control plane and gateway restarts each of them, one at a time, each taken
    out of the load balancer first; requests through the load balancer meanwhile all succeed."""
    if node_name(host) != CPS[0]:
        pytest.skip("runs once, from the controller")
    pids = {node: subprocess.run(["docker", "exec", node, "systemctl", "show", "-p", "MainPID", "--value",
                                  service_unit("gateway" if node in GWS else "control_plane")],
                                 capture_output=True, text=True, check=True).stdout.strip() for node in CPS + GWS}
    extra = tmp_path / "change.yml"
    extra.write_text("control_plane:\n  vars:\n    wso2am_java_opts: -Dlab.rolling=1\n"
                     "gateway:\n  vars:\n    wso2am_java_opts: -Dlab.rolling=1\n")
    proc, load, out = _site_under_load(host, tmp_path, extra)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    with capsys.disabled():  # the load generator's figures, in the scenario's output even when it passes
        print("\n" + out.strip())
    assert load["sent"] >= 50 and load["failed"] == 0, load
    for node in CPS + GWS:
        after = subprocess.run(["docker", "exec", node, "systemctl", "show", "-p", "MainPID", "--value",
                                service_unit("gateway" if node in GWS else "control_plane")],
                               capture_output=True, text=True, check=True).stdout.strip()
        assert after != pids[node], node
    # Each node was taken out of the load balancer (a graceful reload) before its restart and put
    # back (another reload) before the next node's restart.
    events = _events(proc.stdout)
    steps = [(name, "reload" if "Reload nginx gracefully" in task else "restart") for task, name, state in events
             if state == "changed" and ("Reload nginx gracefully" in task or re.search(r"Restart wso2am-", task))]
    expected = [(node, step) for node in CPS + GWS for step in ("reload", "restart", "reload")]
    assert steps == expected, steps


def test_an_update_of_every_pack_rolls_out_without_a_failed_request(host, tmp_path, capsys):
    """Update level 1 for every component pack (ACP for control planes and key manager, gateway, traffic
    manager), made once per pack on the controller with the stand-in update tool; every node moves to its
    +u1 release one at a time while requests through the load balancer all succeed."""
    if node_name(host) != CPS[0]:
        pytest.skip("runs once, from the controller")
    server = tmp_path / "update-server"
    (server).mkdir()
    (server / "credentials.json").write_text('{"username": "lab", "password": "kh-update-secret"}')
    for product in ("wso2am-acp-4.7.0", "wso2am-universal-gw-4.7.0", "wso2am-tm-4.7.0"):
        (server / product).mkdir()
        (server / product / "levels.json").write_text('{"levels": [1], "conflict_levels": [], "self_update": false}')
    extra = tmp_path / "update.yml"
    extra.write_text("all:\n  vars:\n    wso2am_update_level: 1\n    wso2am_update_cache_dir: %s\n"
                     "    wso2am_update_username: lab\n    wso2am_update_password: kh-update-secret\n"
                     "    wso2am_java_opts: -Dlab.rolling=1\n" % (tmp_path / "cache"))
    proc, load, out = _site_under_load(host, tmp_path, extra, env={"WSO2AM_STANDIN_UPDATES_DIR": str(server)})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    with capsys.disabled():  # the load generator's figures, in the scenario's output even when it passes
        print("\n" + out.strip())
    assert "kh-update-secret" not in proc.stdout + proc.stderr
    assert load["sent"] >= 50 and load["failed"] == 0, load
    for node, component, pack in ([(cp, "control_plane", "wso2am-acp-4.7.0") for cp in CPS]
                                  + [(KM, "key_manager", "wso2am-acp-4.7.0")]
                                  + [(tm, "traffic_manager", "wso2am-tm-4.7.0") for tm in TMS]
                                  + [(gw, "gateway", "wso2am-universal-gw-4.7.0") for gw in GWS]):
        release = subprocess.run(["docker", "exec", node, "readlink", "-f", "/opt/wso2/%s" % component],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert release == "/opt/wso2/releases/%s/%s+u1" % (component, pack), (node, release)
    assert sorted(os.listdir(tmp_path / "cache")) == sorted(
        ["wso2am-acp-4.7.0+u1.zip", "wso2am-universal-gw-4.7.0+u1.zip", "wso2am-tm-4.7.0+u1.zip"])


def test_a_firewall_rule_stops_the_gateway_at_its_gate(host):
    """nft inside kh-gw1 rejects its connections to kh-cp1's event hub JMS port: the next run stops at
    kh-gw1's connectivity gate, naming what it cannot reach, before the gateway is restarted."""
    if node_name(host) != CPS[0]:
        pytest.skip("runs once, from the controller")
    gateway = GWS[0]

    def on_gw(*argv):
        return subprocess.run(["docker", "exec", gateway, *argv], capture_output=True, text=True, check=True).stdout

    pid = on_gw("systemctl", "show", "-p", "MainPID", "--value", "wso2am-gateway").strip()
    cp_address = subprocess.run(["docker", "exec", gateway, "getent", "hosts", CPS[0]], capture_output=True, text=True,
                                check=True).stdout.split()[0]
    on_gw("sh", "-c", "command -v nft >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
                      "--no-install-recommends nftables >/dev/null")
    on_gw("nft", "add", "table", "inet", "labgate")
    try:
        on_gw("nft", "add", "chain", "inet", "labgate", "out", "{ type filter hook output priority 0; }")
        on_gw("nft", "add", "rule", "inet", "labgate", "out", "ip", "daddr", cp_address, "tcp", "dport", "5672",
              "reject", "with", "tcp", "reset")
        proc = subprocess.run(
            ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--limit", gateway,
             "-e", "wso2am_gate_timeout=3", "-e", "wso2am_java_opts=-Dlab.gate=1",
             os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "site.yml")],
            capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False, timeout=900,
        )
        text = " ".join((proc.stdout + proc.stderr).split())
        assert proc.returncode != 0, proc.stdout[-3000:]
        assert "%s cannot reach %s:5672 (event hub JMS)" % (gateway, CPS[0]) in text, text[-3000:]
        assert "it was not (re)started" in text
    finally:
        on_gw("nft", "delete", "table", "inet", "labgate")
    assert on_gw("systemctl", "show", "-p", "MainPID", "--value", "wso2am-gateway").strip() == pid
