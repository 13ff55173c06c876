# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: topology
short_description: Model a distributed WSO2 API Manager deployment from the inventory
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Reads the inventory groups C(control_plane), C(gateway), C(traffic_manager) and the optional C(key_manager),
    and the host variables of their hosts, and returns one model of the whole deployment that every role uses.
  - One node per host and group. A host may be in several groups when each of its nodes has its own port offset.
  - The address other nodes use is C(wso2am_hostname), else C(ansible_host) unless it is a loopback address
    (an SSH lab reaching containers through 127.0.0.1), else the inventory hostname.
  - Port offsets are read from C(wso2am_<component>_offset) (default 0) and may be strings, as AWX sends them.
  - Role defaults are not visible in O(hostvars), so this filter applies the defaults of the variables it reads.
positional: hostvars
options:
  _input:
    description: Ansible's C(groups) mapping.
    type: dict
    required: true
  hostvars:
    description:
      - Ansible's C(hostvars).
      - "Variables read per host: C(wso2am_hostname), C(ansible_host), C(wso2am_<component>_offset),
        C(wso2am_public_hostname), C(wso2am_db_client_address), C(ansible_default_ipv4.address),
        C(wso2am_gateway_environment), C(wso2am_gateway_labels), C(wso2am_gateway_id),
        C(wso2am_node_datasources), C(wso2am_key_manager_url) and C(wso2am_event_hub_url)."
    type: dict
    required: true
notes:
  - "Fails when C(control_plane), C(gateway) or C(traffic_manager) is empty, when an offset is not an integer
    or is negative, when an offset moves a port above 65535, and when two nodes reachable at the same address
    share a port (two nodes on one host need different port offsets)."
seealso:
  - plugin: wso2am.distributed.node_config
    plugin_type: filter
  - plugin: wso2am.distributed.mermaid
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Build the deployment model once
  ansible.builtin.set_fact:
    wso2am_topology: "{{ groups | wso2am.distributed.topology(hostvars) }}"
  run_once: true

- name: Show where the gateways find the key manager
  ansible.builtin.debug:
    msg: "{{ wso2am_topology.key_manager_url }}"

# With this inventory:
#   control_plane: {hosts: {cp1: {}}}
#   gateway: {hosts: {gw1: {wso2am_gateway_environment: Production}}}
#   traffic_manager: {hosts: {tm1: {}}}
# wso2am_topology.environments[0] is
#   {name: Production, gateways: [gw1], type: hybrid, display_in_api_console: true,
#    service_url: "https://gw1:9443/services/", http_endpoint: "http://gw1:8280",
#    https_endpoint: "https://gw1:8243", ws_endpoint: "ws://gw1:9099", wss_endpoint: "wss://gw1:8099"}
"""

RETURN = r"""
_value:
  description: The deployment model.
  type: dict
  contains:
    nodes:
      description:
        - Every node, by component (control_plane, gateway, traffic_manager, key_manager) then inventory order.
        - "Each node: C(id) (C(<host>/<component>)), C(host), C(component), C(hostname), C(offset),
          C(ports) (C(https), C(http), C(jms), C(binary), C(binary_ssl), and for gateways C(passthrough_https),
          C(passthrough_http), C(ws), C(wss), C(websub_http), C(websub_https)), C(public_hostname),
          C(db_client_address), C(datasource_overrides) (the host's C(wso2am_node_datasources), used by
          P(wso2am.distributed.db_clients#filter)), and for gateways C(environment), C(labels), C(gateway_id)."
      type: list
      elements: dict
    control_plane:
      description: The control plane nodes.
      type: list
      elements: dict
    gateway:
      description: The gateway nodes.
      type: list
      elements: dict
    traffic_manager:
      description: The traffic manager nodes.
      type: list
      elements: dict
    key_manager:
      description: The separated key manager nodes (empty when the control plane is the key manager).
      type: list
      elements: dict
    environments:
      description:
        - One entry per gateway environment, in the order first seen.
        - "Keys: C(name), C(gateways), C(type), C(display_in_api_console), C(service_url), C(http_endpoint),
          C(https_endpoint), C(ws_endpoint), C(wss_endpoint)."
      type: list
      elements: dict
    key_manager_url:
      description:
        - The C(/services/) URL of the key manager.
        - C(wso2am_key_manager_url) of a key_manager host or of the first control_plane host when set, else the first
          separated key manager (its hostname and HTTPS port), else the first control plane (its public hostname on
          port 443 when set, else its hostname and HTTPS port).
      type: str
    event_hub_url:
      description:
        - The C(/services/) URL of the control plane's event hub.
        - C(wso2am_event_hub_url) of a control_plane host when set, else the first control plane (its public hostname
          on port 443 when set, else its hostname and HTTPS port).
      type: str
    database:
      description:
        - The hosts of the inventory group C(database) as C(host) and C(hostname) (its C(wso2am_hostname), else its
          C(ansible_host) unless that is loopback, else the inventory name); the first one is the database host the
          nodes connect to unless C(wso2am_db_host) is set.
      type: list
      elements: dict
    links:
      description:
        - Every directed link between two nodes as C(from), C(to) (node ids), C(kind) and C(port).
        - "Kinds: C(key_manager), C(event_hub), C(throttling), C(throttle_decision), C(gateway_environment),
          C(event_duplicate), C(notification)."
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    Wso2amModelError,
    build_topology,
)

FILTER_NAME = "wso2am.distributed.topology"


def topology(groups, hostvars):
    """Return the deployment model of the inventory."""
    try:
        return build_topology(groups, hostvars)
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.topology filter."""

    def filters(self):
        return {"topology": topology}
