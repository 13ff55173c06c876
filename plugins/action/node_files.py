# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)
"""Action plugin wso2am.distributed.node_files: several small files onto a node in one step.

ansible.builtin.copy costs a module run (and a checksum round trip) per file. This action computes
every file's SHA-256 on the controller, asks the node in one module run which files differ, and
sends the content of only those in a second run. On a converged node: one module run, no content.
"""

from __future__ import annotations

# The documentation is in plugins/modules/node_files.py.

import base64
import hashlib

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

MODULE = "wso2am.distributed.node_files"
ATTRIBUTES = ("owner", "group", "mode")


def local_files(files, find):
    """[(entry for the module without content, bytes)] from the task's files; find(src) resolves a
    controller path (role files folder for a relative one)."""
    if not isinstance(files, list) or not files:
        raise AnsibleActionFail("node_files: 'files' must be a non-empty list of {src or content, dest, ...}")
    out, seen = [], set()
    for item in files:
        if not isinstance(item, dict) or not item.get("dest"):
            raise AnsibleActionFail(f"node_files: every file needs a dest, got {item!r}")
        dest = str(item["dest"])
        if dest in seen:
            raise AnsibleActionFail(f"node_files: {dest} is listed twice")
        seen.add(dest)
        if item.get("mode") is None:
            raise AnsibleActionFail(f"node_files: {dest} needs a mode (an octal string such as '0644')")
        has_src, has_content = item.get("src") is not None, item.get("content") is not None
        if has_src == has_content:
            raise AnsibleActionFail(f"node_files: {dest} needs exactly one of src and content")
        if has_src:
            with open(find(str(item["src"])), "rb") as handle:
                data = handle.read()
        else:
            data = to_bytes(item["content"], errors="surrogate_or_strict")
        entry = {"dest": dest, "sha256": hashlib.sha256(data).hexdigest()}
        if item.get("diff"):
            entry["diff"] = True
        for key in ATTRIBUTES:
            if item.get(key) is not None:
                entry[key] = str(item[key])
        out.append((entry, data))
    return out


def all_known(files, known):
    """Whether every file is, by the node's earlier account (node_examine's described), as it would be
    written: same SHA-256, and the owner, group and mode the entry asks for."""
    if not isinstance(known, dict):
        return False
    for entry, _data in files:
        seen = known.get(entry["dest"])
        if not isinstance(seen, dict) or seen.get("sha256") != entry["sha256"]:
            return False
        for key in ("owner", "group"):
            if key in entry and str(seen.get(key)) != entry[key]:
                return False
        try:
            if int(str(seen.get("mode")), 8) != int(entry["mode"], 8):
                return False
        except ValueError:
            return False
    return True


class ActionModule(ActionBase):
    # No early remote temporary folder: a node found converged (known) is not contacted at all;
    # _execute_module makes one when it needs it.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("files", "known"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        files = local_files(self._task.args.get("files"), lambda src: self._find_needle("files", src))
        if all_known(files, self._task.args.get("known")):
            # The node said so earlier in this run: nothing to send, no module run.
            result.update(changed=False, changed_files=[])
            return result
        try:
            return self._settle(result, files, task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _settle(self, result, files, task_vars):
        entries = [entry for entry, _data in files]
        first = self._execute_module(module_name=MODULE, module_args={"files": entries}, task_vars=task_vars)
        if first.get("failed"):
            first.pop("invocation", None)  # the files' checksums; the message names the file
            return dict(result, **first)
        needed = set(first.get("content_needed") or [])
        changed = list(first.get("changed_files") or [])
        if needed and self._play_context.check_mode:
            changed.extend(needed)  # would be written; nothing is sent in check mode
        elif needed:
            send = [dict(entry, data=base64.b64encode(data).decode("ascii"))
                    for entry, data in files if entry["dest"] in needed]
            second = self._execute_module(module_name=MODULE, module_args={"files": send}, task_vars=task_vars)
            if second.get("failed"):
                second.pop("invocation", None)
                return dict(result, **second)
            changed.extend(second.get("changed_files") or [])
        order = [entry["dest"] for entry in entries]
        before = first.get("before") or {}
        if before:
            # Diff mode: what the files marked for it (no secrets) would become.
            result["diff"] = [{"before_header": entry["dest"], "after_header": entry["dest"], "before": before[entry["dest"]],
                               "after": data.decode("utf-8", errors="replace")}
                              for entry, data in files if entry["dest"] in before]
        result["changed_files"] = sorted(set(changed), key=order.index)
        result["changed"] = bool(changed)
        return result
