"""The stand-in gateway's passthrough test API and its graceful stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time

import standin_server as ss
from standin_testlib import log_lines, start_node, unverified_get, unzip, \
    wait_for

GW = "wso2am-universal-gw-4.5.0"
GW_TOML = """
[server]
hostname = "gw1.lab.internal"
offset = 0

[database.shared_db]
type = "h2"
url = "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"
"""


def _env(java_home):
    return dict(os.environ, JAVA_HOME=java_home, JAVA_OPTS="")


def _gateway(packs_dir, tmp_path, fake_java, processes, update_level=None):
    java_home = fake_java('openjdk version "17.0.15" 2025-04-15')
    home = unzip(packs_dir / f"{GW}.zip", tmp_path)
    (home / "repository/conf/deployment.toml").write_text(GW_TOML)
    if update_level is not None:
        (home / "updates/config.json").write_text(
            json.dumps({"update-level": update_level}) + "\n")
    proc, offset = start_node(home / "bin/gateway.sh", "gateway", home,
                              _env(java_home), processes)
    assert offset is not None, log_lines(home)
    return home, proc, offset


# ------------------------------------------------------------- unit level

def test_echo_response_routes():
    node = {"node": "gw1", "version": "4.5.0", "update_level": 7}
    status, ctype, body, delay = ss.echo_response(
        "GET", "/standin/echo/1.0.0/pets/1?delay_ms=250&x=1", node)
    assert (status, ctype, delay) == (200, "application/json", 0.25)
    assert json.loads(body) == {"node": "gw1", "host": socket.gethostname(),
                                "version": "4.5.0", "update_level": 7,
                                "path": "/standin/echo/1.0.0/pets/1"}
    assert ss.echo_response("POST", "/standin/echo/1.0.0", node)[0] == 200
    for method, path in (("GET", "/"), ("GET", "/standin/echo/2.0.0"),
                         ("GET", "/standin/echo/1.0.0x"),
                         ("PUT", "/standin/echo/1.0.0")):
        status, _, body, _ = ss.echo_response(method, path, node)
        assert status == 404, path
        assert json.loads(body)["description"] == \
            "No matching resource found for given API Request"
    for bad in ("2001", "-1", "x", ""):
        assert ss.echo_response(
            "GET", f"/standin/echo/1.0.0?delay_ms={bad}", node)[0] == 400


def test_read_update_level(tmp_path):
    assert ss.read_update_level(str(tmp_path)) == (-1, None)
    (tmp_path / "updates").mkdir()
    conf = tmp_path / "updates/config.json"
    conf.write_text('{"update-level": 12}')
    assert ss.read_update_level(str(tmp_path)) == (12, None)
    conf.write_text("{")
    level, note = ss.read_update_level(str(tmp_path))
    assert level == -1 and "cannot read updates/config.json" in note


def test_in_flight_counter():
    flight = ss.InFlight()
    assert flight.wait_idle(0)
    flight.enter()
    assert flight.count() == 1 and not flight.wait_idle(0.05)
    threading.Timer(0.1, flight.leave).start()
    assert flight.wait_idle(2) and flight.count() == 0


# ------------------------------------------------------------ running node

def test_echo_api_on_passthrough_ports(packs_dir, tmp_path, fake_java,
                                       processes):
    home, proc, offset = _gateway(packs_dir, tmp_path, fake_java, processes,
                                  update_level=3)
    assert "INFO WSO2 Update level 3 (updates/config.json)" in \
        log_lines(home)
    for url in (f"http://127.0.0.1:{8280 + offset}",
                f"https://127.0.0.1:{8243 + offset}"):
        status, body = unverified_get(f"{url}/standin/echo/1.0.0/a?b=c")
        assert status == 200, url
        assert json.loads(body) == {"node": "gw1.lab.internal",
                                    "host": socket.gethostname(),
                                    "version": "4.5.0", "update_level": 3,
                                    "path": "/standin/echo/1.0.0/a"}
        status, body = unverified_get(f"{url}/pizzashack/1.0.0/menu")
        assert status == 404 and "No matching resource" in body
    # the management ports do not serve the test API
    assert unverified_get(f"https://127.0.0.1:{9443 + offset}"
                          "/standin/echo/1.0.0")[0] == 404
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


def test_sigterm_drains_requests_in_flight(packs_dir, tmp_path, fake_java,
                                           processes):
    home, proc, offset = _gateway(packs_dir, tmp_path, fake_java, processes)
    port = 8280 + offset
    result = {}

    def slow():
        started = time.monotonic()
        result["answer"] = unverified_get(
            f"http://127.0.0.1:{port}/standin/echo/1.0.0?delay_ms=2000",
            timeout=15)
        result["took"] = time.monotonic() - started

    client = threading.Thread(target=slow)
    client.start()
    time.sleep(0.5)  # the request is being handled (delayed) now
    proc.send_signal(signal.SIGTERM)
    stopped = ("INFO Stopped accepting new connections; waiting for 1 "
               "connection(s) in flight (up to 10 s)")
    assert wait_for(lambda: stopped in log_lines(home), 5), log_lines(home)
    assert proc.poll() is None  # still draining
    for base in (8280, 8243, 9443, 9763):
        try:
            socket.create_connection(("127.0.0.1", base + offset), 1).close()
        except ConnectionRefusedError:
            continue
        raise AssertionError(f"port {base + offset} accepted a connection "
                             "after SIGTERM")
    client.join(15)
    assert result["answer"] is not None and result["answer"][0] == 200
    assert 1.5 < result["took"] < 5
    assert proc.wait(10) == 0
    lines = log_lines(home)
    assert lines.index("INFO Shutting down") < lines.index(stopped)
    assert not any(line.startswith("WARN") and "still in flight" in line
                   for line in lines)
    assert not (home / "wso2carbon.pid").exists()


def test_drain_is_bounded():
    """A connection that never finishes does not hold the stop forever."""
    messages = []
    flight = ss.InFlight()
    flight.enter()
    started = time.monotonic()
    ss.graceful_stop([], flight, type("L", (), {
        "log": staticmethod(lambda lvl, msg: messages.append((lvl, msg)))}),
        timeout=0.3)
    assert 0.25 < time.monotonic() - started < 2
    assert messages[-1] == ("WARN", "1 connection(s) still in flight after "
                                    "0.3 s; closing them")
