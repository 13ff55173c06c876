"""Helpers for the stand-in pack tests."""

from __future__ import annotations

import os
import random
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REAL_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"


def real_java_home():
    """A real JDK that 4.5 packs accept (11-21), or None."""
    for candidate in (REAL_JAVA_HOME, os.environ.get("JAVA_HOME", "")):
        if candidate and os.access(os.path.join(candidate, "bin", "java"),
                                   os.X_OK):
            return candidate
    return None


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_offset(base_ports):
    """A random offset (20000-50000) whose ports are all free now."""
    rnd = random.Random()
    for _ in range(500):
        offset = rnd.randrange(20000, 50000)
        if all(port_free(p + offset) for p in base_ports):
            return offset
    raise RuntimeError("no free port offset found")


def wait_for(predicate, timeout=15.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


def unzip(zip_path, dest):
    """Unpack with unzip(1) (restores unix modes); return the top folder."""
    subprocess.run(["unzip", "-q", "-o", str(zip_path), "-d", str(dest)],
                   check=True)
    return Path(dest) / Path(zip_path).name[:-len(".zip")]


def http_get(url, cafile=None, timeout=2.0):
    """(status, body) or None when the server does not answer."""
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context(cafile=cafile)
    try:
        with urllib.request.urlopen(url, timeout=timeout,
                                    context=context) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (OSError, ssl.SSLError):
        return None


def log_lines(home):
    path = Path(home) / "repository" / "logs" / "wso2carbon.log"
    if not path.exists():
        return []
    return path.read_text().splitlines()


def start_node(script, kind, home, env, processes, args=(), timeout=20):
    """Run ``script`` in the foreground on a free port offset.

    Returns (proc, offset) once the node logs that it listens, or
    (proc, None) when it exited first (a refusal).  Retries another offset
    when a port was taken meanwhile.
    """
    from standin_server import PORTS

    for _ in range(5):
        offset = free_offset(PORTS[kind])
        proc = subprocess.Popen(
            [str(script), f"-DportOffset={offset}", *args], env=env,
            start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        processes.append(proc)
        ready = f"INFO Stand-in ({kind}) listening on ports"
        mine = f", pid {proc.pid}"

        def started():
            if any(line.startswith(ready) and line.endswith(mine)
                   for line in log_lines(home)):
                return "up"
            return "exited" if proc.poll() is not None else None

        state = wait_for(started, timeout)
        if state == "up":
            return proc, offset
        if proc.poll() is None or not any(
                "ERROR cannot bind port" in line for line in log_lines(home)):
            return proc, None
    return proc, None


def unverified_get(url, timeout=3.0):
    """(status, body) of GET url, not verifying any TLS certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=timeout,
                                    context=context) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (OSError, ssl.SSLError):
        return None
