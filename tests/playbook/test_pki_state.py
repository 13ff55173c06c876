"""The PKI play on the controller (playbooks/_pki_issue.yml, which site.yml and pki.yml run) skips
what its record (wso2am_pki_dir/state.json) shows unchanged, and still issues, re-issues and
renews whatever did change. No node is contacted: every task runs on the controller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from cryptography import x509

ROOT = Path(__file__).resolve().parents[2]
GROUPS = {"control_plane": ["cp1"], "traffic_manager": ["tm1"], "gateway": ["gw1", "gw2"]}
# The tasks that make or examine key material: a run that changes nothing must skip them all.
PKI_MODULES = ("community.crypto.", "ansible.builtin.file")


def _run(tmp_path, groups=None, limit=None, **extra):
    inventory = {"all": {"children": {g: {"hosts": {h: None for h in hosts}} for g, hosts in (groups or GROUPS).items()}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    settings = {"wso2am_keystore_password": "pki-state-keystore-secret", "wso2am_pki_dir": str(tmp_path / "pki")}
    settings.update(extra)
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(settings))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.environ["WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH"],
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_NOCOLOR="1",
    )
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"),
         str(ROOT / "playbooks" / "_pki_issue.yml"), "-e", "@%s" % (tmp_path / "vars.yml")]
        + (["--limit", limit] if limit else []),
        capture_output=True, text=True, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def _examined(report):
    """Host -> names of the key-material tasks that ran (were not skipped) for it."""
    ran = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if str(result.get("action", "")).startswith(PKI_MODULES) and not result.get("skipped"):
                    ran.setdefault(host, []).append(task["task"]["name"])
    return ran


def _changed(report):
    return {host: stats["changed"] for host, stats in report["stats"].items()}


def _serial(path):
    return x509.load_pem_x509_certificate(path.read_bytes()).serial_number


def test_a_second_run_examines_nothing_and_the_record_is_private(tmp_path):
    first = _run(tmp_path)
    assert set(_examined(first)) == {"cp1", "tm1", "gw1", "gw2"}
    state = tmp_path / "pki" / "state.json"
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert "pki-state-keystore-secret" not in state.read_text()
    second = _run(tmp_path)
    assert _examined(second) == {}
    assert set(_changed(second).values()) == {0}


def test_only_what_changed_is_examined_again(tmp_path):
    pki = tmp_path / "pki"
    _run(tmp_path)
    serials = {host: _serial(pki / "nodes" / host / "tls.crt") for host in ("cp1", "tm1", "gw1", "gw2")}
    # a removed node certificate: that node alone, and it gets a new certificate
    (pki / "nodes" / "gw2" / "tls.crt").unlink()
    report = _run(tmp_path)
    assert set(_examined(report)) == {"gw2"}
    assert _serial(pki / "nodes" / "gw2" / "tls.crt") != serials["gw2"]
    assert _serial(pki / "nodes" / "gw1" / "tls.crt") == serials["gw1"]
    # a new name for one node (its SANs change): that node alone
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "host_vars" / "tm1.yml").write_text(yaml.safe_dump({"wso2am_pki_extra_sans": ["tm1.example.com"]}))
    report = _run(tmp_path)
    assert set(_examined(report)) == {"tm1"}
    cert = x509.load_pem_x509_certificate((pki / "nodes" / "tm1" / "tls.crt").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert "tm1.example.com" in names
    # a new host: only it
    report = _run(tmp_path, groups=dict(GROUPS, gateway=["gw1", "gw2", "gw3"]))
    assert set(_examined(report)) == {"gw3"}


def test_a_certificate_in_its_renewal_window_is_renewed_everywhere_it_is_due(tmp_path):
    pki = tmp_path / "pki"
    _run(tmp_path, wso2am_pki_valid_days=40, wso2am_pki_renew_days=10)
    assert _examined(_run(tmp_path, wso2am_pki_valid_days=40, wso2am_pki_renew_days=10)) == {}
    before = {host: _serial(pki / "nodes" / host / "tls.crt") for host in ("cp1", "gw1")}
    primary = _serial(pki / "primary" / "primary.crt")
    # 40 days left, renewal from 45 days before expiry: every certificate is due
    report = _run(tmp_path, wso2am_pki_valid_days=40, wso2am_pki_renew_days=45)
    assert set(_examined(report)) == {"cp1", "tm1", "gw1", "gw2"}
    assert _serial(pki / "primary" / "primary.crt") != primary
    assert all(_serial(pki / "nodes" / host / "tls.crt") != serial for host, serial in before.items())


def test_a_limited_run_keeps_the_record_of_the_other_hosts(tmp_path):
    _run(tmp_path)
    state = json.loads((tmp_path / "pki" / "state.json").read_text())
    assert sorted(state["nodes"]) == ["cp1", "gw1", "gw2", "tm1"]
    (tmp_path / "pki" / "nodes" / "gw1" / "tls.p12").unlink()
    report = _run(tmp_path, limit="gw1")
    assert set(_examined(report)) == {"gw1"}
    state = json.loads((tmp_path / "pki" / "state.json").read_text())
    assert sorted(state["nodes"]) == ["cp1", "gw1", "gw2", "tm1"]
    assert _examined(_run(tmp_path)) == {}
