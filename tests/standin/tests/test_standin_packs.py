"""Build the stand-in packs, unpack them and run the stand-in servers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import build_packs
import standin_server as ss
from fake_mysql import FakeMySQL
from pki_testlib import SwappableTLSServer, pack_key, served_cert_der
from standin_testlib import (free_offset, http_get, log_lines, port_free,
                             real_java_home, unzip, wait_for)

VERSION = "4.5.0"
ACP = f"wso2am-acp-{VERSION}"
GW = f"wso2am-universal-gw-{VERSION}"
TM = f"wso2am-tm-{VERSION}"
WEBAPPS = "repository/deployment/server/webapps"

SCRIPTS = {
    ACP: ["api-cp.sh", "key-manager.sh", "profileSetup.sh"],
    GW: ["gateway.sh"],
    TM: ["traffic-manager.sh"],
}


def _env(java_home):
    env = dict(os.environ)
    env.pop("JAVA_HOME", None)
    if java_home:
        env["JAVA_HOME"] = java_home
    env["JAVA_OPTS"] = "-Dfoo=bar"
    env["JVM_MEM_OPTS"] = "-Xms256m -Xmx1024m"
    return env


def _need_java():
    home = real_java_home()
    if home is None:
        pytest.skip("no real JDK available")
    return home


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ----------------------------------------------------------------- building

def test_build_is_idempotent(packs_dir):
    zips = [packs_dir / f"{name}.zip" for name in SCRIPTS]
    assert all(z.is_file() for z in zips)
    jars = build_packs.driver_jars(packs_dir)
    assert sorted(jars) == ["mariadb", "mysql"]
    assert all(j.is_file() for j in jars.values())
    zips += list(jars.values())
    mtimes = [z.stat().st_mtime_ns for z in zips]
    messages = []
    again = build_packs.build(VERSION, packs_dir, log=messages.append)
    assert sorted(again) == sorted(zips[:3])
    assert messages and "up to date" in messages[0]
    assert [z.stat().st_mtime_ns for z in zips] == mtimes
    cli = subprocess.run([sys.executable, str(Path(build_packs.__file__)),
                          "--version", VERSION, "--out", str(packs_dir)],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and "up to date" in cli.stdout
    assert [z.stat().st_mtime_ns for z in zips] == mtimes


def test_zip_entries_carry_unix_modes(packs_dir):
    for top, scripts in SCRIPTS.items():
        with zipfile.ZipFile(packs_dir / f"{top}.zip") as zf:
            names = zf.namelist()
            assert all(n.startswith(top + "/") for n in names)
            for script in scripts:
                info = zf.getinfo(f"{top}/bin/{script}")
                assert info.create_system == 3
                assert stat.S_IMODE(info.external_attr >> 16) == 0o755
            lib = zf.getinfo(f"{top}/repository/components/lib/")
            assert lib.is_dir()
            assert not [n for n in names
                        if n.startswith(f"{top}/repository/components/lib/")
                        and not n.endswith("/")]


def test_unpacked_layout(packs_dir, tmp_path):
    for top, scripts in SCRIPTS.items():
        home = unzip(packs_dir / f"{top}.zip", tmp_path)
        assert home.name == top
        for script in scripts:
            path = home / "bin" / script
            assert os.access(path, os.X_OK), path
            assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
        assert (home / "bin/version.txt").read_text().strip() == \
            f"WSO2 API Manager-{VERSION}"
        assert "NOT WSO2" in (home / "README-STANDIN.txt").read_text()
        for module in ("standin_server.py", "standin_checks.py",
                       "standin_mysql.py"):
            assert (home / "lib/standin" / module).is_file(), module
        conf = home / "repository/conf/deployment.toml"
        config = ss.tomllib.loads(conf.read_text())
        assert config["server"]["hostname"] == "localhost"
        assert config["server"]["offset"] == 0
        assert config["server"]["server_role"] == "default"
        infer = json.loads((home / "repository/resources/conf/infer.json")
                           .read_text())
        assert list(infer["server.server_role"]) == ["default"]
        assert config["database"]["shared_db"]["type"] == "h2"
        assert ("apim_db" in config["database"]) == (top != GW)
        assert (home / "repository/components/lib").is_dir()
        assert list((home / "repository/components/lib").iterdir()) == []
        for rel in ("repository/logs", "repository/database",
                    "repository/resources/security/wso2carbon.jks",
                    "repository/resources/security/client-truststore.jks"):
            assert (home / rel).exists(), rel
        assert not (home / "repository/resources/security/"
                    "standin-tls.pem").exists()
        for module in ("standin_security.py", "standin_vault.py",
                       "standin_tls.py"):
            assert (home / "lib/standin" / module).is_file(), module
        for rel in ("dbscripts/mysql.sql", "dbscripts/postgresql.sql",
                    "dbscripts/apimgt/mysql.sql",
                    "dbscripts/apimgt/postgresql.sql"):
            sql = (home / rel).read_text()
            assert "CREATE TABLE" in sql and "IF NOT EXISTS" not in sql
        km_template = (home / "repository/resources/conf/"
                       "deployment-templates/key-manager.toml")
        assert km_template.is_file() == (top == ACP)
    acp_webapps = {p.name for p in (tmp_path / ACP / WEBAPPS).iterdir()}
    assert {"oauth2.war", "api#am#publisher.war", "api#am#devportal.war",
            "api#am#admin.war", "api#am#gateway#v2.war",
            "publisher"} <= acp_webapps
    assert "api#am#gateway#v2.war" in {
        p.name for p in (tmp_path / GW / WEBAPPS).iterdir()}


def test_keystores(packs_dir, tmp_path):
    java_home = _need_java()
    home = unzip(packs_dir / f"{GW}.zip", tmp_path)
    keytool = os.path.join(java_home, "bin", "keytool")
    sec = home / "repository/resources/security"
    out = subprocess.run(
        [keytool, "-list", "-keystore", str(sec / "wso2carbon.jks"),
         "-storepass", "wso2carbon", "-alias", "wso2carbon"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "PrivateKeyEntry" in out.stdout
    out = subprocess.run(
        [keytool, "-list", "-keystore", str(sec / "client-truststore.jks"),
         "-storetype", "JKS", "-storepass", "wso2carbon"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for alias in ("wso2carbon", "gateway_certificate_alias",
                  "standin-public-root-ca"):
        assert f"{alias}, " in out.stdout and "trustedCertEntry" in out.stdout


# ------------------------------------------------------------------ gateway

GW_TOML = """
[server]
hostname = "localhost"
offset = 0

[database.shared_db]
type = "h2"
url = "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"

[apim.key_manager]
service_url = "https://127.0.0.1:{km_port}/services/"

[apim.throttling]
throttle_decision_endpoints = ["tcp://127.0.0.1:{tm_port}"]
"""


def _listener(port=0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    return sock


def _closed_port():
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port_free(port):
            return port
    raise RuntimeError("no free port")


def _start_foreground(script, kind, home, java_home, processes):
    """Start ``script`` in the foreground on a free offset: (proc, offset).

    Retries with another offset when a port was taken meanwhile.
    """
    for _ in range(5):
        offset = free_offset(ss.PORTS[kind])
        proc = subprocess.Popen(
            [str(script), f"-DportOffset={offset}", "-Dsome.other=1"],
            env=_env(java_home), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(proc)
        ready = f"INFO Stand-in ({kind}) listening on ports"
        mine = f", pid {proc.pid}"

        def started():
            if any(line.startswith(ready) and line.endswith(mine)
                   for line in log_lines(home)):
                return "up"
            return "exited" if proc.poll() is not None else None

        state = wait_for(started, 20)
        if state == "up":
            return proc, offset
        if proc.poll() is None:
            break
        if not any("ERROR cannot bind port" in line
                   for line in log_lines(home)):
            break
    pytest.fail(f"{script} did not start; log: {log_lines(home)}")


def test_gateway_foreground(packs_dir, tmp_path, processes):
    java_home = _need_java()
    home = unzip(packs_dir / f"{GW}.zip", tmp_path)
    km = SwappableTLSServer(pack_key(home))  # https: a TLS peer
    tm_port = _closed_port()
    conf = home / "repository/conf/deployment.toml"
    conf.write_text(GW_TOML.format(km_port=km.port, tm_port=tm_port))
    proc, offset = _start_foreground(home / "bin/gateway.sh", "gateway",
                                     home, java_home, processes)
    tm = None
    try:
        version = http_get(
            f"http://127.0.0.1:{9763 + offset}/services/Version")
        assert version, f"no answer; log: {log_lines(home)}"
        assert version[0] == 200
        assert f"WSO2 API Manager-{VERSION}" in version[1]
        pem = tmp_path / "served.pem"
        pem.write_text(ssl.DER_cert_to_PEM_cert(
            served_cert_der(9443 + offset)))
        assert served_cert_der(9443 + offset) == pack_key(home)[1][0]
        pem = str(pem)
        health = http_get(f"https://localhost:{9443 + offset}"
                          "/api/am/gateway/v2/server-startup-healthcheck",
                          cafile=pem)
        assert health and health[0] == 200 and "ready" in health[1]
        tls_version = http_get(
            f"https://localhost:{9443 + offset}/services/Version", cafile=pem)
        assert tls_version and tls_version[0] == 200
        assert http_get(f"http://127.0.0.1:{8280 + offset}/x")[0] == 404
        for base in ss.PORTS["gateway"]:
            socket.create_connection(("127.0.0.1", base + offset), 2).close()

        lines = log_lines(home)
        assert (f"INFO Starting WSO2 API Manager-{VERSION} stand-in (gateway)"
                f" offset={offset}") in lines
        assert (home / "wso2carbon.pid").read_text().strip() == str(proc.pid)

        km_line = f"INFO UPSTREAM key_manager 127.0.0.1:{km.port}"\
                  " reachable, TLS verified"
        assert wait_for(lambda: km_line in log_lines(home), 5)
        warn = f"WARN UPSTREAM throttle_decision 127.0.0.1:{tm_port} " \
               "unreachable, retrying"
        assert wait_for(lambda: warn in log_lines(home), 5)
        tm = _listener(tm_port)  # comes up later: probe retries every 3 s
        ok = f"INFO UPSTREAM throttle_decision 127.0.0.1:{tm_port} reachable"
        assert wait_for(lambda: ok in log_lines(home), 8)
        assert log_lines(home).count(warn) == 1

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert "INFO Shutting down" in log_lines(home)
        assert not (home / "wso2carbon.pid").exists()
    finally:
        km.close()
        if tm:
            tm.close()
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=5)

    # refusal: a gateway without [database.shared_db]
    conf.write_text('[server]\nhostname = "localhost"\n')
    res = subprocess.run([str(home / "bin/gateway.sh"),
                          f"-DportOffset={offset}"], env=_env(java_home),
                         capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    last = log_lines(home)[-1]
    assert last.startswith("ERROR") and "[database.shared_db]" in last
    assert last in res.stderr

    # refusal: bad TOML
    conf.write_text("[server\n")
    res = subprocess.run([str(home / "bin/gateway.sh")], env=_env(java_home),
                         capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert log_lines(home)[-1].startswith("ERROR repository/conf/"
                                          "deployment.toml is not valid TOML")


# ------------------------------------------------- control plane / key manager

def test_profile_setup_and_key_manager_daemon(packs_dir, tmp_path):
    java_home = _need_java()
    real_home = unzip(packs_dir / f"{ACP}.zip", tmp_path / "opt")
    home = tmp_path / "control_plane"
    home.symlink_to(real_home)  # reached through a symlink, as deployed
    conf = home / "repository/conf/deployment.toml"
    original = conf.read_text()
    template = (home / "repository/resources/conf/deployment-templates/"
                "key-manager.toml").read_text()
    profile_setup = str(home / "bin/profileSetup.sh")

    bad = subprocess.run([profile_setup, "-Dprofile=gateway-worker"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "unknown profile" in bad.stderr
    none = subprocess.run([profile_setup], capture_output=True, text=True,
                          timeout=30)
    assert none.returncode != 0

    res = subprocess.run([profile_setup, "-Dprofile=key-manager"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert "Removed webapp api#am#publisher.war" in res.stdout
    assert conf.read_text() == template
    assert (home / "repository/conf/deployment.toml.backup").read_text() == \
        original
    webapps = {p.name for p in (home / WEBAPPS).iterdir()}
    assert "oauth2.war" in webapps and "keymanager-operations.war" in webapps
    assert not webapps & {"api#am#publisher.war", "api#am#devportal.war",
                          "api#am#admin.war", "api#am#gateway#v2.war",
                          "publisher", "devportal", "admin"}

    # --skipConfigOptimization leaves deployment.toml alone
    conf.write_text(template + "\n# edited by the test\n")
    res = subprocess.run([profile_setup, "-Dprofile=key-manager",
                          "--skipConfigOptimization"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0
    assert conf.read_text().endswith("# edited by the test\n")
    assert (home / "repository/conf/deployment.toml.backup").read_text() == \
        original

    km = str(home / "bin/key-manager.sh")
    # refusal: JAVA_HOME unset
    res = subprocess.run([km], env=_env(None), capture_output=True,
                         text=True, timeout=30)
    assert res.returncode != 0
    assert log_lines(real_home)[-1].startswith("ERROR JAVA_HOME is not set")

    pid_file = real_home / "wso2carbon.pid"
    pid = None
    try:
        for _ in range(5):  # retry when a port was taken meanwhile
            offset = free_offset(ss.PORTS["control_plane"])
            res = subprocess.run([km, "start", f"-DportOffset={offset}"],
                                 env=_env(java_home), capture_output=True,
                                 text=True, timeout=30)
            if "ERROR cannot bind port" not in res.stderr:
                break
        assert res.returncode == 0, res.stderr
        pid = int(pid_file.read_text())
        assert _pid_alive(pid)
        version = wait_for(lambda: http_get(
            f"http://127.0.0.1:{9763 + offset}/services/Version"))
        assert version and version[0] == 200
        assert (f"INFO Starting WSO2 API Manager-{VERSION} stand-in "
                f"(key_manager) offset={offset}") in log_lines(real_home)
        # a key manager has no JMS port
        assert port_free(5672 + offset)

        again = subprocess.run([km, "start", f"-DportOffset={offset}"],
                               env=_env(java_home), capture_output=True,
                               text=True, timeout=30)
        assert again.returncode == 0 and "already running" in again.stdout

        # refusal: port taken (the control plane wants 9443 + offset too)
        clash = subprocess.run([str(home / "bin/api-cp.sh"),
                                f"-DportOffset={offset}"],
                               env=_env(java_home), capture_output=True,
                               text=True, timeout=30)
        assert clash.returncode != 0
        assert any(line.startswith(f"ERROR cannot bind port {9443 + offset}")
                   for line in log_lines(real_home))
        assert int(pid_file.read_text()) == pid

        res = subprocess.run([km, "stop"], capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 0
        assert not _pid_alive(pid)
        assert not pid_file.exists()
        assert "INFO Shutting down" in log_lines(real_home)
    finally:
        pids = {pid}
        try:
            pids.add(int(pid_file.read_text()))
        except (OSError, ValueError):
            pass
        for leftover in pids - {None}:
            if _pid_alive(leftover):
                os.kill(leftover, signal.SIGKILL)


# ------------------------------------------- driver, collation, 4.7 key, role

CP_MYSQL_TOML = """
[server]
hostname = "localhost"
server_role = "default"

[database.apim_db]
type = "mysql"
url = "jdbc:mysql://127.0.0.1:{port}/apim_db?useSSL=false"
username = "apim"
password = "secret"
driver = "{driver}"

[database.shared_db]
type = "h2"
url = "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"
"""


def _refusal(script, home, java_home):
    res = subprocess.run([str(script)], env=_env(java_home),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    last = log_lines(home)[-1]
    assert last.startswith("ERROR ") and last in res.stderr
    return last


def test_control_plane_mysql_driver_and_collation(packs_dir, tmp_path,
                                                  processes, monkeypatch):
    java_home = _need_java()
    monkeypatch.setenv("STANDIN_DB_WAIT", "2")
    home = unzip(packs_dir / f"{ACP}.zip", tmp_path)
    lib = home / "repository/components/lib"
    jars = build_packs.driver_jars(packs_dir)
    conf = home / "repository/conf/deployment.toml"
    script = home / "bin/api-cp.sh"
    with FakeMySQL(collation="latin1_swedish_ci") as server:
        # MariaDB Connector/J: found, but API-M cannot pick a SQL dialect
        shutil.copy(jars["mariadb"], lib)
        conf.write_text(CP_MYSQL_TOML.format(port=server.port,
                                             driver="org.mariadb.jdbc.Driver"))
        last = _refusal(script, home, java_home)
        assert "Error occurred while initializing SQL Constants Manager" \
            in last and '"MariaDB Connector/J"' in last
        assert server.logins == []  # refused before connecting

        # MySQL Connector/J on a case-insensitive database
        shutil.copy(jars["mysql"], lib)
        conf.write_text(CP_MYSQL_TOML.format(
            port=server.port, driver="com.mysql.cj.jdbc.Driver"))
        last = _refusal(script, home, java_home)
        assert last.startswith(
            "ERROR [database.apim_db] database apim_db on 127.0.0.1:"
            f"{server.port} has collation latin1_swedish_ci")
        assert "ALTER DATABASE apim_db CHARACTER SET latin1 COLLATE " \
               "latin1_bin" in last

        # wrong password: the server's own text
        conf.write_text(conf.read_text().replace('"secret"', '"wrong"'))
        last = _refusal(script, home, java_home)
        assert "Cannot create PoolableConnectionFactory (Access denied for " \
               "user 'apim'@'localhost' (using password: YES))" in last

        # case-sensitive: starts
        server.collation = "latin1_bin"
        conf.write_text(conf.read_text().replace('"wrong"', '"secret"'))
        proc, _ = _start_foreground(script, "control_plane", home, java_home,
                                    processes)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0

    # database down: refused after STANDIN_DB_WAIT seconds
    last = _refusal(script, home, java_home)
    assert "Communications link failure" in last
    assert "gave up after 2 s" in last
    assert any(line.startswith("WARN [database.apim_db] cannot connect")
               for line in log_lines(home))


def test_47_gateway_key_and_server_role(tmp_path, fake_java, processes):
    out = tmp_path / "packs47"
    build_packs.build("4.7.0", out, log=lambda *_: None)
    home = unzip(out / "wso2am-universal-gw-4.7.0.zip", tmp_path)
    java_home = fake_java('openjdk version "21.0.5" 2024-10-15')
    script = home / "bin/gateway.sh"
    conf = home / "repository/conf/deployment.toml"
    original = conf.read_text()

    # no key: the node makes one, writes it and starts
    proc, _ = _start_foreground(script, "gateway", home, java_home, processes)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    key = ss.tomllib.loads(conf.read_text())["encryption"]["key"]
    assert len(key) == 64 and int(key, 16) >= 0
    assert conf.read_text().startswith(original)
    assert any(line.startswith("WARN [WARNING]: A random encryption key has been created")
               for line in log_lines(home))

    # a key that is not 64 hex characters
    conf.write_text(original + '\n[encryption]\nkey = "tooshort"\n')
    last = _refusal(script, home, java_home)
    assert last.startswith("ERROR [encryption] key in repository/conf/"
                           "deployment.toml is not a usable AES key")

    # server_role infer.json does not know
    conf.write_text(original.replace('server_role = "default"',
                                     'server_role = "gateway-worker"')
                    + f'\n[encryption]\nkey = "{key}"\n')
    last = _refusal(script, home, java_home)
    assert last.startswith('ERROR [server] server_role = "gateway-worker" '
                           "is not a value of server.server_role in ")
    assert 'known: "default"' in last
