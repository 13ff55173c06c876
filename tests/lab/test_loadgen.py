"""tests/lab/loadgen.py against a local http.server on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
sys.path.insert(0, str(LOADGEN.parent))
import loadgen  # noqa: E402


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200
    delay = 0.0

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.server.paths.append(self.path)
        if self.delay:
            time.sleep(self.delay)
        body = b'{"ok": true}\n'
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def server():
    """server(status=200, delay=0.0) -> a running http.server on 127.0.0.1."""
    started = []

    def make(status=200, delay=0.0):
        handler = type("H", (_Handler,), {"status": status, "delay": delay})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        srv.daemon_threads = True
        srv.paths = []
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        srv.url = f"http://127.0.0.1:{srv.server_address[1]}/standin/echo/1.0.0"
        return srv

    yield make
    for srv in started:
        srv.shutdown()
        srv.server_close()


def _run(tmp_path, *args, timeout=60):
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, str(LOADGEN), *args,
                           "--report", str(report)],
                          capture_output=True, text=True, timeout=timeout)
    data = json.loads(report.read_text()) if report.exists() else None
    return proc, data


def test_success_and_count_bound(server, tmp_path):
    srv = server()
    proc, data = _run(tmp_path, "--url", srv.url, "--count", "25",
                      "--duration", "30", "--concurrency", "4",
                      "--delay-ms", "5")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1
    assert proc.stdout.startswith("loadgen: sent=25 ok=25 failed=0 ")
    assert (data["sent"], data["ok"], data["failed"]) == (25, 25, 0)
    assert data["by_status"] == {"200": 25} and data["errors"] == []
    assert data["stopped_by"] == "count"
    assert sum(b["sent"] for b in data["per_second"]) == 25
    assert data["started"] <= data["ended"]
    assert len(srv.paths) == 25
    assert all(p == "/standin/echo/1.0.0?delay_ms=5" for p in srv.paths)


def test_failures_are_counted(server, tmp_path):
    bad = server(status=503)
    good = server()
    proc, data = _run(tmp_path, "--url", bad.url, "--url", good.url,
                      "--count", "10", "--duration", "30")
    assert proc.returncode == 0, proc.stderr
    assert (data["sent"], data["ok"], data["failed"]) == (10, 5, 5)
    assert data["by_status"] == {"200": 5, "503": 5}
    assert data["errors"][0]["message"] == "HTTP status 503"
    assert data["errors"][0]["url"] == bad.url


def test_connection_errors_and_timeouts(server, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    slow = server(delay=2.0)
    proc, data = _run(tmp_path, "--url", f"http://127.0.0.1:{closed}/",
                      "--url", slow.url, "--count", "30", "--duration", "30",
                      "--timeout", "0.3")
    assert proc.returncode == 0, proc.stderr
    assert data["sent"] == 30 and data["failed"] == 30 and data["ok"] == 0
    assert data["by_status"] == {}
    assert len(data["errors"]) == 20  # only the first 20
    messages = " ".join(e["message"] for e in data["errors"])
    assert "ConnectionRefusedError" in messages and "timeout" in messages


@pytest.mark.parametrize("url", [
    "http://8.8.8.8/standin/echo/1.0.0", "https://1.1.1.1:8243/",
    "http://example.com/", "http://[2001:4860:4860::8888]/",
    "http://172.32.0.1/", "http://169.254.169.254/", "ftp://127.0.0.1/",
])
def test_refuses_targets_outside_the_lab(url, tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("loadgen contacted the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    report = tmp_path / "r.json"
    rc = loadgen.main(["--url", url, "--count", "1", "--duration", "1",
                       "--report", str(report)])
    assert rc == 2 and not report.exists()
    with pytest.raises(loadgen.UsageError):
        loadgen.check_target(url)


def test_refusal_cli_message(tmp_path):
    proc, data = _run(tmp_path, "--url", "http://127.0.0.1:1/",
                      "--url", "http://8.8.8.8/", "--count", "1",
                      "--duration", "1")
    assert proc.returncode == 2 and data is None
    assert "refusing 8.8.8.8" in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8280/", "https://localhost:8243/x", "http://[::1]:1/",
    "http://10.1.2.3/", "http://172.17.0.2:9443/", "http://192.168.1.1/",
])
def test_accepts_lab_targets(url):
    assert loadgen.check_target(url).hostname


def test_stop_file_ends_early(server, tmp_path):
    srv = server()
    stop = tmp_path / "stop"
    report = tmp_path / "report.json"
    proc = subprocess.Popen([sys.executable, str(LOADGEN), "--url", srv.url,
                             "--count", "1000000", "--duration", "60",
                             "--delay-ms", "0", "--stop-file", str(stop),
                             "--report", str(report)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        time.sleep(1.0)
        assert proc.poll() is None
        stop.touch()
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    data = json.loads(report.read_text())
    assert data["stopped_by"] == "stop-file"
    assert 0 < data["sent"] < 1000000 and data["failed"] == 0
    assert data["elapsed_s"] < 10


def test_duration_bound(server, tmp_path):
    srv = server(delay=0.05)
    started = time.monotonic()
    proc, data = _run(tmp_path, "--url", srv.url, "--count", "1000000",
                      "--duration", "1", "--concurrency", "2")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 10
    assert data["stopped_by"] == "duration" and data["failed"] == 0
    assert 0 < data["sent"] < 1000


class _HostEcho(_Handler):
    def do_GET(self):  # noqa: N802 (http.server naming)
        self.server.paths.append(self.headers.get("Host"))
        super().do_GET()


def test_resolve_sends_the_name_to_the_given_lab_address(tmp_path):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostEcho)
    srv.daemon_threads = True
    srv.paths = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        port = srv.server_address[1]
        proc, data = _run(tmp_path, "--url", f"http://kh-api:{port}/standin/echo/1.0.0",
                          "--resolve", "kh-api:127.0.0.1", "--count", "3", "--duration", "30")
    finally:
        srv.shutdown()
        srv.server_close()
    assert proc.returncode == 0, proc.stderr
    assert (data["sent"], data["failed"]) == (3, 0)
    # Each request is sent once with the URL's name as its Host header (the handler logs it first).
    assert srv.paths[::2] == [f"kh-api:{port}"] * 3


def test_resolve_to_an_address_outside_the_lab_is_refused(tmp_path):
    proc, data = _run(tmp_path, "--url", "https://kh-api/standin/echo/1.0.0",
                      "--resolve", "kh-api:8.8.8.8", "--count", "1", "--duration", "5")
    assert proc.returncode == 2 and data is None
    assert "refusing 8.8.8.8" in proc.stderr
    proc, _ = _run(tmp_path, "--url", "https://kh-api/", "--count", "1", "--duration", "5")
    assert proc.returncode == 2 and "refusing host 'kh-api'" in proc.stderr
