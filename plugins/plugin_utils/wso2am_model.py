# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The decision logic of the wso2am.distributed collection, in one import.

Controller-side code (``plugin_utils``: it never runs on a managed node), plain Python without
Ansible imports, so the filter plugins and the unit tests use it alike. Every problem is
reported as :class:`Wso2amModelError`; the filter plugins prefix the message with the FQCN of
the filter and re-raise it as ``AnsibleFilterError``. One module per concern:

* ``wso2am_facts``: what WSO2 ships and requires, per version (sources in docs/fidelity.md);
* ``wso2am_values``: scalars as AWX and inventories send them, addresses and URLs;
* ``wso2am_topology``: :func:`build_topology` turns ``groups`` and ``hostvars`` into nodes,
  ports, gateway environments, the key manager and event hub URLs and the links;
* ``wso2am_datasources``: :func:`build_datasources` (which node uses which database) and
  :func:`build_db_clients` (the addresses each database sees connecting);
* ``wso2am_node_config``: :func:`build_node_config`, a node's whole ``deployment.toml`` as data;
* ``wso2am_toml``: :func:`to_toml` and :func:`mask_secrets`;
* ``wso2am_mermaid``: :func:`build_mermaid`, the topology as a Mermaid flowchart.
"""

from __future__ import annotations

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_datasources import (
    build_datasources,
    build_db_clients,
    with_database_host,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import (
    COMPONENTS,
    H2_SHARED_DB,
    REQUIRED_COMPONENTS,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_mermaid import build_mermaid
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_node_config import (
    DEFAULT_SERVER_ROLES,
    build_node_config,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_toml import mask_secrets, to_toml
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_topology import build_topology
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    Wso2amModelError,
    deep_merge,
    is_loopback,
    to_bool,
    to_int,
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
    "is_loopback",
    "build_topology",
    "build_datasources",
    "build_node_config",
    "build_db_clients",
    "with_database_host",
    "build_mermaid",
    "mask_secrets",
    "to_toml",
]
