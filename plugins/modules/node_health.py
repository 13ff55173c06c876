#!/usr/bin/python
# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_health
short_description: Wait, on the node, until WSO2 API Manager answers its health URL and readiness check, then check its certificate
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Three checks in one module run, each only when the one before it passed, as the roles of wso2am.distributed
    wait for a node after a start or restart and check it on every run.
  - The health URL (plain HTTP on the node itself) must answer 200 with a body that holds O(health_expect); it is
    asked again every O(delay) seconds for at most O(timeout) seconds.
  - The readiness check (HTTPS on the node itself, certificate not verified), when given, must answer 200, with
    the same patience.
  - The certificate check, when given, asks O(tls_url) once, verifying the served certificate with O(ca_path) and
    the URL's host name; it must answer 200.
  - Never fails by itself; it reports each check's last answer, so that the caller can name the first that failed.
options:
  health_url:
    description: The health URL.
    type: str
    required: true
  health_expect:
    description: Text the health URL's answer must hold.
    type: str
    default: ""
  readiness_url:
    description: The readiness URL; empty for none.
    type: str
    default: ""
  tls_url:
    description: The URL whose certificate is checked; empty for none.
    type: str
    default: ""
  ca_path:
    description: The CA certificate (PEM) the served certificate must chain to.
    type: path
  timeout:
    description: Seconds to wait for the health URL, and again for the readiness check.
    type: int
    default: 300
  delay:
    description: Seconds between two tries.
    type: int
    default: 3
extends_documentation_fragment:
  - wso2am.distributed.read_only
"""

EXAMPLES = r"""
- name: Wait until the gateway is healthy
  wso2am.distributed.node_health:
    health_url: http://127.0.0.1:9763/services/Version
    health_expect: WSO2 API Manager-4.6.0
    readiness_url: https://127.0.0.1:9443/api/am/gateway/v2/server-startup-healthcheck
    tls_url: https://gw1.example.com:9443/services/Version
    ca_path: /opt/wso2/pki/ca.crt
    timeout: 300
  register: health
"""

RETURN = r"""
health:
  description: The health URL's last answer (status 0 when none came; msg says why).
  returned: always
  type: dict
  sample: {status: 200, content: "...WSO2 API Manager-4.6.0...", msg: OK}
ready:
  description: The readiness check's last answer, or C(skipped) when it was not asked.
  returned: always
  type: dict
tls:
  description: The certificate check's answer, or C(skipped) when it was not made.
  returned: always
  type: dict
"""

import time

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

REQUEST_TIMEOUT = 10
KEEP = 2000  # characters of an answer kept for the report


def _answer(status, body, msg):
    """The report of one answer; without content when there was none (the caller then shows msg)."""
    answer = {"status": status, "msg": msg}
    if body:
        answer["content"] = body[:KEEP]
    return answer


def ask(url, validate_certs=False, ca_path=None):
    """{status, content, msg} of one GET; status 0 when no HTTP answer came."""
    try:
        response = open_url(url, method="GET", validate_certs=validate_certs, ca_path=ca_path,
                            use_proxy=False, timeout=REQUEST_TIMEOUT, follow_redirects="none")
        body = to_text(response.read(), errors="surrogate_or_replace")
        return _answer(response.getcode(), body, "OK")
    except HTTPError as exc:
        try:
            body = to_text(exc.read(), errors="surrogate_or_replace")
        except Exception:  # pylint: disable=broad-except  # the body is only for the report
            body = ""
        return _answer(exc.code, body, f"HTTP Error {exc.code}: {exc.reason}")
    except URLError as exc:
        return _answer(0, "", f"Request failed: {exc.reason}")
    except Exception as exc:  # pylint: disable=broad-except  # a reset, a TLS failure: no answer
        return _answer(0, "", f"Request failed: {exc}")


def wait_for(check, good, timeout, delay, clock=time.monotonic, sleep=time.sleep):
    """Calls check() until good(answer) or timeout seconds have passed; returns the last answer."""
    deadline = clock() + max(0, timeout)
    while True:
        answer = check()
        if good(answer) or clock() + delay > deadline:
            return answer
        sleep(delay)


def run_checks(params, fetch=ask, clock=time.monotonic, sleep=time.sleep):
    timeout, delay = params["timeout"], max(1, params["delay"])
    expect = params["health_expect"] or ""
    skipped = {"skipped": True}
    health = wait_for(lambda: fetch(params["health_url"]),
                      lambda a: a["status"] == 200 and expect in a.get("content", ""), timeout, delay, clock, sleep)
    healthy = health["status"] == 200 and expect in health.get("content", "")
    ready = skipped
    if params["readiness_url"] and healthy:
        ready = wait_for(lambda: fetch(params["readiness_url"]), lambda a: a["status"] == 200, timeout, delay, clock, sleep)
    tls = skipped
    if params["tls_url"] and healthy and ready.get("status", 200) == 200:
        tls = fetch(params["tls_url"], validate_certs=True, ca_path=params["ca_path"])
    return {"health": health, "ready": ready, "tls": tls}


def main():
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "health_url": {"type": "str", "required": True},
            "health_expect": {"type": "str", "default": ""},
            "readiness_url": {"type": "str", "default": ""},
            "tls_url": {"type": "str", "default": ""},
            "ca_path": {"type": "path"},
            "timeout": {"type": "int", "default": 300},
            "delay": {"type": "int", "default": 3},
        },
        supports_check_mode=True,
    )
    if module.params["tls_url"] and not module.params["ca_path"]:
        module.fail_json(msg="node_health: tls_url needs ca_path (the CA the served certificate must chain to)")
    module.exit_json(changed=False, **run_checks(module.params))


if __name__ == "__main__":
    main()
