#!/usr/bin/python
# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)
"""Documentation of the action plugin plugins/action/controller_files.py (it has no module code)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: controller_files
short_description: Write files on the controller in one step (used by playbooks/render.yml)
description:
  - Creates folders and writes files on the Ansible controller from the action's own process.
  - A file whose content and mode are already right is left alone, so a second run reports no change.
  - Honours check mode (reports what would change, writes nothing) and diff mode.
  - Internal to wso2am.distributed; it always acts on the controller, whatever the task's host.
options:
  files:
    description: Files to write.
    type: list
    elements: dict
    required: true
    suboptions:
      path: {description: Absolute path of the file., type: path, required: true}
      content: {description: The file's text., type: str, required: true}
      mode: {description: Octal permissions as a string such as C(0640)., type: str, default: "0640"}
  dir_mode:
    description: Permissions of the folders created for the files.
    type: str
    default: "0750"
author: wso2am.distributed contributors (@wso2am-distributed)
"""

EXAMPLES = r"""
- name: Write two files on the controller
  wso2am.distributed.controller_files:
    files:
      - path: /tmp/render/cp1/deployment.toml
        content: "{{ cp1_toml }}"
      - path: /tmp/render/topology.md
        content: "{{ topology_md }}"
        mode: "0644"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: How many files the task was given.
  returned: always
  type: int
  sample: 5
written:
  description: The files written (or, in check mode, that would be written).
  returned: always
  type: list
  elements: str
  sample: [/tmp/render/cp1/deployment.toml]
"""
