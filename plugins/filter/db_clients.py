# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: db_clients
short_description: List the addresses each WSO2 API Manager database sees connecting
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Applies the rules of P(wso2am.distributed.datasources#filter) to every node of the topology and lists,
    per database, the C(db_client_address) of each node that uses the real database (not H2),
    for database grants (for example C(user@address)) and firewall rules.
  - The node-specific O(settings.overrides) and C(extra) of the datasources settings are ignored.
    A node's overrides come from O(settings.node_overrides) when it names the node, else from the node's
    C(datasource_overrides) in the topology (the host variable C(wso2am_node_datasources)).
positional: settings
options:
  _input:
    description: The result of P(wso2am.distributed.topology#filter).
    type: dict
    required: true
  settings:
    description:
      - The settings of P(wso2am.distributed.datasources#filter) (C(gateway_count) is taken from the topology).
    type: dict
    required: true
    suboptions:
      node_overrides:
        description:
          - C(apim_db) / C(shared_db) overrides per node, keyed by C(<host>/<component>) or by C(<host>);
            they replace the node's C(datasource_overrides).
        type: dict
seealso:
  - plugin: wso2am.distributed.datasources
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Allow every client of the API-M database
  community.mysql.mysql_user:
    name: "{{ wso2am_db_apim_user }}"
    host: "{{ item }}"
    password: "{{ wso2am_db_apim_password }}"
    priv: "{{ wso2am_db_apim_name }}.*:ALL"
  loop: "{{ (wso2am_topology | wso2am.distributed.db_clients(wso2am_db_settings)).apim_db }}"
"""

RETURN = r"""
_value:
  description: Client addresses per database, each list sorted and without duplicates.
  type: dict
  contains:
    apim_db:
      description: Addresses of the nodes that use the API-M database.
      type: list
      elements: str
    shared_db:
      description: Addresses of the nodes that use the real shared database.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    Wso2amModelError,
    build_db_clients,
)

FILTER_NAME = "wso2am.distributed.db_clients"


def db_clients(topology, settings):
    """Return the client addresses of each database."""
    try:
        return build_db_clients(topology, settings)
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.db_clients filter."""

    def filters(self):
        return {"db_clients": db_clients}
