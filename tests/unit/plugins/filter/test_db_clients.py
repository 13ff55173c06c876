# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.db_clients"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.db_clients import FilterModule, db_clients
from ansible_collections.wso2am.distributed.plugins.filter.topology import topology

from ..wso2am_samples import (
    colocated_inventory,
    db_settings,
    ha_inventory,
    inventory,
    minimal_inventory,
    with_database_group,
)

PREFIX = "wso2am.distributed.db_clients: "


def test_filter_is_registered():
    assert FilterModule().filters() == {"db_clients": db_clients}


def test_minimal():
    topo = topology(*minimal_inventory())
    assert db_clients(topo, db_settings()) == {"apim_db": ["cp1", "tm1"], "shared_db": ["cp1", "tm1"]}


def test_ha():
    topo = topology(*ha_inventory())
    assert db_clients(topo, db_settings()) == {
        "apim_db": ["10.0.0.11", "10.0.0.12", "10.0.2.11", "10.0.2.12", "10.0.3.11"],
        "shared_db": ["10.0.0.11", "10.0.0.12", "10.0.2.11", "10.0.2.12", "10.0.3.11"],
    }


def test_ha_gateways_join_shared_db_with_multi_tenancy():
    topo = topology(*ha_inventory())
    result = db_clients(topo, db_settings(multi_tenancy="true"))
    assert result["shared_db"] == [
        "10.0.0.11", "10.0.0.12", "10.0.1.11", "10.0.1.12", "10.0.2.11", "10.0.2.12", "10.0.3.11",
    ]
    assert "10.0.1.11" not in result["apim_db"]


def test_gateway_count_comes_from_the_topology():
    topo = topology(*ha_inventory())
    result = db_clients(topo, db_settings(google_analytics=True, gateway_count=1))
    assert "10.0.1.11" in result["shared_db"]
    topo = topology(*minimal_inventory())
    result = db_clients(topo, db_settings(google_analytics=True, gateway_count=9))
    assert "gw1" not in result["shared_db"]


def test_traffic_managers_without_apim_db():
    topo = topology(*ha_inventory())
    result = db_clients(topo, db_settings(tm_apim_db="no"))
    assert result["apim_db"] == ["10.0.0.11", "10.0.0.12", "10.0.3.11"]
    assert "10.0.2.11" in result["shared_db"]


def test_colocated_nodes_are_listed_once():
    topo = topology(*colocated_inventory())
    assert db_clients(topo, db_settings()) == {"apim_db": ["apim1.lan"], "shared_db": ["apim1.lan"]}


def test_db_client_address_and_facts():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]},
        {
            "cp1": {"ansible_host": "127.0.0.1", "ansible_default_ipv4": {"address": "172.20.0.3"}},
            "tm1": {"wso2am_db_client_address": "10.8.0.4"},
        },
    )
    topo = topology(groups, hostvars)
    assert db_clients(topo, db_settings()) == {
        "apim_db": ["10.8.0.4", "172.20.0.3"],
        "shared_db": ["10.8.0.4", "172.20.0.3"],
    }


def test_node_overrides_by_id_or_host():
    topo = topology(*ha_inventory())
    settings = db_settings(
        node_overrides={"tm1/traffic_manager": {"apim_db": False}, "gw2": {"shared_db": "true"}},
    )
    result = db_clients(topo, settings)
    assert "10.0.2.11" not in result["apim_db"]
    assert "10.0.2.12" in result["apim_db"]
    assert "10.0.1.12" in result["shared_db"]
    assert "10.0.1.11" not in result["shared_db"]


def test_node_specific_overrides_and_extra_are_ignored():
    topo = topology(*ha_inventory())
    settings = db_settings(overrides={"apim_db": True}, extra={"database": {"apim_db": {"url": "x"}}})
    assert db_clients(topo, settings) == db_clients(topo, db_settings())


def test_rules_raise_with_the_filter_name():
    topo = topology(*ha_inventory())
    with pytest.raises(AnsibleFilterError) as err:
        db_clients(topo, db_settings(node_overrides={"cp1": {"shared_db": False}}))
    assert str(err.value).startswith(PREFIX + "a control_plane node needs both apim_db and shared_db")
    with pytest.raises(AnsibleFilterError) as err:
        db_clients(topo, db_settings(db={"type": "sqlite"}))
    assert str(err.value) == PREFIX + "unknown database type 'sqlite' in wso2am_db_type; accepted: mysql, postgresql"


def test_not_a_topology():
    with pytest.raises(AnsibleFilterError) as err:
        db_clients({"nodes": []}, db_settings())
    assert str(err.value) == PREFIX + "expects the result of wso2am.distributed.topology as its topology argument"


def test_result_lists_are_sorted_and_unique():
    topo = topology(*ha_inventory())
    result = db_clients(topo, db_settings(multi_tenancy=True))
    for addresses in result.values():
        assert addresses == sorted(set(addresses))


def test_overrides_from_hostvars_and_precedence():
    groups, hostvars = ha_inventory()
    hostvars["tm1"]["wso2am_node_datasources"] = {"apim_db": "no"}
    hostvars["gw1"]["wso2am_node_datasources"] = {"shared_db": True}
    topo = topology(groups, hostvars)
    result = db_clients(topo, db_settings())
    assert "10.0.2.11" not in result["apim_db"]
    assert "10.0.1.11" in result["shared_db"]
    # settings.node_overrides names the node: it wins over the host variable.
    result = db_clients(topo, db_settings(node_overrides={"tm1/traffic_manager": {}}))
    assert "10.0.2.11" in result["apim_db"]


def without_db_host():
    settings = db_settings()
    settings["db"]["host"] = None
    return settings


@pytest.mark.parametrize(
    "db_hostvars", [{"ansible_host": "10.0.9.5"}, {"wso2am_hostname": "db.lan"}, {"ansible_host": "127.0.0.1"}]
)
def test_database_host_from_the_database_group(db_hostvars):
    # The clients are the same whether the server is named in the settings or in the inventory.
    topo = topology(*with_database_group(*ha_inventory(), **db_hostvars))
    assert db_clients(topo, without_db_host()) == db_clients(topo, db_settings())
    assert db_clients(topo, without_db_host())["apim_db"] == [
        "10.0.0.11", "10.0.0.12", "10.0.2.11", "10.0.2.12", "10.0.3.11",
    ]


def test_database_host_missing_without_database_group():
    topo = topology(*minimal_inventory())
    with pytest.raises(AnsibleFilterError) as err:
        db_clients(topo, without_db_host())
    assert str(err.value) == (
        PREFIX + "no database server for the real apim_db of the control_plane node: add its host to the "
        "inventory group 'database' (the collection then manages it), or set wso2am_db_host to an existing "
        "server"
    )


def test_database_group_host_is_no_client():
    topo = topology(*with_database_group(*minimal_inventory(), ansible_host="10.0.9.5"))
    result = db_clients(topo, without_db_host())
    assert result == {"apim_db": ["cp1", "tm1"], "shared_db": ["cp1", "tm1"]}


def test_mariadb_driver_is_refused():
    topo = topology(*minimal_inventory())
    settings = db_settings()
    settings["db"]["driver_class"] = "org.mariadb.jdbc.Driver"
    with pytest.raises(AnsibleFilterError) as err:
        db_clients(topo, settings)
    assert str(err.value).startswith(
        PREFIX + "wso2am_db_driver_class org.mariadb.jdbc.Driver cannot be used with wso2am_db_type mysql: "
    )
