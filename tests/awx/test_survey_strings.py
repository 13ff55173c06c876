# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Survey answers reach the playbooks as strings ("true", "4.6.0", "2"): the role argument
specs accept them, and the playbooks decide exactly as with real booleans and integers.
Controller-only (render.yml connects to no host): no container, a few seconds each."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from awxlib import PROJECT_SKELETON, REPO, describe, job_events, job_stdout, private_data_dir, run_job, vault_encrypt

ROLES = ["_common", "control_plane", "gateway", "traffic_manager", "key_manager", "database"]
GROUPS = {
    "database": ["lab-db"],
    "control_plane": ["lab-cp1"],
    "traffic_manager": ["lab-tm1"],
    "gateway": ["lab-gw1", "lab-gw2"],
    "key_manager": [],
}
PASSWORDS = {
    "wso2am_admin_password": "render-admin-not-secret",
    "wso2am_db_apim_password": "render-apim-not-secret",
    "wso2am_db_shared_password": "render-shared-not-secret",
    "wso2am_keystore_password": "render-keystore-not-secret",
}
INVENTORY_VARS = {"all": {"ansible_connection": "community.docker.docker", "wso2am_db_type": "mysql", **PASSWORDS}}
# Two deployments that differ in every setting a survey could carry.
TYPED = {
    "a": {
        "wso2am_version": "4.5.0",
        "wso2am_multi_tenancy": False,
        "wso2am_google_analytics": False,
        "wso2am_traffic_manager_apim_db": True,
        "wso2am_allow_default_keystore": True,
        "wso2am_no_log": True,
        "wso2am_health_timeout": 180,
        "wso2am_serial": 1,
        "wso2am_control_plane_offset": 0,
        "wso2am_traffic_manager_offset": 0,
        "wso2am_gateway_offset": 0,
        "wso2am_db_port": 0,
        "wso2am_limit_to": "all",
    },
    "b": {
        "wso2am_version": "4.6.0",
        "wso2am_multi_tenancy": True,
        "wso2am_google_analytics": True,
        "wso2am_traffic_manager_apim_db": False,
        "wso2am_allow_default_keystore": True,
        "wso2am_no_log": False,
        "wso2am_health_timeout": 600,
        "wso2am_serial": 2,
        "wso2am_control_plane_offset": 2,
        "wso2am_traffic_manager_offset": 1,
        "wso2am_gateway_offset": 3,
        "wso2am_db_port": 3307,
        "wso2am_limit_to": "gateway,traffic_manager",
    },
}


def as_survey_strings(values: dict) -> dict:
    """What an AWX survey (text / multiple choice questions) sends for the same answers."""
    return {key: json.dumps(value) if isinstance(value, bool) else str(value) for key, value in values.items()}


def _specs(role: str) -> dict:
    return yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_accept_survey_strings(role):
    """validate_argument_spec (run before each role) converts "true" / "2" and passes."""
    options = _specs(role)
    answers = {}
    for name, spec in options.items():
        if spec.get("type") == "bool":
            answers[name] = "true" if not spec.get("default") else "false"
        elif spec.get("type") == "int":
            answers[name] = str(spec.get("default") or 2)
        elif spec.get("choices"):
            answers[name] = str(spec["choices"][0])
    answers.update({k: v for k, v in as_survey_strings(TYPED["b"]).items() if k in options})
    if "wso2am_component" in options:
        answers["wso2am_component"] = "gateway"
    assert any(options[name].get("type") in ("bool", "int") for name in answers), f"{role}: nothing typed to check"
    result = ArgumentSpecValidator(options).validate(answers)
    assert result.error_messages == [], f"{role}: {result.error_messages}"
    # The check is real: a wrong answer is refused.
    typed = [name for name in answers if options[name].get("type") in ("bool", "int")]
    wrong = dict(answers, **{name: "maybe" for name in typed})
    assert ArgumentSpecValidator(options).validate(wrong).error_messages


def _render(tmp_path: Path, ident: str, extravars: dict) -> tuple[object, Path]:
    """render.yml of the collection (project = a copy of playbooks/, as when the AWX project is
    this repository) through ansible-runner, with ``extravars`` as env/extravars."""
    out = tmp_path / f"rendered-{ident}"
    pdd = private_data_dir(
        tmp_path / f"job-{ident}",
        project=REPO / "playbooks",
        inventory=GROUPS,
        inventory_vars=INVENTORY_VARS,
        extravars=dict(extravars, wso2am_render_dir=str(out)),
    )
    return run_job(pdd, "render.yml", ident), out


def _same_tree(left: Path, right: Path) -> list[str]:
    """Relative paths of files that differ (or exist on one side only)."""
    diffs = []
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()} | {
        p.relative_to(right) for p in right.rglob("*") if p.is_file()
    }
    for name in sorted(names):
        a, b = left / name, right / name
        if not (a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)):
            diffs.append(str(name))
    return diffs


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """render.yml runs, made once per (case, "typed" | "strings") and shared by the tests."""
    base = tmp_path_factory.mktemp("renders")
    done: dict = {}

    def get(case: str, kind: str) -> Path:
        if (case, kind) not in done:
            values = TYPED[case] if kind == "typed" else as_survey_strings(TYPED[case])
            job, out = _render(base, f"{case}-{kind}", values)
            assert job.status == "successful", describe(job)
            done[case, kind] = out
        return done[case, kind]

    return get


@pytest.mark.parametrize("case", sorted(TYPED))
def test_render_decides_the_same_with_string_answers(renders, case):
    typed_out = renders(case, "typed")
    string_out = renders(case, "strings")
    assert not _same_tree(typed_out, string_out), _same_tree(typed_out, string_out)
    gateway = (string_out / "lab-gw1" / "deployment.toml").read_text()
    expected = TYPED[case]
    assert f"offset = {expected['wso2am_gateway_offset']}" in gateway
    assert f"WSO2 API Manager {expected['wso2am_version']}" in gateway
    # multi-tenancy (and analytics with two gateways) give the gateways the real shared_db
    assert ('type = "h2"' in gateway.split("[database.shared_db]", 1)[1].split("[", 1)[0]) is not expected["wso2am_multi_tenancy"]


def test_the_two_cases_really_differ(renders):
    """Guards the test above: the settings it varies do change the rendered files."""
    changed = _same_tree(renders("a", "strings"), renders("b", "strings"))
    for host in ("lab-cp1", "lab-tm1", "lab-gw1", "lab-gw2"):
        assert f"{host}/deployment.toml" in changed


def test_render_no_log_false_as_a_string_shows_the_result(tmp_path):
    answers = as_survey_strings(dict(TYPED["a"], wso2am_no_log=False))
    answers["wso2am_render_mask_secrets"] = "false"
    job = _render(tmp_path, "no-log", answers)[0]
    assert job.status == "successful", describe(job)
    results = [
        e["event_data"].get("res", {})
        for e in job_events(job)
        if e["event"] == "runner_on_ok"
        and e["event_data"].get("task") == "Write every node's deployment.toml and topology.md on the controller"
    ]
    assert results
    assert not any("censored" in res for res in results), "wso2am_no_log: 'false' still hid the result"
    assert any(res.get("files") for res in results), results


def test_awx_project_render_prints_the_masked_files(tmp_path):
    """awx/project/render.yml, the render job template: vault.yml decrypted through the Vault
    prompt, the survey's version as a string, the files printed into the job output."""
    pdd = private_data_dir(
        tmp_path / "job",
        project=PROJECT_SKELETON,
        inventory=GROUPS,
        # become as the example inventory asks for it, with a sudo that cannot work: the render
        # job must not use it (every task runs in the EE, which has no sudo)
        inventory_vars={"all": {"ansible_connection": "community.docker.docker", "ansible_become": True,
                                "ansible_become_user": "nobody", "ansible_become_exe": "/nonexistent/sudo"}},
        extravars={"wso2am_version": "4.6.0", "wso2am_allow_default_keystore": "true",
                   "wso2am_render_dir": str(tmp_path / "rendered")},
        vault_password="render-vault-pass",
    )
    vault_encrypt(pdd / "project" / "vault.yml", PASSWORDS, "render-vault-pass")
    job = run_job(pdd, "render.yml", "render")
    assert job.status == "successful", describe(job)
    assert job.rc == 0
    stdout = job_stdout(job)
    assert "WSO2 API Manager 4.6.0: gateway node lab-gw1" in stdout
    assert "flowchart LR" in stdout, "topology.md is printed"
    assert 'password = \\"********\\"' in stdout or 'password = "********"' in stdout
    for secret in PASSWORDS.values():
        assert secret not in stdout
    plays = {e["event_data"]["play"] for e in job_events(job) if e["event"] == "playbook_on_play_start"}
    assert {"Load the vault-encrypted secrets", "Render the configuration of every node",
            "Show the rendered files in the job output"} <= plays
