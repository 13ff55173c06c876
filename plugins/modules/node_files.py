#!/usr/bin/python
# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_files
short_description: Put several small files from the controller on a node in one step, sending only those that differ
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Like M(ansible.builtin.copy) for a whole list of small files (scripts, certificates, keystores). The action
    side computes each file's SHA-256 on the controller and asks the node, in one module run, which files differ
    in content, owner, group or mode; only the files whose content differs are then sent, in a second module run.
    On a converged node the task is one module run and sends no file content.
  - The roles of wso2am.distributed use it for the helper scripts, the CA and primary certificates and the
    keystores of every node.
options:
  files:
    description: The files. Their folders must exist.
    type: list
    elements: dict
    required: true
    suboptions:
      src:
        description:
          - The file on the controller. A relative path is looked up in the role's C(files) folder, as
            M(ansible.builtin.copy) does. Exactly one of O(files[].src) and O(files[].content) is given.
        type: path
      content:
        description: The file's text, instead of O(files[].src).
        type: str
      dest:
        description: Absolute path of the file on the node.
        type: path
        required: true
      owner:
        description: Its owner (name or id); unset leaves it as it is.
        type: str
      group:
        description: Its group (name or id); unset leaves it as it is.
        type: str
      mode:
        description:
          - Its permissions, an octal string such as C(0640). Required, so that no file is left with the
            permissions of the temporary file it was written through (0600).
        type: str
        required: true
      diff:
        description:
          - Show this file's change in diff mode (text files without secrets only; the others never are).
        type: bool
        default: false
      sha256:
        description:
          - Set by the action side (the SHA-256 of the file on the controller); not for tasks. Never logged (a
            checksum of a file holding secrets could be used to guess them).
        type: str
      data:
        description: Set by the action side (the file's bytes, base64) for the files that differ; not for tasks.
        type: str
  known:
    description:
      - What M(wso2am.distributed.node_examine) read of these files earlier in the run (its RV(wso2am.distributed.node_examine#module:described)).
        When every file has the SHA-256 it would be written with and the owner, group and mode asked for, the task
        reports no change without contacting the node (no module run). Any difference, or a file it does not name,
        and the files are settled as without it.
      - Only for files nothing else changes between that read and this task. Never logged.
    type: dict
attributes:
  check_mode:
    support: full
    description: Reports which files would be written or changed, writes nothing.
  diff_mode:
    support: partial
    description: Shows the change of the files marked O(files[].diff) (text without secrets); never the others.
notes:
  - Internal to wso2am.distributed. Each file is written to a temporary file beside it and renamed, so a reader
    never sees half a file. An existing path that is not a regular file is an error, never replaced.
  - Meant for small files; the packs go through M(ansible.builtin.copy).
  - Files may hold secrets (C(deployment.toml)), so their content and checksum never appear in the task's result or
    its log, and only the files marked O(files[].diff) are shown in diff mode.
seealso:
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Install the helper scripts and the certificates
  wso2am.distributed.node_files:
    files:
      - {src: wso2am-release.py, dest: /opt/wso2/bin/wso2am-release.py, owner: root, group: root, mode: "0644"}
      - {src: /srv/pki/lab/ca/ca.crt, dest: /opt/wso2/pki/ca.crt, owner: root, group: root, mode: "0644"}
"""

RETURN = r"""
changed_files:
  description: The files written, or whose owner, group or mode changed (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/opt/wso2/pki/ca.crt]
content_needed:
  description: Internal to the action side (files whose content must be sent); empty in a task's result.
  returned: always
  type: list
  elements: str
  sample: []
before:
  description: Internal to the action side (in diff mode, the current text of the files marked for diff that differ).
  returned: always
  type: dict
  sample: {}
"""

import base64
import hashlib
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def _write(path, data):
    fd, tmp = tempfile.mkstemp(prefix=".wso2am-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _text(path, limit=262144):
    """The current text of a file for a diff ('' when absent, a note when too big to show)."""
    if not os.path.exists(path):
        return ""
    if os.path.getsize(path) > limit:
        return f"({path} is larger than {limit} bytes: not shown)\n"
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def _settle(module, entry):
    """Returns (changed, content_needed) for one file."""
    path = entry["dest"]
    if not entry.get("sha256"):
        module.fail_json(msg="node_files: run it as a task (its action side computes each file's checksum)")
    if not os.path.isabs(path):
        module.fail_json(msg=f"node_files: {path!r} is not an absolute path")
    exists = os.path.lexists(path)
    if exists and (os.path.islink(path) or not os.path.isfile(path)):
        module.fail_json(msg=f"node_files: {path} exists and is not a regular file")
    same = exists and _sha256(path) == entry["sha256"]
    written = False
    if not same:
        if entry.get("data") is None:
            return True, True
        data = base64.b64decode(entry["data"])
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            module.fail_json(msg=f"node_files: the content sent for {path} does not match its checksum")
        if not module.check_mode:
            _write(path, data)
        written = True
        if module.check_mode:
            return True, False
    params = {"path": path, "owner": entry.get("owner"), "group": entry.get("group"), "mode": entry.get("mode"),
              "attributes": None, "secontext": [None, None, None]}
    changed = module.set_fs_attributes_if_different(params, False)
    return changed or written, False


def main():
    module = AnsibleModule(
        argument_spec={
            "files": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "src": {"type": "path"},
                    "content": {"type": "str", "no_log": True},
                    "dest": {"type": "path", "required": True},
                    "diff": {"type": "bool", "default": False},
                    # A checksum of a file that may hold secrets (deployment.toml): never logged.
                    "sha256": {"type": "str", "no_log": True},
                    "data": {"type": "str", "no_log": True},
                    "owner": {"type": "str"},
                    "group": {"type": "str"},
                    "mode": {"type": "str", "required": True},
                },
            },
            # Read by the action side only (it never reaches the node).
            "known": {"type": "dict", "no_log": True},
        },
        supports_check_mode=True,
    )
    changed, needed, before = [], [], {}
    for entry in module.params["files"]:
        differs, wants = _settle(module, entry)
        if wants:
            needed.append(entry["dest"])
            if module._diff and entry.get("diff"):
                before[entry["dest"]] = _text(entry["dest"])
        elif differs:
            changed.append(entry["dest"])
    module.exit_json(changed=bool(changed), changed_files=changed, content_needed=needed, before=before)


if __name__ == "__main__":
    main()
