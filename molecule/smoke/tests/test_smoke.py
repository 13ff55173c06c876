"""The lab itself: systemd boots in each container and a stand-in pack starts under its JDK."""

import re

from testinfra_helpers import node_name, services_version

EXPECTED = {
    "smoke-bookworm": ("4.5.0", 17),
    "smoke-trixie": ("4.7.0", 21),
}


def _expected(host):
    return EXPECTED[node_name(host)]


def test_systemd_is_pid_1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded")


def test_image_jdk_matches_the_image(host):
    _, major = _expected(host)
    out = host.run("java -version").stderr
    assert re.search(r'version "%d[.\"]' % major, out), out


def test_standin_answers_services_version(host):
    version, _ = _expected(host)
    body = services_version(host)
    assert "WSO2 API Manager-%s" % version in body
    assert host.socket("tcp://0.0.0.0:9443").is_listening
    assert host.socket("tcp://0.0.0.0:8243").is_listening


def test_gateway_healthcheck_over_tls(host):
    code = host.check_output(
        "curl -sk -o /dev/null -w '%{http_code}' "
        "https://127.0.0.1:9443/api/am/gateway/v2/server-startup-healthcheck"
    )
    assert code == "200"


def test_standin_logged_its_start(host):
    version, _ = _expected(host)
    log = host.file("/opt/wso2am-universal-gw-%s/repository/logs/wso2carbon.log" % version)
    assert "Starting WSO2 API Manager-%s" % version in log.content_string
