# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The PKI's certificate names and the secure vault's encryption, decided on the controller."""

from __future__ import annotations

import base64
import datetime
import tomllib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.wso2am.distributed.plugins.plugin_utils import wso2am_pki as pki
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_toml import to_toml
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import Wso2amModelError


def _key_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wso2am primary")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key, key_pem, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def primary():
    return _key_pair()


def _decrypt(key, text):
    return key.decrypt(base64.b64decode(text), padding.PKCS1v15()).decode()


CONFIG = {
    "server": {"hostname": "cp1.lab", "offset": 0},
    "super_admin": {"username": "admin", "password": "admin-secret-1", "create_admin_account": True},
    "database": {
        "apim_db": {"type": "mysql", "username": "apim", "password": "apim-secret-1"},
        "local": {"url": "jdbc:h2:./repository/database/WSO2CARBON_DB"},
    },
    "keystore": {"tls": {"file_name": "wso2am-tls.p12", "password": "ks-secret-1", "key_password": "ks-secret-1"}},
    "encryption": {"key": "ab" * 32},
    "apim": {"gateway": {"environment": [{"name": "Default", "password": "${admin.password}"}]}},
}


@pytest.mark.parametrize(
    "host, hostvars, expected",
    [
        ("gw1", {}, ["DNS:gw1"]),
        ("gw1", {"ansible_host": "10.0.0.5", "wso2am_public_hostname": "API.example.com"},
         ["IP:10.0.0.5", "DNS:gw1", "DNS:api.example.com"]),
        ("gw1", {"ansible_host": "127.0.0.1", "wso2am_hostname": "gw1.lab"}, ["DNS:gw1.lab", "DNS:gw1"]),
        ("gw1", {"wso2am_hostname": "gw1", "wso2am_pki_extra_sans": ["fe80::1", "gw1"]}, ["DNS:gw1", "IP:fe80::1"]),
        ("gw1", {"wso2am_pki_extra_sans": "a.lab, 10.1.1.1"}, ["DNS:gw1", "DNS:a.lab", "IP:10.1.1.1"]),
    ],
)
def test_a_certificate_names_every_name_of_the_host_but_loopback(host, hostvars, expected):
    assert pki.node_sans(host, hostvars) == expected


def test_a_host_known_only_as_localhost_cannot_get_a_certificate():
    with pytest.raises(Wso2amModelError, match="has no name or address for its TLS certificate"):
        pki.node_sans("localhost", {"ansible_host": "127.0.0.1"})


def test_every_secret_becomes_a_reference_and_placeholders_stay():
    config, secrets = pki.vault_references(CONFIG)
    assert secrets == {
        "super_admin_password": "admin-secret-1",
        "database_apim_db_password": "apim-secret-1",
        "keystore_tls_password": "ks-secret-1",
        "keystore_tls_key_password": "ks-secret-1",
        "encryption_key": "ab" * 32,
    }
    assert config["super_admin"]["password"] == "$secret{super_admin_password}"
    assert config["encryption"]["key"] == "$secret{encryption_key}"
    assert config["apim"]["gateway"]["environment"][0]["password"] == "${admin.password}"
    assert config["super_admin"]["username"] == "admin" and CONFIG["super_admin"]["password"] == "admin-secret-1"


def test_secrets_are_encrypted_as_the_cipher_tool_does_and_kept_when_unchanged(primary):
    key, key_pem, cert_pem = primary
    first = pki.with_secure_vault(CONFIG, "", key_pem, cert_pem)
    assert {alias: _decrypt(key, text) for alias, text in first["secrets"].items()} == pki.vault_references(CONFIG)[1]
    text = to_toml(first)
    # [secrets] is the last table, and no secret is left in clear text.
    assert text.rstrip().splitlines()[-len(first["secrets"]) - 1] == "[secrets]"
    assert "admin-secret-1" not in text and "ks-secret-1" not in text and "ab" * 32 not in text
    again = pki.with_secure_vault(CONFIG, text, key_pem, cert_pem)
    assert again == first  # a re-run with the same secrets writes the same file

    changed = dict(CONFIG, super_admin=dict(CONFIG["super_admin"], password="admin-secret-2"))
    third = pki.with_secure_vault(changed, text, key_pem, cert_pem)
    assert _decrypt(key, third["secrets"]["super_admin_password"]) == "admin-secret-2"
    assert {k: v for k, v in third["secrets"].items() if k != "super_admin_password"} == {
        k: v for k, v in first["secrets"].items() if k != "super_admin_password"}


def test_a_ciphertext_of_another_key_is_replaced(primary):
    key, key_pem, cert_pem = primary
    _other, other_key_pem, other_cert_pem = _key_pair()
    old = to_toml(pki.with_secure_vault(CONFIG, "", other_key_pem, other_cert_pem))
    new = pki.with_secure_vault(CONFIG, old, key_pem, cert_pem)
    assert _decrypt(key, new["secrets"]["super_admin_password"]) == "admin-secret-1"
    assert pki.current_ciphertexts("not [toml") == {} and pki.current_ciphertexts("") == {}


def test_render_shows_references_without_key_material():
    rendered = pki.with_secure_vault(CONFIG)
    assert set(rendered["secrets"].values()) == {pki.RENDER_PLACEHOLDER}
    assert tomllib.loads(to_toml(rendered))["database"]["apim_db"]["password"] == "$secret{database_apim_db_password}"


def test_a_key_that_is_not_the_certificates_is_refused(primary):
    _key, key_pem, _cert = primary
    _other, _other_key, other_cert = _key_pair()
    with pytest.raises(Wso2amModelError, match="does not belong to the primary private key"):
        pki.with_secure_vault(CONFIG, "", key_pem, other_cert)


def test_a_users_own_secrets_table_is_refused():
    with pytest.raises(Wso2amModelError, match="sets \\[secrets\\] while the collection's secure vault is on"):
        pki.vault_references(dict(CONFIG, secrets={"x": "[y]"}))


KEY_47 = "6b0c1f3e9a2d4c5b8e7f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"


def _aes_decrypt(text, key=KEY_47):
    import json

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    document = json.loads(base64.b64decode(text))
    return AESGCM(bytes.fromhex(key)).decrypt(
        base64.b64decode(document["iv"]), base64.b64decode(document["cipherText"]), None).decode()


def test_the_47_vault_is_key_based_and_kept_when_unchanged():
    first = pki.with_secure_vault(CONFIG, "", encryption_key=KEY_47)
    assert {alias: _aes_decrypt(text) for alias, text in first["secrets"].items()} == pki.vault_references(CONFIG)[1]
    # The encryption key itself is one of the secrets, encrypted with itself as the 4.7 docs show.
    assert first["encryption"]["key"] == "$secret{encryption_key}"
    text = to_toml(first)
    assert pki.with_secure_vault(CONFIG, text, encryption_key=KEY_47) == first
    other = "cd" * 32
    moved = pki.with_secure_vault(CONFIG, text, encryption_key=other)
    assert _aes_decrypt(moved["secrets"]["super_admin_password"], other) == "admin-secret-1"


@pytest.mark.parametrize("key", ["", "abc", "zz" * 32])
def test_a_key_based_vault_needs_a_hex_aes_key(key):
    if not key:
        assert set(pki.with_secure_vault(CONFIG, "", encryption_key=key)["secrets"].values()) == {pki.RENDER_PLACEHOLDER}
        return
    with pytest.raises(Wso2amModelError, match="64 hexadecimal characters"):
        pki.with_secure_vault(CONFIG, "", encryption_key=key)


def test_secrets_stay_last_after_arrays_of_tables():
    config = dict(CONFIG, event_listener=[{"id": "token_revocation", "type": "org.x"}])
    text = to_toml(pki.with_secure_vault(config, encryption_key=KEY_47))
    headers = [line for line in text.splitlines() if line.startswith("[")]
    assert headers[-1] == "[secrets]" and "[[event_listener]]" in headers, headers
