# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: tier_hosts
short_description: The host pattern of a tier play, or none when the run is limited to other tiers
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Used by the tier plays of C(wso2am.distributed.site) to honour C(wso2am_limit_to), the variable an
    AWX survey (or C(-e)) sets to touch only some tiers.
  - Returns the input group name when O(limit_to) selects it, else the pattern C(all:!all), which matches
    no host, so the play is skipped.
  - O(limit_to) is C(all), a comma-separated string of tiers (C(database,gateway)) or a list of them.
    Unknown tier names fail with an error that lists the accepted ones.
positional: limit_to
options:
  _input:
    description: The tier (inventory group) of the play.
    type: str
    required: true
    choices: [database, control_plane, key_manager, traffic_manager, gateway, load_balancer]
  limit_to:
    description: The tiers to touch; C(all) (or empty) for every tier.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Universal Gateways
  hosts: "{{ 'gateway' | wso2am.distributed.tier_hosts(wso2am_limit_to | default('all')) }}"
  roles:
    - wso2am.distributed.gateway
"""

RETURN = r"""
_value:
  description: The group name, or C(all:!all) when the tier is not selected.
  type: str
"""

from ansible.errors import AnsibleFilterError

TIERS = ("database", "control_plane", "key_manager", "traffic_manager", "gateway", "load_balancer")
NONE_PATTERN = "all:!all"
FILTER_NAME = "wso2am.distributed.tier_hosts"


def selected_tiers(limit_to):
    """Return the set of tiers that ``limit_to`` selects."""
    if limit_to is None:
        return set(TIERS)
    if isinstance(limit_to, str):
        names = [part.strip() for part in limit_to.split(",")]
    elif isinstance(limit_to, (list, tuple)):
        names = [str(part).strip() for part in limit_to]
    else:
        raise AnsibleFilterError(f"{FILTER_NAME}: wso2am_limit_to must be 'all', a comma-separated string or a list, got {limit_to!r}")
    names = [name for name in names if name]
    if not names or "all" in names:
        return set(TIERS)
    unknown = sorted(set(names) - set(TIERS))
    if unknown:
        raise AnsibleFilterError(
            f"{FILTER_NAME}: wso2am_limit_to names unknown tier(s) {', '.join(unknown)}; "
            f"accepted: all, {', '.join(TIERS)}"
        )
    return set(names)


def tier_hosts(tier, limit_to):
    """Return ``tier`` when ``limit_to`` selects it, else a pattern that matches no host."""
    if tier not in TIERS:
        raise AnsibleFilterError(f"{FILTER_NAME}: unknown tier {tier!r}; accepted: {', '.join(TIERS)}")
    return tier if tier in selected_tiers(limit_to) else NONE_PATTERN


class FilterModule:
    """wso2am.distributed.tier_hosts filter."""

    def filters(self):
        return {"tier_hosts": tier_hosts}
