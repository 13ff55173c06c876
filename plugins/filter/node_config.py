# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_config
short_description: Build the deployment.toml of one WSO2 API Manager node as data
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Returns the whole C(deployment.toml) of one node as a dictionary; write it with P(wso2am.distributed.to_toml#filter).
  - "Every key written, per component and version, is listed with its source in C(docs/fidelity.md); the
    per-version facts come from the collection's facts module (see P(wso2am.distributed.facts#filter))."
  - "Every node gets C([server]) (C(hostname) is the public hostname of a control plane or gateway that has one,
    else the node's own; C(server_role) C(default), as the packs ship),
    C([super_admin]), C([user_store]), C([database.*]) (see P(wso2am.distributed.datasources#filter); the
    database host is C(settings.db.host), else the first host of the inventory group C(database), addressed
    like every node), C([keystore.tls]), C([keystore.primary]) and C([truststore]); with 4.7, C([encryption] key)."
  - "Credentials inside other sections are the placeholders C(${admin.username}) and C(${admin.password})."
  - "A gateway points at the key manager, the traffic managers (throttle decisions and one url_group each),
    the control plane event hub, and carries its labels, its gateway id (4.6 and later) and the pack's
    analytics, cache, OAuth and CORS settings."
  - "A control plane runs the event hub (publishing to every control plane, duplicating events to its peers and
    invalidating caches in HA), lists one C([[apim.gateway.environment]]) per gateway environment, points at the
    separated key manager when there is one, always runs its own token revocation listener, sets the developer
    portal URL and keeps the pack's gateway types, CORS, event handler and service provider settings (and, with
    4.7, the JWT token type). It has no C([apim.throttling]), as in the 4.5-4.7 packs."
  - A traffic manager listens to the event hub and duplicates events to its peers; it has no C([apim.key_manager]).
  - A separated key manager listens to the event hub and notifies the first control plane (by its public hostname
    when it has one) of token revocations.
  - A control plane or gateway with a public hostname (C(wso2am_public_hostname)) also gets C(proxyPort) 443 / 80 on
    its HTTPS / HTTP transports. Traffic managers and key managers ignore C(wso2am_public_hostname), so that one
    sharing a host with a control plane keeps its own name.
  - O(settings.extra) is merged last. Dictionaries merge recursively; everything else, lists included, replaces.
positional: host, component, settings
options:
  _input:
    description: The result of P(wso2am.distributed.topology#filter).
    type: dict
    required: true
  host:
    description: The inventory hostname of the node.
    type: str
    required: true
  component:
    description: The component of the node.
    type: str
    required: true
    choices: [control_plane, gateway, traffic_manager, key_manager]
  settings:
    description:
      - The settings of P(wso2am.distributed.datasources#filter) (C(gateway_count) is taken from the topology)
        plus the keys below.
      - When C(overrides) is not given, the node's C(datasource_overrides) from the topology are used.
    type: dict
    required: true
    suboptions:
      version:
        description: The API Manager version, 4.5.x, 4.6.x or 4.7.x.
        type: str
        required: true
      encryption_key:
        description:
          - API-M 4.7 and later, required there; 64 hexadecimal characters, written as C([encryption] key).
          - Ignored for 4.5 and 4.6.
        type: str
      admin_username:
        description: The super admin user.
        type: str
        default: admin
      admin_password:
        description: The super admin password.
        type: str
        required: true
      server_roles:
        description:
          - Component to C([server] server_role); missing components get C(default).
          - The 4.5-4.7 packs' C(infer.json) knows only C(default); any other value is refused.
        type: dict
      keystore:
        description:
          - C(file_name), C(type), C(password), C(alias), C(key_password) of the keystore, written as both
            C([keystore.tls]) and C([keystore.primary]).
          - Missing keys default to C(wso2carbon.jks), C(JKS), C(wso2carbon), C(wso2carbon), C(wso2carbon).
        type: dict
      truststore:
        description:
          - C(file_name), C(type), C(password) of the truststore.
          - Missing keys default to C(client-truststore.jks), C(JKS), C(wso2carbon).
        type: dict
      extra:
        description: Deep-merged over the result last.
        type: dict
notes:
  - Fails when the host is not a node of that component in the topology, and for every error of P(wso2am.distributed.datasources#filter).
  - "Error messages name the variable of the roles each setting comes from, as P(wso2am.distributed.datasources#filter)
    does: O(settings.version) is C(wso2am_version), O(settings.admin_password) C(wso2am_admin_password),
    O(settings.server_roles) C(wso2am_server_roles), O(settings.encryption_key) C(wso2am_encryption_key)."
seealso:
  - plugin: wso2am.distributed.topology
    plugin_type: filter
  - plugin: wso2am.distributed.to_toml
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write deployment.toml of this gateway
  ansible.builtin.copy:
    dest: /opt/wso2/wso2am-universal-gw-4.5.0/repository/conf/deployment.toml
    content: >-
      {{ wso2am_topology
         | wso2am.distributed.node_config(inventory_hostname, 'gateway', wso2am_settings)
         | wso2am.distributed.to_toml }}
    mode: "0640"
"""

RETURN = r"""
_value:
  description: The C(deployment.toml) of the node as nested dictionaries and lists.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    Wso2amModelError,
    build_node_config,
)

FILTER_NAME = "wso2am.distributed.node_config"


def node_config(topology, host, component, settings):
    """Return the deployment.toml data of one node."""
    try:
        return build_node_config(topology, host, component, settings)
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.node_config filter."""

    def filters(self):
        return {"node_config": node_config}
