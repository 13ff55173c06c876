"""Keystores of the STAND-IN server: JKS and PKCS12, as the JDK reads them.

THIS IS A TEST FIXTURE, NOT WSO2 SOFTWARE.  Shipped in the stand-in packs
next to standin_server.py.

* JKS is parsed here (standard library only): magic 0xFEEDFEED, version 1
  or 2, trusted-certificate and private-key entries; private keys are
  protected with Sun's KeyProtector (OID 1.3.6.1.4.1.42.2.17.1.1: a SHA-1
  key stream XORed with the key, then a SHA-1 check digest); the store ends
  with a SHA-1 digest over the password, "Mighty Aphrodite" and the store,
  so a wrong store password is detected as the JDK detects it.
* PKCS12 is read with the ``cryptography`` package (Debian:
  python3-cryptography), imported only when needed.  Aliases are the
  friendly names (a key without one is "1", as keytool shows it).
* The JDK's ``keystore.type.compat`` loads a JKS or PKCS12 store whatever
  the configured type says, so the format is taken from the file's bytes.
* Aliases are case-insensitive, as in the JDK.
* ``trusted_certs`` follows SunJSSE's TrustStoreUtil: every trusted
  certificate entry plus the first certificate of every key entry.
* ``parse_properties``/``format_properties``: Java properties files
  (secure vault's secret-conf.properties and cipher-text.properties).

Errors are ``KeystoreError`` with a one-line message; passwords never appear
in them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import ssl
import struct

JKS_MAGIC = 0xFEEDFEED
JCEKS_MAGIC = 0xCECECECE
# DER of OID 1.3.6.1.4.1.42.2.17.1.1 (Sun's KeyProtector)
KEY_PROTECTOR_OID = bytes.fromhex("2b060104012a02110101")
JKS_WHITENER = b"Mighty Aphrodite"
WRONG_PASSWORD = "keystore password was incorrect"


class KeystoreError(Exception):
    """A keystore cannot be read or holds no usable entry."""


class WrongPassword(KeystoreError):
    """The store password does not open the store."""


def _crypto_missing(what):
    return KeystoreError(
        f"{what} needs the Python package 'cryptography' (Debian: "
        "python3-cryptography), which the stand-in cannot import")


def _der_tlv(data, pos):
    """(tag, content_start, content_end) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _key_protector_blob(encrypted_info):
    """The protected bytes of a JKS EncryptedPrivateKeyInfo."""
    try:
        tag, start, end = _der_tlv(encrypted_info, 0)
        if tag != 0x30:
            raise ValueError("not a SEQUENCE")
        tag, a_start, a_end = _der_tlv(encrypted_info, start)
        if tag != 0x30:
            raise ValueError("no AlgorithmIdentifier")
        tag, o_start, o_end = _der_tlv(encrypted_info, a_start)
        if tag != 0x06:
            raise ValueError("no algorithm OID")
        oid = encrypted_info[o_start:o_end]
        tag, d_start, d_end = _der_tlv(encrypted_info, a_end)
        if tag != 0x04:
            raise ValueError("no encrypted data")
    except ValueError as exc:
        raise KeystoreError(f"java.security.UnrecoverableKeyException: "
                            f"malformed protected key ({exc})") from None
    if oid != KEY_PROTECTOR_OID:
        raise KeystoreError("java.security.UnrecoverableKeyException: "
                            "unsupported key protection algorithm")
    return encrypted_info[d_start:d_end]


def jks_recover_key(encrypted_info, key_password):
    """PKCS#8 DER of a JKS private key, or KeystoreError ("Cannot recover key")."""
    blob = _key_protector_blob(encrypted_info)
    if len(blob) < 41:
        raise KeystoreError("java.security.UnrecoverableKeyException: "
                            "malformed protected key")
    salt, encrypted, check = blob[:20], blob[20:-20], blob[-20:]
    passwd = key_password.encode("utf-16-be")
    stream = bytearray()
    digest = salt
    while len(stream) < len(encrypted):
        digest = hashlib.sha1(passwd + digest).digest()
        stream += digest
    plain = bytes(a ^ b for a, b in zip(encrypted, stream))
    if not hmac.compare_digest(hashlib.sha1(passwd + plain).digest(), check):
        raise KeystoreError("java.security.UnrecoverableKeyException: "
                            "Cannot recover key")
    return plain


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, count):
        if count < 0 or self.pos + count > len(self.data):
            raise KeystoreError("java.io.EOFException: truncated keystore")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def u4(self):
        return struct.unpack(">I", self.take(4))[0]

    def utf(self):
        (length,) = struct.unpack(">H", self.take(2))
        return self.take(length).decode("utf-8", "replace")


class Keystore:
    """Entries of one loaded keystore."""

    def __init__(self, path, fmt):
        self.path = path
        self.format = fmt  # "JKS" or "PKCS12"
        self._keys = {}  # alias (lower) -> (protected or pkcs8, [cert der])
        self._trusted = {}  # alias (lower) -> cert der
        self._store_password = None

    def aliases(self):
        return sorted(set(self._keys) | set(self._trusted))

    def key_aliases(self):
        return sorted(self._keys)

    def private_key(self, alias, key_password):
        """(pkcs8_der, [cert_der, ...]) of the key entry ``alias``."""
        entry = self._keys.get(str(alias).lower())
        if entry is None:
            what = ("is a trusted certificate entry, not a private key entry"
                    if str(alias).lower() in self._trusted else "not found")
            keys = ", ".join(self.key_aliases()) or "none"
            raise KeystoreError(f"alias {alias} {what} (private key "
                                f"entries: {keys})")
        secret, chain = entry
        if self.format == "JKS":
            return jks_recover_key(secret, key_password), list(chain)
        if key_password != self._store_password:
            # keytool writes PKCS12 keys under the store password only
            raise KeystoreError("java.security.UnrecoverableKeyException: "
                                "Get Key failed: Given final block not "
                                "properly padded (the PKCS12 key password "
                                "differs from the store password)")
        return secret, list(chain)

    def trusted_certs(self):
        """DER certificates a JDK trust manager made of this store trusts."""
        certs = list(self._trusted.values())
        certs += [chain[0] for _, chain in self._keys.values() if chain]
        return certs


def _load_jks(path, data, password):
    store = Keystore(path, "JKS")
    reader = _Reader(data)
    magic, version, count = struct.unpack(">III", reader.take(12))
    if magic != JKS_MAGIC or version not in (1, 2):
        raise KeystoreError("java.io.IOException: Invalid keystore format")
    for _ in range(count):
        tag = reader.u4()
        alias = reader.utf().lower()
        reader.take(8)  # creation date
        if tag == 1:
            protected = reader.take(reader.u4())
            chain = []
            for _ in range(reader.u4()):
                if version == 2:
                    reader.utf()  # certificate type, "X.509"
                chain.append(reader.take(reader.u4()))
            store._keys[alias] = (protected, chain)
        elif tag == 2:
            if version == 2:
                reader.utf()
            store._trusted[alias] = reader.take(reader.u4())
        else:
            raise KeystoreError("java.io.IOException: Unrecognized keystore "
                                "entry")
    stored = reader.take(20)
    computed = hashlib.sha1(password.encode("utf-16-be") + JKS_WHITENER
                            + data[:reader.pos - 20]).digest()
    if not hmac.compare_digest(stored, computed):
        raise WrongPassword(f"{WRONG_PASSWORD} (java.io.IOException: "
                            "Keystore was tampered with, or password was "
                            "incorrect)")
    return store


def _chain_order(leaf, others):
    """[leaf, issuer, issuer's issuer, ...] from ``others``."""
    chain = [leaf]
    pool = list(others)
    while pool:
        issuer = chain[-1].issuer
        nxt = next((c for c in pool if c.subject == issuer), None)
        if nxt is None or nxt.subject == chain[-1].subject:
            break
        chain.append(nxt)
        pool.remove(nxt)
    return chain


def _load_pkcs12(path, data, password):
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12
    except ImportError:
        raise _crypto_missing("a PKCS12 keystore") from None
    try:
        p12 = pkcs12.load_pkcs12(data, password.encode("utf-8"))
    except ValueError:
        raise WrongPassword(f"{WRONG_PASSWORD} (java.io.IOException: "
                            "keystore password was incorrect)") from None
    store = Keystore(path, "PKCS12")
    store._store_password = password
    der = serialization.Encoding.DER
    unnamed = 0

    def name_of(item):
        nonlocal unnamed
        if item.friendly_name:
            return item.friendly_name.decode("utf-8", "replace").lower()
        unnamed += 1
        return str(unnamed)

    extra = list(p12.additional_certs)
    if p12.key is not None and p12.cert is not None:
        alias = name_of(p12.cert)
        plain = [c.certificate for c in extra if not c.friendly_name]
        chain = _chain_order(p12.cert.certificate, plain)
        pkcs8 = p12.key.private_bytes(
            der, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        store._keys[alias] = (pkcs8, [c.public_bytes(der) for c in chain])
        extra = [c for c in extra if c.friendly_name]
    elif p12.cert is not None:
        extra.insert(0, p12.cert)
    for item in extra:  # certificate-only entries: trusted certificates
        store._trusted[name_of(item)] = item.certificate.public_bytes(der)
    return store


def load_keystore(path, password, store_type=None):
    """Load the JKS or PKCS12 store at ``path`` with ``password``.

    ``store_type`` is accepted for the messages only: like the JDK with
    keystore.type.compat, the format comes from the file's bytes.
    """
    del store_type
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise KeystoreError(f"java.io.FileNotFoundException: {path} (No "
                            "such file or directory)") from None
    except OSError as exc:
        raise KeystoreError(f"java.io.FileNotFoundException: {path} "
                            f"({exc.strerror or exc})") from None
    if password is None:
        raise KeystoreError("no keystore password")
    if len(data) >= 4 and struct.unpack(">I", data[:4])[0] == JKS_MAGIC:
        return _load_jks(path, data, password)
    if len(data) >= 4 and struct.unpack(">I", data[:4])[0] == JCEKS_MAGIC:
        raise KeystoreError("java.io.IOException: Invalid keystore format "
                            "(a JCEKS store: use JKS or PKCS12)")
    if data[:1] == b"\x30":
        return _load_pkcs12(path, data, password)
    raise KeystoreError("java.io.IOException: Invalid keystore format")


# --------------------------------------------------------------------------
# PEM and SSL contexts
# --------------------------------------------------------------------------

def key_pem(pkcs8_der):
    body = base64.encodebytes(pkcs8_der).decode("ascii")
    return f"-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n"


def certs_pem(ders):
    return "".join(ssl.DER_cert_to_PEM_cert(d) for d in ders)


def _load_chain_secretly(context, pem):
    """context.load_cert_chain from memory (a memfd), not from disk."""
    data = pem.encode("ascii")
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("standin-tls-key", getattr(os, "MFD_CLOEXEC", 1))
        try:
            os.write(fd, data)
            context.load_cert_chain(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return
    import tempfile  # pragma: no cover (non-Linux)
    fd, path = tempfile.mkstemp(prefix="standin-tls-")
    try:
        os.write(fd, data)
        os.close(fd)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)


def server_context(pkcs8_der, chain_ders):
    """An ssl server context serving ``chain_ders`` with the key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        _load_chain_secretly(context, certs_pem(chain_ders)
                             + key_pem(pkcs8_der))
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise KeystoreError("the private key and its certificate chain "
                            "cannot serve TLS: "
                            f"{' '.join(str(exc).split())}") from None
    return context


def client_context(trusted_ders, check_hostname):
    """A client context trusting exactly ``trusted_ders`` (as trust anchors).

    Partial chains are allowed, as a JDK trust store makes every trusted
    certificate an anchor, CA or not.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = bool(check_hostname)
    context.verify_mode = ssl.CERT_REQUIRED
    flags = context.verify_flags | ssl.VERIFY_X509_PARTIAL_CHAIN
    context.verify_flags = flags & ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    if trusted_ders:
        context.load_verify_locations(cadata=certs_pem(trusted_ders))
    return context


# --------------------------------------------------------------------------
# Java properties
# --------------------------------------------------------------------------

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text):
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def parse_properties(text):
    """Java ``Properties.load`` of ``text`` (enough of it for these files)."""
    props = {}
    logical = []
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f") if not pending else raw.lstrip(" \t\f")
        if not pending and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    for line in logical:
        m = re.match(r"((?:\\.|[^\\=: \t\f])*)[ \t\f]*[=:]?[ \t\f]*(.*)$",
                     line, re.DOTALL)
        props[_unescape(m.group(1))] = _unescape(m.group(2))
    return props


def format_properties(items):
    """``key=value`` lines, as the config mapper writes them (a value's
    ``=`` stays as is; what Properties.load would misread is escaped)."""
    def esc(text, key):
        out = []
        for index, char in enumerate(text):
            if char == "\\":
                out.append("\\\\")
            elif (key and char in "=:#! ") or (char in " #!" and index == 0):
                out.append("\\" + char)
            elif char in "\t\n\r\f":
                out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r",
                            "\f": "\\f"}[char])
            elif ord(char) < 0x20 or ord(char) > 0x7E:
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
        return "".join(out)
    return "".join(f"{esc(str(k), True)}={esc(str(v), False)}\n"
                   for k, v in items)
