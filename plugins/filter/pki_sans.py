# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: pki_sans
short_description: Subject alternative names of a node's TLS certificate
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Every name and address the inventory gives a host (C(wso2am_hostname), C(ansible_host) unless it is a
    loopback address, the inventory name, C(wso2am_public_hostname), C(wso2am_pki_extra_sans)), as
    C(DNS:name) or C(IP:address), without duplicates and without loopback names.
positional: hostvars
options:
  _input:
    description: The inventory name of the host.
    type: str
    required: true
  hostvars:
    description: The host's variables.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the names the node's certificate covers
  ansible.builtin.debug:
    msg: "{{ inventory_hostname | wso2am.distributed.pki_sans(hostvars[inventory_hostname]) }}"
"""

RETURN = r"""
_value:
  description: A list of C(DNS:name) and C(IP:address).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_pki import node_sans
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import Wso2amModelError

FILTER_NAME = "wso2am.distributed.pki_sans"


def pki_sans(host, hostvars):
    """Return the subject alternative names of ``host``'s certificate."""
    try:
        return node_sans(host, hostvars)
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.pki_sans filter."""

    def filters(self):
        return {"pki_sans": pki_sans}
