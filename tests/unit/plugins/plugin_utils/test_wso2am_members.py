# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am_members: group members and decommissioned hosts (wso2am_state: absent)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.topology import topology
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_members import (
    _group_members,
    absent_hosts,
    host_state,
)

from ..wso2am_samples import ha_inventory, inventory


def _ha_with(host, **variables):
    groups, hostvars = ha_inventory()
    hostvars[host].update(variables)
    return groups, hostvars


def test_members_keep_inventory_order_once_each_and_leave_out_absent_hosts():
    groups, hostvars = _ha_with("gw1", wso2am_state="absent")
    groups["gateway"] = ["gw1", "gw2", "gw1"]
    assert _group_members(groups, "gateway") == ["gw1", "gw2"]
    assert _group_members(groups, "gateway", hostvars) == ["gw2"]
    assert host_state(hostvars, "gw1") == "absent" and host_state(hostvars, "gw2") == "present"
    assert absent_hosts(groups, hostvars, ["control_plane", "gateway"]) == ["gw1"]


def test_an_absent_gateway_is_named_by_no_other_node():
    groups, hostvars = _ha_with("gw1", wso2am_state="absent")
    topo = topology(groups, hostvars)
    assert [node["host"] for node in topo["gateway"]] == ["gw2"]
    assert "gw1" not in {node["host"] for node in topo["nodes"]}
    assert all("gw1" not in (link["from"], link["to"]) for link in topo["links"])
    assert topo["environments"][0]["gateways"] == ["gw2"]


def test_an_absent_control_plane_leaves_the_event_hub_to_the_other():
    groups, hostvars = _ha_with("cp1", wso2am_state="Absent")
    hostvars["cp2"]["wso2am_public_hostname"] = None
    hostvars["cp1"]["wso2am_public_hostname"] = None
    topo = topology(groups, hostvars)
    assert [node["host"] for node in topo["control_plane"]] == ["cp2"]
    assert topo["event_hub_url"] == "https://10.0.0.12:9443/services/"  # cp2's address


def test_every_host_of_a_required_group_absent_is_refused():
    groups, hostvars = inventory({"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]},
                                 {"tm1": {"wso2am_state": "absent"}})
    with pytest.raises(AnsibleFilterError, match="all its hosts are wso2am_state: absent"):
        topology(groups, hostvars)
