# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: mermaid
short_description: Draw a WSO2 API Manager topology as a Mermaid flowchart
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Returns a Mermaid C(flowchart LR) with one subgraph per component, one box per node
    (inventory host, component, C(hostname:https port)) and one edge per link of the topology, labelled C(<kind> :<port>).
  - Node ids are made of C([A-Za-z0-9_]) only.
  - With O(db_clients_result), a C(database) node is added with an edge from every node whose C(db_client_address)
    is a client of that database. Nodes sharing one address all get the edge.
positional: db_clients_result, db_host, db_port
options:
  _input:
    description: The result of P(wso2am.distributed.topology#filter).
    type: dict
    required: true
  db_clients_result:
    description: The result of P(wso2am.distributed.db_clients#filter).
    type: dict
  db_host:
    description: Label of the database node.
    type: str
    default: database
  db_port:
    description: Port shown on the database edges.
    type: int
seealso:
  - plugin: wso2am.distributed.topology
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the topology diagram
  ansible.builtin.copy:
    dest: "{{ playbook_dir }}/topology.mmd"
    content: "{{ wso2am_topology | wso2am.distributed.mermaid(wso2am_db_clients, 'db.example.com', 3306) }}"
    mode: "0644"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
_value:
  description: The Mermaid flowchart, ending with a newline.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    Wso2amModelError,
    build_mermaid,
)

FILTER_NAME = "wso2am.distributed.mermaid"


def mermaid(topology, db_clients_result=None, db_host=None, db_port=None):
    """Return the topology as a Mermaid flowchart."""
    try:
        return build_mermaid(topology, db_clients_result, db_host, db_port)
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.mermaid filter."""

    def filters(self):
        return {"mermaid": mermaid}
