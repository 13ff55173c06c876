# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.render_files and wso2am.distributed.deployment_toml"""

from __future__ import annotations

from ansible_collections.wso2am.distributed.plugins.filter.deployment_toml import deployment_toml
from ansible_collections.wso2am.distributed.plugins.filter.node_config import node_config
from ansible_collections.wso2am.distributed.plugins.filter.render_files import FilterModule, render_files
from ansible_collections.wso2am.distributed.plugins.filter.to_toml import to_toml
from ansible_collections.wso2am.distributed.plugins.filter.topology import topology

from ..wso2am_samples import colocated_inventory, ha_inventory, node_settings


def _hosts(groups, secure_vault=False, **changes):
    names = sorted({host for group, hosts in groups.items() if group not in ("all", "ungrouped") for host in hosts})
    return {host: {"settings": node_settings(**changes), "secure_vault": secure_vault} for host in names}


def test_filters_are_registered():
    assert FilterModule().filters() == {"render_files": render_files}


def test_deployment_toml_names_the_node_and_holds_the_toml():
    config = {"server": {"hostname": "gw1.lan"}, "super_admin": {"password": "s3cret"}}
    text = deployment_toml(config, "4.6.0", "gateway", "gw1")
    lines = text.splitlines()
    assert lines[0] == "# WSO2 API Manager 4.6.0: gateway node gw1."
    assert "change wso2am_deployment_toml_extra" in lines[1]
    assert text.endswith(to_toml(config))
    masked = deployment_toml(config, "4.6.0", "gateway", "gw1", True)
    assert "passwords are masked" in masked and "s3cret" not in masked


def test_one_file_per_node_with_the_node_s_own_config():
    groups, hostvars = ha_inventory()
    topo = topology(groups, hostvars)
    hosts = _hosts(groups)
    files = render_files(topo, hosts, "/r", False, "#\n# Ansible managed\n#")
    paths = [entry["path"] for entry in files]
    assert paths == sorted(f"/r/{host}/deployment.toml" for host in ("cp1", "cp2", "gw1", "gw2", "km1", "tm1", "tm2"))
    by_path = {entry["path"]: entry for entry in files}
    gw1 = by_path["/r/gw1/deployment.toml"]
    assert gw1["mode"] == "0600"
    expected = deployment_toml(node_config(topo, "gw1", "gateway", hosts["gw1"]["settings"]),
                               hosts["gw1"]["settings"]["version"], "gateway", "gw1")
    assert gw1["content"] == "#\n# Ansible managed\n#\n" + expected


def test_a_host_with_two_components_gets_a_folder_per_component():
    groups, hostvars = colocated_inventory()
    files = render_files(topology(groups, hostvars), _hosts(groups), "/r")
    paths = {entry["path"] for entry in files}
    assert {"/r/apim1/control_plane/deployment.toml", "/r/apim1/traffic_manager/deployment.toml"} <= paths
    assert "/r/apim1/deployment.toml" not in paths


def test_only_the_listed_hosts_are_rendered():
    groups, hostvars = ha_inventory()
    hosts = {"gw2": _hosts(groups)["gw2"]}
    assert [entry["path"] for entry in render_files(topology(groups, hostvars), hosts, "/r")] == ["/r/gw2/deployment.toml"]


def test_masked_by_default_and_the_secure_vault_shows_references():
    groups, hostvars = ha_inventory()
    topo = topology(groups, hostvars)
    plain = {e["path"]: e["content"] for e in render_files(topo, _hosts(groups, admin_password="adm1n-pw"), "/r")}
    assert all("adm1n-pw" not in content for content in plain.values())
    unmasked = {e["path"]: e["content"] for e in render_files(topo, _hosts(groups, admin_password="adm1n-pw"), "/r", False)}
    assert any("adm1n-pw" in content for content in unmasked.values())
    vault = {e["path"]: e["content"] for e in render_files(topo, _hosts(groups, True, admin_password="adm1n-pw"), "/r", False)}
    assert "$secret{" in vault["/r/cp1/deployment.toml"]
    assert "[secrets]" in vault["/r/cp1/deployment.toml"]
