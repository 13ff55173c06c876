# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.mermaid"""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.db_clients import db_clients
from ansible_collections.wso2am.distributed.plugins.filter.mermaid import FilterModule, mermaid
from ansible_collections.wso2am.distributed.plugins.filter.topology import topology

from ..wso2am_samples import INVENTORIES, db_settings, inventory, minimal_inventory

PREFIX = "wso2am.distributed.mermaid: "
NODE_RE = re.compile(r'^    ([A-Za-z0-9_]+)\["([^"]*)"\]$')
EDGE_RE = re.compile(r'^  ([A-Za-z0-9_]+) -->\|"([^"]*)"\| ([A-Za-z0-9_]+)$')


def parse(chart):
    nodes, edges = {}, []
    for line in chart.splitlines():
        match = NODE_RE.match(line)
        if match:
            nodes[match.group(1)] = match.group(2)
        match = EDGE_RE.match(line)
        if match:
            edges.append(match.groups())
    return nodes, edges


def test_filter_is_registered():
    assert FilterModule().filters() == {"mermaid": mermaid}


def test_minimal_chart():
    chart = mermaid(topology(*minimal_inventory()))
    assert chart == (
        "flowchart LR\n"
        '  subgraph group_control_plane["control_plane"]\n'
        '    cp1__control_plane["cp1<br/>control_plane<br/>cp1:9443"]\n'
        "  end\n"
        '  subgraph group_gateway["gateway"]\n'
        '    gw1__gateway["gw1<br/>gateway<br/>gw1:9443"]\n'
        "  end\n"
        '  subgraph group_traffic_manager["traffic_manager"]\n'
        '    tm1__traffic_manager["tm1<br/>traffic_manager<br/>tm1:9443"]\n'
        "  end\n"
        '  gw1__gateway -->|"key_manager :9443"| cp1__control_plane\n'
        '  gw1__gateway -->|"event_hub :5672"| cp1__control_plane\n'
        '  tm1__traffic_manager -->|"event_hub :5672"| cp1__control_plane\n'
        '  gw1__gateway -->|"throttling :9611"| tm1__traffic_manager\n'
        '  gw1__gateway -->|"throttle_decision :5672"| tm1__traffic_manager\n'
        '  cp1__control_plane -->|"gateway_environment :9443"| gw1__gateway\n'
    )


def test_every_node_and_link_is_drawn(any_inventory):
    _name, groups, hostvars = any_inventory
    topo = topology(groups, hostvars)
    chart = mermaid(topo)
    assert chart.startswith("flowchart LR\n")
    nodes, edges = parse(chart)
    assert len(nodes) == len(topo["nodes"])
    by_id = {}
    for node in topo["nodes"]:
        matches = [
            key for key, label in nodes.items()
            if label == f"{node['host']}<br/>{node['component']}<br/>{node['hostname']}:{node['ports']['https']}"
        ]
        assert len(matches) == 1
        by_id[node["id"]] = matches[0]
    expected = [
        (by_id[link["from"]], f"{link['kind']} :{link['port']}", by_id[link["to"]]) for link in topo["links"]
    ]
    assert edges == expected
    assert chart.count(" end\n") == sum(1 for component in ("control_plane", "gateway", "traffic_manager", "key_manager") if topo[component])


def test_ids_are_sanitized_and_unique():
    groups, hostvars = inventory(
        {"control_plane": ["cp-1.example.com"], "gateway": ["cp_1.example.com", "gw 1"], "traffic_manager": ["tm@1"]},
    )
    chart = mermaid(topology(groups, hostvars))
    nodes, edges = parse(chart)
    assert set(nodes) == {"cp_1_example_com__control_plane", "cp_1_example_com__gateway", "gw_1__gateway", "tm_1__traffic_manager"}
    for source, _label, target in edges:
        assert re.fullmatch(r"[A-Za-z0-9_]+", source) and re.fullmatch(r"[A-Za-z0-9_]+", target)


def test_colliding_sanitized_ids_get_a_suffix():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw-1", "gw.1"], "traffic_manager": ["tm1"]},
    )
    nodes, _edges = parse(mermaid(topology(groups, hostvars)))
    assert {"gw_1__gateway", "gw_1__gateway_2"} <= set(nodes)


def test_database_edges():
    topo = topology(*INVENTORIES["ha"]())
    clients = db_clients(topo, db_settings())
    chart = mermaid(topo, clients, "db.example.com", 3306)
    assert '  database[("db.example.com")]\n' in chart
    _nodes, edges = parse(chart)
    apim = {source for source, label, target in edges if label == "apim_db :3306" and target == "database"}
    shared = {source for source, label, target in edges if label == "shared_db :3306" and target == "database"}
    expected = {
        "cp1__control_plane", "cp2__control_plane", "tm1__traffic_manager", "tm2__traffic_manager", "km1__key_manager",
    }
    assert apim == expected
    assert shared == expected


def test_database_edges_without_port_or_host():
    topo = topology(*minimal_inventory())
    chart = mermaid(topo, {"apim_db": ["cp1"], "shared_db": []})
    assert '  database[("database")]\n' in chart
    assert '  cp1__control_plane -->|"apim_db"| database\n' in chart
    assert "shared_db" not in chart


def test_no_database_without_clients():
    assert "database" not in mermaid(topology(*minimal_inventory()), None, "db.example.com", 3306)


def test_quotes_in_labels_are_escaped():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]},
    )
    chart = mermaid(topology(groups, hostvars), {"apim_db": []}, 'db "main"')
    assert '  database[("db #quot;main#quot;")]\n' in chart


def test_not_a_topology():
    with pytest.raises(AnsibleFilterError) as err:
        mermaid({"links": []})
    assert str(err.value) == PREFIX + "expects the result of wso2am.distributed.topology as its topology argument"


def test_link_to_unknown_node():
    topo = topology(*minimal_inventory())
    topo["links"].append({"from": "x/gateway", "to": "cp1/control_plane", "kind": "event_hub", "port": 5672})
    with pytest.raises(AnsibleFilterError) as err:
        mermaid(topo)
    assert str(err.value) == PREFIX + "link x/gateway -> cp1/control_plane names a node that is not in the topology"


def test_bad_db_port():
    with pytest.raises(AnsibleFilterError) as err:
        mermaid(topology(*minimal_inventory()), {"apim_db": []}, "db", "port")
    assert str(err.value) == PREFIX + "db_port must be an integer, got 'port'"


def _many_gateways(default_count, other_count=0):
    gateways = [f"gw{i}" for i in range(default_count)] + [f"ogw{i}" for i in range(other_count)]
    hostvars = {f"ogw{i}": {"wso2am_gateway_environment": "Internal"} for i in range(other_count)}
    return inventory({"control_plane": ["cp1"], "traffic_manager": ["tm1"], "gateway": gateways}, hostvars)


def test_a_few_gateways_keep_one_box_each():
    nodes, _edges = parse(mermaid(topology(*_many_gateways(4))))
    assert sorted(n for n in nodes if n.startswith("gw")) == [f"gw{i}__gateway" for i in range(4)]


def test_the_gateways_of_a_crowded_environment_share_one_box_with_a_count():
    nodes, edges = parse(mermaid(topology(*_many_gateways(200, 3))))
    boxes = {node_id: label for node_id, label in nodes.items() if node_id.startswith("gateways__")}
    assert boxes == {"gateways__Default": "200 gateways<br/>environment Default<br/>gw0 ... gw199"}
    # The 3 gateways of the other environment are not crowded: a box each.
    assert sorted(n for n in nodes if n.startswith("ogw")) == [f"ogw{i}__gateway" for i in range(3)]
    # Each link of the crowded environment is drawn once, from its box.
    from_box = [edge for edge in edges if edge[0] == "gateways__Default"]
    assert len(from_box) == len(set(from_box)) == 4
    assert ("gateways__Default", "key_manager :9443", "cp1__control_plane") in from_box
    # Far below what Mermaid draws by default (maxEdges 500).
    assert len(edges) < 50


def test_links_into_a_crowded_environment_are_drawn_once():
    groups, hostvars = _many_gateways(10)
    topo = topology(groups, hostvars)
    _nodes, edges = parse(mermaid(topo, db_clients(topo, db_settings()), "db", 3306))
    into_box = [edge for edge in edges if edge[2] == "gateways__Default"]
    assert into_box == [("cp1__control_plane", "gateway_environment :9443", "gateways__Default")]
    assert ("cp1__control_plane", "apim_db :3306", "database") in edges
