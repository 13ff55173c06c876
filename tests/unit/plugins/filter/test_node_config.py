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
    ENCRYPTION_KEY,
    VERSIONS,
    colocated_inventory,
    ha_inventory,
    inventory,
    minimal_inventory,
    node_settings,
    version_settings,
    with_database_group,
)

PREFIX = "wso2am.distributed.node_config: "
H2_URL = "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"
MYSQL_OPTIONS = "useSSL=false&amp;allowPublicKeyRetrieval=true"

# What the wso2/product-apim packs ship (tags v4.5.0, v4.6.0, v4.7.0): the ACP, gateway and
# traffic manager deployment.toml files and the ACP's deployment-templates/key-manager.toml.
# Credentials of the super admin inside other sections are WSO2 placeholders.
REFS = {"username": "${admin.username}", "password": "${admin.password}"}
BASE_PATH = "${carbon.protocol}://${carbon.host}:${carbon.management.port}"
CORS = {
    "allow_origins": "*",
    "allow_methods": ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"],
    "allow_headers": [
        "authorization", "Access-Control-Allow-Origin", "Content-Type", "SOAPAction", "apikey", "Internal-Key",
    ],
    "allow_credentials": False,
}
USER_SELF_REGISTRATION = [{"name": "userPostSelfRegistration", "subscriptions": ["POST_ADD_USER"]}]
SERVICE_PROVIDER = {"sp_name_regex": "^[\\sa-zA-Z0-9._-]*$"}
JWT_TOKEN_TYPE = {
    "extensions": {
        "token_types": [
            {"name": "JWT", "issuer": "org.wso2.is.key.manager.tokenpersistence.issuer.ExtendedJWTTokenIssuer"}
        ]
    }
}
GATEWAY_CACHE = {
    "gateway_token": {"enable": True, "expiry_time": 15},
    "resource": {"enable": True},
    "jwt_claim": {"enable": True, "expiry_time": 900},
}
GATEWAY_OAUTH_CONFIG = {"remove_outbound_auth_header": True, "auth_header": "Authorization"}
# Per version: [apim] gateway_type and [database.local] url of the ACP, [apim.analytics] of the gateway.
GATEWAY_TYPES = {
    "4.5.0": "Regular,APK,AWS",
    "4.6.0": "Regular,APK,AWS,Azure,Kong,Envoy",
    "4.7.0": "Regular,APK,AWS,Azure,Kong,Envoy,APIPlatform",
}
LOCAL_DB_URLS = {
    "4.5.0": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE",
    "4.6.0": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE",
    "4.7.0": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;DB_CLOSE_DELAY=-1",
}
GATEWAY_ANALYTICS = {
    "4.5.0": {"enable": False, "config_endpoint": "https://localhost:8080/auth/v1", "auth_token": ""},
    "4.6.0": {"enable": False, "type": "moesif"},
    "4.7.0": {"enable": False, "type": "moesif"},
}


def token_revocation(notification_endpoint):
    return [
        {
            "id": "token_revocation",
            "type": "org.wso2.carbon.identity.core.handler.AbstractIdentityHandler",
            "name": "org.wso2.is.notification.ApimOauthEventInterceptor",
            "order": 1,
            "properties": {
                "notification_endpoint": notification_endpoint,
                **REFS,
                "header.X-WSO2-KEY-MANAGER": "default",
            },
        }
    ]


@pytest.fixture(name="minimal")
def fixture_minimal():
    return topology(*minimal_inventory())


@pytest.fixture(name="ha")
def fixture_ha():
    return topology(*ha_inventory())


def test_filter_is_registered():
    assert FilterModule().filters() == {"node_config": node_config}


def common_expectations(conf, hostname, offset, component):
    server = {"hostname": hostname, "offset": offset, "server_role": "default"}
    if component == "control_plane":
        server["base_path"] = BASE_PATH
    assert conf["server"] == server
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
    # 4.5 has no [encryption] key.
    assert "encryption" not in conf


def test_minimal_gateway(minimal):
    conf = node_config(minimal, "gw1", "gateway", node_settings())
    common_expectations(conf, "gw1", 0, "gateway")
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
        # 4.5: no [apim.gateway_notification] (documented from 4.6).
        "analytics": GATEWAY_ANALYTICS["4.5.0"],
        "cache": GATEWAY_CACHE,
        "oauth_config": GATEWAY_OAUTH_CONFIG,
        "cors": CORS,
    }
    assert "transport" not in conf
    assert "event_listener" not in conf


def test_minimal_control_plane(minimal):
    conf = node_config(minimal, "cp1", "control_plane", node_settings())
    common_expectations(conf, "cp1", 0, "control_plane")
    assert set(conf) == {
        "server", "super_admin", "user_store", "database", "keystore", "truststore", "apim",
        "event_handler", "service_provider", "event_listener",
    }
    assert conf["database"]["apim_db"]["url"] == f"jdbc:mysql://db.example.com:3306/apim_db?{MYSQL_OPTIONS}"
    assert conf["database"]["shared_db"]["url"] == f"jdbc:mysql://db.example.com:3306/shared_db?{MYSQL_OPTIONS}"
    assert conf["database"]["local"] == {"url": LOCAL_DB_URLS["4.5.0"]}
    assert conf["apim"] == {
        "gateway_type": "Regular,APK,AWS",
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
                    "gateway_type": "Regular",
                    "provider": "wso2",
                    "display_in_api_console": True,
                    "description": "Gateway environment Default",
                    "show_as_token_endpoint_url": True,
                    "service_url": "https://gw1:9443/services/",
                    **REFS,
                    "ws_endpoint": "ws://gw1:9099",
                    "wss_endpoint": "wss://gw1:8099",
                    "http_endpoint": "http://gw1:8280",
                    "https_endpoint": "https://gw1:8243",
                    "websub_event_receiver_http_endpoint": "http://gw1:9021",
                    "websub_event_receiver_https_endpoint": "https://gw1:8021",
                }
            ]
        },
        # No [apim.throttling] (the 4.5-4.7 ACP pack has none) and no [apim.key_manager]
        # (no separated key manager).
        "devportal": {"url": "https://cp1:9443/devportal"},
        "cors": CORS,
    }
    assert conf["event_handler"] == USER_SELF_REGISTRATION
    assert conf["service_provider"] == SERVICE_PROVIDER
    assert conf["event_listener"] == token_revocation("https://cp1:9443/internal/data/v1/notify")
    # The JWT token type is a 4.7 key.
    assert "oauth" not in conf


def test_minimal_traffic_manager(minimal):
    conf = node_config(minimal, "tm1", "traffic_manager", node_settings())
    common_expectations(conf, "tm1", 0, "traffic_manager")
    assert set(conf["database"]) == {"apim_db", "shared_db"}
    # The traffic manager pack has no [apim.key_manager].
    assert conf["apim"] == {
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://cp1:9443/services/",
            "event_listening_endpoints": ["tcp://cp1:5672"],
        },
    }
    assert "event_listener" not in conf
    assert "event_handler" not in conf


def test_traffic_manager_without_apim_db(minimal):
    conf = node_config(minimal, "tm1", "traffic_manager", node_settings(tm_apim_db="false"))
    assert list(conf["database"]) == ["shared_db"]


def test_ha_control_plane(ha):
    conf = node_config(ha, "cp2", "control_plane", node_settings())
    # Behind a load balancer: public name, proxy ports, developer portal on 443.
    assert conf["server"] == {
        "hostname": "apim.example.com", "offset": 0, "server_role": "default", "base_path": BASE_PATH,
    }
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
    # A separated key manager: the control plane points at it ...
    assert conf["apim"]["key_manager"] == {"service_url": "https://10.0.3.11:9443/services/", **REFS}
    # ... and keeps its own token revocation listener, on its own address.
    assert conf["event_listener"] == token_revocation("https://10.0.0.12:9443/internal/data/v1/notify")
    assert "throttling" not in conf["apim"]
    environment = conf["apim"]["gateway"]["environment"]
    assert len(environment) == 1
    assert environment[0]["service_url"] == "https://gw.example.com:443/services/"
    assert environment[0]["https_endpoint"] == "https://gw.example.com:443"
    assert environment[0]["http_endpoint"] == "http://gw.example.com:80"
    assert environment[0]["websub_event_receiver_http_endpoint"] == "http://gw.example.com:9021"
    assert environment[0]["websub_event_receiver_https_endpoint"] == "https://gw.example.com:8021"


def test_ha_gateway(ha):
    conf = node_config(ha, "gw2", "gateway", node_settings())
    assert conf["server"] == {"hostname": "gw.example.com", "offset": 0, "server_role": "default"}
    assert conf["transport"]["https"]["properties"]["proxyPort"] == 443
    assert conf["apim"]["key_manager"] == {"service_url": "https://10.0.3.11:9443/services/", **REFS}
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
    # 4.5 (node_settings' version) has no gateway id.
    assert "gateway_notification" not in conf["apim"]
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
    assert conf["server"] == {"hostname": "10.0.2.12", "offset": 0, "server_role": "default"}
    assert "transport" not in conf
    assert conf["apim"] == {
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://apim.example.com:443/services/",
            "event_listening_endpoints": ["tcp://10.0.0.11:5672", "tcp://10.0.0.12:5672"],
        },
        "throttling": {"event_duplicate_url": ["tcp://10.0.2.11:5672"]},
    }


def test_ha_key_manager(ha):
    conf = node_config(ha, "km1", "key_manager", node_settings())
    assert conf["server"] == {"hostname": "10.0.3.11", "offset": 0, "server_role": "default"}
    assert "transport" not in conf
    assert set(conf["database"]) == {"apim_db", "shared_db"}
    assert conf["apim"] == {
        "event_hub": {
            "enable": True,
            **REFS,
            "service_url": "https://apim.example.com:443/services/",
            "event_listening_endpoints": ["tcp://10.0.0.11:5672", "tcp://10.0.0.12:5672"],
        }
    }
    assert conf["event_handler"] == USER_SELF_REGISTRATION
    # The first control plane is behind the load balancer apim.example.com: notify it there.
    assert conf["event_listener"] == token_revocation("https://apim.example.com:443/internal/data/v1/notify")
    assert "oauth" not in conf


def test_colocated_offsets_and_environments():
    topo = topology(*colocated_inventory())
    settings = node_settings(version="4.6.0")
    tm = node_config(topo, "apim1", "traffic_manager", settings)
    assert tm["server"] == {"hostname": "apim1.lan", "offset": 1, "server_role": "default"}
    cp = node_config(topo, "apim1", "control_plane", settings)
    assert cp["server"]["offset"] == 0
    assert "throttling" not in cp["apim"]
    assert [env["name"] for env in cp["apim"]["gateway"]["environment"]] == ["Production", "Sandbox"]
    sandbox = cp["apim"]["gateway"]["environment"][1]
    assert sandbox["https_endpoint"] == "https://gw2:8245"
    assert sandbox["websub_event_receiver_http_endpoint"] == "http://gw2:9023"
    assert sandbox["websub_event_receiver_https_endpoint"] == "https://gw2:8023"
    gw3 = node_config(topo, "gw3", "gateway", settings)
    assert gw3["apim"]["sync_runtime_artifacts"]["gateway"]["gateway_labels"] == ["Production", "Internal"]
    assert gw3["apim"]["gateway_notification"] == {"gateway_id": "gw3-eu"}
    gw2 = node_config(topo, "gw2", "gateway", settings)
    assert gw2["server"]["offset"] == 2
    assert gw2["apim"]["gateway_notification"] == {"gateway_id": "gw2"}
    # The gateways reach the traffic manager on its offset ports.
    assert gw2["apim"]["throttling"]["throttle_decision_endpoints"] == ["tcp://apim1.lan:5673"]
    assert gw2["apim"]["throttling"]["url_group"] == [
        {
            "traffic_manager_urls": ["tcp://apim1.lan:9612"],
            "traffic_manager_auth_urls": ["ssl://apim1.lan:9712"],
            "type": "loadbalance",
        }
    ]


def test_key_manager_url_override_reaches_the_gateways():
    groups, hostvars = minimal_inventory()
    hostvars["cp1"]["wso2am_key_manager_url"] = "https://iam.example.com/services/"
    topo = topology(groups, hostvars)
    conf = node_config(topo, "gw1", "gateway", node_settings())
    assert conf["apim"]["key_manager"]["service_url"] == "https://iam.example.com/services/"
    # A traffic manager has no key manager at all.
    assert "key_manager" not in node_config(topo, "tm1", "traffic_manager", node_settings())["apim"]
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
        "hostname": "gw.example.com", "offset": 7, "server_role": "default", "node_ip": "10.0.1.11",
    }
    assert conf["apim"]["throttling"]["throttle_decision_endpoints"] == ["tcp://other:5672"]
    assert len(conf["apim"]["throttling"]["url_group"]) == 2
    assert conf["apim"]["sync_runtime_artifacts"]["gateway"]["gateway_labels"] == ["Only"]
    # Merged into the 4.5 gateway's [apim.analytics].
    assert conf["apim"]["analytics"] == {
        "enable": True, "config_endpoint": "https://localhost:8080/auth/v1", "auth_token": "",
    }
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


def test_settings_are_not_modified_when_the_database_host_comes_from_the_inventory():
    topo = topology(*with_database_group(*ha_inventory(), ansible_host="10.0.9.5"))
    settings = settings_without_db_host()
    before = copy.deepcopy(settings)
    node_config(topo, "cp1", "control_plane", settings)
    assert settings == before


def test_server_role_is_default_for_every_component(ha):
    settings = node_settings()
    del settings["server_roles"]
    for node in ha["nodes"]:
        conf = node_config(ha, node["host"], node["component"], settings)
        assert conf["server"]["server_role"] == "default", node["id"]


@pytest.mark.parametrize(
    "server_roles",
    [
        {"gateway": "default"},
        {"gateway": " default "},
        {"gateway": None, "control_plane": "", "traffic_manager": "  "},
        {},
        None,
    ],
)
def test_server_roles_default_or_blank_are_accepted(minimal, server_roles):
    settings = node_settings(server_roles=server_roles)
    for host, component in (("gw1", "gateway"), ("cp1", "control_plane"), ("tm1", "traffic_manager")):
        assert node_config(minimal, host, component, settings)["server"]["server_role"] == "default"


@pytest.mark.parametrize(
    ("host", "component", "role"),
    [
        # What helm-apim writes and older versions of this collection used.
        ("gw1", "gateway", "gateway-worker"),
        ("tm1", "traffic_manager", "traffic-manager"),
        ("cp1", "control_plane", "control-plane"),
        ("km1", "key_manager", "api-key-manager"),
        ("gw1", "gateway", "Default"),
    ],
)
def test_server_roles_other_than_default_are_refused(ha, host, component, role):
    settings = node_settings(server_roles={component: role})
    with pytest.raises(AnsibleFilterError) as err:
        node_config(ha, host, component, settings)
    assert str(err.value) == (
        f"{PREFIX}wso2am_server_roles.{component}: server_role '{role}' for {component} is not known to "
        f"the pack (rule: the 4.5-4.7 component packs' infer.json maps only default, so any other value "
        f"drops the pack's role settings); set wso2am_server_roles.{component} to 'default' or remove it"
    )


def test_server_roles_must_be_a_dictionary(minimal):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(server_roles=["default"]))
    assert str(err.value) == PREFIX + "wso2am_server_roles must be a dictionary, got a list"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"extra": ["server"]}, "wso2am_deployment_toml_extra must be a dictionary, got a list"),
        ({"keystore": "wso2carbon.jks"}, "settings.keystore (the wso2am_keystore_* variables) must be a dictionary, got a string"),
        ({"truststore": 5}, "settings.truststore (the wso2am_truststore_* variables) must be a dictionary, got a number"),
        ({"admin_username": ["admin"]}, "wso2am_admin_username must be a string, got a list"),
    ],
)
def test_bad_setting_types_name_the_variable(minimal, changes, message):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(**changes))
    assert str(err.value) == PREFIX + message


def test_settings_must_be_a_dictionary(minimal):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", ["settings"])
    assert str(err.value) == PREFIX + "the settings argument must be a dictionary, got a list"


def test_defaults_for_admin_keystore_and_truststore():
    topo = topology(*minimal_inventory())
    settings = node_settings()
    for key in ("admin_username", "server_roles", "keystore", "truststore", "extra"):
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
    assert conf["server"]["server_role"] == "default"


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


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize("version", ["4.5.0", "4.6.0", "4.7.0", "4.5.12", "4.6.1", "4.7.3"])
def test_supported_versions(minimal, version):
    settings = node_settings(version=version, encryption_key=ENCRYPTION_KEY)
    for host, component in (("gw1", "gateway"), ("cp1", "control_plane"), ("tm1", "traffic_manager")):
        node_config(minimal, host, component, settings)


@pytest.mark.parametrize(
    "version",
    ["v4.7.0", "4.10", "4.10.0", "5.0.0", "4.4.0", "4.2.0", "3.2.0", "4.8.0", "4.5", "4.7.0-rc1", "latest", 4.5],
)
def test_unsupported_version(minimal, version):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(version=version, encryption_key=ENCRYPTION_KEY))
    assert str(err.value) == (
        f"{PREFIX}wso2am_version {version} is not supported (rule: this collection deploys the WSO2 API "
        f"Manager 4.5.x, 4.6.x and 4.7.x component packs, written like 4.7.0); set wso2am_version to one "
        f"of them"
    )


@pytest.mark.parametrize(("version", "shown"), [(["4.7.0"], "a list"), ({"v": "4.7.0"}, "a dictionary"), (True, "the boolean true")])
def test_version_of_another_kind(minimal, version, shown):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(version=version))
    assert str(err.value) == (
        f"{PREFIX}wso2am_version {shown} is not supported (rule: this collection deploys the WSO2 API "
        f"Manager 4.5.x, 4.6.x and 4.7.x component packs, written like 4.7.0); set wso2am_version to one "
        f"of them"
    )


@pytest.mark.parametrize("version", [None, "", "  ", "absent"])
def test_version_is_required(minimal, version):
    settings = node_settings(version=version)
    if version == "absent":
        del settings["version"]
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", settings)
    assert str(err.value) == (
        PREFIX + "wso2am_version must be set (rule: the facts of the deployment.toml differ per API-M "
        "version); set wso2am_version to the version to deploy, written like 4.7.0"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_node_per_version(version):
    """Every node of the HA inventory carries the keys the pack of its version ships."""
    topo = topology(*ha_inventory())
    settings = version_settings(version)
    confs = {node["id"]: node_config(topo, node["host"], node["component"], settings) for node in topo["nodes"]}
    is_47 = version == "4.7.0"
    for node_id, conf in confs.items():
        assert conf["server"]["server_role"] == "default", node_id
        # [encryption] key: 4.7 only, the same on every node.
        if is_47:
            assert conf["encryption"] == {"key": ENCRYPTION_KEY}, node_id
        else:
            assert "encryption" not in conf, node_id

    for cp in ("cp1/control_plane", "cp2/control_plane"):
        conf = confs[cp]
        assert conf["server"]["base_path"] == BASE_PATH
        assert conf["apim"]["gateway_type"] == GATEWAY_TYPES[version]
        assert conf["database"]["local"] == {"url": LOCAL_DB_URLS[version]}
        assert "throttling" not in conf["apim"]
        assert conf["apim"]["key_manager"] == {"service_url": "https://10.0.3.11:9443/services/", **REFS}
        assert conf["apim"]["cors"] == CORS
        assert conf["event_handler"] == USER_SELF_REGISTRATION
        assert conf["service_provider"] == SERVICE_PROVIDER
        own = "10.0.0.11" if cp.startswith("cp1") else "10.0.0.12"
        assert conf["event_listener"] == token_revocation(f"https://{own}:9443/internal/data/v1/notify")
        environment = conf["apim"]["gateway"]["environment"][0]
        assert (environment["gateway_type"], environment["provider"]) == ("Regular", "wso2")
        assert (environment["username"], environment["password"]) == ("${admin.username}", "${admin.password}")
        if is_47:
            assert conf["oauth"] == JWT_TOKEN_TYPE
        else:
            assert "oauth" not in conf

    for gw in ("gw1", "gw2"):
        conf = confs[f"{gw}/gateway"]
        if version == "4.5.0":
            assert "gateway_notification" not in conf["apim"]
        else:
            assert conf["apim"]["gateway_notification"] == {"gateway_id": gw}
        assert conf["apim"]["analytics"] == GATEWAY_ANALYTICS[version]
        assert conf["apim"]["cache"] == GATEWAY_CACHE
        assert conf["apim"]["oauth_config"] == GATEWAY_OAUTH_CONFIG
        assert conf["apim"]["cors"] == CORS
        assert conf["apim"]["key_manager"] == {"service_url": "https://10.0.3.11:9443/services/", **REFS}
        assert "oauth" not in conf
        assert "event_listener" not in conf

    for tm, peer in (("tm1", "10.0.2.12"), ("tm2", "10.0.2.11")):
        conf = confs[f"{tm}/traffic_manager"]
        assert set(conf["apim"]) == {"event_hub", "throttling"}
        assert conf["apim"]["throttling"] == {"event_duplicate_url": [f"tcp://{peer}:5672"]}
        assert (conf["apim"]["event_hub"]["username"], conf["apim"]["event_hub"]["password"]) == (
            "${admin.username}", "${admin.password}",
        )
        assert "oauth" not in conf
        assert "event_listener" not in conf

    km = confs["km1/key_manager"]
    assert set(km["apim"]) == {"event_hub"}
    assert km["event_handler"] == USER_SELF_REGISTRATION
    assert km["event_listener"] == token_revocation("https://apim.example.com:443/internal/data/v1/notify")
    if is_47:
        assert km["oauth"] == JWT_TOKEN_TYPE
    else:
        assert "oauth" not in km


# ---------------------------------------------------------------- [encryption] key (4.7)


def test_encryption_key_is_trimmed_and_keeps_its_case(minimal):
    conf = node_config(minimal, "gw1", "gateway", version_settings("4.7.0", encryption_key=f"  {ENCRYPTION_KEY}\n"))
    assert conf["encryption"] == {"key": ENCRYPTION_KEY}


@pytest.mark.parametrize("version", ["4.5.0", "4.6.0"])
@pytest.mark.parametrize("key", [ENCRYPTION_KEY, "not-a-key"])
def test_encryption_key_is_not_written_before_4_7(minimal, version, key):
    for host, component in (("gw1", "gateway"), ("cp1", "control_plane"), ("tm1", "traffic_manager")):
        conf = node_config(minimal, host, component, node_settings(version=version, encryption_key=key))
        assert "encryption" not in conf


@pytest.mark.parametrize("key", [None, "", "   ", "absent"])
@pytest.mark.parametrize(("host", "component"), [("gw1", "gateway"), ("cp1", "control_plane"), ("tm1", "traffic_manager")])
def test_encryption_key_is_required_for_4_7(minimal, host, component, key):
    settings = node_settings(version="4.7.0", encryption_key=key)
    if key == "absent":
        del settings["encryption_key"]
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, host, component, settings)
    assert str(err.value) == (
        PREFIX + "wso2am_encryption_key must be set for API-M 4.7.0 (rule: from 4.7 every node encrypts "
        "internal data with the same symmetric key, set before the first start and never changed); "
        "generate one with: openssl rand -hex 32 and keep it in Ansible Vault"
    )


@pytest.mark.parametrize(
    ("key", "length"),
    [
        ("not-a-key", 9),
        (ENCRYPTION_KEY[:-1] + "g", 64),
        ("0x" + ENCRYPTION_KEY[2:], 64),
        (ENCRYPTION_KEY[:32] + " " + ENCRYPTION_KEY[33:], 64),
    ],
)
def test_encryption_key_must_be_64_hexadecimal_characters(minimal, key, length):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "cp1", "control_plane", node_settings(version="4.7.1", encryption_key=key))
    assert str(err.value) == (
        f"{PREFIX}wso2am_encryption_key must be 64 hexadecimal characters (a 256-bit AES key), got "
        f"{length} characters that are not all hexadecimal; generate one with: openssl rand -hex 32"
    )


@pytest.mark.parametrize(("key", "kind"), [(int("1" * 64), "a number"), (["00" * 32], "a list"), (True, "a boolean")])
def test_encryption_key_must_be_a_string(minimal, key, kind):
    # 64 unquoted decimal digits are a number in YAML.
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "cp1", "control_plane", node_settings(version="4.7.0", encryption_key=key))
    assert str(err.value) == (
        f"{PREFIX}wso2am_encryption_key must be a string of 64 hexadecimal characters, got {kind}; quote "
        f"it in YAML; generate one with: openssl rand -hex 32"
    )


@pytest.mark.parametrize("key", [ENCRYPTION_KEY[:-1], ENCRYPTION_KEY + "0", ENCRYPTION_KEY[:32]])
def test_encryption_key_of_the_wrong_length_is_not_called_non_hexadecimal(minimal, key):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "cp1", "control_plane", node_settings(version="4.7.0", encryption_key=key))
    message = str(err.value)
    assert message.startswith(PREFIX + "wso2am_encryption_key must be 64 hexadecimal characters")
    assert f"{len(key)} characters" in message
    assert "not all hexadecimal" not in message


# ---------------------------------------------------------------- database host


def settings_without_db_host(host=None):
    settings = node_settings()
    settings["db"]["host"] = host
    return settings


@pytest.mark.parametrize(
    ("db_hostvars", "address"),
    [
        ({"ansible_host": "10.0.9.5"}, "10.0.9.5"),
        ({"ansible_host": "10.0.9.5", "wso2am_hostname": "db.lan"}, "db.lan"),
        # Reached through an SSH port forward on loopback: the inventory name is its address.
        ({"ansible_host": "127.0.0.1", "ansible_port": 2205}, "db1"),
        ({}, "db1"),
    ],
)
def test_database_host_from_the_database_group(db_hostvars, address):
    topo = topology(*with_database_group(*ha_inventory(), **db_hostvars))
    settings = settings_without_db_host()
    for host, component in (("cp1", "control_plane"), ("tm1", "traffic_manager"), ("km1", "key_manager")):
        database = node_config(topo, host, component, settings)["database"]
        assert database["apim_db"]["url"] == f"jdbc:mysql://{address}:3306/apim_db?{MYSQL_OPTIONS}"
        assert database["shared_db"]["url"] == f"jdbc:mysql://{address}:3306/shared_db?{MYSQL_OPTIONS}"
    gateway = node_config(topo, "gw1", "gateway", node_settings(multi_tenancy=True, db=settings["db"]))
    assert gateway["database"]["shared_db"]["url"] == f"jdbc:mysql://{address}:3306/shared_db?{MYSQL_OPTIONS}"


def test_database_host_is_the_first_of_the_database_group():
    groups, hostvars = ha_inventory()
    groups["database"] = ["db2", "db1"]
    hostvars.update({"db1": {"ansible_host": "10.0.9.1"}, "db2": {"ansible_host": "10.0.9.2"}})
    settings = settings_without_db_host(host="")
    conf = node_config(topology(groups, hostvars), "cp1", "control_plane", settings)
    assert conf["database"]["apim_db"]["url"].startswith("jdbc:mysql://10.0.9.2:3306/apim_db?")


def test_explicit_database_host_wins_over_the_database_group():
    topo = topology(*with_database_group(*ha_inventory(), ansible_host="10.0.9.5"))
    conf = node_config(topo, "cp1", "control_plane", node_settings())
    assert conf["database"]["apim_db"]["url"] == f"jdbc:mysql://db.example.com:3306/apim_db?{MYSQL_OPTIONS}"


def test_database_host_missing_without_database_group(minimal):
    settings = settings_without_db_host()
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "cp1", "control_plane", settings)
    assert str(err.value) == (
        PREFIX + "no database server for the real apim_db of the control_plane node: add its host to the "
        "inventory group 'database' (the collection then manages it), or set wso2am_db_host to an existing "
        "server"
    )
    # A gateway on H2 needs no database server.
    assert node_config(minimal, "gw1", "gateway", settings)["database"]["shared_db"]["type"] == "h2"


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


@pytest.mark.parametrize("password", [None, ""])
def test_admin_password_required(minimal, password):
    with pytest.raises(AnsibleFilterError) as err:
        node_config(minimal, "gw1", "gateway", node_settings(admin_password=password))
    assert str(err.value) == (
        PREFIX + "wso2am_admin_password must be set (rule: [super_admin] password is required on every "
        "node); set it, kept in Ansible Vault (docs/secrets.md)"
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
    with pytest.raises(AnsibleFilterError) as err:
        settings = node_settings()
        settings["db"]["driver_class"] = "org.mariadb.jdbc.Driver"
        node_config(minimal, "cp1", "control_plane", settings)
    assert str(err.value).startswith(
        PREFIX + "wso2am_db_driver_class org.mariadb.jdbc.Driver cannot be used with wso2am_db_type mysql"
    )


def test_key_manager_on_a_control_plane_host():
    groups, hostvars = inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"], "key_manager": ["cp1"]},
        {"cp1": {"wso2am_key_manager_offset": 5}},
    )
    topo = topology(groups, hostvars)
    km = node_config(topo, "cp1", "key_manager", node_settings())
    assert km["server"]["offset"] == 5
    # The first control plane has no public hostname: its own address and https port.
    assert km["event_listener"] == token_revocation("https://cp1:9443/internal/data/v1/notify")
    cp = node_config(topo, "cp1", "control_plane", node_settings())
    assert cp["apim"]["key_manager"]["service_url"] == "https://cp1:9448/services/"
    assert cp["event_listener"] == token_revocation("https://cp1:9443/internal/data/v1/notify")


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
    # The key manager notifies the control plane through its load balancer ...
    assert km["event_listener"][0]["properties"]["notification_endpoint"] == (
        "https://apim.example.com:443/internal/data/v1/notify"
    )
    cp = node_config(topo, "apim1", "control_plane", node_settings())
    assert cp["server"]["hostname"] == "apim.example.com"
    # ... while the control plane's own listener uses its own address.
    assert cp["event_listener"][0]["properties"]["notification_endpoint"] == (
        "https://apim1:9443/internal/data/v1/notify"
    )


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
