# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.controller_files (the action render.yml writes with)"""

from __future__ import annotations

import os
import stat

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.wso2am.distributed.plugins.action.controller_files import apply, plan


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_new_files_and_folders_then_nothing_more(tmp_path):
    files = [
        {"path": str(tmp_path / "gw1" / "deployment.toml"), "content": "a = 1\n", "mode": "0600"},
        {"path": str(tmp_path / "topology.md"), "content": "# t\n", "mode": "0640"},
    ]
    writes, dirs, dmode = plan(files)
    assert [w[0] for w in writes] == [f["path"] for f in files]
    assert dirs == [str(tmp_path / "gw1")]
    apply(writes, dirs, dmode)
    assert (tmp_path / "gw1" / "deployment.toml").read_text() == "a = 1\n"
    assert _mode(tmp_path / "gw1" / "deployment.toml") == 0o600
    assert _mode(tmp_path / "topology.md") == 0o640
    assert _mode(tmp_path / "gw1") == 0o750
    assert plan(files) == ([], [], 0o750)


def test_a_changed_content_or_mode_is_written_again(tmp_path):
    path = tmp_path / "deployment.toml"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    writes, _dirs, _dmode = plan([{"path": str(path), "content": "old\n", "mode": "0600"}])
    assert [(w[0], w[3]) for w in writes] == [(str(path), "old\n")]
    writes, dirs, dmode = plan([{"path": str(path), "content": "new\n", "mode": "0600"}])
    apply(writes, dirs, dmode)
    assert path.read_text() == "new\n" and _mode(path) == 0o600
    assert [p for p in os.listdir(tmp_path) if p.startswith(".wso2am-")] == []


@pytest.mark.parametrize(
    "files, words",
    [
        ([{"path": "relative/deployment.toml", "content": ""}], "absolute path"),
        ([{"path": "/x/a", "content": ""}, {"path": "/x/a", "content": ""}], "listed twice"),
        ([{"path": "/x/a", "content": "", "mode": "rw"}], "octal"),
    ],
)
def test_refuses_bad_entries(files, words):
    with pytest.raises(AnsibleActionFail, match=words):
        plan(files)
