# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.pki_state (what the PKI play must examine again)"""

from __future__ import annotations

import datetime
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.wso2am.distributed.plugins.action.pki_state import (
    STATE_FILE,
    _load,
    check,
    record,
)

NOW = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.timezone.utc)


def _cert(path, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_after - datetime.timedelta(days=400))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture
def pki(tmp_path):
    """A PKI folder with a shared part and two nodes, each certificate valid for 100 more days."""
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "ca.crt").write_text("CA\n")
    _cert(tmp_path / "ca" / "primary.crt", NOW + datetime.timedelta(days=100))
    shared = {
        "inputs": {"ca_name": "lab CA", "password": "s3cret-Passw0rd"},
        "files": [str(tmp_path / "ca"), str(tmp_path / "ca" / "ca.crt"), str(tmp_path / "ca" / "primary.crt")],
        "certs": [str(tmp_path / "ca" / "primary.crt")],
    }
    nodes = {}
    for host in ("gw1", "gw2"):
        folder = tmp_path / host
        folder.mkdir(mode=0o700)
        (folder / "tls.key").write_text(f"key of {host}\n")
        os.chmod(folder / "tls.key", 0o600)
        _cert(folder / "tls.crt", NOW + datetime.timedelta(days=100))
        nodes[host] = {
            "inputs": {"sans": [f"DNS:{host}"]},
            "files": [str(folder), str(folder / "tls.key"), str(folder / "tls.crt")],
            "certs": [str(folder / "tls.crt")],
        }
    return tmp_path, shared, nodes


def _recorded(folder, shared, nodes):
    assert record(str(folder / STATE_FILE), _load(str(folder / STATE_FILE)), shared, nodes)
    return _load(str(folder / STATE_FILE))


def test_without_a_record_everything_is_examined(pki):
    folder, shared, nodes = pki
    found = check(_load(str(folder / STATE_FILE)), shared, nodes, 30, NOW)
    assert found["shared_stale"] is True
    assert found["stale_hosts"] == ["gw1", "gw2"]


def test_after_a_record_nothing_is_examined_and_the_record_is_private(pki):
    folder, shared, nodes = pki
    state = _recorded(folder, shared, nodes)
    assert check(state, shared, nodes, 30, NOW) == {"shared_stale": False, "stale_hosts": [], "reasons": []}
    assert stat.S_IMODE(os.stat(folder / STATE_FILE).st_mode) == 0o600
    text = (folder / STATE_FILE).read_text()
    assert "s3cret-Passw0rd" not in text
    # a second record of the same files leaves the file alone
    assert record(str(folder / STATE_FILE), state, shared, nodes) is False


def test_an_edited_file_makes_only_its_node_stale(pki):
    folder, shared, nodes = pki
    state = _recorded(folder, shared, nodes)
    (folder / "gw2" / "tls.key").write_text("tampered\n")
    found = check(state, shared, nodes, 30, NOW)
    assert found["shared_stale"] is False
    assert found["stale_hosts"] == ["gw2"]
    assert any("tls.key was changed or removed" in reason for reason in found["reasons"])


@pytest.mark.parametrize("change", ["remove", "mode"])
def test_a_removed_file_or_changed_mode_is_seen(pki, change):
    folder, shared, nodes = pki
    state = _recorded(folder, shared, nodes)
    if change == "remove":
        os.unlink(folder / "gw1" / "tls.crt")
    else:
        os.chmod(folder / "gw1" / "tls.key", 0o644)
    assert check(state, shared, nodes, 30, NOW)["stale_hosts"] == ["gw1"]


def test_changed_inputs_of_a_node_make_it_stale(pki):
    folder, shared, nodes = pki
    state = _recorded(folder, shared, nodes)
    nodes["gw1"]["inputs"] = {"sans": ["DNS:gw1", "DNS:api.example.com"]}
    found = check(state, shared, nodes, 30, NOW)
    assert found["stale_hosts"] == ["gw1"]
    assert "gw1: its settings changed" in found["reasons"]


def test_a_changed_shared_input_makes_every_node_stale(pki):
    folder, shared, nodes = pki
    state = _recorded(folder, shared, nodes)
    shared["inputs"] = dict(shared["inputs"], password="an0ther-Passw0rd")
    found = check(state, shared, nodes, 30, NOW)
    assert found["shared_stale"] is True
    assert found["stale_hosts"] == ["gw1", "gw2"]
    assert not any("an0ther" in reason for reason in found["reasons"])


def test_a_new_host_is_examined_alone(pki):
    folder, shared, nodes = pki
    state = _recorded(folder, shared, {"gw1": nodes["gw1"]})
    found = check(state, shared, nodes, 30, NOW)
    assert found["shared_stale"] is False
    assert found["stale_hosts"] == ["gw2"]


def test_a_record_for_some_hosts_keeps_the_others(pki):
    folder, shared, nodes = pki
    _recorded(folder, shared, nodes)
    (folder / "gw1" / "tls.key").write_text("re-issued key of gw1\n")
    state = _recorded(folder, shared, {"gw1": nodes["gw1"]})
    assert sorted(state["nodes"]) == ["gw1", "gw2"]
    assert check(state, shared, nodes, 30, NOW)["stale_hosts"] == []


def test_a_certificate_entering_its_renewal_window_is_examined(pki):
    folder, shared, nodes = pki
    state = _recorded(folder, shared, nodes)
    # valid for 100 more days: stale with a 100-day renewal window, not with 99
    assert check(state, shared, nodes, 99, NOW)["stale_hosts"] == []
    found = check(state, shared, nodes, 100, NOW)
    assert found["shared_stale"] is True
    assert any("expires within 100 days" in reason for reason in found["reasons"])
    # later in time, the same window is reached
    assert check(state, shared, nodes, 30, NOW + datetime.timedelta(days=71))["shared_stale"] is True
    assert check(state, shared, nodes, 30, NOW + datetime.timedelta(days=69))["shared_stale"] is False


def test_only_the_renewed_node_when_its_certificate_alone_is_near_expiry(pki):
    folder, shared, nodes = pki
    _cert(folder / "gw2" / "tls.crt", NOW + datetime.timedelta(days=10))
    state = _recorded(folder, shared, nodes)
    found = check(state, shared, nodes, 30, NOW)
    assert found["shared_stale"] is False
    assert found["stale_hosts"] == ["gw2"]


def test_an_unreadable_certificate_is_examined(pki):
    folder, shared, nodes = pki
    (folder / "gw1" / "tls.crt").write_text("not a certificate\n")
    state = _recorded(folder, shared, nodes)
    found = check(state, shared, nodes, 30, NOW)
    assert found["stale_hosts"] == ["gw1"]
    assert any("expiry" in reason and "unknown" in reason for reason in found["reasons"])


@pytest.mark.parametrize("content", ["", "{", json.dumps({"version": 0, "salt": "x"}), json.dumps([1])])
def test_a_broken_or_foreign_record_means_everything_is_examined(pki, content):
    folder, shared, nodes = pki
    (folder / STATE_FILE).write_text(content)
    state = _load(str(folder / STATE_FILE))
    assert state is None
    assert check(state, shared, nodes, 30, NOW)["shared_stale"] is True


def test_relative_paths_are_refused(pki):
    from ansible.errors import AnsibleActionFail

    folder, shared, nodes = pki
    state = _recorded(folder, shared, nodes)
    nodes["gw1"]["files"].append("relative/tls.key")
    with pytest.raises(AnsibleActionFail, match="must be absolute"):
        check(state, shared, nodes, 30, NOW)
