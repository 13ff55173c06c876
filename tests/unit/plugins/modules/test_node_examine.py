# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.node_examine (preflight's one read of a node), on temporary folders only"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
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
    assert result["present"] == [str(fingerprint)]
    assert result["missing_packages"] == []
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


def _me():
    me = pwd.getpwuid(os.getuid())
    return me.pw_name, grp.getgrgid(os.getgid()).gr_name


def test_unmet_names_each_path_that_is_not_as_described(tmp_path):
    owner, group = _me()
    (tmp_path / "state").mkdir(mode=0o700)
    (tmp_path / "state").chmod(0o700)
    (tmp_path / "open").mkdir()
    (tmp_path / "open").chmod(0o755)
    cred = tmp_path / "node.cred"
    cred.write_text("x")
    cred.chmod(0o644)
    release = tmp_path / "releases" / "wso2am-universal-gw-4.6.0"
    release.mkdir(parents=True)
    (tmp_path / "gateway").symlink_to(release)
    (tmp_path / "stale").symlink_to(tmp_path / "releases" / "wso2am-universal-gw-4.5.0")
    expected = [
        {"path": str(tmp_path / "state"), "type": "directory", "owner": owner, "group": group, "mode": "0700"},
        {"path": str(tmp_path / "open"), "type": "directory", "mode": "0700"},             # mode differs
        {"path": str(cred), "type": "file", "owner": owner, "mode": "0600"},                # mode differs
        {"path": str(cred), "type": "directory"},                                           # not a folder
        {"path": str(tmp_path / "gateway"), "type": "link", "src": str(release)},
        {"path": str(tmp_path / "stale"), "type": "link", "src": str(release)},              # points elsewhere
        {"path": str(release), "type": "link", "src": str(release)},                        # a folder, not a link
        {"path": str(tmp_path / "absent"), "type": "directory"},
        {"path": str(tmp_path / "state"), "type": "directory", "owner": "no-such-user-wso2am"},
        {"path": str(tmp_path / "state"), "type": "directory", "group": "no-such-group-wso2am"},
    ]
    assert node_examine.unmet(expected) == [
        str(tmp_path / "open"), str(cred), str(cred), str(tmp_path / "stale"), str(release), str(tmp_path / "absent"),
        str(tmp_path / "state"), str(tmp_path / "state")]
    cred.chmod(0o600)
    (tmp_path / "open").chmod(0o700)
    assert node_examine.unmet(expected[:3]) == []


def _record_as_keystores_yml_writes_it(store, certs, aliases, record):
    """keystores.yml's task 'Record what the truststore now trusts', run as written there."""
    cmd = (f"umask 077 && {{ sha256sum -- {store} {' '.join(certs)} && stat -c '%U:%G:%a' -- {store}"
           f" && echo {aliases!r}; }} > {record}.tmp && mv -f -- {record}.tmp {record}")
    subprocess.run(["/bin/sh", "-c", cmd], check=True)


@pytest.mark.skipif(not shutil.which("sha256sum"), reason="needs coreutils")
def test_the_truststore_record_is_read_as_the_record_task_writes_it(tmp_path):
    store, ca, primary = tmp_path / "client-truststore.jks", tmp_path / "ca.crt", tmp_path / "primary.crt"
    store.write_bytes(b"\xfe\xed\xfe\xed store")
    store.chmod(0o600)
    ca.write_text("ca\n")
    primary.write_text("primary\n")
    record = tmp_path / ".wso2am-truststore.sums"
    certs = [str(ca), str(primary)]
    aliases = "wso2am-ca gateway_certificate_alias"
    assert node_examine.trust_recorded(str(store), certs, aliases, str(record)) is False   # no record yet
    _record_as_keystores_yml_writes_it(str(store), certs, aliases, str(record))
    assert node_examine.trust_recorded(str(store), certs, aliases, str(record)) is True
    assert node_examine.trust_recorded(str(store), certs, "wso2am-ca other", str(record)) is False
    store.chmod(0o644)
    assert node_examine.trust_recorded(str(store), certs, aliases, str(record)) is False
    store.chmod(0o600)
    ca.write_text("another ca\n")
    assert node_examine.trust_recorded(str(store), certs, aliases, str(record)) is False
    ca.unlink()
    assert node_examine.trust_recorded(str(store), certs, aliases, str(record)) is False


def test_the_credential_is_compared_never_returned():
    seen = []

    def creds(out):
        def runner(argv):
            seen.append(argv)
            return out
        return runner

    ok = node_examine.credential("wso2am-vault-root", "/c.cred", "s3cret",
                                 runner=creds({"rc": 0, "stdout": "s3cret\n", "stderr": "", "msg": ""}))
    assert ok == {"rc": 0, "matches": True}
    assert seen[0] == ["systemd-creds", "decrypt", "--name=wso2am-vault-root", "/c.cred", "-"]
    other = node_examine.credential("n", "/c.cred", "s3cret", runner=creds({"rc": 0, "stdout": "old", "stderr": "", "msg": ""}))
    assert other == {"rc": 0, "matches": False}
    broken = node_examine.credential("n", "/c.cred", "", runner=creds({"rc": 1, "stdout": "", "stderr": "bad", "msg": ""}))
    assert broken == {"rc": 1, "matches": False}


def test_services_read_from_one_systemctl_show():
    seen = []

    def systemctl(argv):
        seen.append(argv)
        return {"rc": 0, "stderr": "", "msg": "", "stdout": (
            "Id=wso2am-gateway.service\nActiveState=active\nUnitFileState=enabled\n\n"
            "Id=mariadb.service\nActiveState=failed\nUnitFileState=enabled\n\n"
            "Id=wso2am-traffic-manager.service\nActiveState=active\nUnitFileState=disabled\n")}

    found = node_examine.services(["wso2am-gateway", "mariadb", "wso2am-traffic-manager", "unknown"], runner=systemctl)
    assert found == {"wso2am-gateway": {"enabled": True, "active": True},
                     "mariadb": {"enabled": True, "active": False},
                     "wso2am-traffic-manager": {"enabled": False, "active": True},
                     "unknown": {"enabled": False, "active": False}}
    assert len(seen) == 1 and seen[0][:2] == ["systemctl", "show"]
    assert node_examine.services([], runner=systemctl) == {}
    assert len(seen) == 1


def test_the_module_never_prints_the_credential_secret(tmp_path, capsys):
    args = {"credential": {"name": "wso2am-vault-root", "file": str(tmp_path / "none.cred"), "secret": "do-not-print-me"},
            "services": [], "expect": [{"path": str(tmp_path), "type": "directory"}]}
    with patch_module_args(args), pytest.raises(SystemExit):
        node_examine.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert "do-not-print-me" not in out
    assert result["credential"]["matches"] is False and result["unmet"] == []


def _release_helper():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[4] / "roles" / "_common" / "files" / "wso2am-release.py"
    spec = importlib.util.spec_from_file_location("wso2am_release", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_last_good_is_current_exactly_when_the_helper_would_write_nothing(tmp_path):
    """node_examine's account of the last good state agrees with bin/wso2am-release.py snapshot itself."""
    import argparse
    helper = _release_helper()
    releases = tmp_path / "releases" / "gateway"
    release = releases / "wso2am-universal-gw-4.6.0"
    (release / "repository" / "conf").mkdir(parents=True)
    toml = release / "repository" / "conf" / "deployment.toml"
    toml.write_text("[server]\n")
    toml.chmod(0o600)
    unit = tmp_path / "wso2am-gateway.service"
    unit.write_text("[Unit]\n")
    home, state = tmp_path / "gateway", tmp_path / "state" / "gateway"
    home.symlink_to(release)
    state.mkdir(parents=True)
    rel, absolute = ["repository/conf/deployment.toml", "repository/conf/absent.properties"], [str(unit)]
    args = argparse.Namespace(state=str(state), home=str(home), file=rel, abs=absolute)

    def examined():
        return node_examine.last_good(str(state), str(home), rel, absolute, str(releases))

    assert examined() == {"current": False, "releases": 1}          # nothing recorded yet
    assert helper.snapshot(args)["changed"] is True
    assert examined() == {"current": True, "releases": 1}
    assert helper.snapshot(args)["changed"] is False                # the helper agrees: nothing to write
    for drift in (lambda: toml.write_text("[server]\nhostname = 'x'\n"), lambda: toml.chmod(0o644),
                  unit.unlink, lambda: (release / "repository/conf/absent.properties").write_text("")):
        drift()
        assert examined()["current"] is False
        assert helper.snapshot(args)["changed"] is True             # ... and would record it
        assert examined()["current"] is True
    (releases / "wso2am-universal-gw-4.6.0+u3").mkdir()
    home.unlink()
    home.symlink_to(releases / "wso2am-universal-gw-4.6.0+u3")
    assert examined() == {"current": False, "releases": 2}          # another release runs now
    home.unlink()
    assert examined()["current"] is False                           # no stable path


def test_missing_packages_in_the_order_asked(monkeypatch, capsys):
    monkeypatch.setattr(node_examine, "installed", lambda names: {"unzip": True, "acl": False, "openjdk-21-jre-headless": False})
    with patch_module_args({"packages": ["openjdk-21-jre-headless", "unzip", "acl"]}), pytest.raises(SystemExit):
        node_examine.main()
    assert json.loads(capsys.readouterr().out)["missing_packages"] == ["openjdk-21-jre-headless", "acl"]
