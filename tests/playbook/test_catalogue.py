# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The catalogue of bad input (tests/catalogue/cases.yml) against site.yml and render.yml.

Each case is written into an inventory whose hosts are unreachable (SSH to a closed port on
loopback). Both playbooks must stop with a non-zero exit and the expected message, and contact
no host: no fact gathering, nothing unreachable, no file rendered.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CASES = yaml.safe_load((ROOT / "tests" / "catalogue" / "cases.yml").read_text(encoding="utf-8"))
BASE_GROUPS = {"database": ["db1"], "control_plane": ["cp1"], "traffic_manager": ["tm1"], "gateway": ["gw1", "gw2"]}
BASE_VARS = """\
ansible_connection: ssh
ansible_host: 127.0.0.1
ansible_port: 9
ansible_ssh_common_args: -o ConnectTimeout=2 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
wso2am_version: "4.6.0"
wso2am_admin_password: catalogue-admin-secret
wso2am_db_apim_password: catalogue-apim-secret
wso2am_db_shared_password: catalogue-shared-secret
wso2am_keystore_password: catalogue-keystore-secret
"""
PLAYBOOKS = ("site.yml", "render.yml")


def _inventory(root: Path, case: dict, packs: Path) -> Path:
    inventory = root / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "host_vars").mkdir()
    groups = case.get("groups", BASE_GROUPS)
    children = {group: {"hosts": {host: None for host in hosts}} for group, hosts in groups.items()}
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": children}}) if children else "all:\n  hosts: {}\n")
    # A key the case sets replaces the base's line (a duplicate YAML key would make Ansible warn,
    # printing the line, a secret included).
    overridden = set(re.findall(r"^(\w+):", case.get("all") or "", re.M))
    base = "".join(line + "\n" for line in BASE_VARS.splitlines() if line.split(":", 1)[0] not in overridden)
    text = base + f"wso2am_pack_dir: {packs}\nwso2am_render_dir: {root / 'rendered'}\n"
    (inventory / "group_vars" / "all.yml").write_text(text + (case.get("all") or "") + "\n")
    for host, extra in (case.get("hosts") or {}).items():
        (inventory / "host_vars" / f"{host}.yml").write_text(extra + "\n")
    return inventory


def _packs(root: Path) -> Path:
    """Empty files named like the 4.6.0 packs: validation only checks that they exist."""
    packs = root / "packs"
    packs.mkdir()
    for name in ("wso2am-acp", "wso2am-universal-gw", "wso2am-tm"):
        (packs / f"{name}-4.6.0.zip").write_bytes(b"")
    return packs


def _run(case_id: str, playbook: str, root: Path, collections: str):
    case = next(c for c in CASES if c["id"] == case_id)
    work = root / f"{case_id}-{playbook.split('.')[0]}"
    work.mkdir()
    inventory = _inventory(work, case, _packs(work))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="0")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
         str(ROOT / "playbooks" / playbook)],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )
    return proc, work


@pytest.fixture(scope="module")
def results(tmp_path_factory, wso2am_collections_path):
    """Every (case, playbook) run, four at a time."""
    root = tmp_path_factory.mktemp("catalogue")
    jobs = [(case["id"], playbook) for case in CASES for playbook in PLAYBOOKS
            if not (case.get("site_only") and playbook == "render.yml")]
    run = functools.partial(_run, root=root, collections=wso2am_collections_path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        outputs = pool.map(lambda job: run(*job), jobs)
        return dict(zip(jobs, outputs))


def test_case_ids_are_unique():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize("case_id", [case["id"] for case in CASES])
def test_bad_input_is_refused_before_any_host_is_contacted(results, case_id, playbook):
    case = next(c for c in CASES if c["id"] == case_id)
    if case.get("site_only") and playbook == "render.yml":
        pytest.skip("render.yml needs no pack, keystore or jar file")
    proc, work = results[(case_id, playbook)]
    output = proc.stdout + proc.stderr
    flat = " ".join(output.split())
    assert proc.returncode != 0, output[-3000:]
    assert " ".join(case["expect"].split()) in flat, output[-3000:]
    # No host was contacted: no fact gathering, nothing unreachable, nothing rendered.
    assert "Gathering Facts" not in output and "UNREACHABLE" not in output, output[-3000:]
    assert "no host was contacted" in flat
    assert not list((work / "rendered").glob("**/deployment.toml"))
    if case.get("absent"):
        assert case["absent"] not in output


def test_a_sound_inventory_passes_validation_and_would_then_contact_its_hosts(tmp_path, wso2am_collections_path):
    """The check above can fail: without a mistake, site.yml goes on to the hosts (unreachable here)."""
    CASES.append({"id": "sound", "all": ""})
    try:
        proc, _work = _run("sound", "site.yml", tmp_path, wso2am_collections_path)
    finally:
        CASES.pop()
    assert "no host was contacted" not in proc.stdout
    assert "UNREACHABLE" in proc.stdout, proc.stdout[-3000:]


@pytest.mark.parametrize("tags", ["gateway", "wso2am_configure"])
def test_tags_cannot_skip_the_validation(tmp_path, wso2am_collections_path, tags):
    case = {"id": f"tags-{tags}", "all": "wso2am_db_typ: postgresql"}
    inventory = _inventory(tmp_path, case, _packs(tmp_path))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=wso2am_collections_path, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), "--tags", tags,
         str(ROOT / "playbooks" / "site.yml")],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )
    flat = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0
    assert "did you mean wso2am_db_type?" in flat and "UNREACHABLE" not in flat
