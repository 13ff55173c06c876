"""Keystores, trust store settings and secure vault of the stand-in."""

from __future__ import annotations

import base64
import os
import tomllib
from pathlib import Path

import pytest

import standin_checks as sc
import standin_security as sec
import standin_tls as tls
import standin_vault as vault
from pki_testlib import (keytool_path, make_ca, make_leaf, vault_encrypt,
                         write_jks, write_p12, write_truststore)

pytestmark = pytest.mark.skipif(keytool_path() is None, reason="no keytool")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a leaf it issued, and the leaf in a JKS and a PKCS12 store."""
    work = tmp_path_factory.mktemp("pki")
    ca = make_ca("Test Root CA")
    leaf = make_leaf(ca, "node.example", dns=("node.example", "localhost"))
    other = make_leaf(make_ca("Other CA"), "other")
    jks = write_jks(work / "node.jks", leaf, "Node", "storepw", "keypass1")
    write_truststore(jks, {"root": ca}, password="storepw")  # beside the key
    p12 = write_p12(work / "node.p12", leaf, "node", "storepw")
    identity = write_jks(work / "identity.jks", leaf, "node", "samepw")
    return {"ca": ca, "leaf": leaf, "other": other, "jks": jks, "p12": p12,
            "identity": identity, "dir": work}


# ---------------------------------------------------------------- keystores

def test_jks_right_and_wrong_passwords(pki):
    store = sec.load_keystore(pki["jks"], "storepw", "JKS")
    assert store.format == "JKS"
    assert store.aliases() == ["node", "root"]
    pkcs8, chain = store.private_key("NODE", "keypass1")  # case-insensitive
    assert pkcs8 == pki["leaf"].pkcs8()
    assert chain == [c.public_bytes(sec_der()) for c in pki["leaf"].chain]
    # trust: trusted entries plus each key entry's own certificate
    assert sorted(store.trusted_certs()) == sorted(
        [pki["ca"].der(), pki["leaf"].der()])
    with pytest.raises(sec.KeystoreError, match="Cannot recover key"):
        store.private_key("node", "storepw")
    with pytest.raises(sec.KeystoreError, match="not a private key entry"):
        store.private_key("root", "keypass1")
    with pytest.raises(sec.KeystoreError, match="alias nope not found"):
        store.private_key("nope", "keypass1")
    with pytest.raises(sec.WrongPassword,
                       match="keystore password was incorrect"):
        sec.load_keystore(pki["jks"], "wrong")


def sec_der():
    from cryptography.hazmat.primitives.serialization import Encoding
    return Encoding.DER


def test_pkcs12_right_and_wrong_passwords(pki):
    store = sec.load_keystore(pki["p12"], "storepw", "PKCS12")
    assert store.format == "PKCS12" and store.key_aliases() == ["node"]
    pkcs8, chain = store.private_key("node", "storepw")
    assert pkcs8 == pki["leaf"].pkcs8()
    assert chain[0] == pki["leaf"].der() and chain[1] == pki["ca"].der()
    with pytest.raises(sec.KeystoreError, match="Get Key failed"):
        store.private_key("node", "other")
    with pytest.raises(sec.WrongPassword,
                       match="keystore password was incorrect"):
        sec.load_keystore(pki["p12"], "wrong")


def test_keytool_pkcs12_trust_store_and_type_compat(pki, tmp_path):
    # keytool PKCS12 trust store: certificate-only entries are trusted
    trust = write_truststore(tmp_path / "trust.p12",
                             {"a": pki["ca"], "b": pki["other"]},
                             storetype="PKCS12")
    store = sec.load_keystore(trust, "wso2carbon", "JKS")  # type ignored
    assert store.aliases() == ["a", "b"] and store.key_aliases() == []
    assert sorted(store.trusted_certs()) == sorted(
        [pki["ca"].der(), pki["other"].der()])
    # PKCS12 bytes named .jks with type JKS (as real 4.5 packs ship them)
    home = tmp_path / "home"
    sdir = home / tls.SECURITY_DIR
    sdir.mkdir(parents=True)
    (sdir / "wso2carbon.jks").write_bytes(Path(pki["p12"]).read_bytes())
    (sdir / "client-truststore.jks").write_bytes(Path(trust).read_bytes())
    config = {"keystore": {"primary": {
        "file_name": "wso2carbon.jks", "type": "jks", "password": "storepw",
        "alias": "node", "key_password": "storepw"}}}
    node, err = tls.load_node_tls(str(home), config)
    assert err is None and len(node.trusted) == 2


def test_bad_files(tmp_path):
    with pytest.raises(sec.KeystoreError, match="FileNotFoundException"):
        sec.load_keystore(str(tmp_path / "missing.jks"), "x")
    junk = tmp_path / "junk.jks"
    junk.write_bytes(b"not a keystore")
    with pytest.raises(sec.KeystoreError, match="Invalid keystore format"):
        sec.load_keystore(str(junk), "x")


def test_store_settings_defaults_and_inheritance():
    assert {k: v for k, v in tls.store_settings({}, "tls").items()} == {
        **tls.PRIMARY_DEFAULTS, "label": "[keystore.tls]",
        "configured": False}
    config = {"keystore": {"primary": {"file_name": "p.p12",
                                       "type": "PKCS12", "password": "pp"},
                           "tls": {"alias": "tlsalias"}},
              "truststore": {"password": 123}}
    got = tls.store_settings(config, "tls")
    assert (got["file_name"], got["type"], got["password"], got["alias"],
            got["key_password"]) == ("p.p12", "PKCS12", "pp", "tlsalias",
                                     "wso2carbon")
    trust = tls.store_settings(config, "truststore")
    assert (trust["file_name"], trust["password"]) == (
        "client-truststore.jks", "123")


def test_node_tls_refusals_name_file_and_alias(pki, tmp_path):
    home = tmp_path / "home"
    (home / tls.SECURITY_DIR).mkdir(parents=True)
    sdir = home / tls.SECURITY_DIR
    (sdir / "node.jks").write_bytes(Path(pki["jks"]).read_bytes())
    base = {"file_name": "node.jks", "type": "JKS", "password": "storepw",
            "alias": "node", "key_password": "keypass1"}
    config = {"keystore": {"primary": dict(base), "tls": dict(base)}}
    _, err = tls.load_node_tls(str(home), config)  # no trust store file
    assert err.startswith("Error while loading the trust store of "
                          "[truststore] (kernel defaults) file_name = "
                          '"client-truststore.jks"')
    write_truststore(sdir / "client-truststore.jks", {"ca": pki["ca"]})
    node, err = tls.load_node_tls(str(home), config)
    assert err is None and node.trusted == [pki["ca"].der()]
    config["keystore"]["tls"]["alias"] = "root"
    _, err = tls.load_node_tls(str(home), config)
    assert "[keystore.tls] file_name = \"node.jks\"" in err
    assert "alias root" in err and str(sdir / "node.jks") in err
    config["keystore"]["tls"].update(alias="node", password="bad")
    _, err = tls.load_node_tls(str(home), config)
    assert "keystore password was incorrect" in err and "bad" not in err


def test_pack_keystores(packs_dir, tmp_path):
    from standin_testlib import unzip

    home = unzip(packs_dir / "wso2am-universal-gw-4.5.0.zip", tmp_path)
    sdir = home / tls.SECURITY_DIR
    assert not (sdir / "standin-tls.pem").exists()
    key_store = sec.load_keystore(str(sdir / "wso2carbon.jks"), "wso2carbon")
    assert key_store.format == "JKS" and key_store.aliases() == ["wso2carbon"]
    cert = key_store.private_key("wso2carbon", "wso2carbon")[1][0]
    trust = sec.load_keystore(str(sdir / "client-truststore.jks"),
                              "wso2carbon")
    assert trust.format == "JKS"
    assert trust.aliases() == ["gateway_certificate_alias",
                               "standin-public-root-ca", "wso2carbon"]
    assert trust._trusted["wso2carbon"] == cert
    assert trust._trusted["gateway_certificate_alias"] == cert
    config = tomllib.loads((home / "repository/conf/deployment.toml")
                           .read_text())
    node, err = tls.load_node_tls(str(home), config)
    assert err is None and len(node.trusted) == 3


# -------------------------------------------------------------- secure vault

SECRET_CONF = """# written by the test
secVault.enabled=true
secretRepositories=file
secretRepositories.file.provider=org.wso2.securevault.secret.repository.\\
    FileBaseSecretRepositoryProvider
secretRepositories.file.location=repository/conf/security/cipher-text.properties
keystore.identity.location={location}
keystore.identity.type=JKS
keystore.identity.alias=Node
keystore.identity.store.password=identity.store.password
keystore.identity.store.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler
keystore.identity.key.password=identity.key.password
keystore.identity.key.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler
"""


@pytest.fixture
def vault_home(pki, tmp_path):
    """A home whose identity keystore (store and key password "samepw")
    encrypts the [secrets]; write(toml) writes deployment.toml."""
    home = tmp_path / "home"
    conf = home / "repository/conf"
    (conf / "security").mkdir(parents=True)
    store = tmp_path / "identity.jks"
    store.write_bytes(Path(pki["identity"]).read_bytes())
    (conf / "security/secret-conf.properties").write_text(
        SECRET_CONF.format(location=store))
    cert = pki["leaf"].der()

    def write(text):
        (conf / "deployment.toml").write_text(text)
        return tomllib.loads(text)

    return home, cert, write


def _toml(cert, db_password="s3cret-db", key="k" * 32, enc_cert=None):
    return ('[database.apim_db]\npassword = "$secret{db}"\n'
            'url = "jdbc:h2:x"\n'
            '[encryption]\nkey = "$secret{enc}"\n'
            '[secrets]\n'
            f'db = "{vault_encrypt(cert, db_password)}"\n'
            f'enc = "{vault_encrypt(enc_cert or cert, key)}"\n')


def test_vault_resolves_and_consumes_password_tmp(vault_home):
    home, cert, write = vault_home
    config = write(_toml(cert))
    (home / "password-tmp").write_text("samepw\n")
    resolved, info, err = vault.resolve(str(home), config)
    assert err is None
    assert resolved["database"]["apim_db"]["password"] == "s3cret-db"
    assert resolved["encryption"]["key"] == "k" * 32
    assert not (home / "password-tmp").exists()
    assert "s3cret" not in info and "samepw" not in info
    assert "password-tmp (deleted)" in info
    rendered = vault.parse_properties(
        (home / vault.CIPHER_TEXT_REL).read_text())
    assert rendered == config["secrets"]


def test_vault_password_persist_kept_and_password_renamed(vault_home):
    home, cert, write = vault_home
    config = write(_toml(cert))
    (home / "password-persist").write_text("samepw")
    assert vault.resolve(str(home), config)[2] is None
    assert (home / "password-persist").read_text() == "samepw"
    (home / "password").write_text("samepw\r\nignored second line\n")
    _, info, err = vault.resolve(str(home), config)
    assert err is None and "renamed to password-tmp" in info
    assert not (home / "password").exists()
    assert not (home / "password-tmp").exists()
    assert (home / "password-persist").exists()  # not needed, kept


def test_vault_refusals_before_reading_the_password(vault_home):
    home, cert, write = vault_home
    (home / "password-tmp").write_text("samepw")
    config = write('[x]\na = "$secret{missing}"\n[secrets]\nother = "QQ=="\n')
    err = vault.resolve(str(home), config)[2]
    assert err.startswith("Secret references can't be resolved for missing")
    config = write('[x]\na = "$secret{p}"\n[secrets]\np = "[plain text]"\n')
    err = vault.resolve(str(home), config)[2]
    assert err.startswith("Secret references can't be plain text for p")
    assert "plain text]" not in err.replace("[plain text] value", "")
    assert (home / "password-tmp").exists()  # untouched so far
    os.unlink(home / vault.SECRET_CONF_REL)
    config = write(_toml(cert))
    err = vault.resolve(str(home), config)[2]
    assert err.startswith(f"{vault.SECRET_CONF_REL} not found")
    assert (home / "password-tmp").exists()


def test_vault_secret_conf_keys(vault_home):
    home, cert, write = vault_home
    path = home / vault.SECRET_CONF_REL
    good = path.read_text()
    config = write(_toml(cert))
    path.write_text(good.replace("keystore.identity.alias=Node\n", ""))
    err = vault.resolve(str(home), config)[2]
    assert err == (f"{vault.SECRET_CONF_REL} has no keystore.identity.alias "
                   "(needed: keystore.identity.alias); secure vault cannot "
                   "start")
    path.write_text(good.replace("secVault.enabled=true",
                                 "secVault.enabled=false"))
    assert 'secVault.enabled is "false", must be "true"' in \
        vault.resolve(str(home), config)[2]
    path.write_text(good.replace("store.password=identity.store.password",
                                 "store.password=Pa55word"))
    err = vault.resolve(str(home), config)[2]
    assert "store.password is another value" in err and "Pa55" not in err


def test_vault_enabled_by_secret_conf_alone(vault_home):
    home, _, write = vault_home
    config = write('[server]\nhostname = "a"\n')
    (home / "password-tmp").write_text("samepw")
    resolved, info, err = vault.resolve(str(home), config)
    assert err is None and resolved == config and "0 secret(s)" in info
    assert not (home / "password-tmp").exists()
    assert not (home / vault.CIPHER_TEXT_REL).exists()


def test_vault_password_problems(vault_home):
    home, cert, write = vault_home
    config = write(_toml(cert))
    err = vault.resolve(str(home), config)[2]
    assert "[Enter KeyStore and Private Key Password :]" in err
    for name in ("password", "password-tmp", "password-persist"):
        assert str(home / name) in err
    (home / "password-tmp").write_text("wrong-pw\n")
    err = vault.resolve(str(home), config)[2]
    assert "keystore password was incorrect" in err and "wrong-pw" not in err
    assert not (home / "password-tmp").exists()  # consumed anyway


def test_vault_undecryptable_secret(vault_home, pki):
    home, cert, write = vault_home
    config = write(_toml(cert, enc_cert=pki["other"].der()))
    (home / "password-tmp").write_text("samepw")
    err = vault.resolve(str(home), config)[2]
    assert err.startswith("Secure vault cannot decrypt secret enc with the "
                          "private key Node of ")
    assert "Decryption error" in err and "kkkk" not in err
    assert not (home / "password-tmp").exists()
    config = write(_toml(cert).replace('db = "', 'db = "!!'))
    (home / "password-persist").write_text("samepw")
    assert "secret db" in vault.resolve(str(home), config)[2]
    assert "not base64" in vault.resolve(str(home), config)[2]


def test_vault_not_in_use_touches_nothing(vault_home):
    home, _, write = vault_home
    os.unlink(home / vault.SECRET_CONF_REL)
    config = write('[server]\nhostname = "a"\n')
    (home / "password-tmp").write_text("samepw")
    assert vault.resolve(str(home), config) == (config, None, None)
    assert (home / "password-tmp").exists()
    assert not (home / vault.CIPHER_TEXT_REL).exists()


def test_vault_self_contained_and_oaep(pki):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    import json

    public = pki["leaf"].cert.public_key()
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()),
                        algorithm=hashes.SHA1(), label=None)
    raw = base64.b64encode(public.encrypt(b"hello", oaep)).decode()
    wrapped = base64.b64encode(json.dumps(
        {"c": raw, "t": vault.OAEP_SHA1}).encode()).decode()
    key = pki["leaf"].key
    assert vault.decrypt(key, raw, vault.OAEP_SHA1) == "hello"
    assert vault.decrypt(key, wrapped) == "hello"
    with pytest.raises(ValueError, match="Decryption error"):
        vault.decrypt(key, raw, "RSA")


def test_vault_raw_ciphertext_starting_with_a_brace_is_not_self_contained(pki):
    """One raw RSA ciphertext in 256 starts with the byte "{": carbon treats bytes that do not parse
    as a self-contained JSON ciphertext as a raw one, so such a secret decrypts."""
    from cryptography.hazmat.primitives.asymmetric import padding

    public = pki["leaf"].cert.public_key()
    for _ in range(5000):
        raw = public.encrypt(b"brace", padding.PKCS1v15())
        if raw[:1] == b"{":
            break
    else:
        pytest.fail("no ciphertext starting with '{' in 5000 tries")
    assert vault.decrypt(pki["leaf"].key, base64.b64encode(raw).decode()) == "brace"


def test_properties_roundtrip():
    items = [("a key", "v=1:#x"), ("k", " lead"), ("u", "é\\n")]
    text = vault.format_properties(items)
    assert vault.parse_properties(text) == dict(items)
    assert vault.parse_properties("# c\n! c\n  x : y \\\n   z\nw\n") == {
        "x": "y z", "w": ""}


# ---------------------------------------------------------- encryption key

def test_47_key_checked_after_resolution(vault_home):
    home, cert, write = vault_home
    (home / "password-persist").write_text("samepw")
    for key, ok in (("k" * 32, True), ("short", False), ("0f" * 32, True)):
        config = write(_toml(cert, key=key))
        assert sc.encryption_key_problem("4.7.0", config) is None  # raw
        resolved = vault.resolve(str(home), config)[0]
        err = sc.encryption_key_problem("4.7.0", resolved)
        assert (err is None) is ok, key
        if err:
            assert "(5 characters)" in err and "short" not in err
    env = {"ENC": "tooshort"}
    config = {"encryption": {"key": "$env{ENC}"}}
    assert "from $env{ENC}" in sc.encryption_key_problem("4.7.0", config, env)
    assert sc.encryption_key_problem("4.7.0", config, {}) is None
    config = {"encryption": {"key": "$sys{enc.key}"}}
    assert sc.encryption_key_problem("4.7.0", config, {},
                                     {"enc.key": "a" * 16}) is None


def test_generated_key_goes_before_secrets(tmp_path):
    text = '[server]\nhostname = "x"\n\n[secrets]\na = "QQ=="\n'
    new = sc.add_encryption_key(text, "ab" * 32)
    assert vault.secrets_not_last(new) is None
    assert tomllib.loads(new)["encryption"]["key"] == "ab" * 32
    config = {"encryption": {"key": "$secret{enc}"}}
    assert sc.ensure_encryption_key("4.7.0", str(tmp_path), config,
                                    check=False) == (config, None, None)


def test_a_table_after_secrets_is_accepted_as_the_server_does(vault_home):
    """Only WSO2's cipher tool needs [secrets] last; the server reads it anywhere."""
    home, cert, write = vault_home
    (home / "password-tmp").write_text("samepw")
    config = write(f'[x]\na = "$secret{{p}}"\n[secrets]\np = '
                   f'"{vault_encrypt(cert, "v")}"\n[after]\nb = 1\n')
    resolved, _info, err = vault.resolve(str(home), config)
    assert err is None and resolved["x"]["a"] == "v"


# ---------------------------------------------------- 4.7 key-based vault

AES_KEY = "6b0c1f3e9a2d4c5b8e7f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"
KEY_BASED = ("key.based.password=encryption.key.password\n"
             "key.based.secretProvider=org.wso2.carbon.securevault."
             "EncryptionKeyCallbackHandler\n"
             "secretRepositories.file.encryptionMode=key.based.symmetric."
             "encryption\n")


def aes_encrypt(plaintext, key=AES_KEY, iv_length=128):
    """A key-based ciphertext as WSO2's cipher tool writes it (128-byte IV)."""
    import json

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    iv = os.urandom(iv_length)
    sealed = AESGCM(bytes.fromhex(key)).encrypt(iv, plaintext.encode(), None)
    document = {"cipherText": base64.b64encode(sealed).decode(),
                "iv": base64.b64encode(iv).decode()}
    return base64.b64encode(json.dumps(document).encode()).decode()


@pytest.fixture
def key_home(vault_home):
    home, cert, write = vault_home
    path = home / vault.SECRET_CONF_REL
    path.write_text(path.read_text() + KEY_BASED)
    return home, write


def test_key_based_vault_reads_the_key_file_not_a_password(key_home):
    home, write = key_home
    config = write('[x]\na = "$secret{a}"\n[encryption]\nkey = "$secret{k}"\n'
                   f'[secrets]\na = "{aes_encrypt("s3cret-a")}"\n'
                   f'k = "{aes_encrypt(AES_KEY, iv_length=12)}"\n')
    (home / "encryption-key-tmp").write_text(AES_KEY + "\n")
    resolved, info, err = vault.resolve(str(home), config)
    assert err is None, err
    assert resolved["x"]["a"] == "s3cret-a" and resolved["encryption"]["key"] == AES_KEY
    assert not (home / "encryption-key-tmp").exists()
    assert "encryption-key-tmp (deleted)" in info and AES_KEY not in info


def test_key_based_vault_refusals(key_home):
    home, write = key_home
    config = write(f'[x]\na = "$secret{{a}}"\n[secrets]\na = "{aes_encrypt("v")}"\n')
    err = vault.resolve(str(home), config)[2]
    assert "Enter Symmetric Encryption Key" in err and "encryption-key-tmp" in err
    (home / "encryption-key-tmp").write_text("cd" * 32)
    err = vault.resolve(str(home), config)[2]
    assert err.startswith("Secure vault cannot decrypt secret a") and "Tag mismatch" in err
    assert not (home / "encryption-key-tmp").exists()  # consumed even so
    (home / "encryption-key-persist").write_text("short")
    err = vault.resolve(str(home), config)[2]
    assert "is not an AES-256 key" in err and "short" not in err
    path = home / vault.SECRET_CONF_REL
    path.write_text(path.read_text().replace("key.based.password=encryption.key.password\n", ""))
    err = vault.resolve(str(home), config)[2]
    assert "needs key.based.password=encryption.key.password" in err
