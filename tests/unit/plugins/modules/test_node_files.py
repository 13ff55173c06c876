# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.node_files: the module (node side) and the action's file list (controller side)"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

import pytest
from ansible.errors import AnsibleActionFail
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wso2am.distributed.plugins.action.node_files import all_known, local_files
from ansible_collections.wso2am.distributed.plugins.modules import node_examine, node_files


def run(capsys, check_mode=False, **args):
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit):
        node_files.main()
    return json.loads(capsys.readouterr().out)


def _entry(path, data, send=False, mode="0640"):
    entry = {"dest": str(path), "sha256": hashlib.sha256(data).hexdigest(), "mode": mode}
    if send:
        entry["data"] = base64.b64encode(data).decode()
    return entry


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_asks_for_the_content_of_missing_or_different_files_only(tmp_path, capsys):
    (tmp_path / "same").write_bytes(b"same\n")
    os.chmod(tmp_path / "same", 0o640)
    (tmp_path / "other").write_bytes(b"old\n")
    result = run(capsys, files=[_entry(tmp_path / "same", b"same\n"), _entry(tmp_path / "other", b"new\n"),
                                _entry(tmp_path / "missing", b"x")])
    assert result["changed"] is False
    assert result["content_needed"] == [str(tmp_path / "other"), str(tmp_path / "missing")]
    assert (tmp_path / "other").read_bytes() == b"old\n"


def test_writes_what_is_sent_and_sets_its_mode_then_nothing_more(tmp_path, capsys):
    spec = [_entry(tmp_path / "ks.p12", b"\x00\x01binary", send=True, mode="0600")]
    result = run(capsys, files=spec)
    assert result["changed_files"] == [str(tmp_path / "ks.p12")] and result["content_needed"] == []
    assert (tmp_path / "ks.p12").read_bytes() == b"\x00\x01binary"
    assert _mode(tmp_path / "ks.p12") == 0o600
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".wso2am-")]
    again = run(capsys, files=[_entry(tmp_path / "ks.p12", b"\x00\x01binary", mode="0600")])
    assert again["changed"] is False and again["changed_files"] == []


def test_a_drifted_mode_is_fixed_without_the_content(tmp_path, capsys):
    (tmp_path / "ca.crt").write_bytes(b"CA\n")
    os.chmod(tmp_path / "ca.crt", 0o600)
    result = run(capsys, files=[_entry(tmp_path / "ca.crt", b"CA\n", mode="0644")])
    assert result["changed_files"] == [str(tmp_path / "ca.crt")] and result["content_needed"] == []
    assert _mode(tmp_path / "ca.crt") == 0o644


def test_check_mode_writes_nothing(tmp_path, capsys):
    (tmp_path / "ca.crt").write_bytes(b"CA\n")
    os.chmod(tmp_path / "ca.crt", 0o600)
    result = run(capsys, check_mode=True, files=[_entry(tmp_path / "ca.crt", b"CA\n", mode="0644"),
                                                 _entry(tmp_path / "new", b"n", send=True)])
    assert result["changed_files"] == [str(tmp_path / "ca.crt"), str(tmp_path / "new")]
    assert _mode(tmp_path / "ca.crt") == 0o600 and not (tmp_path / "new").exists()


def test_content_that_does_not_match_its_checksum_is_refused(tmp_path, capsys):
    entry = _entry(tmp_path / "f", b"expected")
    entry["data"] = base64.b64encode(b"something else").decode()
    result = run(capsys, files=[entry])
    assert result["failed"] is True and "does not match its checksum" in result["msg"]
    assert not (tmp_path / "f").exists()


def test_a_folder_or_link_in_the_way_is_refused(tmp_path, capsys):
    (tmp_path / "dir").mkdir()
    os.symlink(tmp_path / "dir", tmp_path / "link")
    for name in ("dir", "link"):
        result = run(capsys, files=[_entry(tmp_path / name, b"x", send=True)])
        assert result["failed"] is True and "is not a regular file" in result["msg"]


def test_the_action_reads_src_or_content_and_refuses_bad_lists(tmp_path):
    (tmp_path / "tool.py").write_bytes(b"print(1)\n")
    files = local_files([{"src": "tool.py", "dest": "/opt/wso2/bin/tool.py", "mode": "0644", "owner": "root"},
                         {"content": "text\n", "dest": "/opt/wso2/x", "mode": "0600"}], lambda src: str(tmp_path / src))
    assert files[0][0] == {"dest": "/opt/wso2/bin/tool.py", "sha256": hashlib.sha256(b"print(1)\n").hexdigest(),
                           "mode": "0644", "owner": "root"}
    assert files[1][1] == b"text\n" and "data" not in files[1][0]
    for bad, message in (([], "non-empty list"), ([{"src": "a"}], "needs a dest"),
                         ([{"dest": "/x", "mode": "0644"}], "exactly one of src and content"),
                         # Without a mode a new file would keep its temporary file's 0600.
                         ([{"dest": "/x", "content": "a"}], "/x needs a mode"),
                         ([{"dest": "/x", "content": "a", "mode": "0644"}, {"dest": "/x", "content": "b", "mode": "0644"}],
                          "listed twice")):
        with pytest.raises(AnsibleActionFail, match=message):
            local_files(bad, str)


def test_diff_mode_returns_the_current_text_of_marked_files_only(tmp_path, capsys):
    (tmp_path / "unit").write_text("old unit\n")
    (tmp_path / "secret").write_text("password = x\n")
    marked = dict(_entry(tmp_path / "unit", b"new unit\n"), diff=True)
    result = run(capsys, _ansible_diff=True,
                 files=[marked, _entry(tmp_path / "secret", b"password = y\n"), dict(_entry(tmp_path / "new", b"n\n"), diff=True)])
    assert result["before"] == {str(tmp_path / "unit"): "old unit\n", str(tmp_path / "new"): ""}
    plain = run(capsys, files=[dict(_entry(tmp_path / "unit", b"new unit\n"), diff=True)])
    assert plain["before"] == {}  # not in diff mode: nothing is read


def test_the_action_skips_the_node_only_when_node_examine_read_every_file_as_it_would_be_written(tmp_path):
    import grp
    import pwd
    owner, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    unit, toml = tmp_path / "wso2am-gateway.service", tmp_path / "deployment.toml"
    unit.write_text("[Unit]\n")
    unit.chmod(0o644)
    toml.write_text("[server]\n")
    toml.chmod(0o600)
    wanted = [{"content": "[Unit]\n", "dest": str(unit), "owner": owner, "group": group, "mode": "0644"},
              {"content": "[server]\n", "dest": str(toml), "mode": "0600"}]
    files = local_files(wanted, find=None)

    def known():
        return {path: node_examine.describe(path) for path in (str(unit), str(toml), str(tmp_path / "absent"))}

    assert all_known(files, known()) is True
    toml.chmod(0o640)                                          # drifted mode
    assert all_known(files, known()) is False
    toml.chmod(0o600)
    unit.write_text("[Unit]\nDescription=changed by hand\n")  # drifted content
    assert all_known(files, known()) is False
    unit.write_text("[Unit]\n")
    assert all_known(files, dict(known(), **{str(unit): dict(known()[str(unit)], owner="someone-else")})) is False
    assert all_known(files, {str(unit): known()[str(unit)]}) is False   # a file it did not read
    toml.unlink()
    assert known()[str(toml)] is None and all_known(files, known()) is False
    assert all_known(files, None) is False                               # no earlier read: the node is asked
    (tmp_path / "folder").mkdir()
    assert node_examine.describe(str(tmp_path / "folder")) is None
