"""wso2am.distributed.node_files as a task (action and module together, on localhost): the first run
writes every file, a second changes nothing and sends no content, a changed file alone is sent
again, check mode writes nothing."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import yaml


def _run(tmp_path, *options):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ["WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH"],
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml"), *options],
        capture_output=True, text=True, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    return report["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_node_files_as_a_task(tmp_path):
    src = tmp_path / "controller"
    src.mkdir()
    (src / "ks.p12").write_bytes(os.urandom(2048))
    (src / "ca.crt").write_text("CA\n")
    dest = tmp_path / "node"
    dest.mkdir()
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "files", "wso2am.distributed.node_files": {"files": [
            {"src": str(src / "ks.p12"), "dest": str(dest / "ks.p12"), "mode": "0600"},
            {"src": str(src / "ca.crt"), "dest": str(dest / "ca.crt"), "mode": "0644"},
            {"content": "inline\n", "dest": str(dest / "inline.txt"), "mode": "0640"}]}}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))

    check = _run(tmp_path, "--check")
    assert check["changed"] is True and len(check["changed_files"]) == 3
    assert os.listdir(dest) == []

    first = _run(tmp_path)
    assert first["changed_files"] == [str(dest / "ks.p12"), str(dest / "ca.crt"), str(dest / "inline.txt")]
    assert (dest / "ks.p12").read_bytes() == (src / "ks.p12").read_bytes()
    assert stat.S_IMODE(os.stat(dest / "ks.p12").st_mode) == 0o600
    assert (dest / "inline.txt").read_text() == "inline\n"

    second = _run(tmp_path)
    assert second["changed"] is False and second["changed_files"] == []
    assert "data" not in json.dumps(second.get("invocation", {}))

    (src / "ca.crt").write_text("CA renewed\n")
    third = _run(tmp_path)
    assert third["changed_files"] == [str(dest / "ca.crt")]
    assert (dest / "ca.crt").read_text() == "CA renewed\n"


def test_diff_mode_shows_marked_files_and_never_the_others(tmp_path):
    dest = tmp_path / "node"
    dest.mkdir()
    (dest / "unit").write_text("ExecStart=old\n")
    (dest / "deployment.toml").write_text("password = \"old-secret\"\n")
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "files", "wso2am.distributed.node_files": {"files": [
            {"content": "ExecStart=new\n", "dest": str(dest / "unit"), "mode": "0644", "diff": True},
            {"content": "password = \"new-secret\"\n", "dest": str(dest / "deployment.toml"), "mode": "0600"}]}}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    result = _run(tmp_path, "--check", "--diff")
    assert result["changed_files"] == [str(dest / "unit"), str(dest / "deployment.toml")]
    assert result["diff"] == [{"before_header": str(dest / "unit"), "after_header": str(dest / "unit"),
                               "before": "ExecStart=old\n", "after": "ExecStart=new\n"}]
    assert "secret" not in json.dumps(result)
    assert (dest / "unit").read_text() == "ExecStart=old\n"
