# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The collection's load balancer (nginx, group ``load_balancer``) as data.

:func:`lb_model` turns the topology (wso2am_topology.build_topology) into the upstreams and
servers the role's template writes, following WSO2's page "Configuring the Proxy Server and the
Load Balancer" (API-M 4.5-4.7, install-and-setup/setup/setting-up-proxy-server-and-the-load-balancer/)
and nginx's documentation (facts and sources: docs/load-balancer.md):

* control planes: one upstream of their HTTPS servlet ports with ``ip_hash`` (the management
  console needs session affinity; nginx OSS has no ``sticky``), served on 443 under the control
  planes' public hostname (every path: portals, ``/services/``, ``/internal/``, ``/oauth2``,
  ``/api/am/``, ``/keymanager-operations``), port 80 redirecting to HTTPS;
* gateways, per environment: round robin upstreams of the passthrough HTTPS (443) and HTTP (80)
  ports, of the management port for ``/services/`` (the control plane's ``service_url``), and of
  the WebSocket and WebSub ports, on the same port numbers as the environment's first gateway
  (the endpoints the control plane publishes);
* traffic managers and key managers are never behind it: their binary and JMS endpoints are per
  node.

TLS terminates at nginx and is re-encrypted to the nodes. A drained host is ``down`` on every
server line it has (with ``ip_hash`` ``down`` keeps the hashing of the other clients).

:func:`lb_problems` lists what the inventory gets wrong about the load balancer, for the
validation. No Ansible import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_checks import _truthy
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import BASE_PORTS, GATEWAY_PORTS
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    _host_in_url,
    _is_list,
    shown,
    to_int,
    Wso2amModelError,
)

LB_GROUP = "load_balancer"
HTTPS_PORT = 443
HTTP_PORT = 80
# Where the role puts the TLS files on the load balancer.
TLS_DIR = "/etc/nginx/wso2am"
DEFAULTS = {
    "max_fails": 1,  # nginx's default, written out
    "fail_timeout": 10,  # seconds; nginx's default, written out
    "proxy_timeout": "5m",  # WSO2's sample: proxy_read_timeout / proxy_send_timeout 5m
    "client_max_body_size": "100m",  # nginx's default 1m refuses larger API payloads (413)
}
_SLUG = re.compile(r"[^A-Za-z0-9]+")
_SIZE = re.compile(r"^\d+[kKmMgG]?$")
_TIME = re.compile(r"^\d+(ms|s|m|h|d)?$")


def _port(name):
    """``(<base port> + offset)`` of a port name, for the comments of the configuration."""
    return f"({dict(BASE_PORTS + GATEWAY_PORTS)[name]} + offset)"


def _check(topology):
    if not isinstance(topology, Mapping) or not _is_list(topology.get("nodes")):
        raise Wso2amModelError("expects the result of wso2am.distributed.topology as its input")


def _drained_hosts(topology, drained):
    if drained is None or drained == "":
        return []
    if isinstance(drained, str):
        drained = [part.strip() for part in drained.split(",") if part.strip()]
    if not _is_list(drained):
        raise Wso2amModelError(
            f"wso2am_lb_drain_host must be a host name or a list of them, got {shown(drained)}"
        )
    behind = {node["host"] for node in topology["nodes"] if node["component"] in ("control_plane", "gateway")}
    hosts = []
    for host in drained:
        host = str(host)
        if host not in behind:
            known = ", ".join(sorted(behind)) or "none"
            raise Wso2amModelError(
                f"wso2am_lb_drain_host names '{host}', which is not a control plane or gateway host behind "
                f"the load balancer (hosts behind it: {known})"
            )
        if host not in hosts:
            hosts.append(host)
    return hosts


def _settings(settings):
    settings = dict(settings or {})
    result = dict(DEFAULTS)
    for key in ("max_fails", "fail_timeout"):
        if settings.get(key) not in (None, ""):
            value = to_int(settings[key], f"wso2am_lb_{key}")
            if value < (0 if key == "max_fails" else 1):
                raise Wso2amModelError(
                    f"wso2am_lb_{key} must be {'0 or more' if key == 'max_fails' else '1 or more seconds'}, got {value}"
                )
            result[key] = value
    for key, pattern, example in (("proxy_timeout", _TIME, "5m"), ("client_max_body_size", _SIZE, "100m")):
        value = settings.get(key)
        if value not in (None, ""):
            if not pattern.match(str(value).strip()):
                raise Wso2amModelError(f"wso2am_lb_{key} must be an nginx size or time such as {example}, got {shown(value)}")
            result[key] = str(value).strip()
    tls = settings.get("tls") if isinstance(settings.get("tls"), Mapping) else {}
    result["tls"] = {
        "certificate": tls.get("certificate") or f"{TLS_DIR}/tls.crt",
        "key": tls.get("key") or f"{TLS_DIR}/tls.key",
        "trusted_ca": tls.get("trusted_ca") or None,
    }
    return result


def _server_line(node, port_name, drained, settings):
    return {
        "host": node["host"],
        "address": f"{_host_in_url(node['hostname'])}:{node['ports'][port_name]}",
        "max_fails": settings["max_fails"],
        "fail_timeout": f"{settings['fail_timeout']}s",
        "down": node["host"] in drained,
    }


def _upstream(name, what, nodes, port_name, drained, settings, ip_hash=False):
    return {
        "name": name,
        "what": what,
        "ip_hash": ip_hash,
        "servers": [_server_line(node, port_name, drained, settings) for node in nodes],
    }


def _location(path, upstream, scheme, ssl_name, websocket=False):
    return {"path": path, "upstream": upstream, "scheme": scheme, "ssl_name": ssl_name, "websocket": websocket}


def _names(nodes):
    names = []
    for node in nodes:
        name = node.get("public_hostname") or node["hostname"]
        if name not in names:
            names.append(name)
    return names


def _environments(gateways):
    by_name = {}
    for node in gateways:
        by_name.setdefault(node["environment"], []).append(node)
    return by_name


def lb_model(topology, settings=None, drained=None):
    """The nginx configuration of the load balancer as data (see the module's docstring).

    ``settings``: ``max_fails``, ``fail_timeout`` (seconds), ``proxy_timeout``,
    ``client_max_body_size`` and ``tls`` (``certificate``, ``key`` on the load balancer,
    ``trusted_ca``: the CA nginx verifies the nodes with, None to not verify). ``drained``: the
    hosts to mark ``down`` (a name, a comma-separated string or a list).

    Returns ``{"upstreams", "servers", "server_names", "drained", "websocket", "tls",
    "proxy_timeout", "client_max_body_size"}``; each server has ``listen``, ``ssl``,
    ``server_names``, ``what``, ``locations`` and ``redirect`` (True: to HTTPS).
    """
    _check(topology)
    settings = _settings(settings)
    drained = _drained_hosts(topology, drained)
    cps = [node for node in topology["nodes"] if node["component"] == "control_plane"]
    gateways = [node for node in topology["nodes"] if node["component"] == "gateway"]
    upstreams, servers = [], []

    def server(listen, ssl, names, what, locations=None, redirect=False):
        servers.append({"listen": listen, "ssl": ssl, "server_names": names, "what": what,
                        "locations": locations or [], "redirect": redirect})

    if cps:
        names = _names(cps)
        upstreams.append(_upstream("apim_control_plane", f"control planes, HTTPS servlet {_port('https')}",
                                   cps, "https", drained, settings, ip_hash=True))
        server(HTTPS_PORT, True, names, "control plane: portals, management console, /services/, /oauth2, /api/am/",
               [_location("/", "apim_control_plane", "https", names[0])])
        server(HTTP_PORT, False, names, "control plane: HTTP redirects to HTTPS", redirect=True)

    for index, (environment, members) in enumerate(_environments(gateways).items(), start=1):
        slug = _SLUG.sub("_", environment).strip("_").lower() or "env"
        prefix = f"apim_gw{index}_{slug}"
        names = _names(members[:1])
        ssl_name = names[0]
        ports = members[0]["ports"]
        what = f"gateway environment {environment}"
        for suffix, port_name, label in (
            ("https", "passthrough_https", f"passthrough HTTPS {_port('passthrough_https')}"),
            ("http", "passthrough_http", f"passthrough HTTP {_port('passthrough_http')}"),
            ("management", "https", f"management, /services/ {_port('https')}"),
            ("ws", "ws", f"WebSocket ws {_port('ws')}"),
            ("wss", "wss", f"WebSocket wss {_port('wss')}"),
            ("websub_http", "websub_http", f"WebSub HTTP {_port('websub_http')}"),
            ("websub_https", "websub_https", f"WebSub HTTPS {_port('websub_https')}"),
        ):
            upstreams.append(_upstream(f"{prefix}_{suffix}", f"{what}, {label}", members, port_name, drained, settings))
        server(HTTPS_PORT, True, names, f"{what}: APIs over HTTPS, /services/ to the gateway's management port", [
            _location("/", f"{prefix}_https", "https", ssl_name),
            _location("/services/", f"{prefix}_management", "https", ssl_name),
        ])
        server(HTTP_PORT, False, names, f"{what}: APIs over HTTP", [_location("/", f"{prefix}_http", "http", ssl_name)])
        server(ports["ws"], False, names, f"{what}: WebSocket APIs (ws)",
               [_location("/", f"{prefix}_ws", "http", ssl_name, websocket=True)])
        server(ports["wss"], True, names, f"{what}: WebSocket APIs (wss)",
               [_location("/", f"{prefix}_wss", "https", ssl_name, websocket=True)])
        server(ports["websub_http"], False, names, f"{what}: WebSub (HTTP)",
               [_location("/", f"{prefix}_websub_http", "http", ssl_name)])
        server(ports["websub_https"], True, names, f"{what}: WebSub (HTTPS)",
               [_location("/", f"{prefix}_websub_https", "https", ssl_name)])

    _check_listeners(servers)
    server_names = []
    for item in servers:
        for name in item["server_names"]:
            if name not in server_names:
                server_names.append(name)
    return {
        "upstreams": upstreams,
        "servers": servers,
        "server_names": server_names,
        "drained": drained,
        "websocket": any(loc["websocket"] for item in servers for loc in item["locations"]),
        "tls": settings["tls"],
        "proxy_timeout": settings["proxy_timeout"],
        "client_max_body_size": settings["client_max_body_size"],
    }


def _check_listeners(servers):
    """One port is TLS or plain, and a name is served once per port."""
    ssl_of, seen = {}, {}
    for item in servers:
        if ssl_of.setdefault(item["listen"], item["ssl"]) != item["ssl"]:
            raise Wso2amModelError(
                f"the load balancer would listen on port {item['listen']} both with and without TLS "
                f"({item['what']}); change the gateways' port offset (wso2am_gateway_offset)"
            )
        for name in item["server_names"]:
            other = seen.setdefault((item["listen"], name), item["what"])
            if other != item["what"]:
                raise Wso2amModelError(
                    f"the load balancer would serve '{name}' on port {item['listen']} twice ({other}; "
                    f"{item['what']}) (rule: the control plane and each gateway environment need their own "
                    f"public hostname); set wso2am_lb_control_plane_hostname and wso2am_lb_gateway_hostnames "
                    f"(environment: name) on the load_balancer group"
                )


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

_SAME_ON_EVERY_LB = ("wso2am_lb_control_plane_hostname", "wso2am_lb_gateway_hostnames")


def lb_problems(topology, host_values, lb_hosts):
    """What the inventory gets wrong about the load balancer: ``[(host or None, message)]``.

    ``host_values``: each host's effective settings (inventory values over the specs' defaults);
    ``lb_hosts``: the hosts of the group ``load_balancer``. Checks that every load balancer host
    has a TLS certificate (the PKI's or wso2am_lb_tls_cert_src and _key_src), that the load
    balancer hosts agree on the names they serve, that each name serves one thing, that
    wso2am_lb_gateway_hostnames names existing environments, and that the model builds.
    """
    problems = []
    if not lb_hosts:
        return problems
    for host in lb_hosts:
        values = host_values.get(host, {})
        cert, key = values.get("wso2am_lb_tls_cert_src"), values.get("wso2am_lb_tls_key_src")
        if bool(cert) != bool(key):
            problems.append((host, "wso2am_lb_tls_cert_src and wso2am_lb_tls_key_src go together (the load "
                                   "balancer's certificate and its private key); give both or neither"))
        elif not cert and not _truthy(values.get("wso2am_pki", True)):
            problems.append((host, "no TLS certificate for the load balancer: wso2am_pki is false, so set "
                                   "wso2am_lb_tls_cert_src and wso2am_lb_tls_key_src (PEM files on the controller; "
                                   "the certificate names every public hostname the load balancer serves)"))
    first = host_values.get(lb_hosts[0], {})
    for name in _SAME_ON_EVERY_LB:
        for host in lb_hosts[1:]:
            if host_values.get(host, {}).get(name) != first.get(name):
                problems.append((None, f"the load balancer hosts {lb_hosts[0]} and {host} give different {name} "
                                       f"(rule: every load balancer host serves the same names); set it once on "
                                       f"the load_balancer group"))
    if topology is None:
        return problems
    environments = {node["environment"] for node in topology.get("gateway", [])}
    mapping = first.get("wso2am_lb_gateway_hostnames")
    if isinstance(mapping, Mapping):
        for name in mapping:
            if str(name) not in environments:
                problems.append((lb_hosts[0], f"wso2am_lb_gateway_hostnames names the environment '{name}', which no "
                                              f"gateway is in (environments: {', '.join(sorted(environments))})"))
    try:
        model = lb_model(topology)
    except Wso2amModelError as exc:
        problems.append((None, str(exc)))
        return problems
    listen = {item["listen"] for item in model["servers"]}
    for lb in topology.get(LB_GROUP) or []:
        for node in topology["nodes"]:
            clash = sorted(listen.intersection(node["ports"].values()))
            if node["hostname"] == lb["hostname"] and clash:
                problems.append((lb["host"], (
                    f"the load balancer listens on port(s) {', '.join(map(str, clash))}, which the "
                    f"{node['component']} node of host '{node['host']}' at the same address uses; put the load "
                    f"balancer on another host or change wso2am_{node['component']}_offset")))
    return problems
