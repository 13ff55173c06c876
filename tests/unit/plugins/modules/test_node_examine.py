# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.node_examine (preflight's one read of a node), on temporary folders only"""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wso2am.distributed.plugins.modules import node_examine


def test_a_stable_path_reads_like_stat_without_follow(tmp_path):
    release = tmp_path / "releases" / "gateway" / "wso2am-universal-gw-4.6.0"
    release.mkdir(parents=True)
    (tmp_path / "gateway").symlink_to(release)
    (tmp_path / "plain").mkdir()
    assert node_examine.link(str(tmp_path / "gateway")) == {
        "path": str(tmp_path / "gateway"), "exists": True, "islnk": True, "lnk_source": str(release)}
    assert node_examine.link(str(tmp_path / "plain"))["islnk"] is False
    assert node_examine.link(str(tmp_path / "none")) == {
        "path": str(tmp_path / "none"), "exists": False, "islnk": False, "lnk_source": None}


def test_a_dangling_link_still_names_its_release(tmp_path):
    (tmp_path / "gateway").symlink_to(tmp_path / "gone")
    found = node_examine.link(str(tmp_path / "gateway"))
    assert found["exists"] and found["islnk"] and found["lnk_source"].endswith("/gone")


def test_packages_installed_only_when_dpkg_says_ii():
    seen = []

    def dpkg(argv):
        seen.append(argv)
        # dpkg-query prints the packages it knows; half-installed (iF) and removed (rc) are not installed.
        return {"rc": 1, "stdout": "unzip\tii \nacl:amd64\tii \nopenjdk-21-jre-headless\tiF \nlibfoo\trc \n", "stderr": "", "msg": ""}

    found = node_examine.installed(["unzip", "acl", "openjdk-21-jre-headless", "libfoo", "unknown"], runner=dpkg)
    assert found == {"unzip": True, "acl": True, "openjdk-21-jre-headless": False, "libfoo": False, "unknown": False}
    assert seen[0][:2] == ["dpkg-query", "-W"]
    assert node_examine.installed([], runner=dpkg) == {}
    assert len(seen) == 1  # no question, no dpkg-query


def test_a_command_that_cannot_start_reads_as_rc_2(tmp_path):
    out = node_examine.run([str(tmp_path / "bin" / "java"), "-version"])
    assert out["rc"] == 2 and "No such file" in out["msg"]


def test_the_account_matches_only_with_its_group_home_and_shell():
    me = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(me.pw_gid).gr_name
    assert node_examine.account(me.pw_name, group, me.pw_dir, me.pw_shell) == {"group": True, "user": True}
    assert node_examine.account(me.pw_name, group, "/elsewhere", me.pw_shell) == {"group": True, "user": False}
    assert node_examine.account(me.pw_name, group, me.pw_dir, "/bin/false-not-this") == {"group": True, "user": False}
    assert node_examine.account("no-such-user-wso2am", group, me.pw_dir, me.pw_shell) == {"group": True, "user": False}
    assert node_examine.account(me.pw_name, "no-such-group-wso2am", me.pw_dir, me.pw_shell) == {"group": False, "user": False}


def test_the_module_reads_everything_in_one_run_and_changes_nothing(tmp_path, capsys):
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    # A stand-in JDK that prints its version on stderr, as java does.
    java.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('openjdk version \"21.0.5\" 2024-10-15\\n')\n")
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    fingerprint = tmp_path / ".encryption-key.sha256"
    fingerprint.write_text("abc\n")
    me = pwd.getpwuid(os.getuid())
    args = {"java_home": str(home), "links": [str(tmp_path / "gateway")],
            "files": [str(fingerprint), str(tmp_path / "absent")], "packages": [],
            "user": me.pw_name, "group": grp.getgrgid(me.pw_gid).gr_name, "home": me.pw_dir, "shell": me.pw_shell,
            "systemd_creds": True, "paths": [str(fingerprint), str(tmp_path / "absent")], "_ansible_check_mode": True}
    before = sorted(os.listdir(tmp_path))
    with patch_module_args(args), pytest.raises(SystemExit):
        node_examine.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False
    assert result["java"]["rc"] == 0 and 'version "21.0.5"' in result["java"]["stderr"]
    assert result["files"] == {str(fingerprint): "abc\n", str(tmp_path / "absent"): None}
    assert result["links"] == [{"path": str(tmp_path / "gateway"), "exists": False, "islnk": False, "lnk_source": None}]
    assert result["account"] == {"group": True, "user": True}
    assert result["packages"] == {}
    assert set(result["systemd_creds"]) == {"rc", "msg"}
    assert result["paths"] == {str(fingerprint): True, str(tmp_path / "absent"): False}
    assert sorted(os.listdir(tmp_path)) == before


def test_only_what_is_asked_is_read(tmp_path, capsys):
    (tmp_path / "restart-pending").write_text("deployment.toml\n")
    args = {"paths": [str(tmp_path / "restart-pending")], "links": [str(tmp_path / "gateway")]}
    with patch_module_args(args), pytest.raises(SystemExit):
        node_examine.main()
    result = json.loads(capsys.readouterr().out)
    assert result["paths"] == {str(tmp_path / "restart-pending"): True}
    assert result["links"][0]["exists"] is False
    assert not {"java", "systemd_creds", "account"} & set(result)
