# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Pure decision logic of the wso2am.distributed collection.

Everything here is plain Python without Ansible imports, so the filter plugins,
an action plugin or a unit test can use it alike. Every problem is reported as
:class:`Wso2amModelError`; the filter plugins prefix the message with the FQCN
of the filter and re-raise it as ``AnsibleFilterError``.

Model of a WSO2 API Manager 4.5+ distributed deployment:

* components (also the inventory group names): ``control_plane``, ``gateway``,
  ``traffic_manager`` and the optional separated ``key_manager``;
* :func:`build_topology` turns ``groups`` and ``hostvars`` into nodes, ports,
  gateway environments, the key manager and event hub URLs and the links
  between the nodes;
* :func:`build_datasources` decides which node uses which database;
* :func:`build_node_config` builds a node's whole ``deployment.toml`` as data;
* :func:`to_toml` writes such data as TOML;
* :func:`build_db_clients` lists the addresses each database sees connecting;
* :func:`build_mermaid` draws the topology as a Mermaid flowchart.
"""

from __future__ import annotations

import datetime
import ipaddress
import math
import re
from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.module_utils.wso2am_facts import (
    ADMIN_PASSWORD_REF,
    ADMIN_USERNAME_REF,
    BASE_PORTS,
    COMPONENTS,
    CORS,
    DB_TYPES,
    DEFAULT_KEYSTORE,
    DEFAULT_TRUSTSTORE,
    ENCRYPTION_KEY_HOWTO,
    ENCRYPTION_KEY_RE,
    GATEWAY_CACHES,
    GATEWAY_OAUTH_CONFIG,
    GATEWAY_PORTS,
    H2_SHARED_DB,
    JWT_TOKEN_ISSUER,
    KNOWN_SERVER_ROLES,
    MAX_PORT,
    REQUIRED_COMPONENTS,
    SERVER_BASE_PATH,
    SERVER_ROLE,
    SP_NAME_REGEX,
    TOKEN_REVOCATION_NAME,
    TOKEN_REVOCATION_TYPE,
    USER_SELF_REGISTRATION_HANDLER,
    driver_verdict,
    minor,
    version_facts,
)

__all__ = [
    "COMPONENTS",
    "REQUIRED_COMPONENTS",
    "DEFAULT_SERVER_ROLES",
    "H2_SHARED_DB",
    "Wso2amModelError",
    "to_bool",
    "to_int",
    "deep_merge",
    "build_topology",
    "build_datasources",
    "build_node_config",
    "build_db_clients",
    "build_mermaid",
    "mask_secrets",
    "to_toml",
]

# Facts about the product live in wso2am_facts (one place, with their sources).
DEFAULT_SERVER_ROLES = {component: SERVER_ROLE for component in COMPONENTS}

MASK = "********"
SECRET_KEYS = ("password", "key_password")
# Secrets under other key names: (parent table, key).
SECRET_PATHS = (("encryption", "key"),)
# WSO2 placeholders name a secret, they are not one: never masked.
_PLACEHOLDER_RE = re.compile(r"\$(ref|secret|env|sys)?\{[A-Za-z0-9_.\-]+\}\Z")

LINK_KINDS = (
    "key_manager",
    "event_hub",
    "throttling",
    "throttle_decision",
    "gateway_environment",
    "event_duplicate",
    "notification",
)


class Wso2amModelError(ValueError):
    """A rule of the deployment model is broken; the message says which and what to do."""


# --------------------------------------------------------------------------
# Scalars as AWX and inventories send them
# --------------------------------------------------------------------------

_TRUE_STRINGS = frozenset(("true", "yes", "y", "on", "1", "t"))
_FALSE_STRINGS = frozenset(("false", "no", "n", "off", "0", "f"))
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")


def to_bool(value, what="value", default=None):
    """Return ``value`` as a bool.

    Accepts real booleans, the integers 0 and 1 and the strings AWX surveys and
    INI inventories send: true/false, yes/no, y/n, on/off, t/f, 1/0 (any case,
    surrounding blanks ignored). ``None`` gives ``default`` when a default is
    given. Anything else raises :class:`Wso2amModelError` naming ``what``.
    """
    if value is None and default is not None:
        return bool(default)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_STRINGS:
            return True
        if text in _FALSE_STRINGS:
            return False
    raise Wso2amModelError(
        f"{what} must be a boolean (true/false, yes/no, on/off or 1/0), got {value!r}"
    )


def to_int(value, what="value", default=None):
    """Return ``value`` as an int.

    Accepts ints, integral floats and strings of digits such as ``"2"`` (AWX
    passes survey answers and extra vars as strings). Booleans are refused.
    ``None`` gives ``default`` when a default is given.
    """
    if value is None and default is not None:
        return int(default)
    if isinstance(value, bool):
        raise Wso2amModelError(f"{what} must be an integer, got the boolean {value!r}")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value):
        return int(value.strip())
    raise Wso2amModelError(f"{what} must be an integer, got {value!r}")


def _text(value, what):
    """A non-empty string, or None when unset or blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Wso2amModelError(f"{what} must be a string, got {value!r}")
    text = str(value).strip()
    return text or None


def _mapping(value, what):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Wso2amModelError(f"{what} must be a dictionary, got {type(value).__name__}")
    return value


def _is_list(value):
    return isinstance(value, (list, tuple))


def deep_merge(base, extra):
    """Merge ``extra`` over ``base`` into a new dict.

    Dictionaries merge recursively; every other value, lists included,
    replaces what ``base`` holds. Neither argument is modified.
    """
    result = {key: _plain_copy(value) for key, value in base.items()}
    for key, value in (extra or {}).items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = _plain_copy(value)
    return result


def _plain_copy(value):
    """Copy nested mappings and lists into plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if _is_list(value):
        return [_plain_copy(item) for item in value]
    return value


# --------------------------------------------------------------------------
# Addresses and URLs
# --------------------------------------------------------------------------

_LOOPBACK_NAMES = frozenset(
    (
        "localhost",
        "localhost.localdomain",
        "localhost4",
        "localhost4.localdomain4",
        "localhost6",
        "localhost6.localdomain6",
        "ip6-localhost",
        "ip6-loopback",
    )
)


def is_loopback(address):
    """True for 127.0.0.0/8, ::1 and the usual localhost names."""
    text = str(address).strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text in _LOOPBACK_NAMES or text.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def _host_in_url(host):
    """Bracket IPv6 literals so that ``host:port`` stays unambiguous."""
    if ":" in host and not host.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return host
        return f"[{host}]"
    return host


def _url(scheme, host, port, path=""):
    return f"{scheme}://{_host_in_url(host)}:{port}{path}"


def _services_url(host, port):
    return _url("https", host, port, "/services/")


# --------------------------------------------------------------------------
# Topology
# --------------------------------------------------------------------------

def _hostvars_of(hostvars, host):
    if hostvars is None:
        return {}
    try:
        found = hostvars.get(host) if hasattr(hostvars, "get") else hostvars[host]
    except KeyError:
        found = None
    return found if found is not None else {}


def _group_members(groups, component):
    hosts = groups.get(component) if hasattr(groups, "get") else None
    if hosts is None:
        return []
    if isinstance(hosts, str):
        hosts = [hosts]
    seen = []
    for host in hosts:
        host = str(host)
        if host not in seen:
            seen.append(host)
    return seen


def _default_ipv4(hv):
    facts = hv.get("ansible_default_ipv4")
    if not isinstance(facts, Mapping):
        nested = hv.get("ansible_facts")
        facts = nested.get("default_ipv4") if isinstance(nested, Mapping) else None
    if isinstance(facts, Mapping):
        return _text(facts.get("address"), "ansible_default_ipv4.address")
    return None


def _node_hostname(host, hv):
    explicit = _text(hv.get("wso2am_hostname"), f"wso2am_hostname on host '{host}'")
    if explicit:
        return explicit
    connect = _text(hv.get("ansible_host"), f"ansible_host on host '{host}'")
    if connect and not is_loopback(connect):
        return connect
    return host


def _gateway_labels(host, hv, environment):
    value = hv.get("wso2am_gateway_labels")
    what = f"wso2am_gateway_labels on host '{host}'"
    if value is None:
        return [environment]
    if isinstance(value, str):
        labels = [part.strip() for part in value.split(",") if part.strip()]
    elif _is_list(value):
        labels = [_text(item, what) for item in value]
        labels = [label for label in labels if label]
    else:
        raise Wso2amModelError(f"{what} must be a list of strings, got {value!r}")
    if not labels:
        raise Wso2amModelError(
            f"{what} is empty; a gateway needs at least one label to receive APIs "
            f"(leave it unset to use its environment name '{environment}')"
        )
    return labels


def _node_ports(host, component, offset):
    pairs = BASE_PORTS + (GATEWAY_PORTS if component == "gateway" else ())
    ports = {}
    for name, base in pairs:
        port = base + offset
        if port > MAX_PORT:
            raise Wso2amModelError(
                f"wso2am_{component}_offset={offset} on host '{host}' moves the {name} port "
                f"to {port}, above {MAX_PORT} (rule: every port plus the offset must stay "
                f"within 1-{MAX_PORT}); lower wso2am_{component}_offset on host '{host}'"
            )
        ports[name] = port
    return ports


def _make_node(host, component, hv):
    offset_var = f"wso2am_{component}_offset"
    raw_offset = hv.get(offset_var)
    offset = to_int(raw_offset, f"{offset_var} on host '{host}'", default=0)
    if offset < 0:
        raise Wso2amModelError(
            f"{offset_var} on host '{host}' must not be negative, got {offset} "
            f"(rule: a port offset is 0 or more)"
        )
    hostname = _node_hostname(host, hv)
    node = {
        "id": f"{host}/{component}",
        "host": host,
        "component": component,
        "hostname": hostname,
        "offset": offset,
        "ports": _node_ports(host, component, offset),
    }
    if component == "gateway":
        environment = _text(
            hv.get("wso2am_gateway_environment"), f"wso2am_gateway_environment on host '{host}'"
        ) or "Default"
        node["environment"] = environment
        node["labels"] = _gateway_labels(host, hv, environment)
        node["gateway_id"] = _text(
            hv.get("wso2am_gateway_id"), f"wso2am_gateway_id on host '{host}'"
        ) or host
    node["public_hostname"] = _text(
        hv.get("wso2am_public_hostname"), f"wso2am_public_hostname on host '{host}'"
    )
    node["db_client_address"] = (
        _text(hv.get("wso2am_db_client_address"), f"wso2am_db_client_address on host '{host}'")
        or _default_ipv4(hv)
        or hostname
    )
    node["datasource_overrides"] = _plain_copy(
        _mapping(hv.get("wso2am_node_datasources"), f"wso2am_node_datasources on host '{host}'")
    )
    return node


def _free_offset(node, others):
    """Smallest offset >= 1 whose ports neither collide with ``others`` nor exceed 65535."""
    taken = set()
    for other in others:
        taken.update(other["ports"].values())
    pairs = BASE_PORTS + (GATEWAY_PORTS if node["component"] == "gateway" else ())
    for offset in range(1, MAX_PORT):
        ports = [base + offset for _name, base in pairs]
        if max(ports) > MAX_PORT:
            break
        if not taken.intersection(ports):
            return offset
    return None


def _check_port_collisions(nodes):
    """Two nodes reachable at the same address must not share a port."""
    placed = {}
    for node in nodes:
        same_address = placed.setdefault(node["hostname"], [])
        mine = set(node["ports"].values())
        for other in same_address:
            clash = sorted(mine.intersection(other["ports"].values()))
            if not clash:
                continue
            suggestion = _free_offset(node, same_address)
            hint = f" (for example to {suggestion})" if suggestion is not None else ""
            variable = f"wso2am_{node['component']}_offset"
            clash_text = ", ".join(str(port) for port in clash)
            if other["host"] == node["host"]:
                raise Wso2amModelError(
                    f"host '{node['host']}' is in groups {other['component']} and "
                    f"{node['component']} with port offsets {other['offset']} and "
                    f"{node['offset']}, so ports {clash_text} collide (rule: two nodes on one "
                    f"host need different port offsets); set {variable} on host "
                    f"'{node['host']}'{hint}"
                )
            raise Wso2amModelError(
                f"hosts '{other['host']}' ({other['component']}, offset {other['offset']}) and "
                f"'{node['host']}' ({node['component']}, offset {node['offset']}) both resolve "
                f"to '{node['hostname']}', so ports {clash_text} collide (rule: two nodes on one "
                f"host need different port offsets); set {variable} on host "
                f"'{node['host']}'{hint}, or give the hosts distinct wso2am_hostname values"
            )
        same_address.append(node)


# Only these components are put behind the load balancer named by
# wso2am_public_hostname; it is a host variable, so a traffic manager or key
# manager sharing a host with a control plane must not take it over.
PUBLIC_COMPONENTS = ("control_plane", "gateway")


def _public_hostname(node):
    if node["component"] in PUBLIC_COMPONENTS:
        return node["public_hostname"]
    return None


def _front_url(node):
    """The /services/ URL of a node: its load balancer name when it has one."""
    public = _public_hostname(node)
    if public:
        return _services_url(public, 443)
    return _services_url(node["hostname"], node["ports"]["https"])


def _override_url(hostvars, hosts, variable):
    for host in hosts:
        value = _text(_hostvars_of(hostvars, host).get(variable), f"{variable} on host '{host}'")
        if value:
            return value
    return None


def _environments(gateways):
    by_name = {}
    for gateway in gateways:
        by_name.setdefault(gateway["environment"], []).append(gateway)
    environments = []
    for name, members in by_name.items():
        first = members[0]
        ports = first["ports"]
        public = first["public_hostname"]
        if public:
            service_url = _services_url(public, 443)
            https_endpoint = _url("https", public, 443)
            http_endpoint = _url("http", public, 80)
            ws_endpoint = _url("ws", public, ports["ws"])
            wss_endpoint = _url("wss", public, ports["wss"])
            websub_http = _url("http", public, ports["websub_http"])
            websub_https = _url("https", public, ports["websub_https"])
        else:
            own = first["hostname"]
            service_url = _services_url(own, ports["https"])
            https_endpoint = _url("https", own, ports["passthrough_https"])
            http_endpoint = _url("http", own, ports["passthrough_http"])
            ws_endpoint = _url("ws", own, ports["ws"])
            wss_endpoint = _url("wss", own, ports["wss"])
            websub_http = _url("http", own, ports["websub_http"])
            websub_https = _url("https", own, ports["websub_https"])
        environments.append(
            {
                "name": name,
                "gateways": [member["host"] for member in members],
                "type": "hybrid",
                "display_in_api_console": True,
                "service_url": service_url,
                "http_endpoint": http_endpoint,
                "https_endpoint": https_endpoint,
                "ws_endpoint": ws_endpoint,
                "wss_endpoint": wss_endpoint,
                "websub_http_endpoint": websub_http,
                "websub_https_endpoint": websub_https,
            }
        )
    return environments


def _link(links, source, target, kind, port_name):
    if source["id"] == target["id"]:
        return
    links.append(
        {
            "from": source["id"],
            "to": target["id"],
            "kind": kind,
            "port": target["ports"][port_name],
        }
    )


def _links(by_component, environments):
    cps = by_component["control_plane"]
    gws = by_component["gateway"]
    tms = by_component["traffic_manager"]
    kms = by_component["key_manager"]
    first_gateway = {}
    for gateway in gws:
        first_gateway.setdefault(gateway["environment"], gateway)
    links = []
    # Token validation and key management (traffic managers have no key manager).
    if kms:
        for source in gws + cps:
            for target in kms:
                _link(links, source, target, "key_manager", "https")
    else:
        for source in gws:
            for target in cps:
                _link(links, source, target, "key_manager", "https")
    # Events from the control plane's event hub (JMS).
    for source in gws + tms + kms:
        for target in cps:
            _link(links, source, target, "event_hub", "jms")
    # Throttling events (binary) and throttle decisions (JMS): gateways only, the
    # 4.5-4.7 control plane carries no [apim.throttling].
    for source in gws:
        for target in tms:
            _link(links, source, target, "throttling", "binary")
    for source in gws:
        for target in tms:
            _link(links, source, target, "throttle_decision", "jms")
    # Control plane to the gateways of each environment.
    for source in cps:
        for environment in environments:
            _link(links, source, first_gateway[environment["name"]], "gateway_environment", "https")
    # HA peers duplicate their JMS events to each other.
    for peers in (cps, tms):
        for source in peers:
            for target in peers:
                _link(links, source, target, "event_duplicate", "jms")
    # A separated key manager notifies the control plane (token revocation).
    if kms:
        for source in kms:
            _link(links, source, cps[0], "notification", "https")
    return links


def build_topology(groups, hostvars):
    """Build the deployment model from Ansible's ``groups`` and ``hostvars``.

    Returns a dict with ``nodes`` (all nodes, by component then inventory
    order), one list per component, ``environments``, ``key_manager_url``,
    ``event_hub_url`` and ``links``.
    """
    if not isinstance(groups, Mapping):
        raise Wso2amModelError(
            f"expects the 'groups' mapping of the inventory as input, got {type(groups).__name__}"
        )
    if hostvars is not None and not hasattr(hostvars, "get") and not isinstance(hostvars, Mapping):
        raise Wso2amModelError(
            f"expects 'hostvars' as its argument, got {type(hostvars).__name__}"
        )
    members = {component: _group_members(groups, component) for component in COMPONENTS}
    for component in REQUIRED_COMPONENTS:
        if not members[component]:
            raise Wso2amModelError(
                f"the inventory group '{component}' is missing or empty (rule: a distributed "
                f"deployment needs at least one host in each of the groups "
                f"{', '.join(REQUIRED_COMPONENTS)}); add a host to group '{component}'"
            )
    by_component = {component: [] for component in COMPONENTS}
    nodes = []
    for component in COMPONENTS:
        for host in members[component]:
            node = _make_node(host, component, _hostvars_of(hostvars, host))
            by_component[component].append(node)
            nodes.append(node)
    _check_port_collisions(nodes)

    cps = by_component["control_plane"]
    kms = by_component["key_manager"]
    environments = _environments(by_component["gateway"])
    key_manager_url = _override_url(
        hostvars, members["key_manager"] + [cps[0]["host"]], "wso2am_key_manager_url"
    )
    if not key_manager_url:
        if kms:
            key_manager_url = _services_url(kms[0]["hostname"], kms[0]["ports"]["https"])
        else:
            key_manager_url = _front_url(cps[0])
    event_hub_url = _override_url(hostvars, members["control_plane"], "wso2am_event_hub_url")
    if not event_hub_url:
        event_hub_url = _front_url(cps[0])

    topology = {"nodes": nodes}
    topology.update(by_component)
    topology["environments"] = environments
    topology["key_manager_url"] = key_manager_url
    topology["event_hub_url"] = event_hub_url
    topology["links"] = _links(by_component, environments)
    topology["database"] = [
        {"host": host, "hostname": _node_hostname(host, _hostvars_of(hostvars, host))}
        for host in _group_members(groups, "database")
    ]
    return topology


def _check_topology(topology):
    if not isinstance(topology, Mapping) or not all(
        _is_list(topology.get(key)) for key in ("nodes",) + COMPONENTS
    ):
        raise Wso2amModelError(
            "expects the result of wso2am.distributed.topology as its topology argument"
        )


# --------------------------------------------------------------------------
# Datasources (facts section 2)
# --------------------------------------------------------------------------

def _removed(value):
    """True when a deep-merge value would remove a datasource table."""
    return value is None or value is False or (isinstance(value, Mapping) and not value)


def _extra_database(extra):
    extra = _mapping(extra, "extra")
    database = extra.get("database")
    return database if isinstance(database, Mapping) else {}


def _check_component(component):
    if component not in COMPONENTS:
        raise Wso2amModelError(
            f"unknown component {component!r}; expected one of {', '.join(COMPONENTS)}"
        )


def _db_type(db):
    db_type = _text(db.get("type"), "db.type")
    db_type = db_type.lower() if db_type else None
    if db_type not in DB_TYPES:
        raise Wso2amModelError(
            f"unknown database type {db.get('type')!r} in db.type; accepted: "
            f"{', '.join(DB_TYPES)}"
        )
    return db_type


def _escape_url_options(options):
    """WSO2 copies the datasource URL into an XML file: a bare '&' must be '&amp;'."""
    return re.sub(r"&(?!amp;)", "&amp;", options)


def _real_datasource(kind, db, component):
    """The table of a real database: kind is 'apim' or 'shared'."""
    label = f"{kind}_db"
    db_type = _db_type(db)
    spec = DB_TYPES[db_type]

    def required(key):
        value = db.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and key != f"{kind}_password"):
            raise Wso2amModelError(
                f"db.{key} must be set: the {component} node connects to the real {label} "
                f"(rule: a real datasource needs host, database name, user and password)"
            )
        return value

    if not _text(db.get("host"), "db.host"):
        raise Wso2amModelError(
            f"no database server for the real {label} of the {component} node: add its host to "
            f"the inventory group 'database' (the collection then manages it), or set "
            f"wso2am_db_host to an existing server"
        )
    host = _text(db.get("host"), "db.host")
    port = to_int(db.get("port"), "db.port", default=spec["port"])
    if not 1 <= port <= MAX_PORT:
        raise Wso2amModelError(f"db.port must be between 1 and {MAX_PORT}, got {port}")
    name = _text(required(f"{kind}_name"), f"db.{kind}_name")
    username = required(f"{kind}_user")
    password = required(f"{kind}_password")
    driver = _text(db.get("driver_class"), "db.driver_class") or spec["driver"]
    verdict = driver_verdict(db_type, driver)
    if verdict:
        raise Wso2amModelError(
            f"wso2am_db_driver_class {driver} cannot be used with wso2am_db_type {db_type}: "
            f"{verdict} (accepted: {', '.join(spec['drivers'])}); remove wso2am_db_driver_class "
            f"to use {spec['driver']}"
        )
    options = db.get("url_options")
    if options is None:
        options = spec["url_options"]
    options = (_text(options, "db.url_options") or "").lstrip("?")
    scheme = spec["scheme"]
    url = f"jdbc:{scheme}://{_host_in_url(host)}:{port}/{name}"
    if options:
        url = f"{url}?{_escape_url_options(options)}"
    table = {
        "type": spec["toml_type"],
        "url": url,
        "username": str(username),
        "password": str(password),
        "driver": driver,
        "validationQuery": "SELECT 1",
    }
    pool_options = _mapping(db.get("pool_options"), "db.pool_options")
    if pool_options:
        table["pool_options"] = _plain_copy(pool_options)
    return table


def _override(overrides, key):
    value = overrides.get(key)
    return None if value is None else to_bool(value, f"overrides.{key}")


def build_datasources(component, settings):
    """Return ``{datasource name: table}`` for one node of ``component``.

    ``settings``: multi_tenancy, google_analytics, gateway_count, tm_apim_db,
    db, overrides (apim_db / shared_db forced on or off), extra.
    """
    _check_component(component)
    settings = _mapping(settings, "settings")
    db = _mapping(settings.get("db"), "db")
    overrides = _mapping(settings.get("overrides"), "overrides")
    extra_db = _extra_database(settings.get("extra"))
    force_apim = _override(overrides, "apim_db")
    force_shared = _override(overrides, "shared_db")

    if component in ("control_plane", "key_manager"):
        for key, forced in (("apim_db", force_apim), ("shared_db", force_shared)):
            if forced is False:
                raise Wso2amModelError(
                    f"a {component} node needs both apim_db and shared_db (rule: the API "
                    f"control plane and the key manager use both databases); remove "
                    f"overrides.{key}=false"
                )
            if key in extra_db and _removed(extra_db[key]):
                raise Wso2amModelError(
                    f"a {component} node needs both apim_db and shared_db (rule: the API "
                    f"control plane and the key manager use both databases); do not remove "
                    f"database.{key} in extra"
                )
        use_apim, use_shared = True, True
    elif component == "traffic_manager":
        tm_apim_db = to_bool(settings.get("tm_apim_db"), "tm_apim_db", default=True)
        use_apim = force_apim if force_apim is not None else tm_apim_db
        use_shared = force_shared if force_shared is not None else True
    else:
        if force_apim:
            raise Wso2amModelError(
                "a gateway never connects to apim_db (WSO2AM_DB) (rule: only control plane, "
                "key manager and traffic manager nodes use apim_db); remove overrides.apim_db=true"
            )
        if extra_db.get("apim_db") is not None:
            raise Wso2amModelError(
                "a gateway never connects to apim_db (WSO2AM_DB) (rule: only control plane, "
                "key manager and traffic manager nodes use apim_db); remove database.apim_db "
                "from extra"
            )
        if force_shared is False:
            raise Wso2amModelError(
                "the registry/user store datasource shared_db must never be removed from a "
                "gateway; it stays on H2 when the shared database is not needed; remove "
                "overrides.shared_db=false"
            )
        if "shared_db" in extra_db and _removed(extra_db["shared_db"]):
            raise Wso2amModelError(
                "the registry/user store datasource shared_db must never be removed from a "
                "gateway; it stays on H2 when the shared database is not needed; do not set "
                "database.shared_db to an empty value in extra"
            )
        multi_tenancy = to_bool(settings.get("multi_tenancy"), "multi_tenancy", default=False)
        analytics = to_bool(settings.get("google_analytics"), "google_analytics", default=False)
        gateway_count = to_int(settings.get("gateway_count"), "gateway_count", default=1)
        needed = multi_tenancy or (analytics and gateway_count > 1)
        use_apim = False
        use_shared = force_shared if force_shared is not None else needed

    datasources = {}
    if use_apim:
        datasources["apim_db"] = _real_datasource("apim", db, component)
    if use_shared:
        datasources["shared_db"] = _real_datasource("shared", db, component)
    else:
        datasources["shared_db"] = dict(H2_SHARED_DB)
    return datasources


# --------------------------------------------------------------------------
# deployment.toml (facts section 3)
# --------------------------------------------------------------------------

def _find_node(topology, host, component):
    _check_topology(topology)
    _check_component(component)
    for node in topology[component]:
        if node.get("host") == host:
            return node
    known = ", ".join(node.get("host", "?") for node in topology[component]) or "none"
    raise Wso2amModelError(
        f"host {host!r} is not a {component} node of this topology (rule: a node's "
        f"configuration is built only for a host of group '{component}'; {component} hosts: "
        f"{known})"
    )


def _check_version(version):
    """The facts of a supported ``version``; refuses anything else."""
    if version is None or not str(version).strip():
        raise Wso2amModelError(
            "version must be set (wso2am_version; rule: the facts of the deployment.toml "
            "differ per API-M version)"
        )
    facts = version_facts(version)
    if facts is None:
        raise Wso2amModelError(
            f"version {version} is not supported (rule: this collection deploys the WSO2 API "
            f"Manager 4.5.x, 4.6.x and 4.7.x component packs, written like 4.7.0); set "
            f"wso2am_version to one of them"
        )
    return facts


def _encryption_key(settings, facts, version):
    key = settings.get("encryption_key")
    key = "" if key is None else key
    if not facts["encryption_key"]:
        return None
    if not isinstance(key, str) or not key.strip():
        raise Wso2amModelError(
            f"wso2am_encryption_key must be set for API-M {version} (rule: from 4.7 every node "
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
            f"wso2am_encryption_key must be 64 hexadecimal characters (a 256-bit AES key), got "
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
        apim["cache_invalidation"] = {"enabled": True, "domain": "control-plane"}
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
    for key, value in _mapping(settings.get("server_roles"), "server_roles").items():
        if value is not None and str(value).strip():
            roles[key] = str(value).strip()
    role = roles[component]
    if role not in KNOWN_SERVER_ROLES:
        raise Wso2amModelError(
            f"server_role {role!r} for {component} is not known to the pack (rule: the 4.5-4.7 "
            f"component packs' infer.json maps only {', '.join(KNOWN_SERVER_ROLES)}, so any "
            f"other value drops the pack's role settings); set wso2am_server_roles.{component} "
            f"to {SERVER_ROLE!r} or remove it"
        )
    return role


def build_node_config(topology, host, component, settings):
    """Return the whole deployment.toml of one node as a dict."""
    node = _find_node(topology, host, component)
    settings = _mapping(settings, "settings")
    version = settings.get("version")
    facts = _check_version(version)
    admin_username = _text(settings.get("admin_username"), "admin_username") or "admin"
    admin_password = settings.get("admin_password")
    if admin_password is None or not str(admin_password):
        raise Wso2amModelError(
            "admin_password must be set (rule: [super_admin] password is required on every node)"
        )
    role = _server_role(settings, component)
    extra = _mapping(settings.get("extra"), "extra")
    encryption_key = _encryption_key(settings, facts, version)

    ds_settings = with_database_host(topology, settings)
    ds_settings["gateway_count"] = len(topology["gateway"])
    if ds_settings.get("overrides") is None:
        ds_settings["overrides"] = node.get("datasource_overrides")
    datasources = build_datasources(component, ds_settings)
    keystore = _store(settings.get("keystore"), DEFAULT_KEYSTORE, "keystore")
    truststore = _store(settings.get("truststore"), DEFAULT_TRUSTSTORE, "truststore")

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
        "keystore": {"tls": dict(keystore), "primary": dict(keystore)},
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


def with_database_host(topology, settings):
    """A copy of ``settings`` whose db.host is set: given, else the database group's first host.

    The database host is addressed like every other node: its wso2am_hostname, else its
    ansible_host unless that is loopback, else its inventory name.
    """
    settings = dict(_mapping(settings, "settings"))
    db = dict(_mapping(settings.get("db"), "db"))
    if not _text(db.get("host"), "db.host"):
        servers = topology.get("database") or []
        if servers:
            db["host"] = servers[0]["hostname"]
    settings["db"] = db
    return settings


# --------------------------------------------------------------------------
# Database clients
# --------------------------------------------------------------------------

def build_db_clients(topology, settings):
    """Return ``{"apim_db": [...], "shared_db": [...]}``: the client addresses per database.

    ``settings`` are those of :func:`build_datasources`; its ``overrides`` and
    ``extra`` are ignored (they belong to one node). A node's overrides are
    ``settings.node_overrides["<host>/<component>"]``, else
    ``settings.node_overrides["<host>"]``, else its ``datasource_overrides``
    (the host variable ``wso2am_node_datasources``).
    """
    _check_topology(topology)
    settings = with_database_host(topology, settings)
    node_overrides = _mapping(settings.get("node_overrides"), "node_overrides")
    clients = {"apim_db": set(), "shared_db": set()}
    for node in topology["nodes"]:
        node_settings = dict(settings)
        node_settings["gateway_count"] = len(topology["gateway"])
        node_settings["extra"] = None
        node_settings["overrides"] = node_overrides.get(
            node["id"], node_overrides.get(node["host"], node.get("datasource_overrides"))
        )
        for name, table in build_datasources(node["component"], node_settings).items():
            if table.get("type") != "h2":
                clients[name].add(node["db_client_address"])
    return {name: sorted(addresses) for name, addresses in clients.items()}


# --------------------------------------------------------------------------
# Mermaid
# --------------------------------------------------------------------------

def _mermaid_id(text, used):
    base = re.sub(r"[^A-Za-z0-9_]", "_", text)
    candidate = base
    number = 2
    while candidate in used:
        candidate = f"{base}_{number}"
        number += 1
    used.add(candidate)
    return candidate


def _mermaid_label(text):
    return str(text).replace('"', "#quot;")


def build_mermaid(topology, db_clients=None, db_host=None, db_port=None):
    """Return a Mermaid ``flowchart LR`` of the nodes and their links."""
    _check_topology(topology)
    used = {"database"}
    ids = {}
    lines = ["flowchart LR"]
    for component in COMPONENTS:
        members = topology[component]
        if not members:
            continue
        lines.append(f'  subgraph {_mermaid_id("group_" + component, used)}["{component}"]')
        for node in members:
            node_id = _mermaid_id(f"{node['host']}__{component}", used)
            ids[node["id"]] = node_id
            label = "<br/>".join(
                (
                    _mermaid_label(node["host"]),
                    component,
                    _mermaid_label(f"{_host_in_url(node['hostname'])}:{node['ports']['https']}"),
                )
            )
            lines.append(f'    {node_id}["{label}"]')
        lines.append("  end")
    for link in topology.get("links") or []:
        source, target = ids.get(link["from"]), ids.get(link["to"])
        if source is None or target is None:
            raise Wso2amModelError(
                f"link {link['from']} -> {link['to']} names a node that is not in the topology"
            )
        lines.append(f'  {source} -->|"{link["kind"]} :{link["port"]}"| {target}')
    if db_clients is not None:
        db_clients = _mapping(db_clients, "db_clients_result")
        port = to_int(db_port, "db_port") if db_port is not None else None
        lines.append(f'  database[("{_mermaid_label(db_host or "database")}")]')
        for name in ("apim_db", "shared_db"):
            addresses = set(db_clients.get(name) or [])
            edge = f"{name} :{port}" if port is not None else name
            for node in topology["nodes"]:
                if node["db_client_address"] in addresses:
                    lines.append(f'  {ids[node["id"]]} -->|"{edge}"| database')
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# TOML
# --------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(text):
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _toml_key(key, path):
    if not isinstance(key, str):
        raise Wso2amModelError(
            f"TOML keys must be strings, got {key!r} at '{_path_text(path)}'"
        )
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _path_text(path):
    return ".".join(str(part) for part in path) or "<root>"


def _dotted(path):
    return ".".join(_toml_key(part, path) for part in path)


def _toml_float(value):
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    if "." not in text and "e" not in text and "E" not in text:
        text += ".0"
    return text


def _toml_inline(value, path):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _toml_float(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        parts = [
            f"{_toml_key(key, path)} = {_toml_inline(item, path + (key,))}"
            for key, item in value.items()
            if item is not None
        ]
        return "{ " + ", ".join(parts) + " }" if parts else "{}"
    if _is_list(value):
        parts = [
            _toml_inline(item, path + (index,))
            for index, item in enumerate(value)
            if item is not None
        ]
        return "[" + ", ".join(parts) + "]"
    raise Wso2amModelError(
        f"cannot write a value of type {type(value).__name__} at '{_path_text(path)}' as TOML"
    )


def _is_table_array(value):
    if not _is_list(value):
        return False
    items = [item for item in value if item is not None]
    return bool(items) and all(isinstance(item, Mapping) for item in items)


def _toml_table(lines, table, path, header):
    scalars, tables, arrays = [], [], []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif _is_table_array(value):
            arrays.append((key, value))
        else:
            scalars.append((key, value))
    if header == "array" or (header == "table" and (scalars or not (tables or arrays))):
        if lines:
            lines.append("")
        brackets = ("[[", "]]") if header == "array" else ("[", "]")
        lines.append(f"{brackets[0]}{_dotted(path)}{brackets[1]}")
    for key, value in scalars:
        lines.append(f"{_toml_key(key, path)} = {_toml_inline(value, path + (key,))}")
    for key, value in tables:
        _toml_table(lines, value, path + (key,), "table")
    for key, value in arrays:
        for item in value:
            if item is not None:
                _toml_table(lines, item, path + (key,), "array")


def _is_placeholder(value):
    """True when the whole value is one WSO2 placeholder such as ${admin.password}."""
    return bool(_PLACEHOLDER_RE.match(value))  # match: anchored at the start; \Z at the end


def mask_secrets(data, parent=None):
    """Copy ``data`` with every secret value replaced by ``********``.

    Secrets are the values of ``password`` and ``key_password`` keys anywhere, and of
    ``[encryption] key``. A value that is exactly one WSO2 placeholder ($ref{...},
    $secret{...}, $env{...}, $sys{...}, ${...}) names a secret rather than holds one
    and is kept; anything longer is masked.
    """
    if isinstance(data, Mapping):
        result = {}
        for key, value in data.items():
            secret = isinstance(key, str) and (
                key.lower() in SECRET_KEYS or (parent, key.lower()) in SECRET_PATHS
            )
            if secret and value is not None and not (
                isinstance(value, str) and _is_placeholder(value)
            ):
                result[key] = MASK
            else:
                result[key] = mask_secrets(value, key)
        return result
    if _is_list(data):
        return [mask_secrets(item, parent) for item in data]
    return data


def to_toml(data, mask=False):
    """Write ``data`` (a mapping) as a TOML document.

    Tables keep insertion order; within a table its plain values come first,
    then its sub-tables, then its arrays of tables. ``None`` values are left
    out. The output always ends with a newline unless it is empty.
    """
    if not isinstance(data, Mapping):
        raise Wso2amModelError(
            f"expects a dictionary to write as TOML, got {type(data).__name__}"
        )
    if mask:
        data = mask_secrets(data)
    lines = []
    _toml_table(lines, data, (), "root")
    return "\n".join(lines) + "\n" if lines else ""
