# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)
"""site.yml's rolling restart plays take the nodes that must restart in inventory order.

The tier's play adds a node to wso2am_restart_<component> when that node's tasks reach the
group_by, and the nodes of a tier run in parallel: the group's order is whichever node got there
first. The rolling play must not depend on that: operators list nodes in the order they want
them restarted, and the lab's drain tests check that order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

SITE = Path(__file__).resolve().parents[2] / "playbooks" / "site.yml"
COMPONENTS = ("control_plane", "key_manager", "traffic_manager", "gateway")


def _rolling_plays():
    plays = yaml.safe_load(SITE.read_text())
    return {play["name"]: play for play in plays if "rolling restart" in play["name"]}


def _hosts(play, groups):
    templar = Templar(loader=DataLoader(), variables={"groups": groups})
    return list(templar.template(trust_as_template(play["hosts"])))


def test_one_rolling_play_per_component():
    found = {comp for comp in COMPONENTS for play in _rolling_plays().values() if f"wso2am_restart_{comp}" in play["hosts"]}
    assert found == set(COMPONENTS)


@pytest.mark.parametrize("comp", COMPONENTS)
def test_rolling_play_restarts_in_inventory_order(comp):
    (play,) = [p for p in _rolling_plays().values() if f"wso2am_restart_{comp}" in p["hosts"]]
    tier = [f"{comp}-{i}" for i in range(1, 6)]
    # Nodes 5, 1 and 3 changed; they reached the group_by in that order.
    groups = {comp: tier, f"wso2am_restart_{comp}": [tier[4], tier[0], tier[2]]}
    assert _hosts(play, groups) == [tier[0], tier[2], tier[4]]


@pytest.mark.parametrize("comp", COMPONENTS)
def test_rolling_play_has_no_host_when_nothing_changed(comp):
    (play,) = [p for p in _rolling_plays().values() if f"wso2am_restart_{comp}" in p["hosts"]]
    assert _hosts(play, {comp: ["a", "b"]}) == []
    assert _hosts(play, {}) == []
