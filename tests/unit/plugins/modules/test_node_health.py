# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.node_health (the health wait of every start and run), against loopback servers"""

from __future__ import annotations

import datetime
import http.server
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.wso2am.distributed.plugins.modules import node_health

BODY = b"<ns:getVersionResponse>WSO2 API Manager-4.6.0</ns:getVersionResponse>"


def _name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _issue(tmp_path):
    """A CA and a server certificate for DNS:localhost signed by it; returns (ca path, cert path, key path)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("test CA")).issuer_name(_name("test CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = tmp_path / "ca.crt", tmp_path / "tls.crt", tmp_path / "tls.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return [str(p) for p in paths]


class _Handler(http.server.BaseHTTPRequestHandler):
    answers = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        status, body = self.answers.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def servers(tmp_path):
    """An HTTP and an HTTPS server on loopback; yields (http port, https port, CA path)."""
    ca, cert, key = _issue(tmp_path)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    for server in (plain, tls):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    _Handler.answers = {"/services/Version": (200, BODY), "/ready": (200, b"ready")}
    yield plain.server_address[1], tls.server_address[1], ca
    for server in (plain, tls):
        server.shutdown()
        server.server_close()


def _params(http_port, https_port, ca, **more):
    params = {"health_url": f"http://127.0.0.1:{http_port}/services/Version", "health_expect": "WSO2 API Manager-4.6.0",
              "readiness_url": f"https://127.0.0.1:{https_port}/ready",
              "tls_url": f"https://localhost:{https_port}/services/Version", "ca_path": ca, "timeout": 0, "delay": 3}
    params.update(more)
    return params


def test_a_healthy_node_passes_every_check(servers):
    result = node_health.run_checks(_params(*servers))
    assert result["health"]["status"] == 200 and "WSO2 API Manager-4.6.0" in result["health"]["content"]
    assert result["ready"]["status"] == 200
    assert result["tls"]["status"] == 200


def test_a_certificate_without_the_name_asked_for_fails_the_last_check(servers):
    http_port, https_port, ca = servers
    result = node_health.run_checks(_params(http_port, https_port, ca, tls_url=f"https://127.0.0.1:{https_port}/services/Version"))
    assert result["ready"]["status"] == 200
    assert result["tls"]["status"] == 0 and "127.0.0.1" in result["tls"]["msg"]


def test_a_certificate_of_another_ca_fails_the_last_check(servers, tmp_path):
    http_port, https_port, _ca = servers
    other = tmp_path / "other"
    other.mkdir()
    other_ca = _issue(other)[0]
    result = node_health.run_checks(_params(http_port, https_port, other_ca))
    assert result["tls"]["status"] == 0 and "certificate verify failed" in result["tls"]["msg"]


def test_the_wrong_version_or_an_error_status_is_not_healthy_and_stops_the_later_checks(servers):
    _Handler.answers["/services/Version"] = (200, BODY.replace(b"4.6.0", b"4.5.0"))
    result = node_health.run_checks(_params(*servers))
    assert result["health"]["status"] == 200 and result["ready"] == {"skipped": True} and result["tls"] == {"skipped": True}
    _Handler.answers["/services/Version"] = (503, b"starting")
    result = node_health.run_checks(_params(*servers))
    assert result["health"]["status"] == 503 and result["health"]["content"] == "starting"
    assert "503" in result["health"]["msg"]


def test_a_readiness_check_that_fails_skips_the_certificate(servers):
    _Handler.answers["/ready"] = (503, b"")
    result = node_health.run_checks(_params(*servers))
    assert result["ready"]["status"] == 503 and result["tls"] == {"skipped": True}


def test_no_answer_is_status_0_with_the_reason_and_no_content():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    answer = node_health.ask(f"http://127.0.0.1:{port}/services/Version")
    assert answer["status"] == 0 and "content" not in answer and "refused" in answer["msg"].lower()


def test_waits_until_healthy_within_the_timeout():
    now = [0.0]
    answers = iter([{"status": 0, "msg": "refused"}, {"status": 503, "msg": "x", "content": "starting"},
                    {"status": 200, "msg": "OK", "content": "WSO2 API Manager-4.6.0"}])
    asked = []

    def fetch(url, **_kw):
        asked.append((now[0], url))
        return next(answers)

    params = {"health_url": "h", "health_expect": "WSO2 API Manager-4.6.0", "readiness_url": "", "tls_url": "",
              "ca_path": None, "timeout": 60, "delay": 3}
    result = node_health.run_checks(params, fetch=fetch, clock=lambda: now[0],
                                    sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert result["health"]["status"] == 200 and [t for t, _u in asked] == [0.0, 3.0, 6.0]
    assert result["ready"] == {"skipped": True} and result["tls"] == {"skipped": True}


def test_gives_up_at_the_timeout_with_the_last_answer():
    now = [0.0]
    asked = []

    def fetch(url, **_kw):
        asked.append(now[0])
        return {"status": 503, "msg": "HTTP Error 503", "content": "starting"}

    params = {"health_url": "h", "health_expect": "", "readiness_url": "r", "tls_url": "", "ca_path": None,
              "timeout": 10, "delay": 3}
    result = node_health.run_checks(params, fetch=fetch, clock=lambda: now[0],
                                    sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert asked == [0.0, 3.0, 6.0, 9.0]
    assert result["health"]["status"] == 503 and result["ready"] == {"skipped": True}
