# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.reach (the connectivity gate's check), on loopback only"""

from __future__ import annotations

import json
import socket

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wso2am.distributed.plugins.modules import reach


@pytest.fixture
def listening():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    return port


def test_reports_which_targets_answer_in_the_order_given(listening, closed_port):
    targets = [{"host": "127.0.0.1", "port": closed_port, "what": "traffic manager JMS"},
               {"host": "127.0.0.1", "port": listening, "what": "database"}]
    reached, unreached = reach.check_all(targets, timeout=0)
    assert reached == [{"host": "127.0.0.1", "port": listening, "what": "database"}]
    assert [(t["port"], t["what"]) for t in unreached] == [(closed_port, "traffic manager JMS")]
    assert unreached[0]["error"]


def test_keeps_trying_until_the_deadline(closed_port, monkeypatch):
    now = [0.0]
    tries = []

    def refuse(address, timeout):
        tries.append(now[0])
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(reach.socket, "create_connection", refuse)
    monkeypatch.setattr(reach.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    error = reach.try_until("127.0.0.1", closed_port, 5, clock=lambda: now[0])
    assert error == "Connection refused"
    assert tries == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_target_that_comes_up_later_is_reached(closed_port, monkeypatch):
    now = [0.0]

    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def up_after_two_seconds(address, timeout):
        if now[0] < 2:
            raise ConnectionRefusedError(111, "Connection refused")
        return Connection()

    monkeypatch.setattr(reach.socket, "create_connection", up_after_two_seconds)
    monkeypatch.setattr(reach.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    assert reach.try_until("db1", 3306, 60, clock=lambda: now[0]) is None


def test_the_module_never_fails_and_changes_nothing(listening, closed_port, capsys):
    args = {"targets": [{"host": "127.0.0.1", "port": listening}, {"host": "127.0.0.1", "port": closed_port}],
            "timeout": 0, "_ansible_check_mode": True}
    with patch_module_args(args), pytest.raises(SystemExit):
        reach.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False and "failed" not in result
    assert [t["port"] for t in result["reached"]] == [listening]
    assert [t["port"] for t in result["unreached"]] == [closed_port]
