# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""site.yml run the way an AWX job template runs it: ansible-runner, a private data dir with
the project copied in, an inventory script, the survey answers as STRINGS in env/extravars,
the passwords in an ansible-vault encrypted file decrypted through the Vault prompt (as AWX
answers it for a Vault credential). On its own small lab: awx-db, awx-cp1, awx-tm1, awx-gw1
(systemd containers of wso2am-lab:bookworm on the docker network wso2am-awx), removed at the
end whatever happens.

Select it with -m awx_lab (or leave it out with -m "not awx_lab")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from awxlib import (
    PROJECT_SKELETON,
    REPO,
    ansible_env,
    describe,
    job_events,
    private_data_dir,
    run_job,
    tool,
    vault_encrypt,
)

pytestmark = pytest.mark.awx_lab

LAB_PLAYBOOK = Path(__file__).with_name("lab.yml")
IMAGE = "wso2am-lab:bookworm"
CONTAINERS = ["awx-db", "awx-cp1", "awx-tm1", "awx-gw1"]
NETWORK = "wso2am-awx"
APP_CONTAINERS = ["awx-cp1", "awx-tm1", "awx-gw1"]
VERSION = "4.5.0"
VAULT_PASSWORD = "awx-test-vault-pass"
# Lab only: public test passwords, encrypted with ansible-vault by the test like a real vault.yml.
SECRETS = {
    "wso2am_admin_password": "awx-lab-admin-not-secret",
    "wso2am_db_apim_password": "awx-lab-apim-not-secret",
    "wso2am_db_shared_password": "awx-lab-shared-not-secret",
    "wso2am_keystore_password": "awx-lab-keystore-not-secret",
}
TIER_PLAYS = {
    "database": "Databases",
    "control_plane": "API Control Plane",
    "key_manager": "Key Manager",
    "traffic_manager": "Traffic Managers",
    "gateway": "Universal Gateways",
}
VALIDATE_PLAY = "Validate the inventory on the controller (no host is contacted, nothing is changed)"
PREFLIGHT_PLAY = "Preflight on every host (what needs the node itself; nothing is changed)"
SECRETS_PLAY = "Load the vault-encrypted secrets"
PKI_PLAY = "Certificates and keystores (on the controller, no node is contacted)"
# site.yml's last play (hosts marked wso2am_state: absent); like a tier play, it honours wso2am_limit_to.
DECOMMISSION_PLAY = "Decommissioned hosts"


def _docker_ready() -> str | None:
    if not shutil.which("docker"):
        return "docker is not installed (scripts/setup.sh installs it)"
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        return "no docker engine answers (scripts/setup.sh starts one)"
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False).returncode != 0:
        return f"the lab image {IMAGE} is missing (scripts/setup.sh builds it)"
    return None


def _lab(state: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("ansible-playbook"), str(LAB_PLAYBOOK), "-e", f"lab_state={state}"],
        capture_output=True, text=True, check=False, env=ansible_env(), cwd=REPO,
    )


def _force_remove() -> None:
    """Last resort of the finalizer: remove this test's containers and network by name."""
    subprocess.run(["docker", "rm", "-f", *CONTAINERS], capture_output=True, check=False)
    subprocess.run(["docker", "network", "rm", NETWORK], capture_output=True, check=False)


@pytest.fixture(scope="module")
def awx_lab(request):
    """The four containers, created for this module and always removed after it."""
    problem = _docker_ready()
    if problem:
        pytest.fail(f"the AWX lab test needs docker: {problem}")
    _force_remove()  # leftovers of an interrupted run: start from fresh containers
    request.addfinalizer(_force_remove)
    request.addfinalizer(lambda: _lab("absent"))
    created = _lab("started")
    if created.returncode != 0:
        pytest.fail(f"could not create the lab containers:\n{created.stdout[-4000:]}\n{created.stderr[-2000:]}")
    return CONTAINERS


@pytest.fixture(scope="module")
def job_dir(tmp_path_factory, awx_lab, standin_packs):
    """The private data dir of the 'WSO2 API-M | deploy' job: awx/project (the deployment
    project layout docs/awx.md asks for) with its vault.yml, and the lab's inventory."""
    root = tmp_path_factory.mktemp("awx-job")
    pdd = private_data_dir(
        root,
        project=PROJECT_SKELETON,
        inventory={
            "database": ["awx-db"],
            "control_plane": ["awx-cp1"],
            "traffic_manager": ["awx-tm1"],
            "gateway": ["awx-gw1"],
            "key_manager": [],
        },
        inventory_vars={
            "all": {
                "ansible_connection": "community.docker.docker",
                "wso2am_db_type": "mysql",
                # API-M needs MySQL Connector/J: the stand-in jar built beside the stand-in packs.
                "wso2am_jdbc_driver_jar": str(standin_packs.resolve() / "mysql-connector-j-standin.jar"),
                "wso2am_heap_max": "512m",
                # The PKI's keys must outlive a job: under AWX a persistent volume, here the job's folder.
                "wso2am_pki_dir": str(root / "pki"),
            }
        },
        extravars={},
        vault_password=VAULT_PASSWORD,
    )
    vault_encrypt(pdd / "project" / "vault.yml", SECRETS, VAULT_PASSWORD)
    return pdd


def survey_answers(packs: Path, limit_to: str) -> dict:
    """What AWX puts in env/extravars for a launch: every answer a string, as surveys send them."""
    return {
        "wso2am_version": VERSION,
        "wso2am_multi_tenancy": "false",
        "wso2am_google_analytics": "false",
        "wso2am_traffic_manager_apim_db": "true",
        "wso2am_no_log": "true",
        "wso2am_health_timeout": "180",
        "wso2am_serial": "1",
        "wso2am_control_plane_offset": "0",
        "wso2am_traffic_manager_offset": "0",
        "wso2am_gateway_offset": "0",
        "wso2am_limit_to": limit_to,
        "wso2am_pack_dir": str(packs.resolve()),
    }


def _plays_with_tasks(events: list[dict]) -> dict[str, set[str]]:
    """Play name -> hosts that ran (or skipped) at least one task in it."""
    plays: dict[str, set[str]] = {}
    for event in events:
        if event["event"].startswith("runner_on_") or event["event"].startswith("runner_item_on_"):
            data = event.get("event_data", {})
            plays.setdefault(data.get("play", ""), set()).add(data.get("host", ""))
    return plays


def _assert_clean(runner) -> None:
    assert runner.status == "successful", describe(runner)
    assert runner.rc == 0, describe(runner)
    stats = runner.stats or {}
    assert not stats.get("failures"), describe(runner)
    assert not stats.get("dark"), describe(runner)
    assert stats.get("ok"), describe(runner)


def _version_page(container: str) -> str:
    proc = subprocess.run(
        ["docker", "exec", container, "curl", "-s", "--max-time", "10", "http://127.0.0.1:9763/services/Version"],
        capture_output=True, text=True, check=False,
    )
    return proc.stdout


def test_site_through_ansible_runner(job_dir, standin_packs):
    # (c) the first launch: every tier
    answers = survey_answers(standin_packs, "all")
    first = run_job(job_dir, "site.yml", "site-all", extravars=answers)
    written = yaml.safe_load((job_dir / "env" / "extravars").read_text())
    assert written == answers and all(isinstance(value, str) for value in written.values()), written
    _assert_clean(first)  # (d)
    events = job_events(first)
    assert events, "no job events in the artifacts"
    started = [e["event_data"]["play"] for e in events if e["event"] == "playbook_on_play_start"]
    for play in (SECRETS_PLAY, VALIDATE_PLAY, PKI_PLAY, PREFLIGHT_PLAY, *TIER_PLAYS.values()):
        assert play in started, f"play {play!r} did not start; plays: {started}"
    ran = _plays_with_tasks(events)
    for tier, play in TIER_PLAYS.items():
        if tier == "key_manager":
            assert play not in ran, "the inventory has no key manager"
        else:
            assert ran.get(play), f"no task ran in {play!r}"
    assert "awx-db" in ran[TIER_PLAYS["database"]]
    stdout = (Path(first.config.artifact_dir) / "stdout").read_text()
    for secret in SECRETS.values():
        assert secret not in stdout, "a vault secret leaked into the job output"
    for container in APP_CONTAINERS:
        page = _version_page(container)
        assert f"WSO2 API Manager-{VERSION}" in page, f"{container}: /services/Version answered {page!r}"

    # (e) the second launch, survey answer "gateway": only the gateway tier runs, nothing changes
    second = run_job(job_dir, "site.yml", "site-gateway", extravars=survey_answers(standin_packs, "gateway"))
    _assert_clean(second)
    ran = _plays_with_tasks(job_events(second))
    tier_plays_that_ran = {play for play in ran if play in TIER_PLAYS.values()}
    assert tier_plays_that_ran == {TIER_PLAYS["gateway"]}, f"tier plays that ran tasks: {sorted(tier_plays_that_ran)}"
    assert ran[TIER_PLAYS["gateway"]] == {"awx-gw1"}
    assert ran.get(DECOMMISSION_PLAY, {"awx-gw1"}) == {"awx-gw1"}, ran.get(DECOMMISSION_PLAY)
    assert set(ran) <= {SECRETS_PLAY, VALIDATE_PLAY, PKI_PLAY, PREFLIGHT_PLAY, TIER_PLAYS["gateway"],
                        DECOMMISSION_PLAY}, sorted(ran)
    assert not second.stats.get("changed"), f"a converged gateway changed: {describe(second)}"
    assert f"WSO2 API Manager-{VERSION}" in _version_page("awx-gw1")

    # status.yml of the same project, same string answers: every node reported healthy
    status = run_job(job_dir, "status.yml", "status", extravars=survey_answers(standin_packs, "all"))
    _assert_clean(status)
    report = (Path(status.config.artifact_dir) / "stdout").read_text()
    for container in APP_CONTAINERS:
        assert "NOT HEALTHY" not in report
        assert f"on {container}: HEALTHY" in report, report[-3000:]
