# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)
"""Action plugin wso2am.distributed.controller_files: write many files on the controller at once.

playbooks/render.yml renders every node's deployment.toml in memory (one set_fact per host, no
module run) and hands them all to this action, which writes them from the controller's own
process: no module is shipped, no connection is opened, and the cost of a render grows with the
size of what is written, not with a module run per node.
"""

from __future__ import annotations

# The documentation is in plugins/modules/controller_files.py (ansible-test: action-plugin-docs).

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


def _mode(value, what):
    try:
        return int(str(value), 8)
    except ValueError:
        raise AnsibleActionFail(f"{what}: mode {value!r} is not an octal string such as '0640'") from None


def plan(files, dir_mode="0750"):
    """What would change: a list of (path, content, mode, before) for the files to write, and
    the folders to create. before is the old text (None for a new file)."""
    dmode = _mode(dir_mode, "dir_mode")
    writes, dirs, seen = [], [], set()
    for entry in files:
        path = entry.get("path")
        if not path or not os.path.isabs(str(path)):
            raise AnsibleActionFail(f"controller_files: every file needs an absolute path, got {path!r}")
        path = str(path)
        if path in seen:
            raise AnsibleActionFail(f"controller_files: {path} is listed twice")
        seen.add(path)
        content = str(entry.get("content", ""))
        mode = _mode(entry.get("mode", "0640"), path)
        parent = os.path.dirname(path)
        if not os.path.isdir(parent) and parent not in dirs:
            dirs.append(parent)
        before = None
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                before = handle.read()
            if before == content and (os.stat(path).st_mode & 0o7777) == mode:
                continue
        writes.append((path, content, mode, before))
    return writes, dirs, dmode


def apply(writes, dirs, dmode):
    """Creates the folders and writes each file atomically (temporary file, then rename)."""
    for folder in dirs:
        os.makedirs(folder, mode=dmode, exist_ok=True)
        os.chmod(folder, dmode)
    for path, content, mode, _before in writes:
        fd, tmp = tempfile.mkstemp(prefix=".wso2am-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("files", "dir_mode"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        files = self._task.args.get("files")
        if not isinstance(files, list):
            raise AnsibleActionFail("controller_files: 'files' must be a list of {path, content, mode}")
        writes, dirs, dmode = plan(files, self._task.args.get("dir_mode", "0750"))
        if not self._play_context.check_mode:
            apply(writes, dirs, dmode)
        result["changed"] = bool(writes or dirs)
        result["written"] = [path for path, _c, _m, _b in writes]
        result["files"] = len(files)
        if self._task.diff and writes:
            result["diff"] = [
                {"before_header": path, "after_header": path, "before": before or "", "after": content}
                for path, content, _mode_, before in writes
            ]
        return result
