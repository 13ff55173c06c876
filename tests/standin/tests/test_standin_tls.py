"""Stand-in nodes serving TLS from [keystore.tls], resolving secure vault at
start-up and verifying TLS upstreams against [truststore]."""

from __future__ import annotations

import os
import signal
import socket

import pytest

import standin_server as ss
import standin_tls as tls
from pki_testlib import (SwappableTLSServer, keytool_path, make_ca,
                         make_leaf, pack_cert_der, served_cert_der,
                         vault_encrypt, write_p12, write_truststore)
from standin_testlib import log_lines, start_node, unverified_get, unzip, \
    wait_for

pytestmark = pytest.mark.skipif(keytool_path() is None, reason="no keytool")

GW = "wso2am-universal-gw-4.5.0"
SHARED_DB = """
[server]
hostname = "localhost"

[database.shared_db]
type = "h2"
url = "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"
"""
SECRET_CONF = """secVault.enabled=true
secretRepositories=file
secretRepositories.file.provider=org.wso2.securevault.secret.repository.FileBaseSecretRepositoryProvider
secretRepositories.file.location=repository/conf/security/cipher-text.properties
keystore.identity.location={home}/repository/resources/security/wso2carbon.jks
keystore.identity.type=JKS
keystore.identity.alias=wso2carbon
keystore.identity.store.password=identity.store.password
keystore.identity.store.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler
keystore.identity.key.password=identity.key.password
keystore.identity.key.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler
"""


@pytest.fixture(scope="module")
def pki():
    trusted = make_ca("Trusted Test CA")
    untrusted = make_ca("Untrusted Test CA")
    return {
        "trusted": trusted,
        "bad_leaf": make_leaf(untrusted, "km", dns=("localhost",)),
        "good_leaf": make_leaf(trusted, "km", dns=("upstream.example",),
                               ips=()),
        "expired": make_leaf(trusted, "old", expired=True),
        "node": make_leaf(trusted, "gw.example", dns=("gw.example",)),
    }


def _env(java_home, java_opts=""):
    env = dict(os.environ, JAVA_HOME=java_home, JAVA_OPTS=java_opts)
    return env


def _gateway(packs_dir, tmp_path, toml):
    home = unzip(packs_dir / f"{GW}.zip", tmp_path)
    (home / "repository/conf/deployment.toml").write_text(toml)
    return home


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0


def _refusal(home, env, processes):
    proc, offset = start_node(home / "bin/gateway.sh", "gateway", home, env,
                              processes)
    assert offset is None and proc.wait(10) == 1
    last = log_lines(home)[-1]
    assert last.startswith("ERROR ")
    return last


# ------------------------------------------------------------- unit level

def test_verifier_reasons(pki):
    verifier = tls.UpstreamVerifier([pki["trusted"].der()], "AllowAll", 5)
    strict = tls.UpstreamVerifier([pki["trusted"].der()], "Strict", 5)
    local = tls.UpstreamVerifier([pki["trusted"].der()],
                                 "DefaultAndLocalhost", 5)
    with SwappableTLSServer(pki["bad_leaf"]) as server:
        def shake(who, host="127.0.0.1"):
            sock = socket.create_connection(("127.0.0.1", server.port), 5)
            return who.handshake(sock, host)

        assert shake(verifier) == ("javax.net.ssl.SSLHandshakeException: "
                                   + tls.PATH_BUILDING)
        server.serve(pki["expired"])
        assert "validity check failed" in shake(verifier)
        server.serve(pki["good_leaf"])  # SAN DNS:upstream.example only
        assert shake(verifier) is None
        assert shake(strict, "upstream.example") is None
        assert shake(strict, "localhost") == (
            "javax.net.ssl.SSLHandshakeException: No subject alternative DNS "
            "name matching localhost found.")
        assert "No subject alternative names matching IP address " \
               "127.0.0.1 found" in shake(strict)
        assert shake(local, "localhost") is None
        assert shake(local, "other.example") is not None
    # a trusted intermediate is an anchor, as in a JDK trust store
    inter = make_leaf(pki["trusted"], "leaf")
    only_leaf = tls.UpstreamVerifier([inter.der()], "AllowAll", 5)
    with SwappableTLSServer(inter) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), 5)
        assert only_leaf.handshake(sock, "127.0.0.1") is None


def test_sysprops_and_tls_schemes():
    opts = ss.parse_args(["--kind", "gateway", "--home", "/x",
                          "-Dhttpclient.hostnameVerifier=Strict",
                          "-DportOffset=3", "-Da=1", "-Da=2", "-Db"])
    assert opts["port_offset"] == "3"
    assert opts["sysprops"] == {"httpclient.hostnameVerifier": "Strict",
                                "portOffset": "3", "a": "2", "b": ""}
    assert tls.hostname_verifier(ss.parse_args([])["sysprops"]) == "AllowAll"
    config = {"apim": {"key_manager": {"service_url": "https://km:9443/x"},
                       "event_hub": {
                           "service_url": "${carbon.protocol}://cp:9443/",
                           "event_listening_endpoints": ["tcp://cp:5672"]},
                       "throttling": {"url_group": [{
                           "traffic_manager_urls": ["tcp://tm:9611"],
                           "traffic_manager_auth_urls": ["ssl://tm:9711"]}]}}}
    assert ss.extract_upstream_endpoints(config) == [
        ("key_manager", "km", 9443, True),
        ("event_hub", "cp", 9443, True),
        ("event_hub_listener", "cp", 5672, False),
        ("traffic_manager", "tm", 9611, False),
        ("traffic_manager_auth", "tm", 9711, True)]


# ----------------------------------------------------------- process level

def test_tls_ports_serve_keystore_from_secure_vault(packs_dir, tmp_path, pki,
                                                    fake_java, processes):
    java_home = fake_java('openjdk version "17.0.15" 2025-04-15')
    home = unzip(packs_dir / f"{GW}.zip", tmp_path)
    sdir = home / tls.SECURITY_DIR
    write_p12(sdir / "gw-tls.p12", pki["node"], "gwtls", "tls-store-pw")
    cipher = vault_encrypt(pack_cert_der(home), "tls-store-pw")
    toml = SHARED_DB + f"""
[keystore.tls]
file_name = "gw-tls.p12"
type = "PKCS12"
password = "$secret{{tls_pw}}"
alias = "gwtls"
key_password = "$secret{{tls_pw}}"

[secrets]
tls_pw = "{cipher}"
"""
    (home / "repository/conf/deployment.toml").write_text(toml)
    (home / "repository/conf/security").mkdir(parents=True, exist_ok=True)
    (home / "repository/conf/security/secret-conf.properties").write_text(
        SECRET_CONF.format(home=home))
    env = _env(java_home)

    # no password file: no console to prompt on
    last = _refusal(home, env, processes)
    assert "[Enter KeyStore and Private Key Password :]" in last
    assert f"{home}/password-persist" in last

    (home / "password-tmp").write_text("wso2carbon\n")
    proc, offset = start_node(home / "bin/gateway.sh", "gateway", home, env,
                              processes)
    assert offset is not None, log_lines(home)
    assert not (home / "password-tmp").exists()
    for base in (9443, 8243, 8099, 8021):
        assert served_cert_der(base + offset) == pki["node"].der(), base
    text = "\n".join(log_lines(home))
    assert "Secure vault resolved 1 secret(s) (tls_pw)" in text
    assert "tls-store-pw" not in text and "wso2carbon\n" not in text
    assert (home / "repository/conf/security/cipher-text.properties"
            ).read_text() == f"tls_pw={cipher}\n"
    assert unverified_get(f"https://127.0.0.1:{9443 + offset}"
                          "/services/Version")[0] == 200
    _stop(proc)

    # the key cannot be loaded: refused, naming file and alias
    (home / "password-persist").write_text("wso2carbon")
    (home / "repository/conf/deployment.toml").write_text(
        toml.replace('alias = "gwtls"', 'alias = "nope"'))
    last = _refusal(home, env, processes)
    assert last.startswith("ERROR Error while loading the keystore of "
                           '[keystore.tls] file_name = "gw-tls.p12"')
    assert "alias nope not found" in last and "tls-store-pw" not in last
    assert (home / "password-persist").exists()


def test_upstream_tls_verification_and_health(packs_dir, tmp_path, pki,
                                              fake_java, processes):
    java_home = fake_java('openjdk version "17.0.15" 2025-04-15')
    with SwappableTLSServer(pki["bad_leaf"]) as km:
        home = _gateway(packs_dir, tmp_path, SHARED_DB + f"""
[truststore]
file_name = "trust.p12"
type = "PKCS12"
password = "trust-pw"

[apim.key_manager]
service_url = "https://127.0.0.1:{km.port}/services/"
""")
        write_truststore(home / tls.SECURITY_DIR / "trust.p12",
                         {"trusted-ca": pki["trusted"]}, "trust-pw", "PKCS12")
        proc, offset = start_node(home / "bin/gateway.sh", "gateway", home,
                                  _env(java_home), processes)
        assert offset is not None, log_lines(home)
        error = (f"ERROR javax.net.ssl.SSLHandshakeException: "
                 f"{tls.PATH_BUILDING} (upstream key_manager "
                 f"127.0.0.1:{km.port})")
        assert wait_for(lambda: error in log_lines(home), 10), \
            log_lines(home)
        version = f"http://127.0.0.1:{9763 + offset}/services/Version"
        ready = (f"https://127.0.0.1:{9443 + offset}"
                 "/api/am/gateway/v2/server-startup-healthcheck")
        for url in (version, ready, version.replace(
                f"http://127.0.0.1:{9763 + offset}",
                f"https://127.0.0.1:{9443 + offset}")):
            status, body = unverified_get(url)
            assert status == 503, url
            assert body.count("\n") == 1 and body.startswith(
                f"UNHEALTHY: upstream key_manager 127.0.0.1:{km.port} ")
            assert "PKIX path building failed" in body
        # the passthrough ports answer 503 too (the test API included)
        for base, scheme in ((8280, "http"), (8243, "https")):
            for path in ("/x", "/standin/echo/1.0.0"):
                status, body = unverified_get(
                    f"{scheme}://127.0.0.1:{base + offset}{path}")
                assert status == 503 and body.startswith("UNHEALTHY: ")

        km.serve(pki["good_leaf"])  # chain to the trusted CA
        ok = (f"INFO UPSTREAM key_manager 127.0.0.1:{km.port} reachable, "
              "TLS verified")
        assert wait_for(lambda: ok in log_lines(home), 10), log_lines(home)
        assert unverified_get(version)[0] == 200
        status, body = unverified_get(ready)
        assert status == 200 and "ready" in body
        assert log_lines(home).count(error) == 1  # retried, logged once
        echo = f"https://127.0.0.1:{8243 + offset}/standin/echo/1.0.0"
        assert unverified_get(echo)[0] == 200
        assert unverified_get(f"http://127.0.0.1:{8280 + offset}/x")[0] == 404
        _stop(proc)


def test_strict_hostname_verifier(packs_dir, tmp_path, pki, fake_java,
                                  processes):
    java_home = fake_java('openjdk version "17.0.15" 2025-04-15')
    with SwappableTLSServer(pki["good_leaf"]) as km:
        home = _gateway(packs_dir, tmp_path, SHARED_DB + f"""
[truststore]
file_name = "trust.jks"
type = "JKS"
password = "trust-pw"

[apim.key_manager]
service_url = "https://localhost:{km.port}/services/"
""")
        write_truststore(home / tls.SECURITY_DIR / "trust.jks",
                         {"trusted-ca": pki["trusted"]}, "trust-pw")
        env = _env(java_home, "-Xmx1g -Dhttpclient.hostnameVerifier=Strict")
        proc, offset = start_node(home / "bin/gateway.sh", "gateway", home,
                                  env, processes)
        assert offset is not None, log_lines(home)
        error = ("ERROR javax.net.ssl.SSLHandshakeException: No subject "
                 "alternative DNS name matching localhost found. (upstream "
                 f"key_manager localhost:{km.port})")
        assert wait_for(lambda: error in log_lines(home), 10), \
            log_lines(home)
        assert any("httpclient.hostnameVerifier=Strict" in line
                   for line in log_lines(home))
        assert unverified_get(
            f"http://127.0.0.1:{9763 + offset}/services/Version")[0] == 503
        _stop(proc)

        # a -D argument of the script wins over JAVA_OPTS
        proc, offset = start_node(
            home / "bin/gateway.sh", "gateway", home, env, processes,
            args=("-Dhttpclient.hostnameVerifier=AllowAll",))
        assert offset is not None
        ok = (f"INFO UPSTREAM key_manager localhost:{km.port} reachable, "
              "TLS verified")
        assert wait_for(lambda: ok in log_lines(home), 10), log_lines(home)
        _stop(proc)


def test_pack_default_keystore_trusted_between_nodes(packs_dir, tmp_path,
                                                     fake_java, processes):
    """Two stand-ins with the packs' own keystores trust each other (the
    traffic manager's 9711 is a TLS port)."""
    java_home = fake_java('openjdk version "17.0.15" 2025-04-15')
    tm_home = unzip(packs_dir / "wso2am-tm-4.5.0.zip", tmp_path / "tm")
    tm, tm_offset = start_node(tm_home / "bin/traffic-manager.sh",
                               "traffic_manager", tm_home, _env(java_home),
                               processes)
    assert tm_offset is not None, log_lines(tm_home)
    assert served_cert_der(9711 + tm_offset) == pack_cert_der(tm_home)
    home = _gateway(packs_dir, tmp_path / "gw", SHARED_DB + f"""
[[apim.throttling.url_group]]
traffic_manager_urls = ["tcp://127.0.0.1:{9611 + tm_offset}"]
traffic_manager_auth_urls = ["ssl://127.0.0.1:{9711 + tm_offset}"]
""")
    proc, offset = start_node(home / "bin/gateway.sh", "gateway", home,
                              _env(java_home), processes)
    assert offset is not None, log_lines(home)
    ok = (f"INFO UPSTREAM traffic_manager_auth 127.0.0.1:{9711 + tm_offset} "
          "reachable, TLS verified")
    assert wait_for(lambda: ok in log_lines(home), 10), log_lines(home)
    assert f"INFO UPSTREAM traffic_manager 127.0.0.1:{9611 + tm_offset} " \
           "reachable" in log_lines(home)
    _stop(proc)
    _stop(tm)
