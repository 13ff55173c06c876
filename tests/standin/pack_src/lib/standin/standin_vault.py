"""WSO2 secure vault, as the STAND-IN server resolves it.

THIS IS A TEST FIXTURE, NOT WSO2 SOFTWARE.  Shipped in the stand-in packs
next to standin_server.py.  Mirrors carbon-kernel's config mapper
(ReferenceResolver), secure vault and DefaultSecretCallbackHandler:

* any deployment.toml string may hold ``$secret{alias}``; ``[secrets]``
  (the last table) maps each alias to its ciphertext.  A reference without
  an entry fails ("Secret references can't be resolved for <alias>"), an
  entry still written ``"[plain text]"`` fails ("Secret references can't be
  plain text for <alias>");
* the config mapper renders ``[secrets]`` into
  repository/conf/security/cipher-text.properties (``alias=value``);
* repository/conf/security/secret-conf.properties names the identity
  keystore (absolute path, type, alias) and the file secret repository;
* the keystore password comes from <CARBON_HOME>/password (renamed to
  password-tmp), password-tmp (read, overwritten, deleted) or
  password-persist (read, kept), first line; there is no console under
  systemd to prompt on;
* a ciphertext is base64 of RSA/ECB/PKCS1Padding (or the configured
  ``secretRepositories.file.algorithm``) with the identity certificate's
  key; the stand-in also reads the cipher tool's self-contained form
  (base64 of JSON {"c": ..., "t": ...}).

Nothing here logs or returns a secret in a message.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import re

import standin_security
import standin_vault_key

CONF_REL = os.path.join("repository", "conf", "deployment.toml")
SECRET_CONF_REL = os.path.join("repository", "conf", "security",
                               "secret-conf.properties")
CIPHER_TEXT_REL = os.path.join("repository", "conf", "security",
                               "cipher-text.properties")
PASSWORD_FILES = ("password", "password-tmp", "password-persist")
PROMPT = "[Enter KeyStore and Private Key Password :]"

SECRET_REF = re.compile(r"\$secret\{([^}]*)\}")
_PLAIN = re.compile(r"\[.*\]", re.DOTALL)
_HEADER = re.compile(r"^[ \t]*\[\[?[ \t]*([^\]\n]+?)[ \t]*\]\]?[ \t]*(#.*)?$",
                     re.MULTILINE)

CALLBACK = "org.wso2.carbon.securevault.DefaultSecretCallbackHandler"
REQUIRED = {
    "secVault.enabled": "true",
    "secretRepositories": "file",
    "secretRepositories.file.provider":
        "org.wso2.securevault.secret.repository."
        "FileBaseSecretRepositoryProvider",
    "secretRepositories.file.location": None,
    "keystore.identity.location": None,
    "keystore.identity.type": None,
    "keystore.identity.alias": None,
    "keystore.identity.store.password": "identity.store.password",
    "keystore.identity.store.secretProvider": CALLBACK,
    "keystore.identity.key.password": "identity.key.password",
    "keystore.identity.key.secretProvider": CALLBACK,
}
PKCS1 = "RSA/ECB/PKCS1Padding"
OAEP_SHA1 = "RSA/ECB/OAEPwithSHA1andMGF1Padding"
ALGORITHMS = {"rsa": PKCS1, PKCS1.lower(): PKCS1,
              OAEP_SHA1.lower(): OAEP_SHA1}


class VaultError(Exception):
    """Start-up refusal of the secure vault (one line, no secret in it)."""


# --------------------------------------------------------------------------
# deployment.toml side (config mapper)
# --------------------------------------------------------------------------

def _walk(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, path + (str(key),))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, path + (str(index),))
    else:
        yield path, value


def secret_refs(config):
    """Aliases referenced as $secret{alias} outside [secrets], in order."""
    seen = []
    for path, value in _walk({k: v for k, v in (config or {}).items()
                              if k != "secrets"}):
        if isinstance(value, str):
            for alias in SECRET_REF.findall(value):
                if alias not in seen:
                    seen.append(alias)
    return seen


def vault_enabled(home):
    """True when secret-conf.properties says secVault.enabled=true."""
    try:
        with open(os.path.join(home, SECRET_CONF_REL),
                  encoding="latin-1") as fh:
            props = parse_properties(fh.read())
    except OSError:
        return False
    return props.get("secVault.enabled", "").strip().lower() == "true"


def in_use(config, home=None):
    """True when the node uses secure vault: deployment.toml has $secret{}
    references or a non-empty [secrets], or secret-conf.properties enables
    it (then the kernel reads the keystore password even without secrets).
    """
    secrets = config.get("secrets") if isinstance(config, dict) else None
    return (bool(secret_refs(config))
            or (isinstance(secrets, dict) and bool(secrets))
            or (home is not None and vault_enabled(home)))


def secrets_not_last(text):
    """Name of a table header after [secrets], or None."""
    headers = [(m.start(), m.group(1).strip()) for m in _HEADER.finditer(text)]
    after = False
    for _, name in headers:
        if after:
            return name
        if name == "secrets":
            after = True
    return None


def substitute(config, plain):
    """Deep copy of ``config`` with each $secret{alias} replaced."""
    def fix(value):
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, str):
            return SECRET_REF.sub(
                lambda m: plain.get(m.group(1), m.group(0)), value)
        return value
    out = {k: fix(v) for k, v in config.items() if k != "secrets"}
    if "secrets" in config:
        out["secrets"] = copy.deepcopy(config["secrets"])
    return out


# Java properties files (helpers in standin_security)
parse_properties = standin_security.parse_properties
format_properties = standin_security.format_properties


# --------------------------------------------------------------------------
# Root password (DefaultSecretCallbackHandler)
# --------------------------------------------------------------------------

def read_root_password(home):
    """(password, where) from the password files in ``home``; VaultError.

    ``password`` is renamed to ``password-tmp`` first; ``password-tmp`` is
    overwritten and deleted after reading; ``password-persist`` is kept.
    """
    try:
        found = standin_vault_key.consume(home, PASSWORD_FILES)
    except OSError as exc:
        raise VaultError(
            "Secure vault cannot read or delete the keystore password file "
            f"in {home}: {exc.strerror or exc} ({exc.filename or ''}); "
            "the node's user must be able to read it and to delete "
            "password/password-tmp") from None
    if found is not None:
        return found
    raise VaultError(
        "Secure vault needs the identity keystore password, but the node "
        f"has no console to prompt {PROMPT} on and none of "
        f"{', '.join(os.path.join(home, n) for n in PASSWORD_FILES)} exists "
        "(password-tmp is deleted after reading, password-persist is kept)")


# --------------------------------------------------------------------------
# secret-conf.properties, keystore, decryption
# --------------------------------------------------------------------------

def read_secret_conf(home, aliases):
    path = os.path.join(home, SECRET_CONF_REL)
    names = ", ".join(aliases) or "none"
    try:
        with open(path, encoding="latin-1") as fh:
            props = parse_properties(fh.read())
    except FileNotFoundError:
        raise VaultError(
            f"{SECRET_CONF_REL} not found under {home}: deployment.toml uses "
            f"secure vault ($secret{{..}} references: {names}) and the "
            "secret repository is not configured (secVault.enabled=true, "
            "secretRepositories.file.*, keystore.identity.*)") from None
    except OSError as exc:
        raise VaultError(f"cannot read {path}: {exc.strerror or exc}") \
            from None
    for key, expected in REQUIRED.items():
        value = props.get(key, "").strip()
        if not value:
            need = f"{key}={expected}" if expected else key
            raise VaultError(f"{SECRET_CONF_REL} has no {key} (needed: "
                             f"{need}); secure vault cannot start")
        if expected and value != expected:
            shown = ("another value" if "password" in key.lower()
                     else f'"{value}"')  # never echo a password
            raise VaultError(f"{SECRET_CONF_REL}: {key} is {shown}, "
                             f'must be "{expected}"')
    if props["keystore.identity.type"].strip().upper() not in ("JKS",
                                                               "PKCS12"):
        raise VaultError(f"{SECRET_CONF_REL}: keystore.identity.type "
                         f"\"{props['keystore.identity.type'].strip()}\" "
                         "must be JKS or PKCS12")
    algorithm = props.get("secretRepositories.file.algorithm", "RSA").strip()
    if algorithm.lower() not in ALGORITHMS:
        raise VaultError(f"{SECRET_CONF_REL}: secretRepositories.file."
                         f"algorithm \"{algorithm}\" is not supported by the "
                         f"stand-in (RSA, {PKCS1} or {OAEP_SHA1})")
    return {k: v.strip() for k, v in props.items()}


def _pkcs1_v15_decrypt(private_key, raw):
    """RSA/ECB/PKCS1Padding as the JDK does it: a bad padding is an error.

    (OpenSSL 3's implicit rejection would return random bytes instead.)
    """
    numbers = private_key.private_numbers()
    modulus = numbers.public_numbers.n
    size = (modulus.bit_length() + 7) // 8
    value = int.from_bytes(raw, "big")
    if len(raw) > size or value >= modulus:
        raise ValueError
    block = pow(value, numbers.d, modulus).to_bytes(size, "big")
    end = block.find(b"\0", 2)
    if block[:2] != b"\0\2" or end < 10:
        raise ValueError
    return block[end + 1:]


def _rsa_decrypt(private_key, raw, algorithm):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError
    if ALGORITHMS.get(str(algorithm).lower()) == OAEP_SHA1:
        return private_key.decrypt(raw, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(),
            label=None))
    return _pkcs1_v15_decrypt(private_key, raw)


def _self_contained(raw):
    """{"c": ciphertext bytes, "t": algorithm?} of a self-contained ciphertext, else None."""
    if raw[:1] != b"{":
        return None
    try:
        meta = json.loads(raw)
        return dict(meta, c=base64.b64decode(meta["c"], validate=True))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


def decrypt(private_key, text, algorithm="RSA"):
    """Plaintext of one ciphertext; ValueError (no secret in it) if not."""
    try:
        raw = base64.b64decode("".join(str(text).split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the value is not base64") from None
    # The cipher tool's self-contained ciphertext is JSON; like carbon's CryptoUtil
    # (isSelfContainedCipherText: a failed JSON parse means "not self-contained"), bytes that
    # are not such JSON are a raw ciphertext, even when the first one happens to be "{"
    # (one raw RSA ciphertext in 256 starts with 0x7b).
    meta = _self_contained(raw)
    if meta is not None:
        raw, algorithm = meta["c"], meta.get("t", algorithm)
        if str(algorithm).lower() not in ALGORITHMS:
            raise ValueError(f"unsupported algorithm {algorithm}")
    try:
        plain = _rsa_decrypt(private_key, raw, algorithm)
    except ValueError:
        raise ValueError("javax.crypto.BadPaddingException: Decryption "
                         "error") from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the decrypted bytes are not UTF-8") from None


def _identity_key(conf, password, where):
    location = conf["keystore.identity.location"]
    ktype = conf["keystore.identity.type"]
    alias = conf["keystore.identity.alias"]
    try:
        store = standin_security.load_keystore(location, password, ktype)
        pkcs8, _ = store.private_key(alias, password)
    except standin_security.KeystoreError as exc:
        raise VaultError(f"Secure vault cannot load the private key {alias} "
                         f"of the identity keystore {location} "
                         f"(keystore.identity.type={ktype}) with the "
                         f"password from {where}: {exc}") from None
    try:
        from cryptography.hazmat.primitives.serialization import (
            load_der_private_key)
    except ImportError:
        raise VaultError("Secure vault needs the Python package "
                         "'cryptography' (Debian: python3-cryptography)") \
            from None
    return load_der_private_key(pkcs8, password=None)


def _cipher_texts(home, conf):
    location = conf["secretRepositories.file.location"]
    path = location if os.path.isabs(location) else os.path.join(home,
                                                                 location)
    try:
        with open(path, encoding="latin-1") as fh:
            return parse_properties(fh.read()), path
    except OSError as exc:
        raise VaultError(f"Secure vault cannot read the secret repository "
                         f"{path} (secretRepositories.file.location): "
                         f"{exc.strerror or exc}") from None


def resolve(home, config):
    """(resolved_config, info, error) for deployment.toml's secure vault.

    Without $secret{} references or [secrets], returns the config as is
    and touches no file.
    """
    try:
        return _resolve(home, config)
    except VaultError as exc:
        return config, None, str(exc)


def _resolve(home, config):
    if not in_use(config, home):
        return config, None, None
    aliases = secret_refs(config)
    secrets = config.get("secrets")
    secrets = secrets if isinstance(secrets, dict) else {}
    for alias in aliases:  # the config mapper's checks
        if alias not in secrets:
            raise VaultError(
                f"Secret references can't be resolved for {alias}: "
                f"deployment.toml has $secret{{{alias}}} and no [secrets] "
                f"entry {alias}")
        value = secrets[alias]
        if not isinstance(value, str):
            raise VaultError(f"[secrets] {alias} is not a string")
        if _PLAIN.search(value):
            raise VaultError(
                f"Secret references can't be plain text for {alias}: its "
                "[secrets] value is still a [plain text] value, not a "
                "ciphertext (encrypt it with the identity keystore's "
                "certificate, RSA, base64)")
    if isinstance(config.get("secrets"), dict):  # the config mapper
        out = os.path.join(home, CIPHER_TEXT_REL)
        try:
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "w", encoding="latin-1") as fh:
                fh.write(format_properties(
                    (k, v) for k, v in secrets.items() if isinstance(v, str)))
        except OSError as exc:
            raise VaultError(f"cannot write {out}: {exc.strerror or exc}") \
                from None
    conf = read_secret_conf(home, aliases)
    if standin_vault_key.key_based(conf):
        return _resolve_key_based(home, config, conf, aliases)
    password, where = read_root_password(home)
    key = _identity_key(conf, password, where)
    algorithm = conf.get("secretRepositories.file.algorithm", "RSA")
    plain = _decrypt_all(
        home, conf, aliases, lambda text: decrypt(key, text, algorithm),
        f"the private key {conf['keystore.identity.alias']} of "
        f"{conf['keystore.identity.location']} ({algorithm})")
    info = (f"Secure vault resolved {len(plain)} secret(s) ("
            f"{', '.join(aliases) or 'none referenced'}) with the private "
            f"key {conf['keystore.identity.alias']} of "
            f"{conf['keystore.identity.location']}; keystore password from "
            f"{where}")
    return substitute(config, plain), info, None


def _resolve_key_based(home, config, conf, aliases):
    """The 4.7 key-based vault: AES-GCM with the key from encryption-key-tmp."""
    err = standin_vault_key.check_conf(conf, SECRET_CONF_REL)
    if err:
        raise VaultError(err)
    try:
        key, where = standin_vault_key.read_root_key(home)
    except ValueError as exc:
        raise VaultError(str(exc)) from None
    plain = _decrypt_all(home, conf, aliases,
                         lambda text: standin_vault_key.decrypt(key, text),
                         "the symmetric encryption key")
    info = (f"Secure vault (key-based) resolved {len(plain)} secret(s) ("
            f"{', '.join(aliases) or 'none referenced'}); key from {where}")
    return substitute(config, plain), info, None


def _decrypt_all(home, conf, aliases, decrypt_one, with_what):
    """{alias: plaintext} of every referenced alias; VaultError naming the alias, never a secret."""
    texts, repo = _cipher_texts(home, conf) if aliases else ({}, None)
    plain = {}
    for alias in aliases:
        if alias not in texts:
            raise VaultError(f"Secure vault: the secret repository {repo} "
                             f"has no entry {alias}")
        try:
            plain[alias] = decrypt_one(texts[alias])
        except ValueError as exc:
            raise VaultError(f"Secure vault cannot decrypt secret {alias} with "
                             f"{with_what}: {exc}") from None
    return plain
