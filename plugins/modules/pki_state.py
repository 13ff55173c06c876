#!/usr/bin/python
# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)
"""Documentation of the action plugin plugins/action/pki_state.py (it has no module code)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: pki_state
short_description: Tell which parts of the controller-side PKI must be examined again (used by the PKI play)
description:
  - Keeps C(state.json) (mode 0600) in the PKI folder recording what the last successful issue produced
    (a salted digest of the inputs, the checksum and mode of every file and folder, each certificate's expiry).
  - With O(mode=check), compares it with the inputs and the files on disk and returns whether the shared
    part (CA, primary key pair) and which nodes must be examined again, with the reasons.
  - With O(mode=record), writes the state for the given nodes, keeping other hosts' entries. Nothing is
    written in check mode. The task always reports no change (the state is a record, not the deployment).
  - Internal to wso2am.distributed; it always acts on the controller, whatever the task's host.
    Give it C(no_log), since the inputs may hold passwords (they are only stored as a salted digest).
options:
  dir:
    description: The PKI folder (wso2am_pki_dir).
    type: path
    required: true
  mode:
    description: Compare (V(check)) or write the state (V(record)).
    type: str
    choices: [check, record]
    default: check
  shared:
    description: The shared part, a dict with C(inputs) (any data), C(files) and C(certs) (absolute paths).
    type: dict
    required: true
  nodes:
    description: Host name to a dict with C(inputs), C(files) and C(certs), like O(shared).
    type: dict
    required: true
  renew_days:
    description: A certificate that expires within this many days makes its part stale.
    type: int
    default: 30
author: wso2am.distributed contributors (@wso2am-distributed)
"""

EXAMPLES = r"""
- name: Find what must be examined
  wso2am.distributed.pki_state:
    dir: /srv/pki/lab
    shared: {inputs: {ca_name: lab CA}, files: [/srv/pki/lab/ca/ca.crt], certs: []}
    nodes:
      gw1: {inputs: {sans: ["DNS:gw1"]}, files: [/srv/pki/lab/nodes/gw1/tls.crt], certs: [/srv/pki/lab/nodes/gw1/tls.crt]}
    renew_days: 30
  register: pki
  delegate_to: localhost
  run_once: true
  no_log: true
"""

RETURN = r"""
shared_stale:
  description: Whether the CA and primary key pair must be examined (then every node is stale too).
  returned: mode is check
  type: bool
stale_hosts:
  description: The nodes whose certificates and keystores must be examined.
  returned: mode is check
  type: list
  elements: str
reasons:
  description: Why, one line per finding (no secret is named).
  returned: mode is check
  type: list
  elements: str
recorded:
  description: Whether state.json was written.
  returned: mode is record
  type: bool
"""
