# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Markers and session fixtures of the AWX tests (tests/awx).

Markers (select with -m):
  awx      every test here
  awx_lab  the ones that start containers (docker engine and the lab images needed)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from awxlib import DEFAULT_PACKS, REPO, run


def pytest_configure(config):
    config.addinivalue_line("markers", "awx: tests of the AWX path (awx/, execution-environment/)")
    config.addinivalue_line("markers", "awx_lab: AWX tests that create their own containers (docker)")


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.awx)


@pytest.fixture(scope="session")
def standin_packs() -> Path:
    """The stand-in packs (test fixtures imitating the WSO2 packs) for 4.5.0, built when missing."""
    out = Path(os.environ.get("WSO2AM_STANDIN_PACKS", DEFAULT_PACKS))
    run([sys.executable, str(REPO / "tests" / "standin" / "build_packs.py"), "--version", "4.5.0", "--out", str(out)])
    return out
