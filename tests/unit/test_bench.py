# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""scripts/bench.py's pieces that need no lab: padded packs, generated inventories, the table."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("wso2am_bench", ROOT / "scripts" / "bench.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


def _standin(folder, name, files):
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / name, "w") as archive:
        for path, text in files.items():
            archive.writestr(f"{name[:-4]}/{path}", text)
    return folder / name


def test_packs_are_padded_to_the_listed_size_and_stay_valid_zips(tmp_path, monkeypatch):
    source = tmp_path / "standins"
    _standin(source, "wso2am-acp-4.6.0.zip", {"bin/api-cp.sh": "#!/bin/sh\n"})
    _standin(source, "wso2am-tm-4.6.0.zip", {"bin/traffic-manager.sh": "#!/bin/sh\n"})
    (source / "mysql-connector-j-standin.jar").write_bytes(b"jar")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "pack-sizes.yml").write_text(yaml.safe_dump({"sizes": {"wso2am-acp-4.6.0.zip": 3_000_000}}))
    monkeypatch.setenv("WSO2AM_STANDIN_PACKS", str(source))
    monkeypatch.setattr(bench, "HOOKS", hooks)
    made = bench.pad_packs("4.6.0", tmp_path / "out")
    acp = tmp_path / "out" / "wso2am-acp-4.6.0.zip"
    assert abs(acp.stat().st_size - 3_000_000) < 1_000
    assert made["wso2am-acp-4.6.0.zip"] == acp.stat().st_size
    # not listed: copied as built
    assert (tmp_path / "out" / "wso2am-tm-4.6.0.zip").read_bytes() == (source / "wso2am-tm-4.6.0.zip").read_bytes()
    assert (tmp_path / "out" / "mysql-connector-j-standin.jar").read_bytes() == b"jar"
    with zipfile.ZipFile(acp) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert "wso2am-acp-4.6.0/bin/api-cp.sh" in names
        assert f"wso2am-acp-4.6.0/{bench.PADDING_ENTRY}" in names
        # stored, not compressed: the bytes really travel
        assert archive.getinfo(f"wso2am-acp-4.6.0/{bench.PADDING_ENTRY}").compress_type == zipfile.ZIP_STORED
    # up to date: a second call does not rewrite it
    mtime = acp.stat().st_mtime_ns
    bench.pad_packs("4.6.0", tmp_path / "out")
    assert acp.stat().st_mtime_ns == mtime


def test_render_inventory_has_the_gateways_asked_for(tmp_path):
    folder = bench.render_inventory(7, tmp_path / "lab")
    hosts = yaml.safe_load((folder / "hosts.yml").read_text())["all"]["children"]
    assert list(hosts["gateway"]["hosts"]) == [f"gw{i}" for i in range(1, 8)]
    assert list(hosts["control_plane"]["hosts"]) == ["cp1"]
    assert (folder / "group_vars" / "all" / "main.yml").is_file()


def test_lab_inventory_shares_the_lab_pki(tmp_path):
    folder = bench.lab_inventory(4, tmp_path / "lab")
    hosts = yaml.safe_load((folder / "hosts.yml").read_text())["all"]["children"]
    assert list(hosts["gateway"]["hosts"]) == ["lab-gw1", "lab-gw2", "lab-gw3", "lab-gw4"]
    extra = yaml.safe_load((folder / "group_vars" / "all" / "bench.yml").read_text())
    assert extra["wso2am_pki_dir"] == str(ROOT / "inventories" / "pki" / "lab")


@pytest.mark.parametrize("busy", [False, True])
def test_table_states_the_targets_and_the_machine(busy):
    results = {
        "machine_before": {"cores": 2, "load_1m": 1.5 if busy else 0.1, "load_5m": 0.2, "busy": busy},
        "machine_after": {"cores": 2, "load_1m": 0.3, "load_5m": 0.2, "busy": False},
        "no_change": {"seconds": 60.0, "runs": [59.0, 60.0, 61.0], "changed_tasks": 0,
                      "total_bytes": 10, "pack_bytes": 0, "module_bytes": 4},
        "floor": {"seconds": 20.0},
        "ratio_no_change_to_floor": 3.0,
        "render": {"100": {"seconds": 6.1, "per_gateway_ms": 61}},
        "node_scale": {"1": {"seconds": 50.0}, "4": {"seconds": 60.0}},
        "ratio_4_to_1_gateways": 1.2,
    }
    text = bench.table(results)
    lines = {line.split("  ")[0]: line.split() for line in text.splitlines()}
    assert lines["no-change / floor"][-3:] == ["3.0", "<=", "1.5"]
    assert "packs 0, files 6, modules 4" in text
    assert "render.yml, 100 gateways" in text and "< 15 s" in text
    assert "4 gateways / 1 gateway" in text and "<= 1.3" in text
    assert f"load {results['machine_before']['load_1m']} before" in text
