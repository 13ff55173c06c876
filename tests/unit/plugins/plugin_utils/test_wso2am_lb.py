# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The load balancer: its configuration as data (wso2am_lb), the public names it gives the
topology, the names its certificate and the nodes' certificates carry, and its validation."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.wso2am.distributed.plugins.filter.lb_config import lb_config
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_lb import lb_model, lb_problems
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_node_config import build_node_config
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_pki import node_sans
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_topology import build_topology
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_validate import validate_inventory
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import Wso2amModelError

from ..wso2am_samples import inventory, node_settings

ROOT = pathlib.Path(__file__).resolve().parents[4]
LB_VARS = {
    "ansible_host": "10.0.9.1",
    "wso2am_lb_control_plane_hostname": "apim.example.com",
    "wso2am_lb_gateway_hostnames": {"Default": "api.example.com", "Sandbox": "sandbox.example.com"},
}
SETTINGS = node_settings()


def lb_inventory(lb_vars=None, more=None, groups=None):
    hostvars = {
        "lb1": dict(LB_VARS) if lb_vars is None else lb_vars,
        "cp1": {"ansible_host": "10.0.0.11"},
        "cp2": {"ansible_host": "10.0.0.12"},
        "gw1": {"ansible_host": "10.0.1.11"},
        "gw2": {"ansible_host": "10.0.1.12"},
        "gw3": {"ansible_host": "10.0.1.13", "wso2am_gateway_environment": "Sandbox", "wso2am_gateway_offset": 2},
        "tm1": {"ansible_host": "10.0.2.11"},
        "km1": {"ansible_host": "10.0.3.11"},
    }
    for host, values in (more or {}).items():
        hostvars.setdefault(host, {}).update(values)
    return inventory(groups or {
        "control_plane": ["cp1", "cp2"], "gateway": ["gw1", "gw2", "gw3"], "traffic_manager": ["tm1"],
        "key_manager": ["km1"], "load_balancer": ["lb1"],
    }, hostvars)


def topo(*args, **kwargs):
    return build_topology(*lb_inventory(*args, **kwargs))


def upstream(model, name):
    return next(item for item in model["upstreams"] if item["name"] == name)


# --------------------------------------------------------------------------- topology wiring

def test_the_load_balancer_gives_control_planes_and_gateways_their_public_hostname():
    t = topo()
    assert t["load_balancer"] == [{"host": "lb1", "hostname": "10.0.9.1"}]
    public = {node["id"]: node["public_hostname"] for node in t["nodes"]}
    assert public["cp1/control_plane"] == public["cp2/control_plane"] == "apim.example.com"
    assert public["gw1/gateway"] == public["gw2/gateway"] == "api.example.com"
    assert public["gw3/gateway"] == "sandbox.example.com"
    assert public["tm1/traffic_manager"] is None and public["km1/key_manager"] is None
    env = {e["name"]: e for e in t["environments"]}
    assert env["Default"]["https_endpoint"] == "https://api.example.com:443"
    assert env["Default"]["service_url"] == "https://api.example.com:443/services/"
    assert env["Sandbox"]["wss_endpoint"] == "wss://sandbox.example.com:8101"
    # The separated key manager stays per node; the event hub goes through the load balancer.
    assert t["key_manager_url"] == "https://10.0.3.11:9443/services/"
    assert t["event_hub_url"] == "https://apim.example.com:443/services/"


def test_without_a_key_manager_the_key_manager_url_is_the_load_balancer():
    t = topo(groups={"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"],
                     "load_balancer": ["lb1"]})
    assert t["key_manager_url"] == "https://apim.example.com:443/services/"


def test_the_node_configuration_points_at_the_load_balancer_but_jms_and_binary_stay_per_node():
    t = topo(groups={"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"],
                     "load_balancer": ["lb1"]})
    gw = build_node_config(t, "gw1", "gateway", SETTINGS)
    assert gw["server"]["hostname"] == "api.example.com"
    assert gw["transport"]["https"]["properties"]["proxyPort"] == 443
    assert gw["apim"]["key_manager"]["service_url"] == "https://apim.example.com:443/services/"
    assert gw["apim"]["event_hub"]["service_url"] == "https://apim.example.com:443/services/"
    assert gw["apim"]["event_hub"]["event_listening_endpoints"] == ["tcp://10.0.0.11:5672"]
    assert "10.0.2.11:9611" in str(gw["apim"]["throttling"])
    cp = build_node_config(t, "cp1", "control_plane", SETTINGS)
    assert cp["server"]["hostname"] == "apim.example.com"
    tm = build_node_config(t, "tm1", "traffic_manager", SETTINGS)
    assert tm["server"]["hostname"] == "10.0.2.11" and "transport" not in tm


def test_an_explicit_public_hostname_wins_and_the_names_default_to_the_first_load_balancer():
    t = topo(lb_vars={"ansible_host": "10.0.9.1"}, more={"cp1": {"wso2am_public_hostname": "own.example.com"}})
    public = {node["id"]: node["public_hostname"] for node in t["nodes"]}
    assert public["cp1/control_plane"] == "own.example.com"
    assert public["cp2/control_plane"] == "10.0.9.1"
    assert public["gw1/gateway"] == "10.0.9.1"


def test_without_the_group_nothing_changes():
    groups, hostvars = lb_inventory()
    groups.pop("load_balancer")
    t = build_topology(groups, hostvars)
    assert t["load_balancer"] == []
    assert all(node["public_hostname"] is None for node in t["nodes"])


def test_a_gateway_hostnames_value_that_is_not_a_mapping_is_refused():
    with pytest.raises(Wso2amModelError, match="wso2am_lb_gateway_hostnames on host 'lb1' must be a dictionary"):
        topo(lb_vars={"wso2am_lb_gateway_hostnames": "api.example.com"})


# --------------------------------------------------------------------------- the model

def test_control_planes_one_upstream_with_ip_hash_and_https_redirect():
    model = lb_model(topo())
    cp = upstream(model, "apim_control_plane")
    assert cp["ip_hash"] is True
    assert [s["address"] for s in cp["servers"]] == ["10.0.0.11:9443", "10.0.0.12:9443"]
    assert all(s["max_fails"] == 1 and s["fail_timeout"] == "10s" and not s["down"] for s in cp["servers"])
    servers = [s for s in model["servers"] if s["server_names"] == ["apim.example.com"]]
    assert [(s["listen"], s["ssl"], s["redirect"]) for s in servers] == [(443, True, False), (80, False, True)]
    (location,) = servers[0]["locations"]
    assert location == {"path": "/", "upstream": "apim_control_plane", "scheme": "https",
                        "ssl_name": "apim.example.com", "websocket": False}


def test_gateways_per_environment_with_their_ports_and_offsets():
    model = lb_model(topo())
    names = [u["name"] for u in model["upstreams"]]
    assert "apim_gw1_default_https" in names and "apim_gw2_sandbox_wss" in names
    assert all(not u["ip_hash"] for u in model["upstreams"] if u["name"] != "apim_control_plane")
    assert [s["address"] for s in upstream(model, "apim_gw1_default_https")["servers"]] == [
        "10.0.1.11:8243", "10.0.1.12:8243"]
    assert [s["address"] for s in upstream(model, "apim_gw1_default_http")["servers"]] == [
        "10.0.1.11:8280", "10.0.1.12:8280"]
    assert [s["address"] for s in upstream(model, "apim_gw1_default_management")["servers"]] == [
        "10.0.1.11:9443", "10.0.1.12:9443"]
    assert [s["address"] for s in upstream(model, "apim_gw2_sandbox_ws")["servers"]] == ["10.0.1.13:9101"]
    assert [s["address"] for s in upstream(model, "apim_gw2_sandbox_websub_https")["servers"]] == ["10.0.1.13:8023"]
    sandbox = {(s["listen"], s["ssl"]): s for s in model["servers"] if s["server_names"] == ["sandbox.example.com"]}
    assert sorted(sandbox) == [(80, False), (443, True), (8023, True), (8101, True), (9023, False), (9101, False)]
    assert [loc["path"] for loc in sandbox[(443, True)]["locations"]] == ["/", "/services/"]
    assert sandbox[(443, True)]["locations"][1]["upstream"] == "apim_gw2_sandbox_management"
    assert sandbox[(9101, False)]["locations"][0]["websocket"] is True
    assert sandbox[(8101, True)]["locations"][0]["scheme"] == "https"
    assert model["websocket"] is True
    assert model["server_names"] == ["apim.example.com", "api.example.com", "sandbox.example.com"]


def test_traffic_managers_and_key_managers_are_not_behind_it():
    model = lb_model(topo())
    hosts = {s["host"] for u in model["upstreams"] for s in u["servers"]}
    assert hosts == {"cp1", "cp2", "gw1", "gw2", "gw3"}


@pytest.mark.parametrize("drained", ["gw1", ["gw1"], "gw1, gw1"])
def test_a_drained_host_is_down_on_every_line_it_has(drained):
    model = lb_model(topo(), {}, drained)
    assert model["drained"] == ["gw1"]
    for item in model["upstreams"]:
        for server in item["servers"]:
            assert server["down"] is (server["host"] == "gw1"), (item["name"], server)
    lines = [s for u in model["upstreams"] for s in u["servers"] if s["host"] == "gw1"]
    assert len(lines) == 7


def test_a_drained_control_plane_keeps_ip_hash():
    model = lb_model(topo(), {}, ["cp2"])
    cp = upstream(model, "apim_control_plane")
    assert cp["ip_hash"] is True and [s["down"] for s in cp["servers"]] == [False, True]


@pytest.mark.parametrize("host", ["tm1", "km1", "nobody"])
def test_only_a_control_plane_or_gateway_can_be_drained(host):
    with pytest.raises(Wso2amModelError, match=f"wso2am_lb_drain_host names '{host}'"):
        lb_model(topo(), {}, host)


def test_settings_and_tls():
    model = lb_model(topo(), {"max_fails": "3", "fail_timeout": 30, "proxy_timeout": "10m",
                              "client_max_body_size": "0",
                              "tls": {"certificate": "/c.crt", "key": "/c.key", "trusted_ca": "/ca.crt"}})
    server = upstream(model, "apim_control_plane")["servers"][0]
    assert server["max_fails"] == 3 and server["fail_timeout"] == "30s"
    assert model["proxy_timeout"] == "10m" and model["client_max_body_size"] == "0"
    assert model["tls"] == {"certificate": "/c.crt", "key": "/c.key", "trusted_ca": "/ca.crt"}
    plain = lb_model(topo(), {"tls": {"trusted_ca": ""}})
    assert plain["tls"] == {"certificate": "/etc/nginx/wso2am/tls.crt", "key": "/etc/nginx/wso2am/tls.key",
                            "trusted_ca": None}


@pytest.mark.parametrize("settings,message", [
    ({"max_fails": -1}, "wso2am_lb_max_fails must be 0 or more"),
    ({"fail_timeout": 0}, "wso2am_lb_fail_timeout must be 1 or more seconds"),
    ({"proxy_timeout": "five minutes"}, "wso2am_lb_proxy_timeout must be an nginx size or time"),
])
def test_wrong_settings_are_refused(settings, message):
    with pytest.raises(Wso2amModelError, match=message):
        lb_model(topo(), settings)


def test_one_name_for_the_control_plane_and_a_gateway_environment_is_refused():
    with pytest.raises(Wso2amModelError, match="would serve '10.0.9.1' on port 443 twice"):
        lb_model(topo(lb_vars={"ansible_host": "10.0.9.1"}))


def test_the_filter_wraps_model_errors():
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError, match="^wso2am.distributed.lb_config: wso2am_lb_drain_host"):
        lb_config(topo(), None, "tm1")
    assert lb_config(topo())["drained"] == []


# --------------------------------------------------------------------------- certificates

def test_certificate_names_include_the_public_names_the_playbook_gives():
    assert node_sans("lb1", {"ansible_host": "10.0.9.1",
                             "_wso2am_pki_public_names": ["apim.example.com", "api.example.com"]}) == [
        "IP:10.0.9.1", "DNS:lb1", "DNS:apim.example.com", "DNS:api.example.com"]
    assert node_sans("cp1", {"_wso2am_pki_public_names": "apim.example.com"}) == ["DNS:cp1", "DNS:apim.example.com"]
    with pytest.raises(Wso2amModelError, match="_wso2am_pki_public_names of host 'cp1' must be a list"):
        node_sans("cp1", {"_wso2am_pki_public_names": {"a": 1}})


# --------------------------------------------------------------------------- validation

def test_lb_problems_tls_names_and_environments():
    t = topo()
    good = {"lb1": dict(LB_VARS, wso2am_pki=True)}
    assert lb_problems(t, good, ["lb1"]) == []
    no_pki = {"lb1": dict(LB_VARS, wso2am_pki=False)}
    assert "wso2am_pki is false, so set wso2am_lb_tls_cert_src" in lb_problems(t, no_pki, ["lb1"])[0][1]
    own = {"lb1": dict(LB_VARS, wso2am_pki=False, wso2am_lb_tls_cert_src="lb.crt", wso2am_lb_tls_key_src="lb.key")}
    assert lb_problems(t, own, ["lb1"]) == []
    half = {"lb1": dict(LB_VARS, wso2am_lb_tls_cert_src="lb.crt")}
    assert "go together" in lb_problems(t, half, ["lb1"])[0][1]
    typo = {"lb1": dict(LB_VARS, wso2am_lb_gateway_hostnames={"Defualt": "x.example.com"})}
    assert any("names the environment 'Defualt'" in m for _h, m in lb_problems(t, typo, ["lb1"]))
    two = {"lb1": LB_VARS, "lb2": dict(LB_VARS, wso2am_lb_control_plane_hostname="other.example.com")}
    assert any("give different wso2am_lb_control_plane_hostname" in m for _h, m in lb_problems(t, two, ["lb1", "lb2"]))


def test_a_load_balancer_on_a_gateway_host_with_clashing_ports_is_refused():
    t = topo(more={"lb1": {"ansible_host": "10.0.1.11"}})
    problems = lb_problems(t, {"lb1": LB_VARS}, ["lb1"])
    assert any("listens on port(s) 8021, 8099, 9021, 9099" in m and "host 'gw1'" in m for _h, m in problems)


def _specs():
    specs = {}
    for role in ("_common", "database", "load_balancer"):
        path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
        specs.update(yaml.safe_load(path.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"])
    return specs


GOOD = {"wso2am_version": "4.6.0", "wso2am_admin_password": "admin-secret-1", "wso2am_db_apim_password": "apim-secret-1",
        "wso2am_db_shared_password": "shared-secret-1", "wso2am_keystore_password": "keystore-secret-1"}


def _validate(lb_vars, check_files=False):
    groups, hostvars = lb_inventory(lb_vars)
    groups["database"] = ["db1"]
    groups["all"].append("db1")
    hostvars["db1"] = {}
    for values in hostvars.values():
        for key, value in GOOD.items():
            values.setdefault(key, value)
    specs = _specs()
    defaults = {name: spec["default"] for name, spec in specs.items() if "default" in spec}
    defaults["wso2am_pack_dir"] = "/nonexistent/packs"
    return validate_inventory(groups, hostvars, specs, defaults, check_files=check_files, base_dir=str(ROOT))


def test_validation_accepts_a_load_balancer_and_its_settings():
    assert _validate(dict(LB_VARS, wso2am_lb_max_fails=2, wso2am_lb_drain_timeout=60)) == []


def test_validation_refuses_a_load_balancer_without_a_certificate_before_any_host_is_changed():
    problems = _validate(dict(LB_VARS, wso2am_pki=False, wso2am_allow_default_keystore=True))
    assert any(line.startswith("host lb1: no TLS certificate for the load balancer") for line in problems), problems


def test_validation_checks_the_load_balancer_files_and_names():
    problems = _validate(dict(LB_VARS, wso2am_lb_tls_cert_src="/nonexistent/lb.crt",
                              wso2am_lb_tls_key_src="/nonexistent/lb.key"), check_files=True)
    assert "host lb1: wso2am_lb_tls_cert_src names '/nonexistent/lb.crt', which is not a file on the controller" in problems
    problems = _validate({"ansible_host": "10.0.9.1", "wso2am_lb_max_fail": 2})
    assert any("wso2am_lb_max_fail is not a setting of this collection" in line and "wso2am_lb_max_fails" in line
               for line in problems), problems
    assert any("would serve '10.0.9.1' on port 443 twice" in line for line in problems), problems
