"""The node-side release helper (roles/_common/files/wso2am-release.py) on a temporary tree."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "roles" / "_common" / "files" / "wso2am-release.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("wso2am_release", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(tool, capsys, *argv):
    assert tool.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture()
def node(tmp_path):
    """Two releases of a gateway, the stable link on the first, and a unit file outside."""
    releases = tmp_path / "releases" / "gateway"
    for name in ("wso2am-universal-gw-4.5.0", "wso2am-universal-gw-4.5.0+u3"):
        conf = releases / name / "repository" / "conf"
        conf.mkdir(parents=True)
        (conf / "deployment.toml").write_text(f"# {name}\n")
        (releases / name / "repository" / "database").mkdir()
        (releases / name / "solr" / "data").mkdir(parents=True)
    old = releases / "wso2am-universal-gw-4.5.0"
    new = releases / "wso2am-universal-gw-4.5.0+u3"
    home = tmp_path / "gateway"
    home.symlink_to(old)
    unit = tmp_path / "wso2am-gateway.service"
    unit.write_text("[Service]\nExecStart=old\n")
    return {"root": tmp_path, "old": old, "new": new, "home": home, "unit": unit,
            "state": tmp_path / "state" / "gateway", "releases": releases}


def snapshot(tool, capsys, node):
    return run(tool, capsys, "snapshot", "--state", str(node["state"]), "--home", str(node["home"]),
               "--file", "repository/conf/deployment.toml",
               "--file", "repository/conf/security/secret-conf.properties",
               "--abs", str(node["unit"]))


def test_snapshot_records_once_then_reports_no_change(tool, capsys, node):
    first = snapshot(tool, capsys, node)
    assert first == {"changed": True, "release": str(node["old"])}
    assert snapshot(tool, capsys, node)["changed"] is False
    (node["old"] / "repository" / "conf" / "deployment.toml").write_text("# changed\n")
    assert snapshot(tool, capsys, node)["changed"] is True
    manifest = json.loads((node["state"] / "last-good" / "manifest.json").read_text())
    assert manifest["files"]["rel:repository/conf/security/secret-conf.properties"] is None
    assert oct(os.stat(node["state"] / "last-good").st_mode & 0o777) == "0o700"


def test_rollback_restores_release_files_and_carries_state(tool, capsys, node):
    snapshot(tool, capsys, node)
    # A change: a new release with its own configuration, a new unit, a file the old state lacked.
    node["home"].unlink()
    node["home"].symlink_to(node["new"])
    node["unit"].write_text("[Service]\nExecStart=new\n")
    (node["new"] / "repository" / "database" / "WSO2CARBON_DB.mv.db").write_text("written by the new release")
    (node["new"] / "solr" / "data" / "index").write_text("indexed later")
    result = run(tool, capsys, "rollback", "--state", str(node["state"]), "--home", str(node["home"]),
                 "--carry", "solr/data", "--carry", "repository/database/*.mv.db")
    assert result["rolled_back"] is True
    assert result["release"] == str(node["old"]) and result["from"] == str(node["new"])
    assert os.path.realpath(node["home"]) == str(node["old"])
    assert node["unit"].read_text() == "[Service]\nExecStart=old\n"
    assert sorted(result["carried"]) == ["repository/database/WSO2CARBON_DB.mv.db", "solr/data"]
    assert (node["old"] / "repository" / "database" / "WSO2CARBON_DB.mv.db").read_text() == "written by the new release"
    assert (node["old"] / "solr" / "data" / "index").read_text() == "indexed later"


def test_rollback_of_a_configuration_change_in_the_same_release(tool, capsys, node):
    snapshot(tool, capsys, node)
    toml = node["old"] / "repository" / "conf" / "deployment.toml"
    toml.write_text("# broken\n")
    secret_conf = node["old"] / "repository" / "conf" / "security" / "secret-conf.properties"
    secret_conf.parent.mkdir(parents=True)
    secret_conf.write_text("added by the change\n")
    result = run(tool, capsys, "rollback", "--state", str(node["state"]), "--home", str(node["home"]))
    assert result["rolled_back"] is True and result["carried"] == []
    assert toml.read_text() == f"# {node['old'].name}\n"
    assert not secret_conf.exists()
    assert sorted(result["restored"]) == ["repository/conf/deployment.toml",
                                          "repository/conf/security/secret-conf.properties"]


def test_rollback_without_a_last_good_state_changes_nothing(tool, capsys, node):
    result = run(tool, capsys, "rollback", "--state", str(node["state"]), "--home", str(node["home"]))
    assert result == {"changed": False, "rolled_back": False,
                      "msg": "no last good state is recorded on this node"}
    assert os.path.realpath(node["home"]) == str(node["old"])


def test_carry_copies_state_into_a_new_release(tool, capsys, node):
    (node["old"] / "repository" / "database" / "WSO2SHARED_DB.mv.db").write_text("old data")
    (node["new"] / "repository" / "database" / "WSO2SHARED_DB.mv.db").write_text("shipped empty")
    result = run(tool, capsys, "carry", "--from", str(node["old"]), "--to", str(node["new"]),
                 "--carry", "repository/database/*.mv.db", "--carry", "custom/missing")
    assert result == {"changed": True, "carried": ["repository/database/WSO2SHARED_DB.mv.db"]}
    assert (node["new"] / "repository" / "database" / "WSO2SHARED_DB.mv.db").read_text() == "old data"
    same = run(tool, capsys, "carry", "--from", str(node["old"]), "--to", str(node["old"]),
               "--carry", "repository/database/*.mv.db")
    assert same == {"changed": False, "carried": []}


def test_prune_keeps_the_newest_and_the_protected(tool, capsys, node):
    for age, name in enumerate(["r1", "r2", "r3"]):
        folder = node["releases"] / name
        folder.mkdir()
        os.utime(folder, (1000 + age, 1000 + age))
    os.utime(node["old"], (10, 10))  # the oldest, but running
    os.utime(node["new"], (2000, 2000))
    result = run(tool, capsys, "prune", "--releases", str(node["releases"]), "--keep", "3",
                 "--protect", str(node["old"]))
    left = sorted(path.name for path in node["releases"].iterdir())
    assert left == ["r3", "wso2am-universal-gw-4.5.0", "wso2am-universal-gw-4.5.0+u3"]
    assert sorted(Path(path).name for path in result["removed"]) == ["r1", "r2"]
    again = run(tool, capsys, "prune", "--releases", str(node["releases"]), "--keep", "3",
                "--protect", str(node["old"]))
    assert again == {"changed": False, "removed": []}


def test_snapshot_prunes_in_the_same_run(tool, capsys, node):
    """snapshot --prune-releases records the last good state and prunes as prune does, in one run."""
    oldest = node["releases"] / "wso2am-universal-gw-4.4.0"
    oldest.mkdir()
    os.utime(oldest, (1, 1))
    argv = ["snapshot", "--state", str(node["state"]), "--home", str(node["home"]),
            "--prune-releases", str(node["releases"]), "--keep", "2", "--protect", str(node["old"])]
    result = run(tool, capsys, *argv)
    assert result["changed"] is True
    assert result["removed"] == [str(oldest)]
    assert sorted(os.listdir(node["releases"])) == sorted([node["old"].name, node["new"].name])
    assert (node["state"] / "last-good" / "manifest.json").is_file()
    again = run(tool, capsys, *argv)
    assert again["changed"] is False and again["removed"] == []
