# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Helpers of the AWX tests (tests/awx): paths, and the environment ansible-runner and
ansible-playbook get."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AWX_DIR = REPO / "awx"
PROJECT_SKELETON = AWX_DIR / "project"
EE_DIR = REPO / "execution-environment"
DEFAULT_PACKS = REPO / "tests" / ".packs"


def collections_path() -> str:
    """ANSIBLE_COLLECTIONS_PATH that finds wso2am.distributed (this checkout)."""
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    if configured:
        return configured
    fallback = REPO / ".cache" / "collections"
    if not (fallback / "ansible_collections" / "wso2am" / "distributed" / "galaxy.yml").exists():
        pytest.fail(f"{fallback} does not hold wso2am.distributed: run scripts/setup.sh, or set ANSIBLE_COLLECTIONS_PATH")
    return str(fallback)


def tool(name: str) -> str:
    """Path of a command of this Python's environment (the venv's ansible-playbook, ...)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed (run scripts/setup.sh)")
    return found


def ansible_env(**extra: str) -> dict:
    """Environment for ansible commands run by the tests."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, capture its output, and fail the test with it when it fails."""
    kwargs.setdefault("env", ansible_env())
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        pytest.fail(
            f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
            f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


# --- ansible-runner, the way AWX drives it ----------------------------------------------------

VAULT_PROMPT = r"Vault password:\s*?$"  # the prompt AWX answers for a Vault credential


def write_yaml(path: Path, data) -> Path:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, default_flow_style=False, sort_keys=False))
    return path


def private_data_dir(root: Path, *, project: Path, inventory: dict, extravars: dict,
                     inventory_vars: dict | None = None, vault_password: str | None = None) -> Path:
    """Lay out an ansible-runner private data dir as AWX does for a job.

    project/       a copy of the project (AWX copies the synced project into the job)
    inventory/hosts  the job's inventory: an executable script printing it as JSON, as AWX writes it
    env/extravars  the survey answers and the job template's extra vars
    env/envvars    the job's environment
    env/cmdline    --ask-vault-pass when there is a Vault credential ...
    env/passwords  ... and the answer to its prompt, as AWX gives it
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(project, root / "project", symlinks=True, dirs_exist_ok=True)
    write_inventory_script(root / "inventory" / "hosts", inventory, inventory_vars)
    write_yaml(root / "env" / "extravars", extravars)
    write_yaml(
        root / "env" / "envvars",
        {
            "ANSIBLE_COLLECTIONS_PATH": collections_path(),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            # As a project's ansible.cfg would set it ([defaults] pipelining): fewer round trips.
            "ANSIBLE_PIPELINING": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },
    )
    if vault_password is not None:
        (root / "env" / "cmdline").write_text("--ask-vault-pass")
        write_yaml(root / "env" / "passwords", {VAULT_PROMPT: vault_password})
    return root


def write_inventory_script(path: Path, groups: dict, group_vars: dict | None = None) -> Path:
    """Write an AWX-style inventory script: ``groups`` maps group name -> host names (each host
    may map to its host vars), ``group_vars`` maps group name (or "all") -> variables."""
    group_vars = group_vars or {}
    data: dict = {"all": {"children": sorted(groups), "vars": group_vars.get("all", {})}, "_meta": {"hostvars": {}}}
    for group, hosts in groups.items():
        data[group] = {"hosts": sorted(hosts), "vars": group_vars.get(group, {})}
        for host in hosts:
            data["_meta"]["hostvars"].setdefault(host, {}).update((hosts.get(host) or {}) if isinstance(hosts, dict) else {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/usr/bin/env python3\n# The inventory of this job, printed as JSON (as AWX writes it).\nprint({json.dumps(data)!r})\n")
    path.chmod(0o755)
    return path


def vault_encrypt(path: Path, data: dict, password: str) -> None:
    """Write ``data`` to ``path`` and encrypt it with ansible-vault and a password file."""
    write_yaml(path, data)
    secret = path.parent / ".vault-pass"
    secret.write_text(password)
    try:
        run([tool("ansible-vault"), "encrypt", "--vault-password-file", str(secret), str(path)])
    finally:
        secret.unlink()
    assert path.read_text().startswith("$ANSIBLE_VAULT;")


def run_job(pdd: Path, playbook: str, ident: str, extravars: dict | None = None, **kwargs):
    """Run ``playbook`` of the private data dir with ansible-runner; return the Runner."""
    import ansible_runner

    if extravars is not None:
        write_yaml(pdd / "env" / "extravars", extravars)
    return ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, ident=ident, quiet=True, **kwargs)


def job_events(runner) -> list[dict]:
    """The job events ansible-runner wrote to the artifacts folder, in order."""
    folder = Path(runner.config.artifact_dir) / "job_events"
    events = [json.loads(path.read_text()) for path in folder.glob("*.json")]
    return sorted(events, key=lambda event: event.get("counter", 0))


def job_stdout(runner) -> str:
    return (Path(runner.config.artifact_dir) / "stdout").read_text()


def describe(runner) -> str:
    """Status, stats and the end of the output of a job, for assertion messages."""
    return f"status={runner.status} rc={runner.rc} stats={runner.stats}\n--- stdout (end)\n{job_stdout(runner)[-8000:]}"
