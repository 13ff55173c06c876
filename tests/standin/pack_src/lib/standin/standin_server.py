#!/usr/bin/env python3
"""STAND-IN server for WSO2 API Manager component packs.

THIS IS A TEST FIXTURE, NOT WSO2 SOFTWARE.  It is shipped inside the
stand-in packs built by tests/standin/build_packs.py and is started by the
pack's bin/*.sh scripts.  It imitates just enough of a WSO2 API Manager
4.5+ node for deployment tests:

* the start-up refusals a real node would hit (wrong Java, broken
  deployment.toml, secure vault that cannot resolve, JDBC driver jar
  missing or not recognised by API-M, gateway without shared_db, unknown
  server_role, bad 4.7 encryption key, case-insensitive MySQL collation,
  keystore or trust store that cannot be loaded), and the 4.7 node's own
  encryption key when deployment.toml has none;
* the ports of the node kind (plus the port offset), the TLS ones serving
  the [keystore.tls] key;
* ``GET /services/Version`` and the gateway readiness check (503 while a
  TLS upstream fails verification);
* on a gateway's passthrough ports (8280, 8243) a fixed test API,
  ``/standin/echo/1.0.0``, standing in for an API deployed from the
  control plane (see ``echo_response``);
* the update level of the pack (``updates/config.json``, written by the
  stand-in update tool ``bin/wso2update_linux``);
* a graceful stop on SIGTERM like the real passthrough transport: stop
  accepting, let requests in flight finish (bounded), then exit;
* a probe of every upstream endpoint named in deployment.toml: TCP, then
  for https/wss/ssl a TLS handshake trusting exactly [truststore].

Python 3.11+ (needs ``tomllib``) and, for PKCS12 keystores and secure
vault, the ``cryptography`` package.  The check functions
(``check_java``, ``check_config`` ...) are pure and importable so that
they can be unit tested without starting anything; more rules live in
standin_checks.py, the MySQL client in standin_mysql.py, keystores in
standin_security.py, secure vault in standin_vault.py and TLS in
standin_tls.py, shipped next to this file.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import tomllib
import zipfile

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import standin_checks  # noqa: E402  (shipped next to this file)
import standin_mysql  # noqa: E402
import standin_tls  # noqa: E402
import standin_vault  # noqa: E402

KINDS = ("control_plane", "key_manager", "gateway", "traffic_manager")

# Base ports (offset 0) each node kind listens on.
PORTS = {
    "control_plane": (9443, 9763, 5672, 9611, 9711),
    "traffic_manager": (9443, 9763, 5672, 9611, 9711),
    "gateway": (9443, 9763, 8243, 8280, 9099, 8099, 9021, 8021),
    "key_manager": (9443, 9763),
}
# Ports that only accept a TLS handshake and close: binary data publisher
# SSL (9711), gateway WebSocket TLS (8099) and WebSub HTTPS (8021).
TLS_ACCEPT_CLOSE = (9711, 8099, 8021)
HTTPS_PORT = 9443
HTTP_PORT = 9763
GW_PASSTHROUGH_HTTPS = 8243
GW_PASSTHROUGH_HTTP = 8280
MAX_BASE_PORT = 11111  # JMX; the highest port WSO2 offsets

VERSION_PATH = "/services/Version"
GW_HEALTH_PATH = "/api/am/gateway/v2/server-startup-healthcheck"
# The stand-in test API on the passthrough ports (stands for an API that
# the control plane deployed to the gateway): context /standin/echo,
# version 1.0.0, any resource below it, GET and POST.
ECHO_CONTEXT = "/standin/echo/1.0.0"
ECHO_MAX_DELAY_MS = 2000
ECHO_MAX_BODY = 1 << 20
# Graceful stop: how long requests in flight may still run after SIGTERM.
# The real passthrough listener (wso2-synapse PassThroughHttpListener.stop)
# pauses its IO reactor, waits while requests are being served (bounded by
# http.socket.timeout) and then shuts down.
DRAIN_TIMEOUT = 10.0
UPDATES_CONFIG_REL = os.path.join("updates", "config.json")

LOG_REL = os.path.join("repository", "logs", "wso2carbon.log")
CONSOLE_REL = os.path.join("repository", "logs", "standin-console.out")
CONF_REL = os.path.join("repository", "conf", "deployment.toml")
LIB_REL = os.path.join("repository", "components", "lib")
VERSION_REL = os.path.join("bin", "version.txt")
PID_FILE = "wso2carbon.pid"

PRODUCT = "WSO2 API Manager"

PROBE_TIMEOUT = 2.0
PROBE_RETRY = 3.0
# The start scripts pass -Dhttpclient.hostnameVerifier=AllowAll first.
DEFAULT_SYSPROPS = {"httpclient.hostnameVerifier": "AllowAll"}


# --------------------------------------------------------------------------
# Java
# --------------------------------------------------------------------------

def java_range(version):
    """Return (min, max) Java major accepted by API-M ``version`` ("4.5.0").

    4.2 and older: 11-17; 4.3-4.6: 11-21; 4.7 and newer: 21-25.
    """
    m = re.match(r"\s*(\d+)\.(\d+)", str(version))
    if not m:
        raise ValueError(f"cannot parse API-M version {version!r}")
    major_minor = (int(m.group(1)), int(m.group(2)))
    if major_minor < (4, 3):
        return (11, 17)
    if major_minor < (4, 7):
        return (11, 21)
    return (21, 25)


_JAVA_VERSION_RE = re.compile(r'version\s+"([^"]+)"')


def parse_java_major(text):
    """Major version from ``java -version`` output, or None.

    Handles ``openjdk version "17.0.15"``, ``"21"``, ``"25-ea"`` and the
    old ``java version "1.8.0_402"`` form (major 8).
    """
    m = _JAVA_VERSION_RE.search(text or "")
    if not m:
        return None
    parts = re.split(r"[._\-+]", m.group(1))
    if not parts or not parts[0].isdigit():
        return None
    first = int(parts[0])
    if first == 1:
        if len(parts) > 1 and parts[1].isdigit():
            return int(parts[1])
        return None
    return first


def java_major(java_home):
    """Run ``$JAVA_HOME/bin/java -version``; return (major, error)."""
    if not java_home:
        return None, "JAVA_HOME is not set"
    java = os.path.join(java_home, "bin", "java")
    if not os.path.isfile(java) or not os.access(java, os.X_OK):
        return None, (f"JAVA_HOME={java_home} is not a Java install "
                      f"({java} is missing or not executable)")
    try:
        proc = subprocess.run([java, "-version"], capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{java} -version failed: {_one_line(exc)}"
    output = (proc.stderr or "") + (proc.stdout or "")
    if proc.returncode != 0:
        detail = _one_line(output) or f"exit status {proc.returncode}"
        return None, (f"{java} -version failed (exit status "
                      f"{proc.returncode}): {detail}")
    major = parse_java_major(proc.stderr) or parse_java_major(proc.stdout)
    if major is None:
        return None, (f"cannot read the Java version from {java} -version: "
                      f"{_one_line(output)!r}")
    return major, None


def java_check(version, java_home):
    """(major, error) for running API-M ``version`` on ``java_home``."""
    lo, hi = java_range(version)
    major, err = java_major(java_home)
    if err:
        if not java_home:
            return None, (f"JAVA_HOME is not set; {PRODUCT}-{version} needs "
                          f"Java {lo} to {hi}")
        return None, err
    if not lo <= major <= hi:
        return major, (f"Java {major} at JAVA_HOME={java_home} is not "
                       f"supported by {PRODUCT}-{version}: it needs Java "
                       f"{lo} to {hi}")
    return major, None


def check_java(version, java_home):
    """Error string if ``java_home`` can't run API-M ``version``, or None."""
    return java_check(version, java_home)[1]


# --------------------------------------------------------------------------
# deployment.toml
# --------------------------------------------------------------------------

def load_config(home):
    """Parse <home>/repository/conf/deployment.toml: (dict, error)."""
    path = os.path.join(home, CONF_REL)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh), None
    except FileNotFoundError:
        return None, f"{CONF_REL} not found under {home}"
    except tomllib.TOMLDecodeError as exc:
        return None, f"{CONF_REL} is not valid TOML: {_one_line(exc)}"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read {CONF_REL}: {_one_line(exc)}"


def db_type(db):
    """Effective type of a [database.<name>] table (lower case).

    A table without ``type`` whose url is ``jdbc:h2:...`` counts as h2.
    """
    dbt = db.get("type")
    if isinstance(dbt, str) and dbt.strip():
        return dbt.strip().lower()
    url = db.get("url")
    if isinstance(url, str) and url.strip().lower().startswith("jdbc:h2:"):
        return "h2"
    return ""


def database_tables(config):
    """[(name, table)] for each [database.<name>] table."""
    dbs = config.get("database") if isinstance(config, dict) else None
    if not isinstance(dbs, dict):
        return []
    return [(n, t) for n, t in dbs.items() if isinstance(t, dict)]


def find_driver(driver_class, lib_dir):
    """Path of the first *.jar in ``lib_dir`` holding ``driver_class``."""
    entry = driver_class.strip().replace(".", "/") + ".class"
    try:
        names = sorted(os.listdir(lib_dir))
    except OSError:
        return None
    for name in names:
        if not name.lower().endswith(".jar"):
            continue
        path = os.path.join(lib_dir, name)
        if not os.path.isfile(path):  # follows symlinks; skips broken ones
            continue
        try:
            with zipfile.ZipFile(path) as jar:
                if entry in jar.namelist():
                    return path
        except (zipfile.BadZipFile, OSError):
            continue
    return None


def check_config_data(kind, config, home):
    """Error string for a parsed deployment.toml, or None."""
    if kind not in KINDS:
        return f"unknown node kind {kind!r}"
    lib_dir = os.path.join(home, LIB_REL)
    for name, db in database_tables(config):
        dbt = db_type(db)
        if dbt == "h2":
            continue
        label = f"[database.{name}] (type={dbt or 'unset'})"
        driver = db.get("driver")
        if not isinstance(driver, str) or not driver.strip():
            return (f"{label} has no JDBC driver class (key 'driver'); a "
                    f"non-h2 database needs 'driver' and its jar in {LIB_REL}")
        jar = find_driver(driver, lib_dir)
        if jar is None:
            return (f"{label} JDBC driver class {driver.strip()} not found "
                    f"in any jar in {lib_dir}")
        err = standin_checks.check_driver_dialect(label, driver, jar)
        if err:
            return err
    if kind == "gateway":
        dbs = config.get("database")
        if not isinstance(dbs, dict) or not isinstance(dbs.get("shared_db"),
                                                       dict):
            return ("gateway deployment.toml has no [database.shared_db]: the "
                    "registry/user-store data source must never be removed "
                    "from a gateway (keep it, of type h2 if unused)")
    return standin_checks.check_server_role(config, home)


def check_config(kind, home):
    """Error string if the node ``kind`` at ``home`` must refuse to start."""
    config, err = load_config(home)
    if err:
        return err
    return check_config_data(kind, config, home)


def mysql_databases(config):
    """[(name, table)] of the non-h2 [database.*] with a jdbc:mysql:// url."""
    result = []
    for name, db in database_tables(config):
        url = db.get("url")
        if (db_type(db) != "h2" and isinstance(url, str)
                and url.strip().lower().startswith("jdbc:mysql://")):
            result.append((name, db))
    return result


def db_wait_seconds(environ=None):
    """STANDIN_DB_WAIT (seconds, default 60): how long to retry a database."""
    raw = (os.environ if environ is None else environ).get("STANDIN_DB_WAIT")
    try:
        return max(0.0, float(raw)) if raw not in (None, "") else 60.0
    except ValueError:
        return 60.0


def check_databases(config, wait=60.0, log=None):
    """Error string if a jdbc:mysql:// database fails the collation rule."""
    for name, db in mysql_databases(config):
        err = standin_mysql.check_mysql_database(name, db, wait=wait, log=log)
        if err:
            return err
    return None


def resolve_offset(config, override=None):
    """Port offset: ``-DportOffset`` override, else [server] offset, else 0.

    Returns (offset, error).
    """
    raw = override
    source = "-DportOffset"
    if raw is None:
        server = config.get("server") if isinstance(config, dict) else None
        raw = server.get("offset", 0) if isinstance(server, dict) else 0
        source = "[server] offset"
    try:
        if isinstance(raw, bool):
            raise ValueError
        offset = int(str(raw).strip())
    except ValueError:
        return None, f"{source} {raw!r} is not an integer"
    if offset < 0 or offset + MAX_BASE_PORT > 65535:
        return None, (f"{source} {offset} is out of range "
                      f"(0..{65535 - MAX_BASE_PORT})")
    return offset, None


# --------------------------------------------------------------------------
# Upstream endpoints
# --------------------------------------------------------------------------

_DEFAULT_PORTS = {
    "https": 443, "http": 80, "wss": 443, "ws": 80,
    "mysql": 3306, "mariadb": 3306, "postgresql": 5432,
    "sqlserver": 1433, "db2": 50000, "oracle": 1521,
}


def _get(data, *keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _as_list(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _tables(value):
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def upstream_urls(config):
    """[(name, url)] of every upstream endpoint named in deployment.toml."""
    out = []

    def add(name, value):
        out.extend((name, url) for url in _as_list(value))

    hub = _get(config, "apim", "event_hub")
    thr = _get(config, "apim", "throttling")
    add("key_manager", _get(config, "apim", "key_manager", "service_url"))
    add("event_hub", _get(hub, "service_url"))
    add("event_hub_listener", _get(hub, "event_listening_endpoints"))
    add("throttle_decision", _get(thr, "throttle_decision_endpoints"))
    for group in _tables(_get(thr, "url_group")):
        add("traffic_manager", group.get("traffic_manager_urls"))
        add("traffic_manager_auth", group.get("traffic_manager_auth_urls"))
    add("throttling_service", _get(thr, "service_url"))
    for group in _tables(_get(hub, "publish", "url_group")):
        add("event_hub_publish", group.get("urls"))
        add("event_hub_publish_auth", group.get("auth_urls"))
    add("event_duplicate", _get(hub, "event_duplicate_url"))
    add("event_duplicate", _get(thr, "event_duplicate_url"))
    for env in _tables(_get(config, "apim", "gateway", "environment")):
        add("gateway_environment", env.get("service_url"))
    for listener in _tables(_get(config, "event_listener")):
        add("notification_endpoint",
            _get(listener, "properties", "notification_endpoint"))
    for name, db in database_tables(config):
        if db_type(db) != "h2":
            add(f"database.{name}", db.get("url"))
    return out


def _substitute(url, offset, hostname):
    values = {
        "carbon.host": hostname,
        "mgt.transport.https.port": str(HTTPS_PORT + offset),
        "mgt.transport.http.port": str(HTTP_PORT + offset),
        "https.nio.port": str(GW_PASSTHROUGH_HTTPS + offset),
        "http.nio.port": str(GW_PASSTHROUGH_HTTP + offset),
        "carbon.protocol": "https",
    }
    return re.sub(r"\$\{([^}]+)\}",
                  lambda m: values.get(m.group(1).strip(), m.group(0)), url)


def _split_hostport(text, default_port):
    text = text.strip()
    if text.startswith("["):  # [v6addr]:port
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    if port:
        if not port.isdigit():
            return None
        port_num = int(port)
    else:
        port_num = default_port
    if not host or port_num is None or not 0 < port_num < 65536:
        return None
    return host, port_num


def parse_endpoint(url, offset=0, hostname="localhost"):
    """[(host, port)] for an endpoint URL; [] if it cannot be parsed.

    Understands https://h:p/..., tcp://h:p, ssl://h:p, jdbc:mysql://,
    jdbc:mariadb://, jdbc:postgresql:// (several hosts allowed),
    jdbc:sqlserver://, jdbc:db2:// and jdbc:oracle:thin:@h:p/... URLs, and
    the placeholders ${carbon.host} and ${mgt.transport.https.port}.
    """
    if not isinstance(url, str):
        return []
    url = _substitute(url.strip(), offset, hostname)
    if "${" in url or "$ref{" in url:
        return []
    low = url.lower()
    if low.startswith("jdbc:oracle:"):
        _, at, rest = url.partition("@")
        rest = rest.lstrip("/")
        if not at or rest.startswith("("):
            return []
        hostport = re.split(r"[/?]", rest, maxsplit=1)[0]
        host, _, port = hostport.partition(":")
        port = port.split(":")[0]
        parsed = _split_hostport(f"{host}:{port}" if port else host, 1521)
        return [parsed] if parsed else []
    if low.startswith("jdbc:"):
        url = url[5:]
    scheme, sep, rest = url.partition("://")
    if not sep:
        return []
    scheme = scheme.lower().split(":")[0]
    netloc = re.split(r"[/?;#]", rest, maxsplit=1)[0]
    netloc = netloc.rpartition("@")[2]
    found = []
    for part in netloc.split(","):
        parsed = _split_hostport(part, _DEFAULT_PORTS.get(scheme))
        if parsed is None:
            return []
        found.append(parsed)
    return found


def _server_hostname(config):
    host = _get(config, "server", "hostname")
    return host if isinstance(host, str) and host.strip() else "localhost"


def extract_upstreams(config, offset=0):
    """De-duplicated [(name, host, port)] to probe, in config order."""
    seen = set()
    result = []
    for name, host, port, _ in extract_upstream_endpoints(config, offset):
        if (name, host, port) not in seen:
            seen.add((name, host, port))
            result.append((name, host, port))
    return result


def extract_upstream_endpoints(config, offset=0):
    """De-duplicated [(name, host, port, tls)] to probe, in config order.

    ``tls`` is True for https://, wss:// and ssl:// URLs.
    """
    hostname = _server_hostname(config)
    seen = set()
    result = []
    for name, url in upstream_urls(config):
        tls = standin_tls.tls_scheme(url)
        for host, port in parse_endpoint(url, offset, hostname):
            key = (name, host, port, tls)
            if key not in seen:
                seen.add(key)
                result.append(key)
    return result


# --------------------------------------------------------------------------
# Runtime
# --------------------------------------------------------------------------

def _one_line(value):
    return " ".join(str(value).split())


def read_version(home):
    """API-M version from <home>/bin/version.txt ("WSO2 API Manager-4.5.0")."""
    try:
        with open(os.path.join(home, VERSION_REL), encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return None
    m = re.search(r"(\d+\.\d+\.\d+\S*)", text)
    return m.group(1) if m else None


class Logger:
    """Appends ``LEVEL message`` lines to wso2carbon.log and the console."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._fh = open(path, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def log(self, level, message):
        line = f"{level} {message}"
        with self._lock:
            try:
                self._fh.write(line + "\n")
                self._fh.flush()
            except (OSError, ValueError):
                pass
            stream = sys.stderr if level == "ERROR" else sys.stdout
            try:
                print(line, file=stream, flush=True)
            except (OSError, ValueError):
                pass

    def close(self):
        with self._lock:
            self._fh.close()


def read_update_level(home):
    """``update-level`` of <home>/updates/config.json; -1 when absent.

    -1 is what WSO2 Update 2.0 writes for a pack it never updated.
    Returns (level, note): note names a file that could not be read.
    """
    path = os.path.join(home, UPDATES_CONFIG_REL)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return -1, None
    except (OSError, ValueError) as exc:
        return -1, f"cannot read {UPDATES_CONFIG_REL}: {_one_line(exc)}"
    level = data.get("update-level") if isinstance(data, dict) else None
    if isinstance(level, bool) or not isinstance(level, int):
        return -1, f"{UPDATES_CONFIG_REL} has no integer \"update-level\""
    return level, None


def _gateway_fault(status, code, message, description):
    body = json.dumps({"code": code, "type": "Status report",
                       "message": message, "description": description})
    return status, "application/json", body.encode("utf-8") + b"\n"


def echo_response(method, raw_path, node):
    """(status, content type, body, delay seconds) of the test API.

    ``node``: {"node": hostname, "version": v, "update_level": n}.
    ``GET|POST /standin/echo/1.0.0[/...]`` answers 200 JSON; an optional
    ``delay_ms=<0..2000>`` query parameter delays the answer.  Anything
    else answers 404 as the real gateway does for a request no deployed
    API matches.
    """
    path, _, query = raw_path.partition("?")
    if method not in ("GET", "POST") or not (
            path == ECHO_CONTEXT or path.startswith(ECHO_CONTEXT + "/")):
        return _gateway_fault(404, "900906", "Runtime Error",
                              "No matching resource found for given API "
                              "Request") + (0.0,)
    delay = 0.0
    for item in query.split("&"):
        key, _, value = item.partition("=")
        if key != "delay_ms":
            continue
        if not value.isdigit() or int(value) > ECHO_MAX_DELAY_MS:
            return _gateway_fault(
                400, "400", "Bad Request",
                f"stand-in echo API: delay_ms must be 0..{ECHO_MAX_DELAY_MS}"
            ) + (0.0,)
        delay = int(value) / 1000.0
    # "node" is the [server] hostname (behind a load balancer, every gateway has the same
    # public one); "host" is the machine that answered.
    body = json.dumps({"node": node["node"], "host": socket.gethostname(),
                       "version": node["version"],
                       "update_level": node["update_level"], "path": path})
    return 200, "application/json", body.encode("utf-8") + b"\n", delay


def version_xml(version):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        '<soapenv:Body><ns:getVersionResponse xmlns:ns="urn:standin:version">'
        f'<ns:return>{PRODUCT}-{version}</ns:return>'
        '</ns:getVersionResponse></soapenv:Body></soapenv:Envelope>\n'
    ).encode("utf-8")


def make_handler(version, kind, tls, management, health=None, node=None):
    """Request handler class for one HTTP(S) port.

    ``health`` (standin_tls.UpstreamHealth): while it names a failing TLS
    upstream, the version and readiness paths answer 503, and so does
    every request on a passthrough port.  ``node`` (a dict for
    ``echo_response``): the port is a gateway passthrough port serving
    the stand-in test API.
    """
    version_body = version_xml(version)

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "WSO2-APIM-Standin"
        sys_version = ""
        timeout = 15

        def setup(self):
            if isinstance(self.request, ssl.SSLSocket):
                self.request.settimeout(self.timeout)
                self.request.do_handshake()
            super().setup()

        def _route(self):
            if node is not None:
                return self._passthrough()
            path = self.path.split("?", 1)[0]
            path = path.rstrip("/") or "/"
            health_path = management and (
                path == VERSION_PATH
                or (tls and kind == "gateway" and path == GW_HEALTH_PATH))
            problem = health.problem() if health and health_path else None
            if problem:
                return 503, "text/plain; charset=UTF-8", (
                    problem.encode("utf-8") + b"\n")
            if management and path == VERSION_PATH:
                return 200, "text/xml; charset=UTF-8", version_body
            if (management and tls and kind == "gateway"
                    and path == GW_HEALTH_PATH):
                return 200, "application/json", b'{"status":"ready"}\n'
            body = json.dumps({"code": 404, "message": "Not Found",
                               "description": "stand-in: no such resource"})
            return 404, "application/json", body.encode() + b"\n"

        def _passthrough(self):
            self._drain_body()
            problem = health.problem() if health else None
            if problem:
                return 503, "text/plain; charset=UTF-8", (
                    problem.encode("utf-8") + b"\n")
            status, ctype, body, delay = echo_response(
                "GET" if self.command == "HEAD" else self.command,
                self.path, node)
            if delay:
                threading.Event().wait(delay)
            return status, ctype, body

        def _drain_body(self):
            """Read (and drop) a request body, so closing sends no RST."""
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            length = max(0, min(length, ECHO_MAX_BODY))
            while length > 0:
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    break
                length -= len(chunk)

        def _respond(self, with_body):
            status, ctype, body = self._route()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self):  # noqa: N802 (http.server naming)
            self._respond(True)

        def do_POST(self):  # noqa: N802
            self._respond(True)

        def do_HEAD(self):  # noqa: N802
            self._respond(False)

        def log_message(self, format, *args):  # noqa: A002
            pass

    return Handler


class InFlight:
    """Counts connections being handled, across all ports of a node."""

    def __init__(self):
        self._cond = threading.Condition()
        self._count = 0

    def enter(self):
        with self._cond:
            self._count += 1

    def leave(self):
        with self._cond:
            self._count -= 1
            self._cond.notify_all()

    def count(self):
        with self._cond:
            return self._count

    def wait_idle(self, timeout):
        """Wait until nothing is in flight or ``timeout`` s; True if idle."""
        with self._cond:
            return self._cond.wait_for(lambda: self._count <= 0, timeout)


class _QuietMixin:
    allow_reuse_address = True
    daemon_threads = True
    in_flight = None  # an InFlight, set by bind_ports

    def handle_error(self, request, client_address):
        pass

    def process_request(self, request, client_address):
        if self.in_flight is not None:
            self.in_flight.enter()
        try:
            super().process_request(request, client_address)
        except BaseException:
            if self.in_flight is not None:
                self.in_flight.leave()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            if self.in_flight is not None:
                self.in_flight.leave()


class HTTPPort(_QuietMixin, http.server.ThreadingHTTPServer):
    pass


class TLSPort(HTTPPort):
    """HTTPS port; the TLS handshake runs in the request thread."""

    def __init__(self, address, handler, context):
        self.ssl_context = context
        super().__init__(address, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        wrapped = self.ssl_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, addr


class _CloseHandler(socketserver.BaseRequestHandler):
    def handle(self):
        pass


class AcceptClosePort(_QuietMixin, socketserver.ThreadingTCPServer):
    """Accepts connections and closes them at once (JMS, binary, WS ports)."""

    def __init__(self, address):
        super().__init__(address, _CloseHandler)


class _HandshakeCloseHandler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.request.settimeout(15)
            self.request.do_handshake()
        except (OSError, ssl.SSLError):
            pass


class TLSAcceptClosePort(_QuietMixin, socketserver.ThreadingTCPServer):
    """Accepts a TLS handshake, then closes (binary SSL, WSS, WebSub TLS)."""

    def __init__(self, address, context):
        self.ssl_context = context
        super().__init__(address, _HandshakeCloseHandler)

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ssl_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False), addr


def bind_ports(kind, offset, version, context, health=None, node=None,
               in_flight=None):
    """Bind every port of ``kind``: ([(port, server)], error).

    ``context``: the server SSLContext of the [keystore.tls] key.
    ``node``: {"node": hostname, "version": v, "update_level": n} for the
    gateway passthrough ports' test API.  ``in_flight`` (InFlight):
    counts the connections being handled on every port.
    """
    if node is None:
        node = {"node": "localhost", "version": version, "update_level": -1}
    servers = []
    for base in PORTS[kind]:
        port = base + offset
        address = ("0.0.0.0", port)
        try:
            if base == HTTPS_PORT:
                srv = TLSPort(address, make_handler(version, kind, True, True,
                                                    health), context)
            elif base == HTTP_PORT:
                srv = HTTPPort(address,
                               make_handler(version, kind, False, True,
                                            health))
            elif kind == "gateway" and base == GW_PASSTHROUGH_HTTPS:
                srv = TLSPort(address,
                              make_handler(version, kind, True, False,
                                           health, node),
                              context)
            elif base in TLS_ACCEPT_CLOSE:
                srv = TLSAcceptClosePort(address, context)
            elif kind == "gateway" and base == GW_PASSTHROUGH_HTTP:
                srv = HTTPPort(address,
                               make_handler(version, kind, False, False,
                                            health, node))
            else:
                srv = AcceptClosePort(address)
        except OSError as exc:
            for _, other in servers:
                other.server_close()
            return [], (f"cannot bind port {port} ({base} + offset {offset}): "
                        f"{exc.strerror or _one_line(exc)}")
        srv.in_flight = in_flight
        servers.append((port, srv))
    return servers, None


def graceful_stop(servers, in_flight, logger, timeout=DRAIN_TIMEOUT):
    """Stop like the real passthrough transport on SIGTERM.

    wso2-synapse PassThroughHttpListener.stop: pause the IO reactor (no
    new connections), wait while requests are being served (bounded by
    http.socket.timeout), then shut down.  Here: every port stops
    accepting and closes its listening socket (a new connection is
    refused), connections being handled get up to ``timeout`` seconds.
    """
    stoppers = [threading.Thread(target=srv.shutdown) for _, srv in servers]
    for thread in stoppers:
        thread.start()
    for thread in stoppers:
        thread.join(10)
    for _, srv in servers:
        srv.server_close()
    busy = in_flight.count() if in_flight is not None else 0
    logger.log("INFO", "Stopped accepting new connections; waiting for "
                       f"{busy} connection(s) in flight (up to {timeout:g} s)")
    if busy and not in_flight.wait_idle(timeout):
        logger.log("WARN", f"{in_flight.count()} connection(s) still in "
                           f"flight after {timeout:g} s; closing them")


def probe_upstream(logger, stop, name, host, port, verifier=None,
                   health=None):
    """Probe host:port until it works; log the outcome.

    With ``verifier`` (standin_tls.UpstreamVerifier) a TCP connection is
    not enough: the TLS handshake must verify too.  Until it does,
    ``health`` holds the reason (the node answers 503) and each new reason
    is logged as an ERROR line.
    """
    warned = False
    last_reason = None
    key = (name, host, port)
    while not stop.is_set():
        try:
            sock = socket.create_connection((host, port),
                                            timeout=PROBE_TIMEOUT)
        except OSError:
            if not warned:
                logger.log("WARN", f"UPSTREAM {name} {host}:{port} "
                                   "unreachable, retrying")
                warned = True
            stop.wait(PROBE_RETRY)
            continue
        if verifier is None:
            sock.close()
            logger.log("INFO", f"UPSTREAM {name} {host}:{port} reachable")
            return
        reason = verifier.handshake(sock, host)
        if reason is None:
            if health is not None:
                health.ok(key)
            logger.log("INFO", f"UPSTREAM {name} {host}:{port} reachable, "
                               "TLS verified")
            return
        if health is not None:
            health.fail(key, reason)
        if reason != last_reason:
            logger.log("ERROR", f"{reason} (upstream {name} {host}:{port})")
            last_reason = reason
        stop.wait(PROBE_RETRY)


def parse_args(argv):
    """--kind K --home H [--daemon] [--version V] [-Dkey=value ...].

    ``-D`` options are system properties (the last one of a key wins);
    -DportOffset=N sets ``port_offset``.
    """
    opts = {"kind": None, "home": None, "daemon": False, "version": None,
            "port_offset": None, "sysprops": dict(DEFAULT_SYSPROPS),
            "ignored": []}
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("--kind", "--home", "--version") and args:
            opts[arg[2:]] = args.pop(0)
        elif arg == "--daemon":
            opts["daemon"] = True
        elif arg.startswith("-D") and len(arg) > 2:
            key, _, value = arg[2:].partition("=")
            opts["sysprops"][key] = value
            if key == "portOffset":
                opts["port_offset"] = value
        else:
            opts["ignored"].append(arg)
    return opts


def _write_pid(home, pid):
    """Write <home>/wso2carbon.pid atomically (readers never see it empty)."""
    path = os.path.join(home, PID_FILE)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(f"{pid}\n")
    os.replace(tmp, path)


def _remove_pid(home, pid):
    path = os.path.join(home, PID_FILE)
    try:
        with open(path, encoding="ascii") as fh:
            if fh.read().strip() == str(pid):
                os.unlink(path)
    except OSError:
        pass


def _daemonise(home, kind):
    """Fork; the parent records the child's pid and exits 0."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid > 0:
        _write_pid(home, pid)
        print(f"Stand-in {kind} started in the background, pid {pid}",
              flush=True)
        os._exit(0)
    os.setsid()
    console = os.open(os.path.join(home, CONSOLE_REL),
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(console, 1)
    os.dup2(console, 2)
    os.close(devnull)
    os.close(console)


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    kind, home = opts["kind"], opts["home"]
    if kind not in KINDS or not home:
        print(f"usage: standin_server.py --kind {{{','.join(KINDS)}}} "
              "--home CARBON_HOME [--daemon] [-DportOffset=N]",
              file=sys.stderr)
        return 2
    home = os.path.abspath(home)  # no symlink resolution
    logger = Logger(os.path.join(home, LOG_REL))

    def refuse(message):
        logger.log("ERROR", message)
        return 1

    version = opts["version"] or read_version(home)
    if not version:
        return refuse(f"cannot read the product version from {VERSION_REL}")
    java_home = os.environ.get("JAVA_HOME", "")
    major, err = java_check(version, java_home)
    if err:
        return refuse(err)
    sysprops = opts["sysprops"]
    config, err = load_config(home)
    if err:
        return refuse(err)
    # The 4.7 start script's key generator runs before the server reads
    # anything: a $secret{}/$env{} key counts as present.
    config, warning, err = standin_checks.ensure_encryption_key(
        version, home, config, check=False)
    if err:
        return refuse(err)
    if warning:
        logger.log("WARN", warning)
    config, vault_info, err = standin_vault.resolve(home, config)
    if err:
        return refuse(err)
    if vault_info:
        logger.log("INFO", vault_info)
    err = standin_checks.encryption_key_problem(version, config, os.environ,
                                                sysprops)
    if err:
        return refuse(err)
    err = check_config_data(kind, config, home)
    if err:
        return refuse(err)
    offset, err = resolve_offset(config, opts["port_offset"])
    if err:
        return refuse(err)

    verifier_mode = standin_tls.hostname_verifier(sysprops)
    logger.log("INFO", f"Starting {PRODUCT}-{version} stand-in ({kind}) "
                       f"offset={offset}")
    update_level, note = read_update_level(home)
    if note:
        logger.log("WARN", f"{note}; reporting update level -1")
    logger.log("INFO", f"WSO2 Update level {update_level} "
                       f"({UPDATES_CONFIG_REL})")
    logger.log("INFO", f"Using JAVA_HOME={java_home} (Java {major}); "
                       "-D system properties are read "
                       f"(httpclient.hostnameVerifier={verifier_mode}), "
                       "other JVM options are ignored by the stand-in")
    err = check_databases(config, db_wait_seconds(), logger.log)
    if err:
        return refuse(err)
    node_tls, err = standin_tls.load_node_tls(home, config)
    if err:
        return refuse(err)
    logger.log("INFO", node_tls.summary)
    health = standin_tls.UpstreamHealth()
    in_flight = InFlight()
    node = {"node": _server_hostname(config), "version": version,
            "update_level": update_level}
    servers, err = bind_ports(kind, offset, version,
                              node_tls.server_context, health, node,
                              in_flight)
    if err:
        return refuse(err)

    if opts["daemon"]:
        _daemonise(home, kind)  # the parent wrote the pid file
    else:
        _write_pid(home, os.getpid())
    pid = os.getpid()

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    for _, srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={
            "poll_interval": 0.2}, daemon=True).start()
    ports = ",".join(str(p) for p, _ in servers)
    logger.log("INFO", f"Stand-in ({kind}) listening on ports {ports}, "
                       f"pid {pid}")

    hostname = _server_hostname(config)
    for name, url in upstream_urls(config):
        if not parse_endpoint(url, offset, hostname):
            logger.log("WARN", f"UPSTREAM {name} {url} cannot be parsed, "
                               "not probed")
    verifier = standin_tls.UpstreamVerifier(node_tls.trusted, verifier_mode)
    for name, host, port, tls in extract_upstream_endpoints(config, offset):
        threading.Thread(target=probe_upstream,
                         args=(logger, stop, name, host, port,
                               verifier if tls else None, health),
                         daemon=True).start()

    while not stop.wait(0.2):
        pass
    logger.log("INFO", "Shutting down")
    graceful_stop(servers, in_flight, logger)
    _remove_pid(home, pid)
    logger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
