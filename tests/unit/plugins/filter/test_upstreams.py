# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.upstreams: what a node checks it can reach before it starts."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.node_config import node_config
from ansible_collections.wso2am.distributed.plugins.filter.topology import topology
from ansible_collections.wso2am.distributed.plugins.filter.upstreams import upstreams

from ..wso2am_samples import ha_inventory, minimal_inventory, node_settings, with_database_group


def _gates(inventory, host, component, db_host=None):
    model = topology(*inventory)
    conf = node_config(model, host, component, node_settings())
    return [(u["host"], u["port"], u["what"]) for u in upstreams(model, component, conf, db_host)]


def test_a_gateway_checks_its_key_manager_event_hub_and_traffic_managers():
    gates = _gates(ha_inventory(), "gw1", "gateway")
    assert gates == [
        ("10.0.3.11", 9443, "key manager"),
        ("10.0.2.11", 5672, "traffic manager JMS"),
        ("10.0.2.12", 5672, "traffic manager JMS"),
        ("10.0.2.11", 9611, "traffic manager binary"),
        ("10.0.2.11", 9711, "traffic manager binary SSL"),
        ("10.0.2.12", 9611, "traffic manager binary"),
        ("10.0.2.12", 9711, "traffic manager binary SSL"),
        # The event hub's service URL goes through the load balancer (apim.example.com), which the
        # inventory does not describe: left out. Its JMS ports are the control planes' own.
        ("10.0.0.11", 5672, "event hub JMS"),
        ("10.0.0.12", 5672, "event hub JMS"),
    ]


def test_without_a_load_balancer_the_event_hub_service_is_a_gate():
    gates = _gates(minimal_inventory(), "gw1", "gateway")
    assert ("cp1", 9443, "key manager") in gates and ("cp1", 5672, "event hub JMS") in gates
    assert len({(host, port) for host, port, _w in gates}) == len(gates)


def test_tiers_that_start_later_and_peers_are_not_gates():
    # The control plane starts first: its key manager, gateways and peer are not up yet.
    assert _gates(ha_inventory(), "cp1", "control_plane") == []
    # The key manager starts after the control planes and checks their JMS ports.
    assert _gates(ha_inventory(), "km1", "key_manager") == [
        ("10.0.0.11", 5672, "event hub JMS"), ("10.0.0.12", 5672, "event hub JMS")]
    # A traffic manager checks the control planes' event hub, not its peer.
    hosts = {host for host, _p, _w in _gates(ha_inventory(), "tm1", "traffic_manager")}
    assert hosts == {"10.0.0.11", "10.0.0.12"}


def test_the_database_is_the_first_tier():
    groups, hostvars = with_database_group(*minimal_inventory(), host="db1", wso2am_hostname="db.example.com")
    model = topology(groups, hostvars)
    conf = node_config(model, "cp1", "control_plane", node_settings())
    assert upstreams(model, "control_plane", conf) == [
        {"host": "db.example.com", "port": 3306, "what": "database apim_db"}]
    # Without a database group, the server named by wso2am_db_host counts as the first tier.
    model = topology(*minimal_inventory())
    conf = node_config(model, "cp1", "control_plane", node_settings())
    assert upstreams(model, "control_plane", conf) == []
    assert upstreams(model, "control_plane", conf, "db.example.com") == [
        {"host": "db.example.com", "port": 3306, "what": "database apim_db"}]


def test_an_unknown_component_is_refused():
    with pytest.raises(AnsibleFilterError, match="component must be one of"):
        upstreams({}, "database", {})
