#!/usr/bin/python
# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: reach
short_description: Check from the node that several host:port pairs accept a TCP connection, all at once
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Tries each target until it accepts a TCP connection or O(timeout) seconds have passed, every target at the
    same time, in one module run (M(ansible.builtin.wait_for) takes one run per target and waits for them one
    after the other). Never fails by itself; it reports which targets answered and which did not.
  - The connectivity gate of wso2am.distributed runs it before a node starts or restarts.
options:
  targets:
    description: What to reach.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Host name or address.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
      what:
        description: What the target is, for the report.
        type: str
        default: ""
  timeout:
    description: Seconds to keep trying each target.
    type: int
    default: 60
extends_documentation_fragment:
  - wso2am.distributed.read_only
"""

EXAMPLES = r"""
- name: Check the upstreams
  wso2am.distributed.reach:
    targets:
      - {host: tm1, port: 5672, what: traffic manager JMS}
      - {host: db1, port: 3306, what: database}
    timeout: 60
  register: gates
"""

RETURN = r"""
reached:
  description: The targets that accepted a connection, in the order given.
  returned: always
  type: list
  elements: dict
unreached:
  description: The targets that did not within the timeout, in the order given, each with the last error.
  returned: always
  type: list
  elements: dict
  sample: [{host: tm1, port: 5672, what: traffic manager JMS, error: Connection refused}]
"""

import socket
import threading
import time

from ansible.module_utils.basic import AnsibleModule


def try_until(host, port, timeout, clock=time.monotonic, pause=1.0):
    """None when host:port accepted a connection before the deadline, else the last error."""
    deadline = clock() + max(0, timeout)
    while True:
        left = deadline - clock()
        error = None
        try:
            with socket.create_connection((host, port), timeout=max(0.5, min(5.0, left))):
                return None
        except OSError as exc:
            error = exc.strerror or str(exc) or type(exc).__name__
        if clock() + pause > deadline:
            return error
        time.sleep(pause)


def check_all(targets, timeout):
    """(reached, unreached) with every target tried at the same time."""
    errors = [None] * len(targets)

    def one(index, target):
        errors[index] = try_until(target["host"], int(target["port"]), timeout)

    threads = [threading.Thread(target=one, args=(i, t), daemon=True) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reached, unreached = [], []
    for target, error in zip(targets, errors):
        entry = {"host": target["host"], "port": int(target["port"]), "what": target.get("what") or ""}
        if error is None:
            reached.append(entry)
        else:
            unreached.append(dict(entry, error=error))
    return reached, unreached


def main():
    module = AnsibleModule(
        argument_spec={
            "targets": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "host": {"type": "str", "required": True},
                    "port": {"type": "int", "required": True},
                    "what": {"type": "str", "default": ""},
                },
            },
            "timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    reached, unreached = check_all(module.params["targets"], module.params["timeout"])
    module.exit_json(changed=False, reached=reached, unreached=unreached)


if __name__ == "__main__":
    main()
