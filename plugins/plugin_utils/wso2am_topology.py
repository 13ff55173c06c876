# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The deployment model of an inventory: nodes, ports, gateway environments, URLs and links.

:func:`build_topology` turns Ansible's ``groups`` and ``hostvars`` into one model that every
role uses; the inventory group names are the components of wso2am_facts (and load_balancer).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import (
    BASE_PORTS,
    COMPONENTS,
    GATEWAY_PORTS,
    MAX_PORT,
    REQUIRED_COMPONENTS,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_members import _group_members, _hostvars_of
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    _is_list,
    is_loopback,
    _mapping,
    _plain_copy,
    _services_url,
    shown,
    _text,
    to_int,
    type_name,
    _url,
    Wso2amModelError,
)


# --------------------------------------------------------------------------
# Topology
# --------------------------------------------------------------------------

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
        raise Wso2amModelError(
            f"{what} must be a list of strings or a comma-separated string, got {shown(value)}"
        )
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


def _load_balancer(groups, hostvars, nodes):
    """The hosts of group load_balancer ({host, hostname}). A control plane or gateway without its own
    wso2am_public_hostname takes the name the first one's variables give it, else its hostname."""
    hosts = [{"host": host, "hostname": _node_hostname(host, _hostvars_of(hostvars, host))}
             for host in _group_members(groups, "load_balancer", hostvars)]
    if not hosts:
        return hosts
    first, default = hosts[0]["host"], hosts[0]["hostname"]
    hv = _hostvars_of(hostvars, first)
    what = f"wso2am_lb_gateway_hostnames on host '{first}'"
    names = {str(env): _text(name, f"{what} (environment {env})")
             for env, name in _mapping(hv.get("wso2am_lb_gateway_hostnames"), what).items()}
    names[None] = _text(hv.get("wso2am_lb_control_plane_hostname"),
                        f"wso2am_lb_control_plane_hostname on host '{first}'")
    for node in nodes:
        if not node["public_hostname"] and node["component"] in PUBLIC_COMPONENTS:
            node["public_hostname"] = names.get(node.get("environment")) or default
    return hosts


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
    ``event_hub_url``, ``links``, ``database`` and ``load_balancer`` (``{"host", "hostname"}``).
    """
    if not isinstance(groups, Mapping):
        raise Wso2amModelError(
            f"expects the 'groups' mapping of the inventory as input, got {type_name(groups)}"
        )
    if hostvars is not None and not hasattr(hostvars, "get") and not isinstance(hostvars, Mapping):
        raise Wso2amModelError(
            f"expects 'hostvars' as its argument, got {type_name(hostvars)}"
        )
    # Hosts marked wso2am_state: absent are no longer part of the deployment (wso2am_members).
    members = {component: _group_members(groups, component, hostvars) for component in COMPONENTS}
    for component in REQUIRED_COMPONENTS:
        if not members[component]:
            raise Wso2amModelError(
                f"the inventory group '{component}' is missing or empty, or all its hosts are "
                f"wso2am_state: absent (rule: a distributed deployment needs at least one host in "
                f"each of the groups {', '.join(REQUIRED_COMPONENTS)}); add a host to group '{component}'"
            )
    by_component = {component: [] for component in COMPONENTS}
    nodes = []
    for component in COMPONENTS:
        for host in members[component]:
            node = _make_node(host, component, _hostvars_of(hostvars, host))
            by_component[component].append(node)
            nodes.append(node)
    _check_port_collisions(nodes)
    lb_hosts = _load_balancer(groups, hostvars, nodes)

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
        for host in _group_members(groups, "database", hostvars)
    ]
    topology["load_balancer"] = lb_hosts
    return topology


def _check_topology(topology):
    if not isinstance(topology, Mapping) or not all(
        _is_list(topology.get(key)) for key in ("nodes",) + COMPONENTS
    ):
        raise Wso2amModelError(
            "expects the result of wso2am.distributed.topology as its topology argument"
        )


def _check_component(component):
    if component not in COMPONENTS:
        raise Wso2amModelError(
            f"unknown component {shown(component)}; expected one of {', '.join(COMPONENTS)}"
        )


def _find_node(topology, host, component):
    _check_topology(topology)
    _check_component(component)
    for node in topology[component]:
        if node.get("host") == host:
            return node
    known = ", ".join(node.get("host", "?") for node in topology[component]) or "none"
    raise Wso2amModelError(
        f"host {shown(host)} is not a {component} node of this topology (rule: a node's "
        f"configuration is built only for a host of group '{component}'; {component} hosts: "
        f"{known})"
    )
