# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: upstreams
short_description: The endpoints of earlier tiers a node must reach before it starts
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Reads a node's configuration (from C(wso2am.distributed.node_config)) for every endpoint it names (databases,
    key manager, event hub service, JMS and binary ports, traffic managers' binary, binary SSL and JMS ports, the
    control plane's notification endpoint) and keeps those served by an earlier tier in site.yml's order (database,
    control plane, key manager, traffic manager, gateway), which are up when the node starts.
  - Peers of the node's own tier, later tiers and hosts the inventory does not know (a load balancer) are left out.
positional: component, config, db_host
options:
  _input:
    description: The topology, from C(wso2am.distributed.topology).
    type: dict
    required: true
  component:
    description: The node's component (C(control_plane), C(key_manager), C(traffic_manager) or C(gateway)).
    type: str
    required: true
  config:
    description: The node's configuration.
    type: dict
    required: true
  db_host:
    description: The database server's address when the inventory has no C(database) group (O(wso2am_db_host)).
    type: str
"""

EXAMPLES = r"""
- name: Check each upstream from the node
  ansible.builtin.wait_for:
    host: "{{ item.host }}"
    port: "{{ item.port }}"
    timeout: 30
  loop: "{{ topology | wso2am.distributed.upstreams('gateway', config) }}"
"""

RETURN = r"""
_value:
  description: A list of C({host, port, what}), C(what) naming the endpoint (such as C(event hub JMS)).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_upstreams import TIER_ORDER, node_upstreams

FILTER_NAME = "wso2am.distributed.upstreams"


def upstreams(topology, component, config, db_host=None):
    """Return the endpoints of earlier tiers that ``config`` names."""
    if component not in TIER_ORDER[1:]:
        raise AnsibleFilterError(f"{FILTER_NAME}: component must be one of {', '.join(TIER_ORDER[1:])}, got {component!r}")
    return node_upstreams(topology or {}, component, config or {}, db_host or None)


class FilterModule:
    """wso2am.distributed.upstreams filter."""

    def filters(self):
        return {"upstreams": upstreams}
