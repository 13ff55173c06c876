"""render.yml with a load_balancer group: the load balancer's nginx configuration is written beside
the nodes' files, and the control plane's and gateways' deployment.toml point at its names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "wso2am_admin_password": "render-admin-secret",
    "wso2am_db_apim_password": "render-apim-secret",
    "wso2am_db_shared_password": "render-shared-secret",
    "wso2am_keystore_password": "render-keystore-secret",
}
GROUPS = {
    "database": {"db1": None},
    "control_plane": {"cp1": None, "cp2": None},
    "traffic_manager": {"tm1": None},
    "gateway": {"gw1": None, "gw2": None},
    "load_balancer": {"lb1": None},
}
LB_VARS = {"wso2am_lb_control_plane_hostname": "apim.example.com",
           "wso2am_lb_gateway_hostnames": {"Default": "api.example.com"}}


def _render(tmp_path, lb_vars, groups=None):
    inventory = {"all": {"children": {group: {"hosts": hosts} for group, hosts in (groups or GROUPS).items()}}}
    inventory["all"]["children"]["load_balancer"]["vars"] = lb_vars
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    out = tmp_path / "rendered"
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(dict(SECRETS, wso2am_render_dir=str(out))))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ["WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH"], ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"),
         str(ROOT / "playbooks" / "render.yml"), "-e", "@%s" % (tmp_path / "vars.yml")],
        capture_output=True, text=True, env=env, check=False,
    )
    return proc, out


def _block(text, kind, name):
    found = re.search(r"^%s %s \{\n(.*?)^\}" % (kind, re.escape(name)), text, re.M | re.S)
    assert found, "%s %s not in the configuration" % (kind, name)
    return found.group(1)


def test_render_writes_the_load_balancer_and_points_the_nodes_at_it(tmp_path):
    proc, out = _render(tmp_path, LB_VARS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (out / "lb1" / "nginx-wso2am.conf").read_text()
    assert text.startswith("#") and "Ansible managed" in text[:80]
    cp = _block(text, "upstream", "apim_control_plane")
    assert "ip_hash;" in cp and "server cp1:9443 max_fails=1 fail_timeout=10s;" in cp and "cp2:9443" in cp
    assert "down" not in cp and "backup" not in text
    gw = _block(text, "upstream", "apim_gw1_default_https")
    assert "server gw1:8243 max_fails=1 fail_timeout=10s;" in gw and "gw2:8243" in gw and "ip_hash" not in gw
    assert "tm1" not in text  # traffic managers are reached per node
    assert "map $http_upgrade $apim_connection_upgrade" in text
    assert "server_name apim.example.com;" in text and "server_name api.example.com;" in text
    assert "return 301 https://$host$request_uri;" in text
    assert "proxy_pass https://apim_control_plane;" in text
    assert "proxy_ssl_verify on;" in text and "proxy_ssl_trusted_certificate /etc/nginx/wso2am/ca.crt;" in text
    assert "proxy_ssl_name apim.example.com;" in text
    assert "proxy_next_upstream error timeout;" in text and "proxy_next_upstream error timeout non_idempotent" not in text
    assert text.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == len(re.findall(r"^    location ", text, re.M)) == 8
    assert "proxy_read_timeout 5m;" in text
    assert "listen 9099;" in text and "listen 8099 ssl;" in text and "listen 8021 ssl;" in text
    for host in ("cp1", "cp2"):
        conf = tomllib.loads((out / host / "deployment.toml").read_text())
        assert conf["server"]["hostname"] == "apim.example.com"
        assert conf["transport"]["https"]["properties"]["proxyPort"] == 443
        environment = conf["apim"]["gateway"]["environment"][0]
        assert environment["https_endpoint"] == "https://api.example.com:443"
        assert environment["service_url"] == "https://api.example.com:443/services/"
    for host in ("gw1", "gw2"):
        conf = tomllib.loads((out / host / "deployment.toml").read_text())
        assert conf["server"]["hostname"] == "api.example.com"
        assert conf["apim"]["key_manager"]["service_url"] == "https://apim.example.com:443/services/"
        assert conf["apim"]["event_hub"]["service_url"] == "https://apim.example.com:443/services/"
        # JMS and binary endpoints stay per node.
        assert conf["apim"]["event_hub"]["event_listening_endpoints"] == ["tcp://cp1:5672", "tcp://cp2:5672"]
        assert "tcp://tm1:9611" in str(conf["apim"]["throttling"])
    tm = tomllib.loads((out / "tm1" / "deployment.toml").read_text())
    assert tm["server"]["hostname"] == "tm1"


def test_render_refuses_one_name_for_the_control_plane_and_the_gateways(tmp_path):
    proc, out = _render(tmp_path, {})
    assert proc.returncode != 0
    assert "would serve 'lb1' on port 443 twice" in proc.stdout + proc.stderr
    assert not (out / "lb1").exists()


def test_a_host_marked_absent_is_neither_rendered_nor_named(tmp_path):
    """wso2am_state: absent on gw1 (decommissioning): render.yml writes nothing for it, and neither
    the load balancer nor any node's configuration names it; gw2 takes its place."""
    groups = dict(GROUPS, gateway={"gw1": {"wso2am_state": "absent"}, "gw2": None})
    proc, out = _render(tmp_path, LB_VARS, groups)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (out / "gw1").exists() and (out / "gw2" / "deployment.toml").is_file()
    texts = [path.read_text() for path in out.rglob("*") if path.is_file()]
    assert texts and not any(re.search(r"\bgw1\b", text) for text in texts)
    assert "gw2:8243" in (out / "lb1" / "nginx-wso2am.conf").read_text()
