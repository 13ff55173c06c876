# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Who is in the deployment: the hosts of an inventory group, and the ones being decommissioned.

A host marked ``wso2am_state: absent`` is left out of every group the model reads, so no other
node's configuration and no load balancer names it any more; site.yml then stops and disables its
services (its data stays).
"""

from __future__ import annotations

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import _text

STATES = ("present", "absent")


def _hostvars_of(hostvars, host):
    if hostvars is None:
        return {}
    try:
        found = hostvars.get(host) if hasattr(hostvars, "get") else hostvars[host]
    except KeyError:
        found = None
    return found if found is not None else {}


def host_state(hostvars, host):
    """'present' or 'absent' (wso2am_state of the host; anything else is left to the validation)."""
    value = _text(_hostvars_of(hostvars, host).get("wso2am_state"), f"wso2am_state on host '{host}'")
    return (value or "present").strip().lower()


def _group_members(groups, component, hostvars=None):
    """The hosts of group ``component`` in inventory order, once each; with ``hostvars``, without
    the hosts marked wso2am_state: absent."""
    hosts = groups.get(component) if hasattr(groups, "get") else None
    if hosts is None:
        return []
    if isinstance(hosts, str):
        hosts = [hosts]
    seen = []
    for host in hosts:
        host = str(host)
        if host not in seen and (hostvars is None or host_state(hostvars, host) != "absent"):
            seen.append(host)
    return seen


def absent_hosts(groups, hostvars, components):
    """The hosts of those groups marked wso2am_state: absent, in inventory order."""
    found = []
    for component in components:
        for host in _group_members(groups, component):
            if host not in found and host_state(hostvars, host) == "absent":
                found.append(host)
    return found
