"""The stand-in WSO2 Update 2.0 tool, bin/wso2update_linux of every pack."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import zipfile

import pytest

import build_packs
from standin_testlib import log_lines, start_node, unzip

GW = "wso2am-universal-gw-4.5.0"
USER, PASSWORD = "deployer@example.com", "s3cret-Update-pw"
CONFLICT = "repository/resources/conf/infer.json"


@pytest.fixture
def pack(packs_dir, tmp_path):
    """(home, run): an unpacked gateway pack and a runner of its tool."""
    home = unzip(packs_dir / f"{GW}.zip", tmp_path / "opt")
    server = tmp_path / "update-server"
    (server / GW).mkdir(parents=True)
    (server / "credentials.json").write_text(
        json.dumps({"username": USER, "password": PASSWORD}))
    levels(server, [1, 2, 3])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("UPDATE_TOOL_")}
    env["WSO2AM_STANDIN_UPDATES_DIR"] = str(server)

    def run(*args, creds=True, cwd=None, extra_env=None):
        run_env = dict(env, **(extra_env or {}))
        if creds:
            run_env.update(UPDATE_TOOL_USERNAME=USER,
                           UPDATE_TOOL_PASSWORD=PASSWORD)
        proc = subprocess.run(["./wso2update_linux", *args] if cwd is None
                              else [str(home / "bin/wso2update_linux"),
                                    *args],
                              cwd=cwd or home / "bin", env=run_env,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=30)
        for text in (proc.stdout, proc.stderr, _tool_log(home)):
            assert PASSWORD not in text
        return proc

    run.server = server
    return home, run


def levels(server, available, conflicts=(), self_update=False):
    (server / GW / "levels.json").write_text(json.dumps(
        {"levels": list(available), "conflict_levels": list(conflicts),
         "self_update": self_update}))


def _tool_log(home):
    path = home / "updates/logs/wso2update.log"
    return path.read_text() if path.exists() else ""


def _level(home):
    return json.loads((home / "updates/config.json").read_text())[
        "update-level"]


def _snapshot(home):
    """{relative path: bytes} of the pack's files (not the tool's own logs,
    backups and state)."""
    files = {}
    for path in home.rglob("*"):
        parts = path.relative_to(home).parts
        if (path.is_file() and not {"logs", "backup"} & set(parts)
                and not path.name.startswith(".standin-")):
            files[str(path.relative_to(home))] = path.read_bytes()
    return files


# ----------------------------------------------------------------- packaging

@pytest.mark.parametrize("version", ["4.5.0", "4.6.0", "4.7.0"])
def test_every_pack_ships_the_tool(version):
    security = {"wso2carbon.jks": b"", "client-truststore.jks": b""}
    for pack_id, spec in build_packs.PACKS.items():
        pack = build_packs.assemble(pack_id, version, security)
        top = f"{spec['name']}-{version}"
        assert pack.files["updates/product.txt"][0] == f"{top}\n".encode()
        assert json.loads(pack.files["updates/config.json"][0]) == {
            "update-level": -1}
        data, mode = pack.files["bin/wso2update_linux"]
        assert mode == 0o755
        assert data.startswith(b"#!/usr/bin/env python3\n")
        assert "lib/standin/UPDATE-LEVEL" in pack.files


def test_zip_mode_and_names(packs_dir):
    with zipfile.ZipFile(packs_dir / f"{GW}.zip") as zf:
        info = zf.getinfo(f"{GW}/bin/wso2update_linux")
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755
        assert zf.read(f"{GW}/updates/product.txt") == f"{GW}\n".encode()


# ------------------------------------------------------------ local checks

def test_version_and_current_state(pack):
    home, run = pack
    res = run("version", creds=False)
    assert res.returncode == 0 and "version 1.10.0" in res.stdout
    res = run("current-state", creds=False)
    assert res.returncode == 0
    assert res.stdout == f"Product: {GW}\nUpdate level: -1\n"


def test_must_run_from_bin(pack, tmp_path):
    home, run = pack
    for cwd in (home, tmp_path):
        res = run(cwd=cwd)
        assert res.returncode == 1
        assert "must be run from the bin directory" in res.stderr
    assert _level(home) == -1


def test_product_txt_missing_or_altered(pack):
    home, run = pack
    product = home / "updates/product.txt"
    for text in ("wso2am-universal-gw-4.6.0\n", "wso2am-gateway-4.5.0\n",
                 "hello\n"):
        product.write_text(text)
        res = run()
        assert res.returncode == 1 and "has been altered" in res.stderr
    product.unlink()
    res = run()
    assert res.returncode == 1 and "product.txt is missing" in res.stderr
    assert run("current-state").returncode == 1
    assert _level(home) == -1


def test_refuses_while_the_server_runs(pack, fake_java, processes):
    home, run = pack
    (home / "repository/conf/deployment.toml").write_text(
        '[database.shared_db]\ntype = "h2"\n'
        'url = "jdbc:h2:./repository/database/WSO2SHARED_DB"\n')
    env = dict(os.environ, JAVA_HOME=fake_java('openjdk version "17.0.1"'))
    proc, offset = start_node(home / "bin/gateway.sh", "gateway", home, env,
                              processes)
    assert offset is not None, log_lines(home)
    res = run()
    assert res.returncode == 1 and "the server is running" in res.stderr
    assert run("--dry-run").returncode == 1
    assert _level(home) == -1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    # a stale pid file does not block the update
    (home / "wso2carbon.pid").write_text(f"{proc.pid}\n")
    assert run().returncode == 0 and _level(home) == 3


# ----------------------------------------------------------- authentication

def test_credentials(pack):
    home, run = pack
    res = run(creds=False)
    assert res.returncode == 1
    assert "UPDATE_TOOL_USERNAME" in res.stderr  # no terminal: no prompt
    res = run(creds=False, extra_env={"UPDATE_TOOL_USERNAME": USER,
                                      "UPDATE_TOOL_PASSWORD": "wrong"})
    assert res.returncode == 1 and "authentication failed" in res.stderr
    # flags win over the environment
    res = run("-u", USER, "-p", "wrong")
    assert res.returncode == 1 and "authentication failed" in res.stderr
    res = run("-u", USER, "-p", PASSWORD, "-l", "1", creds=False,
              extra_env={"UPDATE_TOOL_PASSWORD": "wrong"})
    assert res.returncode == 0, res.stderr
    assert _level(home) == 1


def test_no_update_server(pack):
    home, run = pack
    res = run(extra_env={"WSO2AM_STANDIN_UPDATES_DIR": str(home / "none")})
    assert res.returncode == 1 and "cannot connect" in res.stderr


# ------------------------------------------------------------------ updating

def test_update_levels_changelog_and_monotonic(pack):
    home, run = pack
    before = _snapshot(home)
    res = run("--dry-run")
    assert res.returncode == 0 and "nothing was changed" in res.stdout
    assert _snapshot(home) == before

    res = run("--level", "4.5.0.2")
    assert res.returncode == 0, res.stderr
    assert _level(home) == 2
    changelog = home / "updates/changelog-0000-0002.md"
    assert "update level 1" in changelog.read_text()
    assert "update level 2" in changelog.read_text()
    marker = (home / "lib/standin/UPDATE-LEVEL").read_text()
    assert marker.count("(stand-in update)") == 2
    assert _snapshot(home) != before

    for lower in ("1", "4.5.0.1"):
        res = run("-l", lower)
        assert res.returncode == 1 and "already at update level 2" in \
            res.stderr
    res = run("-l", "4.6.0.3")
    assert res.returncode == 1 and "product version 4.6.0" in res.stderr
    res = run("-l", "9")
    assert res.returncode == 1 and "not available" in res.stderr
    assert _level(home) == 2

    res = run("-l", "2")
    assert res.returncode == 0 and "nothing to update" in res.stdout
    res = run("check")
    assert res.returncode == 0 and "latest 3" in res.stdout
    res = run("--no-backup")  # latest
    assert res.returncode == 0 and _level(home) == 3
    assert (home / "updates/changelog-0002-0003.md").is_file()
    assert run("current-state").stdout.endswith("Update level: 3\n")
    assert "up to date" in run("check").stdout


def test_self_update_exit_2_then_rerun(pack):
    home, run = pack
    levels(run.server, [1, 2], self_update=True)
    tool = home / "bin/wso2update_linux"
    res = run()
    assert res.returncode == 2, res.stderr
    assert "Re-run the same command" in res.stdout
    assert 'TOOL_VERSION = "1.11.0"' in tool.read_text()
    assert os.access(tool, os.X_OK)
    assert _level(home) == -1
    res = run()
    assert res.returncode == 0, res.stderr
    assert _level(home) == 2
    assert "version 1.11.0" in run("version").stdout


def test_conflict_exit_3_and_continue(pack):
    home, run = pack
    levels(run.server, [1, 2, 3], conflicts=[2])
    conf = home / CONFLICT
    original = conf.read_bytes()
    res = run()
    assert res.returncode == 3, res.stderr
    assert f"{CONFLICT}.final" in res.stdout
    assert (home / f"{CONFLICT}.original").read_bytes() == original
    new = (home / f"{CONFLICT}.new").read_text()
    assert _level(home) == -1 and conf.read_bytes() == original

    assert run().returncode == 1  # a pending conflict blocks a new update
    res = run("--continue")
    assert res.returncode == 3 and "not resolved" in res.stderr

    (home / f"{CONFLICT}.final").write_text(new)
    res = run("--continue")
    assert res.returncode == 0, res.stderr
    assert _level(home) == 3 and conf.read_text() == new
    assert not any((home / f"{CONFLICT}{s}").exists()
                   for s in (".original", ".new", ".final"))
    assert (home / "updates/changelog-0000-0003.md").is_file()
    res = run("--continue")
    assert res.returncode == 1 and "no update in progress" in res.stderr


def test_revert_exit_4(pack):
    home, run = pack
    assert run("-l", "1").returncode == 0
    before = _snapshot(home)
    assert run("-l", "3").returncode == 0
    res = run("--revert")
    assert res.returncode == 4, res.stderr
    assert _level(home) == 1 and _snapshot(home) == before
    res = run("--revert")
    assert res.returncode == 1 and "nothing to revert" in res.stderr

    # --revert gives up an update that stopped on a conflict
    levels(run.server, [1, 2, 3], conflicts=[3])
    assert run().returncode == 3
    assert run("--revert").returncode == 4
    assert _level(home) == 1
    assert not (home / f"{CONFLICT}.new").exists()
