# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.node_config"""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.node_config import FilterModule, node_config
from ansible_collections.wso2am.distributed.plugins.filter.topology import topology

from ..wso2am_samples import (
    colocated_inventory,
    ha_inventory,
    inventory,
    minimal_inventory,
    node_settings,
)

PREFIX = "wso2am.distributed.node_config: "
REFS = {"username": "$ref{super_admin.username}", "password": "$ref{super_admin.password}"}
H2_URL = "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"


@pytest.fixture(name="minimal")
def fixture_minimal():
    return topology(*minimal_inventory())


@pytest.fixture(name="ha")
def fixture_ha():
    return topology(*ha_inventory())


def test_filter_is_registered():
    assert FilterModule().filters() == {"node_config": node_config}


def common_expectations(conf, hostname, offset, role):
    assert conf["server"] == {"hostname": hostname, "offset": offset, "server_role": role}
    assert "node_ip" not in conf["server"]
    assert conf["super_admin"] == {"username": "admin", "password": "admin-secret", "create_admin_account": True}
    assert conf["user_store"] == {"type": "database_unique_id"}
    keystore = {
        "file_name": "wso2carbon.jks",
        "type": "JKS",
        "password": "ks-secret",
        "alias": "wso2carbon",
        "key_password": "key-secret",
    }
    assert conf["keystore"] == {"tls": keystore, "primary": keystore}
    assert conf["truststore"] == {"file_name": "client-truststore.jks", "type": "JKS", "password": "ts-secret"}


def test_minimal_gateway(minimal):
    conf = node_config(minimal, "gw1", "gateway", node_settings())
    common_expectations(conf, "gw1", 0, "gateway-worker")
    assert list(conf) == [
        "server", "super_admin", "user_store", "database", "keystore", "truststore", "apim",
    ]
    assert conf["database"] == {
        "shared_db": {"type": "h2", "url": H2_URL, "username": "wso2carbon", "password": "wso2carbon"}
    }
    assert conf["apim"] == {
        "key_manager": {"service_url": "https://cp1:9443/services/", **REFS},
        "throttling": {
            "throttle_decision_endpoints": ["tcp://tm1:5672"],
            "url_group": [
                {
                    "traffic_manager_urls": ["tcp://tm1:9611"],
                    "traffic_manager_auth_urls": ["ssl://tm1:9711"],
                    "type": "loadbalance",
                }
            ],
        },
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://cp1:9443/services/",
            "event_listening_endpoints": ["tcp://cp1:5672"],
        },
        "sync_runtime_artifacts": {"gateway": {"gateway_labels": ["Default"]}},
        "gateway_notification": {"gateway_id": "gw1"},
    }
    assert "transport" not in conf
    assert "event_listener" not in conf


def test_minimal_control_plane(minimal):
    conf = node_config(minimal, "cp1", "control_plane", node_settings())
    common_expectations(conf, "cp1", 0, "control-plane")
    assert set(conf["database"]) == {"apim_db", "shared_db"}
    assert conf["apim"] == {
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://cp1:9443/services/",
            "event_listening_endpoints": ["tcp://cp1:5672"],
            "publish": {"url_group": [{"urls": ["tcp://cp1:9611"], "auth_urls": ["ssl://cp1:9711"]}]},
        },
        "gateway": {
            "environment": [
                {
                    "name": "Default",
                    "type": "hybrid",
                    "display_in_api_console": True,
                    "description": "Gateway environment Default",
                    "show_as_token_endpoint_url": True,
                    "service_url": "https://gw1:9443/services/",
                    **REFS,
                    "ws_endpoint": "ws://gw1:9099",
                    "wss_endpoint": "wss://gw1:8099",
                    "http_endpoint": "http://gw1:8280",
                    "https_endpoint": "https://gw1:8243",
                }
            ]
        },
        "throttling": {
            "service_url": "https://tm1:9443/services/",
            "throttle_decision_endpoints": ["tcp://tm1:5672"],
            "url_group": [
                {
                    "traffic_manager_urls": ["tcp://tm1:9611"],
                    "traffic_manager_auth_urls": ["ssl://tm1:9711"],
                    "type": "loadbalance",
                }
            ],
        },
        "devportal": {"url": "https://cp1:9443/devportal"},
    }
    # The control plane is the key manager: it runs the token revocation listener itself.
    assert conf["event_listener"] == [
        {
            "id": "token_revocation",
            "type": "org.wso2.carbon.identity.core.handler.AbstractIdentityHandler",
            "name": "org.wso2.is.notification.ApimOauthEventInterceptor",
            "order": 1,
            "properties": {
                "notification_endpoint": "https://cp1:9443/internal/data/v1/notify",
                **REFS,
                "header.X-WSO2-KEY-MANAGER": "default",
            },
        }
    ]
    assert "cache_invalidation" not in conf["apim"]
    assert "event_duplicate_url" not in conf["apim"]["event_hub"]


def test_minimal_traffic_manager(minimal):
    conf = node_config(minimal, "tm1", "traffic_manager", node_settings())
    common_expectations(conf, "tm1", 0, "traffic-manager")
    assert set(conf["database"]) == {"apim_db", "shared_db"}
    assert conf["apim"] == {
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://cp1:9443/services/",
            "event_listening_endpoints": ["tcp://cp1:5672"],
        },
        "key_manager": {"service_url": "https://cp1:9443/services/", **REFS},
    }


def test_traffic_manager_without_apim_db(minimal):
    conf = node_config(minimal, "tm1", "traffic_manager", node_settings(tm_apim_db="false"))
    assert list(conf["database"]) == ["shared_db"]


def test_ha_control_plane(ha):
    conf = node_config(ha, "cp2", "control_plane", node_settings())
    # Behind a load balancer: public name, proxy ports, developer portal on 443.
    assert conf["server"]["hostname"] == "apim.example.com"
    assert conf["transport"] == {
        "https": {"properties": {"proxyPort": 443}},
        "http": {"properties": {"proxyPort": 80}},
    }
    assert conf["apim"]["devportal"] == {"url": "https://apim.example.com:443/devportal"}
    event_hub = conf["apim"]["event_hub"]
    assert event_hub["service_url"] == "https://10.0.0.12:9443/services/"
    assert event_hub["event_listening_endpoints"] == ["tcp://10.0.0.12:5672"]
    assert event_hub["event_duplicate_url"] == ["tcp://10.0.0.11:5672"]
    assert event_hub["publish"]["url_group"] == [
        {"urls": ["tcp://10.0.0.11:9611"], "auth_urls": ["ssl://10.0.0.11:9711"]},
        {"urls": ["tcp://10.0.0.12:9611"], "auth_urls": ["ssl://10.0.0.12:9711"]},
    ]
    assert conf["apim"]["cache_invalidation"] == {"enabled": True, "domain": "control-plane"}
    assert conf["apim"]["key_manager"] == {"service_url": "https://10.0.3.11:9443/services/", **REFS}
    assert "event_listener" not in conf
    throttling = conf["apim"]["throttling"]
    assert throttling["service_url"] == "https://10.0.2.11:9443/services/"
    assert throttling["throttle_decision_endpoints"] == ["tcp://10.0.2.11:5672", "tcp://10.0.2.12:5672"]
    assert [group["traffic_manager_urls"] for group in throttling["url_group"]] == [
        ["tcp://10.0.2.11:9611"],
        ["tcp://10.0.2.12:9611"],
    ]
    environment = conf["apim"]["gateway"]["environment"]
    assert len(environment) == 1
    assert environment[0]["service_url"] == "https://gw.example.com:443/services/"
    assert environment[0]["https_endpoint"] == "https://gw.example.com:443"
    assert environment[0]["http_endpoint"] == "http://gw.example.com:80"


def test_ha_gateway(ha):
    conf = node_config(ha, "gw2", "gateway", node_settings())
    assert conf["server"]["hostname"] == "gw.example.com"
    assert conf["transport"]["https"]["properties"]["proxyPort"] == 443
    assert conf["apim"]["key_manager"]["service_url"] == "https://10.0.3.11:9443/services/"
    assert conf["apim"]["event_hub"]["service_url"] == "https://apim.example.com:443/services/"
    assert conf["apim"]["event_hub"]["event_listening_endpoints"] == [
        "tcp://10.0.0.11:5672",
        "tcp://10.0.0.12:5672",
    ]
    assert conf["apim"]["throttling"]["throttle_decision_endpoints"] == [
        "tcp://10.0.2.11:5672",
        "tcp://10.0.2.12:5672",
    ]
    assert len(conf["apim"]["throttling"]["url_group"]) == 2
    assert conf["apim"]["gateway_notification"] == {"gateway_id": "gw2"}
    # Two gateways without multi-tenancy or analytics still keep H2.
    assert conf["database"]["shared_db"]["type"] == "h2"


def test_ha_gateway_with_analytics_uses_gateway_count_from_topology(ha):
    # settings say 1 gateway, the topology has 2: the topology wins.
    conf = node_config(ha, "gw1", "gateway", node_settings(google_analytics=True, gateway_count=1))
    assert conf["database"]["shared_db"]["type"] == "mysql"
    minimal = topology(*minimal_inventory())
    conf = node_config(minimal, "gw1", "gateway", node_settings(google_analytics=True, gateway_count=5))
    assert conf["database"]["shared_db"]["type"] == "h2"


def test_ha_traffic_manager(ha):
    conf = node_config(ha, "tm2", "traffic_manager", node_settings())
    assert conf["server"] == {"hostname": "10.0.2.12", "offset": 0, "server_role": "traffic-manager"}
    assert "transport" not in conf
    assert conf["apim"] == {
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://apim.example.com:443/services/",
            "event_listening_endpoints": ["tcp://10.0.0.11:5672", "tcp://10.0.0.12:5672"],
        },
        "key_manager": {"service_url": "https://10.0.3.11:9443/services/", **REFS},
        "throttling": {"event_duplicate_url": ["tcp://10.0.2.11:5672"]},
    }


def test_ha_key_manager(ha):
    conf = node_config(ha, "km1", "key_manager", node_settings())
    assert conf["server"] == {"hostname": "10.0.3.11", "offset": 0, "server_role": "default"}
    assert set(conf["database"]) == {"apim_db", "shared_db"}
    assert conf["apim"] == {
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://apim.example.com:443/services/",
            "event_listening_endpoints": ["tcp://10.0.0.11:5672", "tcp://10.0.0.12:5672"],
        }
    }
    assert conf["event_listener"][0]["properties"]["notification_endpoint"] == (
        "https://10.0.0.11:9443/internal/data/v1/notify"
    )
    assert conf["event_listener"][0]["id"] == "token_revocation"


def test_colocated_offsets_and_environments():
    topo = topology(*colocated_inventory())
    tm = node_config(topo, "apim1", "traffic_manager", node_settings())
    assert tm["server"] == {"hostname": "apim1.lan", "offset": 1, "server_role": "traffic-manager"}
    cp = node_config(topo, "apim1", "control_plane", node_settings())
    assert cp["server"]["offset"] == 0
    assert cp["apim"]["throttling"]["service_url"] == "https://apim1.lan:9444/services/"
    assert cp["apim"]["throttling"]["url_group"][0]["traffic_manager_urls"] == ["tcp://apim1.lan:9612"]
    assert [env["name"] for env in cp["apim"]["gateway"]["environment"]] == ["Production", "Sandbox"]
    assert cp["apim"]["gateway"]["environment"][1]["https_endpoint"] == "https://gw2:8245"
    gw3 = node_config(topo, "gw3", "gateway", node_settings())
    assert gw3["apim"]["sync_runtime_artifacts"]["gateway"]["gateway_labels"] == ["Production", "Internal"]
    assert gw3["apim"]["gateway_notification"]["gateway_id"] == "gw3-eu"
    gw2 = node_config(topo, "gw2", "gateway", node_settings())
    assert gw2["server"]["offset"] == 2
    assert gw2["apim"]["throttling"]["url_group"][0]["traffic_manager_auth_urls"] == ["ssl://apim1.lan:9712"]


def test_key_manager_url_override_reaches_every_node():
    groups, hostvars = minimal_inventory()
    hostvars["cp1"]["wso2am_key_manager_url"] = "https://iam.example.com/services/"
    topo = topology(groups, hostvars)
    for host, component in (("gw1", "gateway"), ("tm1", "traffic_manager")):
        conf = node_config(topo, host, component, node_settings())
        assert conf["apim"]["key_manager"]["service_url"] == "https://iam.example.com/services/"
    # Without a key_manager group the control plane still is its own key manager.
    assert "key_manager" not in node_config(topo, "cp1", "control_plane", node_settings())["apim"]


def test_extra_is_merged_last():
    topo = topology(*ha_inventory())
    extra = {
        "server": {"node_ip": "10.0.1.11", "offset": 7},
        "apim": {
            "throttling": {"throttle_decision_endpoints": ["tcp://other:5672"]},
            "sync_runtime_artifacts": {"gateway": {"gateway_labels": ["Only"]}},
            "analytics": {"enable": True},
        },
        "database": {"shared_db": {"pool_options": {"maxActive": 10}}},
        "transport": {"https": {"properties": {"proxyPort": 8443}}},
    }
    conf = node_config(topo, "gw1", "gateway", node_settings(extra=extra))
    assert conf["server"] == {
        "hostname": "gw.example.com", "offset": 7, "server_role": "gateway-worker", "node_ip": "10.0.1.11",
    }
    assert conf["apim"]["throttling"]["throttle_decision_endpoints"] == ["tcp://other:5672"]
    assert len(conf["apim"]["throttling"]["url_group"]) == 2
    assert conf["apim"]["sync_runtime_artifacts"]["gateway"]["gateway_labels"] == ["Only"]
    assert conf["apim"]["analytics"] == {"enable": True}
    assert conf["database"]["shared_db"]["pool_options"] == {"maxActive": 10}
    assert conf["database"]["shared_db"]["type"] == "h2"
    assert conf["transport"]["https"]["properties"]["proxyPort"] == 8443
    assert conf["transport"]["http"]["properties"]["proxyPort"] == 80
    assert extra["server"] == {"node_ip": "10.0.1.11", "offset": 7}


def test_extra_can_remove_a_key_with_none():
    topo = topology(*minimal_inventory())
    conf = node_config(topo, "cp1", "control_plane", node_settings(extra={"apim": {"devportal": None}}))
    assert conf["apim"]["devportal"] is None


def test_settings_are_not_modified():
    topo = topology(*ha_inventory())
    settings = node_settings(extra={"apim": {"x": {"y": 1}}})
    before = copy.deepcopy(settings)
    topo_before = copy.deepcopy(topo)
    node_config(topo, "cp1", "control_plane", settings)
    assert settings == before
    assert topo == topo_before


def test_server_roles_partial_override():
    topo = topology(*minimal_inventory())
    settings = node_settings(server_roles={"gateway": "default"})
    assert node_config(topo, "gw1", "gateway", settings)["server"]["server_role"] == "default"
    assert node_config(topo, "cp1", "control_plane", settings)["server"]["server_role"] == "control-plane"


def test_defaults_for_admin_keystore_and_truststore():
    topo = topology(*minimal_inventory())
    settings = node_settings()
    for key in ("admin_username", "server_roles", "keystore", "truststore", "version", "extra"):
        del settings[key]
    conf = node_config(topo, "gw1", "gateway", settings)
    assert conf["super_admin"]["username"] == "admin"
    assert conf["keystore"]["tls"] == {
        "file_name": "wso2carbon.jks",
        "type": "JKS",
        "password": "wso2carbon",
        "alias": "wso2carbon",
        "key_password": "wso2carbon",
    }
    assert conf["truststore"] == {"file_name": "client-truststore.jks", "type": "JKS", "password": "wso2carbon"}
    assert conf["server"]["server_role"] == "gateway-worker"


def test_partial_keystore_keeps_defaults():
    topo = topology(*minimal_inventory())
    conf = node_config(topo, "gw1", "gateway", node_settings(keystore={"file_name": "apim.p12", "type": "PKCS12"}))
    assert conf["keystore"]["primary"] == {
        "file_name": "apim.p12",
        "type": "PKCS12",
        "password": "wso2carbon",
        "alias": "wso2carbon",
        "key_password": "wso2carbon",
    }


@pytest.mark.parametrize("version", ["4.5.0", "4.6.0", "v4.7.0", "4.10", "5.0.0", None])
def test_supported_versions(version):
    topo = topology(*minimal_inventory())
    node_config(topo, "gw1", "gateway", node_settings(version=version))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("host", "component", "known"),
    [
        ("gw9", "gateway", "gw1, gw2"),
        ("gw1", "control_plane", "cp1, cp2"),
        ("cp1", "key_manager", "km1"),
    ],
)
def test_node_not_in_topology(ha, host, component, known):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(ha, host, component, node_settings())
    assert str(err.value) == (
        f"{PREFIX}host '{host}' is not a {component} node of this topology (rule: a node's "
        f"configuration is built only for a host of group '{component}'; {component} hosts: {known})"
    )


def test_node_not_in_topology_without_key_managers(minimal):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "cp1", "key_manager", node_settings())
    assert str(err.value).endswith("key_manager hosts: none)")


def test_unknown_component(minimal):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "cp1", "publisher", node_settings())
    assert str(err.value) == (
        PREFIX + "unknown component 'publisher'; expected one of control_plane, gateway, traffic_manager, key_manager"
    )


@pytest.mark.parametrize("bad", [None, {}, {"nodes": []}, "topology"])
def test_not_a_topology(bad):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(bad, "cp1", "control_plane", node_settings())
    assert str(err.value) == PREFIX + "expects the result of wso2am.distributed.topology as its topology argument"


@pytest.mark.parametrize("version", ["4.4.0", "4.2.0", "3.2.0"])
def test_unsupported_version(minimal, version):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(version=version))
    assert str(err.value) == (
        f"{PREFIX}version {version} is not supported (rule: this collection deploys the WSO2 API Manager "
        f"4.5+ component packs); use 4.5.0 or later"
    )


def test_unparsable_version(minimal):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(version="latest"))
    assert str(err.value) == PREFIX + "version must look like 4.5.0, got 'latest'"


@pytest.mark.parametrize("password", [None, ""])
def test_admin_password_required(minimal, password):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(admin_password=password))
    assert str(err.value) == (
        PREFIX + "admin_password must be set (rule: [super_admin] password is required on every node)"
    )


def test_datasource_rules_apply(minimal):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(extra={"database": {"apim_db": {"url": "x"}}}))
    assert str(err.value).startswith(PREFIX + "a gateway never connects to apim_db (WSO2AM_DB)")
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(overrides={"shared_db": False}))
    assert "shared_db must never be removed from a gateway" in str(err.value)
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "cp1", "control_plane", node_settings(overrides={"apim_db": "no"}))
    assert "a control_plane node needs both apim_db and shared_db" in str(err.value)


def test_key_manager_on_a_control_plane_host():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"], "key_manager": ["cp1"]},
        {"cp1": {"wso2am_key_manager_offset": 5}},
    )
    topo = topology(groups, hostvars)
    km = node_config(topo, "cp1", "key_manager", node_settings())
    assert km["server"]["offset"] == 5
    assert km["event_listener"][0]["properties"]["notification_endpoint"] == "https://cp1:9443/internal/data/v1/notify"
    cp = node_config(topo, "cp1", "control_plane", node_settings())
    assert cp["apim"]["key_manager"]["service_url"] == "https://cp1:9448/services/"
    assert "event_listener" not in cp


def test_public_hostname_only_for_control_plane_and_gateway():
    groups, hostvars = inventory(
        {"control_plane": ["apim1"], "gateway": ["gw1"], "traffic_manager": ["apim1"], "key_manager": ["km1"]},
        {
            "apim1": {"wso2am_public_hostname": "apim.example.com", "wso2am_traffic_manager_offset": 1},
            "km1": {"wso2am_public_hostname": "km.example.com"},
        },
    )
    topo = topology(groups, hostvars)
    # The host variable is kept on every node of the host ...
    assert topo["traffic_manager"][0]["public_hostname"] == "apim.example.com"
    # ... but a traffic manager or key manager does not take the load balancer's name.
    tm = node_config(topo, "apim1", "traffic_manager", node_settings())
    assert tm["server"]["hostname"] == "apim1"
    assert "transport" not in tm
    km = node_config(topo, "km1", "key_manager", node_settings())
    assert km["server"]["hostname"] == "km1"
    assert "transport" not in km
    assert topo["key_manager_url"] == "https://km1:9443/services/"
    cp = node_config(topo, "apim1", "control_plane", node_settings())
    assert cp["server"]["hostname"] == "apim.example.com"
    assert cp["apim"]["throttling"]["service_url"] == "https://apim1:9444/services/"


def test_datasource_overrides_from_topology_when_settings_have_none():
    groups, hostvars = minimal_inventory()
    hostvars["tm1"]["wso2am_node_datasources"] = {"apim_db": False}
    topo = topology(groups, hostvars)
    settings = node_settings()
    del settings["overrides"]
    assert list(node_config(topo, "tm1", "traffic_manager", settings)["database"]) == ["shared_db"]
    # Overrides given in the settings win.
    settings["overrides"] = {}
    assert list(node_config(topo, "tm1", "traffic_manager", settings)["database"]) == ["apim_db", "shared_db"]
