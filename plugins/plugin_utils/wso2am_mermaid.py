# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The topology drawn as a Mermaid flowchart (render.yml's topology.md).
"""

from __future__ import annotations

import re

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import (
    COMPONENTS,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    _host_in_url,
    _mapping,
    to_int,
    Wso2amModelError,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_topology import (
    _check_topology,
)


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


# Mermaid refuses a chart with more than 500 edges by default (maxEdges), and a box per gateway
# is unreadable long before that: the gateways of an environment with more than this many
# gateways are drawn as one box that counts them, with each of their links drawn once.
GROUP_GATEWAYS_OVER = 4


def _gateway_groups(topology, used):
    """{node id: (box id, label)} for the gateways drawn in one box per crowded environment."""
    by_environment = {}
    for node in topology["gateway"]:
        by_environment.setdefault(node.get("environment") or "", []).append(node)
    grouped = {}
    for environment, members in by_environment.items():
        if len(members) <= GROUP_GATEWAYS_OVER:
            continue
        box = _mermaid_id(f"gateways__{environment}", used)
        names = [m["host"] for m in members]
        label = "<br/>".join(
            (
                _mermaid_label(f"{len(members)} gateways"),
                _mermaid_label(f"environment {environment}"),
                _mermaid_label(f"{names[0]} ... {names[-1]}"),
            )
        )
        for member in members:
            grouped[member["id"]] = (box, label)
    return grouped


def build_mermaid(topology, db_clients=None, db_host=None, db_port=None):
    """Return a Mermaid ``flowchart LR`` of the nodes and their links; the gateways of an
    environment with more than GROUP_GATEWAYS_OVER gateways share one box."""
    _check_topology(topology)
    used = {"database"}
    ids = {}
    lines = ["flowchart LR"]
    grouped = _gateway_groups(topology, used)
    for component in COMPONENTS:
        members = topology[component]
        if not members:
            continue
        lines.append(f'  subgraph {_mermaid_id("group_" + component, used)}["{component}"]')
        drawn = set()
        for node in members:
            if node["id"] in grouped:
                box, label = grouped[node["id"]]
                ids[node["id"]] = box
                if box not in drawn:
                    drawn.add(box)
                    lines.append(f'    {box}["{label}"]')
                continue
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
    edges = []
    for link in topology.get("links") or []:
        source, target = ids.get(link["from"]), ids.get(link["to"])
        if source is None or target is None:
            raise Wso2amModelError(
                f"link {link['from']} -> {link['to']} names a node that is not in the topology"
            )
        edges.append(f'  {source} -->|"{link["kind"]} :{link["port"]}"| {target}')
    if db_clients is not None:
        db_clients = _mapping(db_clients, "db_clients_result")
        port = to_int(db_port, "db_port") if db_port is not None else None
        edges.append(f'  database[("{_mermaid_label(db_host or "database")}")]')
        for name in ("apim_db", "shared_db"):
            addresses = set(db_clients.get(name) or [])
            edge = f"{name} :{port}" if port is not None else name
            for node in topology["nodes"]:
                if node["db_client_address"] in addresses:
                    edges.append(f'  {ids[node["id"]]} -->|"{edge}"| database')
    lines.extend(dict.fromkeys(edges))
    return "\n".join(lines) + "\n"
