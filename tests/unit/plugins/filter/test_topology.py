# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.topology"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.topology import FilterModule, topology

from ..wso2am_samples import (
    FakeHostVars,
    colocated_inventory,
    ha_inventory,
    inventory,
    minimal_inventory,
    ssh_lab_inventory,
    with_database_group,
)

PREFIX = "wso2am.distributed.topology: "


def links_of(topo, kind=None):
    return {
        (link["from"], link["to"], link["kind"], link["port"])
        for link in topo["links"]
        if kind is None or link["kind"] == kind
    }


def test_filter_is_registered():
    assert FilterModule().filters() == {"topology": topology}


def test_minimal_inventory():
    topo = topology(*minimal_inventory())
    assert list(topo) == [
        "nodes", "control_plane", "gateway", "traffic_manager", "key_manager",
        "environments", "key_manager_url", "event_hub_url", "links", "database", "load_balancer",
    ]
    assert topo["load_balancer"] == []
    assert [node["id"] for node in topo["nodes"]] == [
        "cp1/control_plane", "gw1/gateway", "tm1/traffic_manager",
    ]
    assert topo["key_manager"] == []
    assert topo["control_plane"][0] == {
        "id": "cp1/control_plane",
        "host": "cp1",
        "component": "control_plane",
        "hostname": "cp1",
        "offset": 0,
        "ports": {"https": 9443, "http": 9763, "jms": 5672, "binary": 9611, "binary_ssl": 9711},
        "public_hostname": None,
        "db_client_address": "cp1",
        "datasource_overrides": {},
    }
    assert topo["gateway"][0] == {
        "id": "gw1/gateway",
        "host": "gw1",
        "component": "gateway",
        "hostname": "gw1",
        "offset": 0,
        "ports": {
            "https": 9443, "http": 9763, "jms": 5672, "binary": 9611, "binary_ssl": 9711,
            "passthrough_https": 8243, "passthrough_http": 8280, "ws": 9099, "wss": 8099,
            "websub_http": 9021, "websub_https": 8021,
        },
        "environment": "Default",
        "labels": ["Default"],
        "gateway_id": "gw1",
        "public_hostname": None,
        "db_client_address": "gw1",
        "datasource_overrides": {},
    }
    assert topo["environments"] == [
        {
            "name": "Default",
            "gateways": ["gw1"],
            "type": "hybrid",
            "display_in_api_console": True,
            "service_url": "https://gw1:9443/services/",
            "http_endpoint": "http://gw1:8280",
            "https_endpoint": "https://gw1:8243",
            "ws_endpoint": "ws://gw1:9099",
            "wss_endpoint": "wss://gw1:8099",
            "websub_http_endpoint": "http://gw1:9021",
            "websub_https_endpoint": "https://gw1:8021",
        }
    ]
    assert topo["key_manager_url"] == "https://cp1:9443/services/"
    assert topo["event_hub_url"] == "https://cp1:9443/services/"
    # The traffic manager has no key manager, and the control plane no [apim.throttling]:
    # only the gateway talks to the traffic manager.
    assert links_of(topo) == {
        ("gw1/gateway", "cp1/control_plane", "key_manager", 9443),
        ("gw1/gateway", "cp1/control_plane", "event_hub", 5672),
        ("tm1/traffic_manager", "cp1/control_plane", "event_hub", 5672),
        ("gw1/gateway", "tm1/traffic_manager", "throttling", 9611),
        ("gw1/gateway", "tm1/traffic_manager", "throttle_decision", 5672),
        ("cp1/control_plane", "gw1/gateway", "gateway_environment", 9443),
    }
    assert len(topo["links"]) == 6
    assert topo["database"] == []


def test_ha_inventory_nodes_and_urls():
    topo = topology(*ha_inventory())
    assert [n["host"] for n in topo["control_plane"]] == ["cp1", "cp2"]
    assert [n["host"] for n in topo["gateway"]] == ["gw1", "gw2"]
    assert [n["host"] for n in topo["traffic_manager"]] == ["tm1", "tm2"]
    assert [n["host"] for n in topo["key_manager"]] == ["km1"]
    assert [n["hostname"] for n in topo["nodes"]] == [
        "10.0.0.11", "10.0.0.12", "10.0.1.11", "10.0.1.12", "10.0.2.11", "10.0.2.12", "10.0.3.11",
    ]
    assert topo["control_plane"][0]["public_hostname"] == "apim.example.com"
    assert topo["traffic_manager"][0]["public_hostname"] is None
    # A separated key manager serves the keys; the event hub is behind the control plane's load balancer.
    assert topo["key_manager_url"] == "https://10.0.3.11:9443/services/"
    assert topo["event_hub_url"] == "https://apim.example.com:443/services/"
    assert topo["environments"] == [
        {
            "name": "Default",
            "gateways": ["gw1", "gw2"],
            "type": "hybrid",
            "display_in_api_console": True,
            "service_url": "https://gw.example.com:443/services/",
            "http_endpoint": "http://gw.example.com:80",
            "https_endpoint": "https://gw.example.com:443",
            "ws_endpoint": "ws://gw.example.com:9099",
            "wss_endpoint": "wss://gw.example.com:8099",
            "websub_http_endpoint": "http://gw.example.com:9021",
            "websub_https_endpoint": "https://gw.example.com:8021",
        }
    ]


def test_ha_inventory_links():
    topo = topology(*ha_inventory())
    cps = ["cp1/control_plane", "cp2/control_plane"]
    gws = ["gw1/gateway", "gw2/gateway"]
    tms = ["tm1/traffic_manager", "tm2/traffic_manager"]
    km = "km1/key_manager"
    # With a separated key manager, gateways and control planes use it; traffic managers do not.
    assert links_of(topo, "key_manager") == {(src, km, "key_manager", 9443) for src in gws + cps}
    assert links_of(topo, "event_hub") == {
        (src, cp, "event_hub", 5672) for src in gws + tms + [km] for cp in cps
    }
    # Only gateways publish throttling events and listen to throttle decisions.
    assert links_of(topo, "throttling") == {
        (src, tm, "throttling", 9611) for src in gws for tm in tms
    }
    assert links_of(topo, "throttle_decision") == {
        (src, tm, "throttle_decision", 5672) for src in gws for tm in tms
    }
    assert links_of(topo, "gateway_environment") == {
        (cp, "gw1/gateway", "gateway_environment", 9443) for cp in cps
    }
    assert links_of(topo, "event_duplicate") == {
        ("cp1/control_plane", "cp2/control_plane", "event_duplicate", 5672),
        ("cp2/control_plane", "cp1/control_plane", "event_duplicate", 5672),
        ("tm1/traffic_manager", "tm2/traffic_manager", "event_duplicate", 5672),
        ("tm2/traffic_manager", "tm1/traffic_manager", "event_duplicate", 5672),
    }
    assert links_of(topo, "notification") == {(km, "cp1/control_plane", "notification", 9443)}
    assert len(topo["links"]) == len(links_of(topo)) == 4 + 10 + 4 + 4 + 2 + 4 + 1
    assert {link["kind"] for link in topo["links"]} == {
        "key_manager", "event_hub", "throttling", "throttle_decision",
        "gateway_environment", "event_duplicate", "notification",
    }


def test_no_links_without_separated_key_manager_to_it():
    topo = topology(*minimal_inventory())
    assert not links_of(topo, "notification")
    assert not links_of(topo, "event_duplicate")


def test_without_key_manager_only_gateways_use_the_control_plane_as_key_manager():
    groups, hostvars = ha_inventory()
    del groups["key_manager"]
    topo = topology(groups, hostvars)
    assert links_of(topo, "key_manager") == {
        (gw, cp, "key_manager", 9443)
        for gw in ("gw1/gateway", "gw2/gateway")
        for cp in ("cp1/control_plane", "cp2/control_plane")
    }


@pytest.mark.parametrize(
    ("db_hostvars", "hostname"),
    [
        ({}, "db1"),
        ({"ansible_host": "10.0.9.5"}, "10.0.9.5"),
        ({"ansible_host": "10.0.9.5", "wso2am_hostname": "db.lan"}, "db.lan"),
        # A loopback ansible_host (an SSH port forward) says nothing about the server's name.
        ({"ansible_host": "127.0.0.1", "ansible_port": 2205}, "db1"),
        ({"ansible_host": "localhost"}, "db1"),
    ],
)
def test_database_group(db_hostvars, hostname):
    groups, hostvars = with_database_group(*minimal_inventory(), **db_hostvars)
    topo = topology(groups, hostvars)
    assert topo["database"] == [{"host": "db1", "hostname": hostname}]
    # The database host is no API-M node and has no links.
    assert "db1" not in {node["host"] for node in topo["nodes"]}
    assert not [link for link in topo["links"] if "db1" in (link["from"] + link["to"])]


def test_database_group_keeps_inventory_order_without_duplicates():
    groups, hostvars = minimal_inventory()
    groups["database"] = ["db2", "db1", "db2"]
    hostvars.update({"db1": {"ansible_host": "10.0.9.1"}, "db2": {}})
    assert topology(groups, hostvars)["database"] == [
        {"host": "db2", "hostname": "db2"},
        {"host": "db1", "hostname": "10.0.9.1"},
    ]


def test_colocated_nodes_with_distinct_offsets():
    topo = topology(*colocated_inventory())
    cp, tm = topo["control_plane"][0], topo["traffic_manager"][0]
    assert (cp["host"], cp["offset"], cp["ports"]["https"], cp["ports"]["jms"]) == ("apim1", 0, 9443, 5672)
    assert (tm["host"], tm["offset"], tm["ports"]["https"], tm["ports"]["jms"]) == ("apim1", 1, 9444, 5673)
    assert cp["hostname"] == tm["hostname"] == "apim1.lan"
    assert [n["id"] for n in topo["nodes"]] == [
        "apim1/control_plane", "gw1/gateway", "gw2/gateway", "gw3/gateway", "apim1/traffic_manager",
    ]
    # The gateways reach the traffic manager on its offset ports; the control plane does not.
    assert links_of(topo, "throttling") == {
        (gw, "apim1/traffic_manager", "throttling", 9612) for gw in ("gw1/gateway", "gw2/gateway", "gw3/gateway")
    }
    assert links_of(topo, "throttle_decision") == {
        (gw, "apim1/traffic_manager", "throttle_decision", 5673)
        for gw in ("gw1/gateway", "gw2/gateway", "gw3/gateway")
    }


def test_colocated_environments_first_seen_order_and_first_gateway():
    topo = topology(*colocated_inventory())
    assert [(env["name"], env["gateways"]) for env in topo["environments"]] == [
        ("Production", ["gw1", "gw3"]),
        ("Sandbox", ["gw2"]),
    ]
    sandbox = topo["environments"][1]
    # gw2 runs with offset "2" (a string, as AWX sends it).
    assert sandbox["service_url"] == "https://gw2:9445/services/"
    assert sandbox["https_endpoint"] == "https://gw2:8245"
    assert sandbox["http_endpoint"] == "http://gw2:8282"
    assert sandbox["ws_endpoint"] == "ws://gw2:9101"
    assert sandbox["wss_endpoint"] == "wss://gw2:8101"
    assert sandbox["websub_http_endpoint"] == "http://gw2:9023"
    assert sandbox["websub_https_endpoint"] == "https://gw2:8023"
    assert links_of(topo, "gateway_environment") == {
        ("apim1/control_plane", "gw1/gateway", "gateway_environment", 9443),
        ("apim1/control_plane", "gw2/gateway", "gateway_environment", 9445),
    }
    gw3 = topo["gateway"][2]
    assert gw3["labels"] == ["Production", "Internal"]
    assert gw3["gateway_id"] == "gw3-eu"
    assert topo["gateway"][1]["labels"] == ["Sandbox"]


def test_public_hostname_keeps_gateway_websocket_ports():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1", "gw2"], "traffic_manager": ["tm1"]},
        {
            "gw1": {"wso2am_public_hostname": "api.example.com", "wso2am_gateway_offset": 10},
            "gw2": {"wso2am_public_hostname": "ignored.example.com"},
        },
    )
    env = topology(groups, hostvars)["environments"][0]
    assert env == {
        "name": "Default",
        "gateways": ["gw1", "gw2"],
        "type": "hybrid",
        "display_in_api_console": True,
        "service_url": "https://api.example.com:443/services/",
        "http_endpoint": "http://api.example.com:80",
        "https_endpoint": "https://api.example.com:443",
        "ws_endpoint": "ws://api.example.com:9109",
        "wss_endpoint": "wss://api.example.com:8109",
        "websub_http_endpoint": "http://api.example.com:9031",
        "websub_https_endpoint": "https://api.example.com:8031",
    }


def test_ssh_lab_loopback_falls_back_to_inventory_hostname_and_string_offsets():
    topo = topology(*ssh_lab_inventory())
    by_host = {node["host"]: node for node in topo["nodes"]}
    assert {host: node["hostname"] for host, node in by_host.items()} == {
        "cp1": "cp1", "gw1": "gw1", "tm1": "tm1",
    }
    assert by_host["gw1"]["offset"] == 3
    assert by_host["gw1"]["ports"]["passthrough_https"] == 8246
    assert by_host["tm1"]["offset"] == 2
    assert by_host["tm1"]["ports"]["binary"] == 9613
    assert isinstance(by_host["tm1"]["offset"], int)


@pytest.mark.parametrize(
    ("hostvars", "expected"),
    [
        ({}, "node1"),
        ({"ansible_host": "10.1.1.1"}, "10.1.1.1"),
        ({"ansible_host": "127.0.0.1"}, "node1"),
        ({"ansible_host": "127.0.1.1"}, "node1"),
        ({"ansible_host": "::1"}, "node1"),
        ({"ansible_host": "localhost"}, "node1"),
        ({"ansible_host": "node1.example.com"}, "node1.example.com"),
        ({"ansible_host": "127.0.0.1", "wso2am_hostname": "apim.lan"}, "apim.lan"),
        ({"ansible_host": "10.1.1.1", "wso2am_hostname": "apim.lan"}, "apim.lan"),
        ({"ansible_host": "10.1.1.1", "wso2am_hostname": ""}, "10.1.1.1"),
        ({"wso2am_hostname": "localhost"}, "localhost"),
    ],
)
def test_hostname_order(hostvars, expected):
    groups, hvars = inventory(
        {"control_plane": ["node1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]}, {"node1": hostvars}
    )
    assert topology(groups, hvars)["control_plane"][0]["hostname"] == expected


@pytest.mark.parametrize(
    ("hostvars", "expected"),
    [
        ({}, "node1"),
        ({"ansible_host": "10.1.1.1"}, "10.1.1.1"),
        ({"ansible_host": "127.0.0.1", "ansible_default_ipv4": {"address": "172.18.0.5"}}, "172.18.0.5"),
        ({"ansible_facts": {"default_ipv4": {"address": "172.18.0.6"}}}, "172.18.0.6"),
        ({"ansible_default_ipv4": {}}, "node1"),
        (
            {"wso2am_db_client_address": "10.9.9.9", "ansible_default_ipv4": {"address": "172.18.0.5"}},
            "10.9.9.9",
        ),
    ],
)
def test_db_client_address_order(hostvars, expected):
    groups, hvars = inventory(
        {"control_plane": ["node1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]}, {"node1": hostvars}
    )
    assert topology(groups, hvars)["control_plane"][0]["db_client_address"] == expected


def test_hostvars_as_a_mapping_and_missing_hosts():
    groups, hostvars = ha_inventory()
    topo = topology(groups, FakeHostVars(hostvars))
    assert topo == topology(groups, hostvars)
    # A host without hostvars entry still gets all defaults.
    del hostvars["tm2"]
    assert topology(groups, hostvars)["traffic_manager"][1]["hostname"] == "tm2"


def test_key_manager_url_override_from_key_manager_or_first_control_plane():
    groups, hostvars = ha_inventory()
    hostvars["km1"]["wso2am_key_manager_url"] = "https://km.example.com/services/"
    assert topology(groups, hostvars)["key_manager_url"] == "https://km.example.com/services/"

    groups, hostvars = minimal_inventory()
    hostvars["cp1"]["wso2am_key_manager_url"] = "https://iam.example.com/services/"
    assert topology(groups, hostvars)["key_manager_url"] == "https://iam.example.com/services/"


def test_key_manager_url_from_control_plane_public_hostname():
    groups, hostvars = minimal_inventory()
    hostvars["cp1"]["wso2am_public_hostname"] = "apim.example.com"
    topo = topology(groups, hostvars)
    assert topo["key_manager_url"] == "https://apim.example.com:443/services/"
    assert topo["event_hub_url"] == "https://apim.example.com:443/services/"


def test_key_manager_url_with_key_manager_offset():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"], "key_manager": ["cp1"]},
        {"cp1": {"wso2am_key_manager_offset": 5}},
    )
    topo = topology(groups, hostvars)
    assert topo["key_manager_url"] == "https://cp1:9448/services/"
    assert links_of(topo, "notification") == {("cp1/key_manager", "cp1/control_plane", "notification", 9443)}
    assert ("cp1/control_plane", "cp1/key_manager", "key_manager", 9448) in links_of(topo)


def test_event_hub_url_override():
    groups, hostvars = ha_inventory()
    hostvars["cp2"]["wso2am_event_hub_url"] = "https://hub.example.com/services/"
    assert topology(groups, hostvars)["event_hub_url"] == "https://hub.example.com/services/"


def test_ipv6_hostnames_are_bracketed_in_urls():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]},
        {"cp1": {"ansible_host": "fd00::11"}, "gw1": {"ansible_host": "fd00::12"}},
    )
    topo = topology(groups, hostvars)
    assert topo["control_plane"][0]["hostname"] == "fd00::11"
    assert topo["key_manager_url"] == "https://[fd00::11]:9443/services/"
    assert topo["environments"][0]["https_endpoint"] == "https://[fd00::12]:8243"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [(None, ["Default"]), (["a", "b"], ["a", "b"]), ("a, b", ["a", "b"]), ("solo", ["solo"])],
)
def test_gateway_labels(labels, expected):
    groups, hostvars = minimal_inventory()
    if labels is not None:
        hostvars["gw1"]["wso2am_gateway_labels"] = labels
    assert topology(groups, hostvars)["gateway"][0]["labels"] == expected


@pytest.mark.parametrize("labels", [[], "", " , "])
def test_gateway_labels_empty(labels):
    groups, hostvars = minimal_inventory()
    hostvars["gw1"]["wso2am_gateway_labels"] = labels
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == (
        PREFIX + "wso2am_gateway_labels on host 'gw1' is empty; a gateway needs at least one label "
        "to receive APIs (leave it unset to use its environment name 'Default')"
    )


@pytest.mark.parametrize(("labels", "message"), [
    ({"a": 1}, "must be a list of strings or a comma-separated string, got a dictionary"),
    (7, "must be a list of strings or a comma-separated string, got 7"),
    ([["a"]], "must be a string, got a list"),
])
def test_gateway_labels_wrong_type(labels, message):
    groups, hostvars = minimal_inventory()
    hostvars["gw1"]["wso2am_gateway_labels"] = labels
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == PREFIX + "wso2am_gateway_labels on host 'gw1' " + message


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("missing", ["control_plane", "gateway", "traffic_manager"])
@pytest.mark.parametrize("how", ["absent", "empty", "none"])
def test_required_groups(missing, how):
    groups, hostvars = minimal_inventory()
    if how == "absent":
        del groups[missing]
    else:
        groups[missing] = [] if how == "empty" else None
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == (
        f"{PREFIX}the inventory group '{missing}' is missing or empty, or all its hosts are wso2am_state: "
        f"absent (rule: a distributed deployment needs at least one host in each of the groups "
        f"control_plane, gateway, traffic_manager); "
        f"add a host to group '{missing}'"
    )


def test_key_manager_group_is_optional():
    groups, hostvars = minimal_inventory()
    groups["key_manager"] = []
    assert topology(groups, hostvars)["key_manager"] == []


def test_same_host_same_offset():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1", "cp1"], "traffic_manager": ["tm1"]}
    )
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    message = str(err.value)
    assert message.startswith(
        PREFIX + "host 'cp1' is in groups control_plane and gateway with port offsets 0 and 0, "
        "so ports 5672, 9443, 9611, 9711, 9763 collide (rule: two nodes on one host need different "
        "port offsets); set wso2am_gateway_offset on host 'cp1' (for example to 1)"
    )


def test_same_host_string_offsets_equal():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1", "cp1"]},
        {"cp1": {"wso2am_control_plane_offset": "2", "wso2am_traffic_manager_offset": 2}},
    )
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert "set wso2am_traffic_manager_offset on host 'cp1' (for example to 1)" in str(err.value)
    assert "with port offsets 2 and 2" in str(err.value)


def test_same_host_distinct_offsets_that_still_collide():
    # 9611 + 100 == 9711: the binary port of one node is the binary SSL port of the other.
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["cp1"]},
        {"cp1": {"wso2am_traffic_manager_offset": 100}},
    )
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == (
        PREFIX + "host 'cp1' is in groups control_plane and traffic_manager with port offsets 0 and 100, "
        "so ports 9711 collide (rule: two nodes on one host need different port offsets); "
        "set wso2am_traffic_manager_offset on host 'cp1' (for example to 1)"
    )


def test_three_nodes_on_one_host_suggests_a_free_offset():
    groups, hostvars = inventory(
        {"control_plane": ["box"], "gateway": ["box"], "traffic_manager": ["box"]},
        {"box": {"wso2am_gateway_offset": 1}},
    )
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert "host 'box' is in groups control_plane and traffic_manager" in str(err.value)
    assert "set wso2am_traffic_manager_offset on host 'box' (for example to 2)" in str(err.value)


def test_all_in_one_host_with_distinct_offsets():
    groups, hostvars = inventory(
        {"control_plane": ["box"], "gateway": ["box"], "traffic_manager": ["box"], "key_manager": ["box"]},
        {"box": {"wso2am_gateway_offset": 1, "wso2am_traffic_manager_offset": 2, "wso2am_key_manager_offset": 3}},
    )
    topo = topology(groups, hostvars)
    assert [node["offset"] for node in topo["nodes"]] == [0, 1, 2, 3]


def test_two_inventory_hosts_same_address():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]},
        {"cp1": {"ansible_host": "10.0.0.5"}, "tm1": {"ansible_host": "10.0.0.5"}},
    )
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == (
        PREFIX + "hosts 'cp1' (control_plane, offset 0) and 'tm1' (traffic_manager, offset 0) both "
        "resolve to '10.0.0.5', so ports 5672, 9443, 9611, 9711, 9763 collide (rule: two nodes on "
        "one host need different port offsets); set wso2am_traffic_manager_offset on host 'tm1' "
        "(for example to 1), or give the hosts distinct wso2am_hostname values"
    )


def test_ssh_lab_hosts_sharing_loopback_do_not_collide():
    # All reach 127.0.0.1 but run in separate containers named after the inventory host.
    topo = topology(*ssh_lab_inventory())
    assert len(topo["nodes"]) == 3


@pytest.mark.parametrize(
    ("offset", "shown"),
    [("two", "'two'"), ("1.5", "'1.5'"), (1.5, "1.5"), (True, "the boolean true"), ([1], "a list"), ({"a": 1}, "a dictionary")],
)
def test_offset_not_an_integer(offset, shown):
    groups, hostvars = minimal_inventory()
    hostvars["tm1"]["wso2am_traffic_manager_offset"] = offset
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == (
        PREFIX + f"wso2am_traffic_manager_offset on host 'tm1' must be an integer, got {shown}"
    )


def test_offset_negative():
    groups, hostvars = minimal_inventory()
    hostvars["gw1"]["wso2am_gateway_offset"] = "-1"
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == (
        PREFIX + "wso2am_gateway_offset on host 'gw1' must not be negative, got -1 "
        "(rule: a port offset is 0 or more)"
    )


def test_offset_moves_port_above_65535():
    groups, hostvars = minimal_inventory()
    hostvars["cp1"]["wso2am_control_plane_offset"] = 60000
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == (
        PREFIX + "wso2am_control_plane_offset=60000 on host 'cp1' moves the https port to 69443, "
        "above 65535 (rule: every port plus the offset must stay within 1-65535); lower "
        "wso2am_control_plane_offset on host 'cp1'"
    )


def test_highest_valid_offset():
    groups, hostvars = minimal_inventory()
    hostvars["cp1"]["wso2am_control_plane_offset"] = 65535 - 9763
    assert topology(groups, hostvars)["control_plane"][0]["ports"]["http"] == 65535


def test_groups_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError) as err:
        topology(["cp1"], {})
    assert str(err.value) == PREFIX + "expects the 'groups' mapping of the inventory as input, got a list"


def test_duplicate_hosts_in_a_group_are_one_node():
    groups, hostvars = minimal_inventory()
    groups["gateway"] = ["gw1", "gw1"]
    assert [n["host"] for n in topology(groups, hostvars)["gateway"]] == ["gw1"]


def test_deterministic():
    assert topology(*ha_inventory()) == topology(*ha_inventory())


def test_datasource_overrides_from_hostvars():
    groups, hostvars = minimal_inventory()
    hostvars["tm1"]["wso2am_node_datasources"] = {"apim_db": "false"}
    topo = topology(groups, hostvars)
    assert topo["traffic_manager"][0]["datasource_overrides"] == {"apim_db": "false"}
    assert topo["control_plane"][0]["datasource_overrides"] == {}


def test_datasource_overrides_must_be_a_dictionary():
    groups, hostvars = minimal_inventory()
    hostvars["tm1"]["wso2am_node_datasources"] = ["apim_db"]
    with pytest.raises(AnsibleFilterError) as err:
        topology(groups, hostvars)
    assert str(err.value) == PREFIX + "wso2am_node_datasources on host 'tm1' must be a dictionary, got a list"
