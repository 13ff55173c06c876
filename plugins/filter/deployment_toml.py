# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: deployment_toml
short_description: Write a node's deployment.toml data as the file the node gets
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - "The text of a node's C(deployment.toml) below the C(ansible_managed) line: a header naming the version, the
    component and the host, then the data written by P(wso2am.distributed.to_toml#filter)."
  - The nodes (C(templates/deployment.toml.j2)) and C(playbooks/render.yml) both use it, so a rendered file is the
    node's file.
  - The text is parsed back as TOML (Python's C(tomllib)) before it is returned, so a file the product could not
    read fails on the controller, naming the host, before it reaches any node.
positional: version, component, host, mask_secrets
options:
  _input:
    description: The result of P(wso2am.distributed.node_config#filter), with the secure vault applied or not.
    type: dict
    required: true
  version:
    description: The WSO2 API Manager version.
    type: str
    required: true
  component:
    description: C(control_plane), C(gateway), C(traffic_manager) or C(key_manager).
    type: str
    required: true
  host:
    description: The inventory hostname of the node.
    type: str
    required: true
  mask_secrets:
    description: Masks every secret (see P(wso2am.distributed.to_toml#filter)); for review, not for a node.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write deployment.toml
  ansible.builtin.copy:
    content: "{{ config | wso2am.distributed.deployment_toml('4.6.0', 'gateway', inventory_hostname) }}"
    dest: /opt/wso2/gateway/repository/conf/deployment.toml
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The file's text (ends with a newline).
  type: str
"""

import tomllib

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.to_toml import to_toml

FILTER_NAME = "wso2am.distributed.deployment_toml"


def deployment_toml(config, version, component, host, mask_secrets=False):
    """Return the header and the TOML of one node's deployment.toml."""
    if mask_secrets:
        note = "# Rendered for review by wso2am.distributed.render: passwords are masked."
    else:
        note = "# Rendered by wso2am.distributed from the inventory; change wso2am_deployment_toml_extra, not this file."
    text = "\n".join(
        [
            f"# WSO2 API Manager {version}: {str(component).replace('_', ' ')} node {host}.",
            note,
            to_toml(config, mask_secrets=bool(mask_secrets)),
        ]
    )
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # The error names a line and column, never the text (it may hold secrets).
        raise AnsibleFilterError(
            f"{FILTER_NAME}: the deployment.toml of the {component} on {host} does not parse as TOML ({err}); "
            "look at wso2am_deployment_toml_extra, or render it with playbooks/render.yml to see the file"
        ) from None
    return text


class FilterModule:
    """wso2am.distributed.deployment_toml filter."""

    def filters(self):
        return {"deployment_toml": deployment_toml}
