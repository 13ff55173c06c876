"""Test PKI for the stand-in TLS and secure vault tests: CAs, leaves,
keystores (keytool for JKS and trust stores, cryptography for PKCS12), a
small TLS server whose certificate can be swapped, and vault encryption.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

import standin_security as sec

JDK = "/usr/lib/jvm/java-17-openjdk-amd64"
DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM


def keytool_path():
    for home in (os.environ.get("JAVA_HOME", ""), JDK):
        path = Path(home) / "bin" / "keytool"
        if home and os.access(path, os.X_OK):
            return str(path)
    return None


def keytool(*args):
    proc = subprocess.run([keytool_path(), *args], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Issued:
    """A key and its certificate (and the chain above it)."""

    def __init__(self, key, cert, chain=()):
        self.key = key
        self.cert = cert
        self.chain = [cert, *chain]

    def der(self):
        return self.cert.public_bytes(DER)

    def pkcs8(self):
        return self.key.private_bytes(DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def pem_file(self, path):
        Path(path).write_bytes(self.cert.public_bytes(PEM))
        return str(path)


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(cn):
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(cn))
            .issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False,
                                         True, True, False, False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    return Issued(key, cert)


def make_leaf(ca, cn, dns=("localhost",), ips=("127.0.0.1",), days=30,
              expired=False):
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(days=10 if expired else 1)
    end = now - datetime.timedelta(days=1) if expired else \
        now + datetime.timedelta(days=days)
    sans = [x509.DNSName(d) for d in dns]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(ca.cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False,
                                                    path_length=None),
                              critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans),
                                        critical=False)
    return Issued(key, builder.sign(ca.key, hashes.SHA256()), ca.chain)


def write_p12(path, issued, alias, password, cas=None):
    """PKCS12 with one key entry (friendly name ``alias``) and its chain."""
    data = pkcs12.serialize_key_and_certificates(
        alias.encode(), issued.key, issued.cert,
        list(cas if cas is not None else issued.chain[1:]),
        serialization.BestAvailableEncryption(password.encode()))
    Path(path).write_bytes(data)
    return str(path)


def write_jks(path, issued, alias, storepass, keypass=None):
    """JKS with one key entry, converted by keytool from a PKCS12."""
    tmp = Path(str(path) + ".src.p12")
    write_p12(tmp, issued, alias, storepass)
    keytool("-importkeystore", "-noprompt", "-srckeystore", str(tmp),
            "-srcstoretype", "PKCS12", "-srcstorepass", storepass,
            "-srcalias", alias, "-destkeystore", str(path),
            "-deststoretype", "JKS", "-deststorepass", storepass,
            "-destkeypass", keypass or storepass, "-destalias", alias)
    tmp.unlink()
    return str(path)


def write_truststore(path, certs, password="wso2carbon", storetype="JKS"):
    """A trust store of ``certs`` ({alias: Issued}) made by keytool."""
    for alias, issued in certs.items():
        pem = Path(f"{path}.{alias}.pem")
        issued.pem_file(pem)
        keytool("-importcert", "-noprompt", "-alias", alias, "-file",
                str(pem), "-keystore", str(path), "-storetype", storetype,
                "-storepass", password)
        pem.unlink()
    return str(path)


def vault_encrypt(cert_der, plaintext):
    """What the cipher tool writes: base64 of RSA PKCS#1 v1.5 ciphertext."""
    public = x509.load_der_x509_certificate(cert_der).public_key()
    return base64.b64encode(public.encrypt(plaintext.encode("utf-8"),
                                           padding.PKCS1v15())).decode()


def pack_cert_der(home):
    store = sec.load_keystore(
        str(Path(home) / "repository/resources/security/wso2carbon.jks"),
        "wso2carbon")
    return store.private_key("wso2carbon", "wso2carbon")[1][0]


def pack_key(home):
    """(pkcs8_der, [cert_der]) of the pack's wso2carbon.jks key."""
    store = sec.load_keystore(
        str(Path(home) / "repository/resources/security/wso2carbon.jks"),
        "wso2carbon")
    return store.private_key("wso2carbon", "wso2carbon")


def served_cert_der(port, host="127.0.0.1"):
    pem = ssl.get_server_certificate((host, port), timeout=5)
    return ssl.PEM_cert_to_DER_cert(pem)


class SwappableTLSServer:
    """A TLS server on 127.0.0.1 that completes handshakes and closes;
    ``serve(issued)`` changes the certificate it presents."""

    def __init__(self, issued):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0
        self.serve(issued)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def serve(self, issued):
        """Present ``issued`` (an Issued, or (pkcs8_der, [cert_der]))."""
        if isinstance(issued, tuple):
            self.context = sec.server_context(*issued)
            return
        self.context = sec.server_context(
            issued.pkcs8(), [c.public_bytes(DER) for c in issued.chain])

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(5)
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    self.handshakes += 1
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
