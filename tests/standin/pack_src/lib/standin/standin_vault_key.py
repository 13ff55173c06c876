"""WSO2 4.7 key-based secure vault, as the STAND-IN server resolves it.

THIS IS A TEST FIXTURE, NOT WSO2 SOFTWARE.  Shipped in the stand-in packs
next to standin_vault.py.  Mirrors carbon-kernel 4.11's
EncryptionKeyCallbackHandler and the cipher tool's symmetric ciphertexts:

* secret-conf.properties selects the mode with
  ``secretRepositories.file.encryptionMode=key.based.symmetric.encryption``
  and names the key's provider (``key.based.password=encryption.key.password``,
  ``key.based.secretProvider=org.wso2.carbon.securevault.EncryptionKeyCallbackHandler``);
* the AES-256 key comes from <CARBON_HOME>/encryption-key (renamed to
  encryption-key-tmp), encryption-key-tmp (read, overwritten, deleted) or
  encryption-key-persist (read, kept); under systemd there is no console to
  prompt "Enter Symmetric Encryption Key :" on.  64 hex characters are
  hex-decoded, anything else must be 32 UTF-8 bytes;
* a ciphertext is base64 of the JSON {"cipherText": base64(AES-GCM output
  with its 16-byte tag), "iv": base64(iv)}.

No keystore password is read in this mode.  Nothing here logs or returns a
secret in a message.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re

MODE_KEY = "secretRepositories.file.encryptionMode"
MODE = "key.based.symmetric.encryption"
REQUIRED = {
    "key.based.password": "encryption.key.password",
    "key.based.secretProvider":
        "org.wso2.carbon.securevault.EncryptionKeyCallbackHandler",
}
KEY_FILES = ("encryption-key", "encryption-key-tmp", "encryption-key-persist")
PROMPT = "[Enter Symmetric Encryption Key :]"


def key_based(conf):
    """True when secret-conf.properties selects the key-based vault."""
    return conf.get(MODE_KEY, "").strip() == MODE


def check_conf(conf, where):
    """Error text for a key-based secret-conf.properties missing its keys, or None."""
    for key, expected in REQUIRED.items():
        if conf.get(key, "").strip() != expected:
            return (f"{where}: {MODE_KEY}={MODE} needs {key}={expected}; "
                    "secure vault cannot start")
    return None


def first_line(path):
    """First line of a secret file (shared with standin_vault)."""
    with open(path, "rb") as fh:
        data = fh.read()
    return data.decode("utf-8", "replace").splitlines()[0] if data else ""


def wipe_and_delete(path):
    """Overwrite a secret file with zeros, then delete it, as WSO2's callback handlers do."""
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.write(b"\0" * size)
        fh.flush()
        os.fsync(fh.fileno())
    os.unlink(path)


def consume(home, names):
    """(first line, where) of the first secret file of ``names`` in ``home``, or None.

    ``names`` = (plain, tmp, persist), as WSO2's DefaultSecretCallbackHandler and
    EncryptionKeyCallbackHandler read them: ``plain`` is renamed to ``tmp``; ``tmp``
    is read, overwritten and deleted; ``persist`` is read and kept. OSError passes.
    """
    plain, tmp, persist = (os.path.join(home, n) for n in names)
    where = None
    if os.path.lexists(plain):
        os.replace(plain, tmp)
        where = f"{plain} (renamed to {names[1]}, then deleted)"
    if os.path.lexists(tmp):
        text = first_line(tmp)
        wipe_and_delete(tmp)
        return text, where or f"{tmp} (deleted)"
    if os.path.lexists(persist):
        return first_line(persist), f"{persist} (kept)"
    return None


def read_root_key(home):
    """(key bytes, where) from the key files in ``home``; ValueError (no secret in it)."""
    try:
        found = consume(home, KEY_FILES)
    except OSError as exc:
        raise ValueError(
            "Secure vault cannot read or delete the encryption key file in "
            f"{home}: {exc.strerror or exc} ({exc.filename or ''})") from None
    if found is None:
        raise ValueError(
            "Secure vault (key-based) needs the symmetric encryption key, but "
            f"the node has no console to prompt {PROMPT} on and none of "
            f"{', '.join(os.path.join(home, n) for n in KEY_FILES)} exists")
    text, where = found
    text = text.strip()
    if re.fullmatch(r"[0-9A-Fa-f]{64}", text):
        return bytes.fromhex(text), where
    raw = text.encode("utf-8")
    if len(raw) != 32:
        raise ValueError(f"the symmetric encryption key from {where} is not an "
                         "AES-256 key (64 hex characters or 32 bytes)")
    return raw, where


def decrypt(key, text):
    """Plaintext of one key-based ciphertext; ValueError (no secret in it) if not."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    try:
        document = json.loads(base64.b64decode("".join(str(text).split()),
                                               validate=True))
        sealed = base64.b64decode(document["cipherText"], validate=True)
        iv = base64.b64decode(document["iv"], validate=True)
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ValueError("the value is not a key-based ciphertext (base64 of "
                         'JSON {"cipherText", "iv"})') from None
    try:
        plain = AESGCM(key).decrypt(iv, sealed, None)
    except (InvalidTag, ValueError):
        raise ValueError("javax.crypto.AEADBadTagException: Tag mismatch") \
            from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the decrypted bytes are not UTF-8") from None
