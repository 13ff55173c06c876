"""render.yml on a few inventories: every node's deployment.toml parses as TOML and carries the wiring."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "wso2am_admin_password": "render-admin-secret",
    "wso2am_db_apim_password": "render-apim-secret",
    "wso2am_db_shared_password": "render-shared-secret",
    "wso2am_keystore_password": "render-keystore-secret",
}

SIMPLE = {
    "database": ["db1"],
    "control_plane": ["cp1"],
    "traffic_manager": ["tm1"],
    "gateway": ["gw1", "gw2"],
}
KM_HA = {
    "database": ["pg1"],
    "control_plane": ["cp1", "cp2"],
    "key_manager": ["km1"],
    "traffic_manager": ["tm1", "tm2"],
    "gateway": ["gw1", "gw2"],
}


def _render(tmp_path, groups, extra_vars=None, host_vars=None):
    inventory = {"all": {"children": {g: {"hosts": {h: (host_vars or {}).get(h) for h in hosts}} for g, hosts in groups.items()}}}
    inv = tmp_path / "hosts.yml"
    inv.write_text(yaml.safe_dump(inventory))
    out = tmp_path / "rendered"
    variables = dict(SECRETS, wso2am_render_dir=str(out), **(extra_vars or {}))
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ["WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH"], ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inv),
         str(ROOT / "playbooks" / "render.yml"), "-e", "@%s" % vars_file],
        capture_output=True, text=True, env=env, check=False,
    )
    return proc, out


def _text(out, host):
    text = (out / host / "deployment.toml").read_text()
    assert text.startswith("#") and "Ansible managed" in text[:80]
    return text


def _toml(out, host):
    return tomllib.loads(_text(out, host))


def test_simple_scalable_render(tmp_path):
    proc, out = _render(tmp_path, SIMPLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in ("cp1", "tm1", "gw1", "gw2"):
        text = _text(out, host)
        conf = tomllib.loads(text)
        # Secrets are masked in files meant for review, and never printed.
        assert "render-admin-secret" not in text and "render-apim-secret" not in text
        # The node gets a secure vault reference; [secrets] (encrypted at deployment) is masked.
        assert conf["super_admin"]["password"] == "$secret{super_admin_password}"
        assert conf["secrets"]["super_admin_password"] == "********"
        assert conf["keystore"]["tls"]["file_name"] == "wso2am-tls.p12"
        assert conf["keystore"]["primary"]["file_name"] == "wso2am-primary.p12"
    assert "render-apim-secret" not in proc.stdout
    gw = _toml(out, "gw1")
    assert "apim_db" not in gw["database"] and gw["database"]["shared_db"]["type"] == "h2"
    assert gw["apim"]["key_manager"]["service_url"] == "https://cp1:9443/services/"
    cp = _toml(out, "cp1")
    # MySQL Connector/J, never the MariaDB connector: API-M picks its SQL dialect from the driver name.
    assert cp["database"]["apim_db"]["url"].startswith("jdbc:mysql://db1:3306/apim_db?useSSL=false")
    assert cp["database"]["apim_db"]["driver"] == "com.mysql.cj.jdbc.Driver"
    topology = (out / "topology.md").read_text()
    assert "```mermaid" in topology and "flowchart" in topology
    for node in ("cp1", "tm1", "gw1", "gw2"):
        assert node in topology


def test_km_separated_ha_render(tmp_path):
    proc, out = _render(tmp_path, KM_HA, {"wso2am_db_type": "postgresql", "wso2am_version": "4.7.0",
                                          "wso2am_encryption_key": KEY})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    km_url = "https://km1:9443/services/"
    for host in ("cp1", "cp2", "gw1", "gw2"):
        conf = _toml(out, host)
        assert conf["apim"]["key_manager"]["service_url"] == km_url, host
    for host in ("tm1", "tm2"):
        assert "key_manager" not in _toml(out, host)["apim"], host
    cp1 = _toml(out, "cp1")
    assert cp1["apim"]["event_hub"]["event_duplicate_url"] == ["tcp://cp2:5672"]
    assert cp1["apim"]["cache_invalidation"]["enabled"] is True
    assert cp1["database"]["apim_db"]["type"] == "postgre"
    tm2 = _toml(out, "tm2")
    assert tm2["apim"]["throttling"]["event_duplicate_url"] == ["tcp://tm1:5672"]
    gw1 = _toml(out, "gw1")
    assert len(gw1["apim"]["throttling"]["url_group"]) == 2
    km = _toml(out, "km1")
    assert km["apim"]["event_hub"]["service_url"] == "https://cp1:9443/services/"
    assert km["event_listener"][0]["properties"]["notification_endpoint"] == "https://cp1:9443/internal/data/v1/notify"
    topology = (out / "topology.md").read_text()
    assert "km1" in topology and "event_duplicate" in topology


KEY = "0123456789abcdef" * 4


@pytest.mark.parametrize("version,gateway_id,gateway_types", [
    ("4.5.0", False, "Regular,APK,AWS"),
    ("4.6.0", True, "Regular,APK,AWS,Azure,Kong,Envoy"),
    ("4.7.0", True, "Regular,APK,AWS,Azure,Kong,Envoy,APIPlatform"),
])
def test_each_version_renders_what_its_packs_ship(tmp_path, version, gateway_id, gateway_types):
    proc, out = _render(tmp_path, SIMPLE, {"wso2am_version": version, "wso2am_encryption_key": KEY})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cp, gw = _toml(out, "cp1"), _toml(out, "gw1")
    assert cp["apim"]["gateway_type"] == gateway_types
    assert ("gateway_notification" in gw["apim"]) is gateway_id
    assert all(_toml(out, h)["server"]["server_role"] == "default" for h in ("cp1", "tm1", "gw1"))
    seven = version.startswith("4.7")
    for host in ("cp1", "tm1", "gw1", "gw2"):
        conf = _toml(out, host)
        # The key is written on every 4.7 node only, masked in files meant for review.
        assert ("encryption" in conf) is seven, host
        if seven:
            assert conf["encryption"]["key"] == "$secret{encryption_key}"
            assert conf["secrets"]["encryption_key"] == "********"
        assert KEY not in _text(out, host)
    assert ("oauth" in cp) is seven
    assert KEY not in proc.stdout


def test_4_7_without_an_encryption_key_is_refused_naming_it(tmp_path):
    proc, out = _render(tmp_path, SIMPLE, {"wso2am_version": "4.7.0"})
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "wso2am_encryption_key must be set for API-M 4.7.0" in text
    assert "openssl rand -hex 32" in text
    assert not list(out.glob("**/deployment.toml"))


def test_4_7_unmasked_render_writes_the_same_key_on_every_node(tmp_path):
    proc, out = _render(tmp_path, SIMPLE, {"wso2am_version": "4.7.0", "wso2am_encryption_key": KEY,
                                           "wso2am_render_mask_secrets": False})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {_toml(out, h)["encryption"]["key"] for h in ("cp1", "tm1", "gw1", "gw2")} == {"$secret{encryption_key}"}
    # Unmasked, [secrets] shows each value in the cipher tool's input form.
    assert {_toml(out, h)["secrets"]["encryption_key"] for h in ("cp1", "tm1", "gw1", "gw2")} == {"[%s]" % KEY}
    assert KEY not in proc.stdout


def test_the_mariadb_driver_is_refused_with_the_reason(tmp_path):
    proc, _out = _render(tmp_path, SIMPLE, {"wso2am_db_driver_class": "org.mariadb.jdbc.Driver"})
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "wso2am_db_driver_class org.mariadb.jdbc.Driver cannot be used" in text
    assert "Error occurred while initializing SQL Constants Manager" in text


def test_the_database_host_is_addressed_like_every_other_node(tmp_path):
    proc, out = _render(tmp_path, SIMPLE, host_vars={"db1": {"ansible_host": "10.0.9.5"}})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _toml(out, "cp1")["database"]["apim_db"]["url"].startswith("jdbc:mysql://10.0.9.5:3306/apim_db?")
    assert "10.0.9.5" in (out / "topology.md").read_text()


def test_a_server_role_the_packs_do_not_know_is_refused(tmp_path):
    proc, _out = _render(tmp_path, SIMPLE, {"wso2am_server_roles": {"gateway": "gateway-worker"}})
    assert proc.returncode != 0
    assert "server_role 'gateway-worker' for gateway is not known to the pack" in proc.stdout + proc.stderr


def test_host_in_two_tiers_renders_one_file_per_tier(tmp_path):
    groups = {"control_plane": ["node1"], "traffic_manager": ["node1"], "gateway": ["gw1"], "database": ["db1"]}
    proc, out = _render(tmp_path, groups, host_vars={"node1": {"wso2am_traffic_manager_offset": 2}})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tm = tomllib.loads((out / "node1" / "traffic_manager" / "deployment.toml").read_text())
    assert tm["server"]["offset"] == 2
    gw = _toml(out, "gw1")
    assert gw["apim"]["throttling"]["throttle_decision_endpoints"] == ["tcp://node1:5674"]


def test_same_offset_on_one_host_is_refused_before_anything_is_written(tmp_path):
    groups = {"control_plane": ["node1"], "traffic_manager": ["node1"], "gateway": ["gw1"]}
    proc, out = _render(tmp_path, groups)
    assert proc.returncode != 0
    assert "set wso2am_traffic_manager_offset on host 'node1'" in proc.stdout + proc.stderr
    assert not (out / "node1").exists()


@pytest.mark.parametrize("override", [{"wso2am_node_datasources": {"apim_db": True}}])
def test_gateway_with_apim_db_is_refused_naming_the_rule(tmp_path, override):
    proc = _render(tmp_path, SIMPLE, host_vars={"gw1": override})[0]
    assert proc.returncode != 0
    assert "a gateway never connects to apim_db" in proc.stdout + proc.stderr


@pytest.mark.parametrize("inventory,hosts", [
    ("example", ["apim-cp1.example.internal", "apim-tm1.example.internal", "apim-gw1.example.internal"]),
    ("example-km-ha", ["apim-cp2.example.internal", "apim-km1.example.internal", "apim-gw2.example.internal"]),
])
def test_example_inventories_render(tmp_path, inventory, hosts):
    out = tmp_path / "rendered"
    vault = {k: "example-secret" for k in (
        "vault_wso2am_admin_password", "vault_wso2am_db_apim_password", "vault_wso2am_db_shared_password",
        "vault_wso2am_keystore_password", "vault_wso2am_truststore_password")}
    vault["vault_wso2am_encryption_key"] = "0123456789abcdef" * 4
    vars_file = tmp_path / "vault.yml"
    vars_file.write_text(yaml.safe_dump(dict(vault, wso2am_render_dir=str(out))))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ["WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH"], ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(ROOT / "inventories" / inventory),
         str(ROOT / "playbooks" / "render.yml"), "-e", "@%s" % vars_file],
        capture_output=True, text=True, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in hosts:
        conf = _toml(out, host)
        assert conf["server"]["hostname"]
    if inventory == "example-km-ha":
        gw = _toml(out, "apim-gw2.example.internal")
        assert gw["apim"]["key_manager"]["service_url"] == "https://apim-km1.example.internal:9443/services/"
        assert gw["transport"]["https"]["properties"]["proxyPort"] == 443
