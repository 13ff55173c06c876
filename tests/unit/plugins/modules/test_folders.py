# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.folders"""

from __future__ import annotations

import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wso2am.distributed.plugins.modules import folders


def run(capsys, check_mode=False, diff=False, **args):
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    with patch_module_args(args), pytest.raises(SystemExit):
        folders.main()
    return json.loads(capsys.readouterr().out)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_the_missing_folders_in_order_then_changes_nothing(tmp_path, capsys):
    root = tmp_path / "wso2"
    spec = [{"path": str(root), "mode": "0755"}, {"path": str(root / "state"), "mode": "0700"}]
    result = run(capsys, folders=spec)
    assert result["changed"] is True
    assert result["changed_folders"] == [str(root), str(root / "state")]
    assert _mode(root) == 0o755 and _mode(root / "state") == 0o700
    again = run(capsys, folders=spec)
    assert again["changed"] is False and again["changed_folders"] == []


def test_fixes_a_mode_that_drifted(tmp_path, capsys):
    (tmp_path / "state").mkdir(mode=0o755)
    os.chmod(tmp_path / "state", 0o755)
    result = run(capsys, diff=True, folders=[{"path": str(tmp_path / "state"), "mode": "0700"}])
    assert result["changed_folders"] == [str(tmp_path / "state")]
    assert _mode(tmp_path / "state") == 0o700
    assert "0700" in result["diff"][0]["after"]


def test_check_mode_reports_and_changes_nothing(tmp_path, capsys):
    (tmp_path / "kept").mkdir()
    os.chmod(tmp_path / "kept", 0o755)
    spec = [{"path": str(tmp_path / "new"), "mode": "0755"}, {"path": str(tmp_path / "new" / "sub"), "mode": "0700"},
            {"path": str(tmp_path / "kept"), "mode": "0700"}]
    result = run(capsys, check_mode=True, folders=spec)
    assert result["changed_folders"] == [str(tmp_path / "new"), str(tmp_path / "new" / "sub"), str(tmp_path / "kept")]
    assert not (tmp_path / "new").exists()
    assert _mode(tmp_path / "kept") == 0o755


def test_a_file_in_the_way_is_an_error(tmp_path, capsys):
    (tmp_path / "pki").write_text("not a folder")
    result = run(capsys, folders=[{"path": str(tmp_path / "pki")}])
    assert result["failed"] is True and "is not a folder" in result["msg"]
