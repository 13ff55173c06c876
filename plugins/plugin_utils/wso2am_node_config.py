# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""A node's whole deployment.toml as data: :func:`build_node_config`.

What each version ships comes from wso2am_facts (traced in docs/fidelity.md); the wiring
between the nodes from the topology; the datasources from wso2am_datasources.
"""

from __future__ import annotations

import re

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import (
    ADMIN_PASSWORD_REF,
    ADMIN_USERNAME_REF,
    CACHE_INVALIDATION_DOMAIN,
    COMPONENTS,
    CORS,
    DEFAULT_KEYSTORE,
    DEFAULT_TRUSTSTORE,
    ENCRYPTION_KEY_HOWTO,
    ENCRYPTION_KEY_RE,
    GATEWAY_CACHES,
    GATEWAY_OAUTH_CONFIG,
    JWT_TOKEN_ISSUER,
    KNOWN_SERVER_ROLES,
    SERVER_BASE_PATH,
    SERVER_ROLE,
    SP_NAME_REGEX,
    TOKEN_REVOCATION_NAME,
    TOKEN_REVOCATION_TYPE,
    USER_SELF_REGISTRATION_HANDLER,
    version_facts,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    deep_merge,
    _mapping,
    _plain_copy,
    _services_url,
    shown,
    _text,
    type_name,
    _url,
    variable,
    Wso2amModelError,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_topology import (
    _find_node,
    _public_hostname,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_datasources import (
    build_datasources,
    with_database_host,
)


# server_role per component: what the packs ship, unless settings.server_roles says otherwise.
DEFAULT_SERVER_ROLES = {component: SERVER_ROLE for component in COMPONENTS}


def _version_text(version):
    """A version as a message shows it: 4.7 for the YAML number 4.7, else its kind."""
    if isinstance(version, (str, int, float)) and not isinstance(version, bool):
        return str(version).strip()
    return shown(version)


def _check_version(version):
    """The facts of a supported ``version``; refuses anything else."""
    name = variable("version")
    if version is None or not str(version).strip():
        raise Wso2amModelError(
            f"{name} must be set (rule: the facts of the deployment.toml differ per API-M "
            f"version); set {name} to the version to deploy, written like 4.7.0"
        )
    facts = version_facts(version)
    if facts is None:
        raise Wso2amModelError(
            f"{name} {_version_text(version)} is not supported (rule: this collection deploys the WSO2 API Manager 4.5.x, 4.6.x "
            f"and 4.7.x component packs, written like 4.7.0); set {name} to one of them"
        )
    return facts


def _encryption_key(settings, facts, version):
    key = settings.get("encryption_key")
    key = "" if key is None else key
    name = variable("encryption_key")
    if not facts["encryption_key"]:
        return None
    if not isinstance(key, str):
        raise Wso2amModelError(
            f"{name} must be a string of 64 hexadecimal characters, got {type_name(key)}; quote "
            f"it in YAML; {ENCRYPTION_KEY_HOWTO}"
        )
    if not key.strip():
        raise Wso2amModelError(
            f"{name} must be set for API-M {version} (rule: from 4.7 every node "
            f"encrypts internal data with the same symmetric key, set before the first start and "
            f"never changed); {ENCRYPTION_KEY_HOWTO} and keep it in Ansible Vault"
        )
    if not ENCRYPTION_KEY_RE.match(key.strip()):
        length = len(key.strip())
        what = (
            f"{length} characters" if re.fullmatch(r"[0-9a-fA-F]+", key.strip())
            else f"{length} characters that are not all hexadecimal"
        )
        raise Wso2amModelError(
            f"{name} must be 64 hexadecimal characters (a 256-bit AES key), got "
            f"{what}; {ENCRYPTION_KEY_HOWTO}"
        )
    return key.strip()


def _store(value, defaults, what):
    value = _mapping(value, what)
    store = dict(defaults)
    for key, item in value.items():
        if item is not None:
            store[key] = item
    return store


def _tcp(node, port):
    return _url("tcp", node["hostname"], node["ports"][port])


def _ssl(node, port):
    return _url("ssl", node["hostname"], node["ports"][port])


def _url_groups(tms):
    return [
        {
            "traffic_manager_urls": [_tcp(tm, "binary")],
            "traffic_manager_auth_urls": [_ssl(tm, "binary_ssl")],
            "type": "loadbalance",
        }
        for tm in tms
    ]


def _event_hub(service_url, cps):
    return {
        "enable": True,
        "username": ADMIN_USERNAME_REF,
        "password": ADMIN_PASSWORD_REF,
        "service_url": service_url,
        "event_listening_endpoints": [_tcp(cp, "jms") for cp in cps],
    }


def _key_manager(url):
    return {"service_url": url, "username": ADMIN_USERNAME_REF, "password": ADMIN_PASSWORD_REF}


def _notify_url(node):
    """The token revocation endpoint of a control plane: its public name when it has one."""
    public = _public_hostname(node)
    if public:
        return _url("https", public, 443, "/internal/data/v1/notify")
    return _url("https", node["hostname"], node["ports"]["https"], "/internal/data/v1/notify")


def _token_revocation(notification_endpoint):
    return [
        {
            "id": "token_revocation",
            "type": TOKEN_REVOCATION_TYPE,
            "name": TOKEN_REVOCATION_NAME,
            "order": 1,
            "properties": {
                "notification_endpoint": notification_endpoint,
                "username": ADMIN_USERNAME_REF,
                "password": ADMIN_PASSWORD_REF,
                "header.X-WSO2-KEY-MANAGER": "default",
            },
        }
    ]


def _gateway_environment(environment):
    return {
        "name": environment["name"],
        "type": environment["type"],
        "gateway_type": "Regular",
        "provider": "wso2",
        "display_in_api_console": environment["display_in_api_console"],
        "description": f"Gateway environment {environment['name']}",
        "show_as_token_endpoint_url": True,
        "service_url": environment["service_url"],
        "username": ADMIN_USERNAME_REF,
        "password": ADMIN_PASSWORD_REF,
        "ws_endpoint": environment["ws_endpoint"],
        "wss_endpoint": environment["wss_endpoint"],
        "http_endpoint": environment["http_endpoint"],
        "https_endpoint": environment["https_endpoint"],
        "websub_event_receiver_http_endpoint": environment["websub_http_endpoint"],
        "websub_event_receiver_https_endpoint": environment["websub_https_endpoint"],
    }


def _others(node, peers):
    return [peer for peer in peers if peer["id"] != node["id"]]


def _jwt_token_type(conf, facts):
    if facts["jwt_token_type"]:
        conf["oauth"] = {"extensions": {"token_types": [{"name": "JWT", "issuer": JWT_TOKEN_ISSUER}]}}


def _wire_gateway(node, topology, conf, facts):
    apim = conf["apim"]
    tms = topology["traffic_manager"]
    apim["key_manager"] = _key_manager(topology["key_manager_url"])
    apim["throttling"] = {
        "throttle_decision_endpoints": [_tcp(tm, "jms") for tm in tms],
        "url_group": _url_groups(tms),
    }
    apim["event_hub"] = _event_hub(topology["event_hub_url"], topology["control_plane"])
    apim["sync_runtime_artifacts"] = {"gateway": {"gateway_labels": list(node["labels"])}}
    if facts["gateway_id"]:
        apim["gateway_notification"] = {"gateway_id": node["gateway_id"]}
    apim["analytics"] = dict(facts["gateway_analytics"])
    apim["cache"] = _plain_copy(GATEWAY_CACHES)
    apim["oauth_config"] = dict(GATEWAY_OAUTH_CONFIG)
    apim["cors"] = _plain_copy(CORS)


def _wire_control_plane(node, topology, conf, facts):
    apim = conf["apim"]
    cps = topology["control_plane"]
    conf["server"]["base_path"] = SERVER_BASE_PATH
    apim["gateway_type"] = facts["gateway_types"]
    peers = _others(node, cps)
    event_hub = _event_hub(_services_url(node["hostname"], node["ports"]["https"]), [node])
    if peers:
        event_hub["event_duplicate_url"] = [_tcp(peer, "jms") for peer in peers]
    event_hub["publish"] = {
        "url_group": [
            {"urls": [_tcp(cp, "binary")], "auth_urls": [_ssl(cp, "binary_ssl")]} for cp in cps
        ]
    }
    apim["event_hub"] = event_hub
    if len(cps) > 1:
        apim["cache_invalidation"] = {"enabled": True, "domain": CACHE_INVALIDATION_DOMAIN}
    apim["gateway"] = {
        "environment": [_gateway_environment(env) for env in topology.get("environments") or []]
    }
    if topology["key_manager"]:
        apim["key_manager"] = _key_manager(topology["key_manager_url"])
    if node["public_hostname"]:
        devportal = _url("https", node["public_hostname"], 443, "/devportal")
    else:
        devportal = _url("https", node["hostname"], node["ports"]["https"], "/devportal")
    apim["devportal"] = {"url": devportal}
    apim["cors"] = _plain_copy(CORS)
    conf["event_handler"] = [dict(USER_SELF_REGISTRATION_HANDLER)]
    conf["service_provider"] = {"sp_name_regex": SP_NAME_REGEX}
    _jwt_token_type(conf, facts)
    # The ACP keeps its own token revocation listener, key manager separated or not.
    conf["event_listener"] = _token_revocation(
        _url("https", node["hostname"], node["ports"]["https"], "/internal/data/v1/notify")
    )
    conf["database"]["local"] = {"url": facts["local_db_url"]}


def _wire_traffic_manager(node, topology, conf, facts):
    apim = conf["apim"]
    apim["event_hub"] = _event_hub(topology["event_hub_url"], topology["control_plane"])
    peers = _others(node, topology["traffic_manager"])
    if peers:
        apim["throttling"] = {"event_duplicate_url": [_tcp(peer, "jms") for peer in peers]}


def _wire_key_manager(node, topology, conf, facts):
    conf["apim"]["event_hub"] = _event_hub(topology["event_hub_url"], topology["control_plane"])
    conf["event_handler"] = [dict(USER_SELF_REGISTRATION_HANDLER)]
    _jwt_token_type(conf, facts)
    conf["event_listener"] = _token_revocation(_notify_url(topology["control_plane"][0]))


_WIRING = {
    "gateway": _wire_gateway,
    "control_plane": _wire_control_plane,
    "traffic_manager": _wire_traffic_manager,
    "key_manager": _wire_key_manager,
}


def _server_role(settings, component):
    roles = dict(DEFAULT_SERVER_ROLES)
    name = variable("server_roles")
    for key, value in _mapping(settings.get("server_roles"), name).items():
        if value is not None and str(value).strip():
            roles[key] = str(value).strip()
    role = roles[component]
    if role not in KNOWN_SERVER_ROLES:
        raise Wso2amModelError(
            f"{name}.{component}: server_role {role!r} for {component} is not known to the pack "
            f"(rule: the 4.5-4.7 component packs' infer.json maps only "
            f"{', '.join(KNOWN_SERVER_ROLES)}, so any other value drops the pack's role settings); "
            f"set {name}.{component} to {SERVER_ROLE!r} or remove it"
        )
    return role


def build_node_config(topology, host, component, settings):
    """Return the whole deployment.toml of one node as a dict."""
    node = _find_node(topology, host, component)
    settings = _mapping(settings, variable("settings"))
    version = settings.get("version")
    facts = _check_version(version)
    admin_username = _text(settings.get("admin_username"), variable("admin_username")) or "admin"
    admin_password = settings.get("admin_password")
    if admin_password is None or not str(admin_password):
        raise Wso2amModelError(
            f"{variable('admin_password')} must be set (rule: [super_admin] password is required "
            f"on every node); set it, kept in Ansible Vault (docs/secrets.md)"
        )
    role = _server_role(settings, component)
    extra = _mapping(settings.get("extra"), variable("extra"))
    encryption_key = _encryption_key(settings, facts, version)

    ds_settings = with_database_host(topology, settings)
    ds_settings["gateway_count"] = len(topology["gateway"])
    if ds_settings.get("overrides") is None:
        ds_settings["overrides"] = node.get("datasource_overrides")
    datasources = build_datasources(component, ds_settings)
    keystore = _store(settings.get("keystore"), DEFAULT_KEYSTORE, variable("keystore"))
    primary = _store(settings.get("primary_keystore"), keystore, variable("primary_keystore"))
    truststore = _store(settings.get("truststore"), DEFAULT_TRUSTSTORE, variable("truststore"))

    public = _public_hostname(node)
    conf = {
        "server": {
            "hostname": public or node["hostname"],
            "offset": node["offset"],
            "server_role": role,
        },
        "super_admin": {
            "username": admin_username,
            "password": str(admin_password),
            "create_admin_account": True,
        },
        "user_store": {"type": "database_unique_id"},
        "database": datasources,
        "keystore": {"tls": dict(keystore), "primary": dict(primary)},
        "truststore": truststore,
    }
    if encryption_key:
        conf["encryption"] = {"key": encryption_key}
    if public:
        conf["transport"] = {
            "https": {"properties": {"proxyPort": 443}},
            "http": {"properties": {"proxyPort": 80}},
        }
    conf["apim"] = {}
    _WIRING[component](node, topology, conf, facts)
    return deep_merge(conf, extra)
