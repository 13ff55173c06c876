# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: render_files
short_description: The deployment.toml files of every node, for playbooks/render.yml
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - For every node of the topology whose host is a key of O(hosts), the C(deployment.toml) the node gets
    (P(wso2am.distributed.node_config#filter), the secure vault's C($secret{}) references when the host uses it,
    P(wso2am.distributed.deployment_toml#filter)), as a file under O(render_dir).
  - "One call for a whole play: the topology is read once, whatever the number of nodes."
  - A host with one component gets C(<render_dir>/<host>/deployment.toml); a host with several components
    C(<render_dir>/<host>/<component>/deployment.toml).
positional: hosts, render_dir, mask_secrets, managed
options:
  _input:
    description: The result of P(wso2am.distributed.topology#filter).
    type: dict
    required: true
  hosts:
    description:
      - Per inventory hostname, C(settings) (the settings of P(wso2am.distributed.node_config#filter)) and
        C(secure_vault) (whether the host's secrets go to the secure vault).
    type: dict
    required: true
  render_dir:
    description: The folder the files go to, on the controller.
    type: str
    required: true
  mask_secrets:
    description: Masks every secret; unmasked, the secure vault's table shows each value as the cipher tool's C([value]).
    type: bool
    default: true
  managed:
    description: The first lines of each file (C(ansible_managed) as a comment).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Write every node's deployment.toml
  wso2am.distributed.controller_files:
    files: "{{ topology | wso2am.distributed.render_files(hosts, '/tmp/render') }}"
"""

RETURN = r"""
_value:
  description: "A list of C({path, content, mode}) (mode C(0600)), in the topology's order."
  type: list
  elements: dict
"""

import posixpath

from ansible_collections.wso2am.distributed.plugins.filter.deployment_toml import deployment_toml
from ansible_collections.wso2am.distributed.plugins.filter.node_config import node_config
from ansible_collections.wso2am.distributed.plugins.filter.secure_vault import secure_vault

FILTER_NAME = "wso2am.distributed.render_files"
_ORDER = ("control_plane", "key_manager", "traffic_manager", "gateway")


def render_files(topology, hosts, render_dir, mask_secrets=True, managed=""):
    """Return [{path, content, mode}] for the nodes of the hosts listed in ``hosts``."""
    nodes = [node for node in topology["nodes"] if node["host"] in hosts]
    components = {}
    for node in nodes:
        components.setdefault(node["host"], []).append(node["component"])
    files = []
    for node in sorted(nodes, key=lambda n: (n["host"], _ORDER.index(n["component"]))):
        host, component = node["host"], node["component"]
        info = hosts[host]
        config = node_config(topology, host, component, info["settings"])
        if info.get("secure_vault"):
            config = secure_vault(config, "", None, None, None, not mask_secrets)
        text = deployment_toml(config, info["settings"]["version"], component, host, mask_secrets)
        folder = posixpath.join(str(render_dir), host, "" if len(components[host]) == 1 else component)
        files.append(
            {
                "path": posixpath.join(folder, "deployment.toml"),
                "content": (f"{managed}\n" if managed else "") + text,
                "mode": "0600",
            }
        )
    return files


class FilterModule:
    """wso2am.distributed.render_files filter."""

    def filters(self):
        return {"render_files": render_files}
