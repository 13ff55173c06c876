#!/usr/bin/python
# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: folders
short_description: Make sure several folders exist with their owner, group and mode, in one step
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Creates each folder that is missing (its parent must exist or come earlier in the list) and sets its owner,
    group and mode, like M(ansible.builtin.file) with O(ansible.builtin.file#module:state=directory), for a whole
    list of folders in one module run. A run on a converged node checks every folder and changes nothing.
  - The roles of wso2am.distributed use it for the folders every node needs, so that a run that changes nothing
    costs one module run for them instead of one per folder.
options:
  folders:
    description: The folders, in the order they are created.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the folder.
        type: path
        required: true
      owner:
        description: Its owner (name or id); unset leaves it as it is.
        type: str
      group:
        description: Its group (name or id); unset leaves it as it is.
        type: str
      mode:
        description: Its permissions, an octal string such as C(0755); unset leaves them as they are.
        type: str
attributes:
  check_mode:
    support: full
    description: Reports what it would create or change.
  diff_mode:
    support: full
    description: Shows the owner, group and mode before and after, per folder.
notes:
  - Internal to wso2am.distributed; an existing path that is not a folder is an error, never replaced.
seealso:
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Create the install folders
  wso2am.distributed.folders:
    folders:
      - {path: /opt/wso2, owner: root, group: wso2carbon, mode: "0755"}
      - {path: /opt/wso2/state, owner: root, group: root, mode: "0700"}
"""

RETURN = r"""
changed_folders:
  description: The folders created or whose owner, group or mode changed.
  returned: always
  type: list
  elements: str
  sample: [/opt/wso2/state]
"""

import os

from ansible.module_utils.basic import AnsibleModule


def _settle(module, folder, diffs):
    """Creates the folder if needed and sets its attributes; returns whether it changed."""
    path = folder["path"]
    if not os.path.isabs(path):
        module.fail_json(msg=f"folders: {path!r} is not an absolute path")
    created = False
    if not os.path.lexists(path):
        created = True
        if not module.check_mode:
            os.mkdir(path)
    elif not os.path.isdir(path):
        module.fail_json(msg=f"folders: {path} exists and is not a folder")
    if created and module.check_mode:
        diffs.append({"before_header": path, "after_header": path, "before": "absent\n", "after": "directory\n"})
        return True
    diff = {"before": {}, "after": {}}
    params = {"path": path, "owner": folder.get("owner"), "group": folder.get("group"),
              "mode": folder.get("mode"), "attributes": None, "secontext": [None, None, None]}
    changed = module.set_fs_attributes_if_different(params, created, diff=diff)
    if changed or created:
        diffs.append({"before_header": path, "after_header": path,
                      "before": "absent\n" if created else "".join(f"{k}: {v}\n" for k, v in sorted(diff["before"].items())),
                      "after": "".join(f"{k}: {v}\n" for k, v in sorted(diff["after"].items())) or "directory\n"})
    return changed or created


def main():
    module = AnsibleModule(
        argument_spec={
            "folders": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "path": {"type": "path", "required": True},
                    "owner": {"type": "str"},
                    "group": {"type": "str"},
                    "mode": {"type": "str"},
                },
            },
        },
        supports_check_mode=True,
    )
    diffs, changed = [], []
    for folder in module.params["folders"]:
        if _settle(module, folder, diffs):
            changed.append(folder["path"])
    result = {"changed": bool(changed), "changed_folders": changed}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
