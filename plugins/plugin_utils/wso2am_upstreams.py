# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The upstreams a node must reach before it starts: the connectivity gate.

A node that starts without reaching its control plane's event hub, its key manager or its
traffic managers comes up "healthy" and sits unsynchronised. :func:`node_upstreams` reads a
node's configuration (the one its deployment.toml is written from) for every endpoint it names,
and keeps those of earlier tiers (database, control plane, key manager, traffic manager,
gateway: the order site.yml deploys them in), which are up by the time the node starts. Peers of
the node's own tier, later tiers (the control plane's gateway environments, its separated key
manager) and hosts the inventory does not know (a load balancer) are left out: they may not be
up yet on a first deployment.

No Ansible import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import DB_TYPES
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import _is_list

# site.yml's tier order.
TIER_ORDER = ("database", "control_plane", "key_manager", "traffic_manager", "gateway")

# What an endpoint is, by where the configuration names it (dotted path, lists flattened).
_LABELS = (
    (re.compile(r"^database\.(\w+)\.url$"), "database {0}"),
    (re.compile(r"^apim\.key_manager\.service_url$"), "key manager"),
    (re.compile(r"^apim\.event_hub\.service_url$"), "event hub"),
    (re.compile(r"^apim\.event_hub\.event_listening_endpoints$"), "event hub JMS"),
    (re.compile(r"^apim\.event_hub\.publish\.url_group\.urls$"), "event hub binary"),
    (re.compile(r"^apim\.throttling\.url_group\.traffic_manager_urls$"), "traffic manager binary"),
    (re.compile(r"^apim\.throttling\.url_group\.traffic_manager_auth_urls$"), "traffic manager binary SSL"),
    (re.compile(r"^apim\.throttling\.throttle_decision_endpoints$"), "traffic manager JMS"),
    (re.compile(r"^event_listener\.properties\.notification_endpoint$"), "control plane notification"),
)
_URL = re.compile(r"^(?:jdbc:)?(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[^\]]+\]|[^/:?;,\s]+)(?::(?P<port>\d+))?")
_DEFAULT_PORTS = dict({"https": 443, "http": 80}, **{name: spec["port"] for name, spec in DB_TYPES.items()})


def _walk(value, path=()):
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, path + (str(key),))
    elif _is_list(value):
        for item in value:
            yield from _walk(item, path)
    elif isinstance(value, str):
        yield ".".join(path), value


def _label(path):
    for pattern, label in _LABELS:
        found = pattern.match(path)
        if found:
            return label.format(*found.groups())
    return None


def _endpoint(text):
    found = _URL.match(text.strip())
    if not found:
        return None
    port = found.group("port")
    port = int(port) if port else _DEFAULT_PORTS.get(found.group("scheme"))
    if not port:
        return None
    return found.group("host").strip("[]"), port


def _tier_of(topology, host, port):
    """The tier of the inventory node listening on host:port, or None."""
    for node in topology.get("nodes", []):
        if node.get("hostname") == host and port in (node.get("ports") or {}).values():
            return node["component"]
    for database in topology.get("database") or []:
        if database.get("hostname") == host or database.get("host") == host:
            return "database"
    return None


def node_upstreams(topology, component, config, db_host=None):
    """``[{"host", "port", "what"}]``: the endpoints of earlier tiers ``config`` names, in order, once each.

    ``db_host``: the database server's address when the inventory has no ``database`` group
    (wso2am_db_host); it counts as the first tier.
    """
    own = TIER_ORDER.index(component)
    found, seen = [], set()
    for path, text in _walk(config):
        what = _label(path)
        if not what:
            continue
        endpoint = _endpoint(text)
        if endpoint is None:
            continue
        host, port = endpoint
        tier = "database" if (db_host and host == db_host) else _tier_of(topology, host, port)
        if tier is None or TIER_ORDER.index(tier) >= own or (host, port) in seen:
            continue
        seen.add((host, port))
        found.append({"host": host, "port": port, "what": what})
    return found
