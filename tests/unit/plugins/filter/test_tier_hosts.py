# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.tier_hosts import tier_hosts


@pytest.mark.parametrize("limit_to", ["all", "", None, "all,gateway", ["all"]])
def test_all_selects_every_tier(limit_to):
    for tier in ("database", "control_plane", "key_manager", "traffic_manager", "gateway", "load_balancer"):
        assert tier_hosts(tier, limit_to) == tier


def test_comma_separated_survey_answer_selects_only_those_tiers():
    assert tier_hosts("gateway", "gateway, traffic_manager") == "gateway"
    assert tier_hosts("traffic_manager", "gateway, traffic_manager") == "traffic_manager"
    assert tier_hosts("control_plane", "gateway, traffic_manager") == "all:!all"
    assert tier_hosts("database", ["gateway"]) == "all:!all"


def test_unknown_tier_in_limit_to_is_refused_with_the_accepted_names():
    with pytest.raises(AnsibleFilterError) as err:
        tier_hosts("gateway", "gateways")
    assert str(err.value) == (
        "wso2am.distributed.tier_hosts: wso2am_limit_to names unknown tier(s) gateways; "
        "accepted: all, database, control_plane, key_manager, traffic_manager, gateway, load_balancer"
    )


def test_the_load_balancer_is_a_tier_of_its_own():
    assert tier_hosts("load_balancer", "load_balancer") == "load_balancer"
    assert tier_hosts("load_balancer", "gateway") == "all:!all"
    assert tier_hosts("gateway", ["load_balancer"]) == "all:!all"


def test_unknown_play_tier_is_refused():
    with pytest.raises(AnsibleFilterError, match="unknown tier 'web'"):
        tier_hosts("web", "all")


def test_limit_to_of_a_wrong_type_is_refused():
    with pytest.raises(AnsibleFilterError, match="must be 'all', a comma-separated string or a list"):
        tier_hosts("gateway", 3)
