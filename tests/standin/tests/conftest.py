"""Fixtures for the stand-in packs' own tests (tests/standin/tests/; the packs: tests/standin/)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
STANDIN_DIR = HERE.parent
SERVER_DIR = STANDIN_DIR / "pack_src" / "lib" / "standin"
for _path in (str(SERVER_DIR), str(STANDIN_DIR), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)


@pytest.fixture
def fake_java(tmp_path):
    """fake_java('openjdk version "17.0.15"', rc=0) -> a fake JAVA_HOME."""
    counter = [0]

    def make(version_text, rc=0):
        counter[0] += 1
        home = tmp_path / f"jdk{counter[0]}"
        (home / "bin").mkdir(parents=True)
        java = home / "bin" / "java"
        java.write_text("#!/bin/sh\n"
                        f"cat >&2 <<'EOF'\n{version_text}\nEOF\n"
                        f"exit {rc}\n")
        java.chmod(0o755)
        return str(home)

    return make


@pytest.fixture(scope="session")
def packs_dir(tmp_path_factory):
    """The three stand-in packs for 4.5.0, built once per session."""
    import build_packs

    out = tmp_path_factory.mktemp("packs")
    build_packs.build("4.5.0", out, log=lambda *_: None)
    return out


@pytest.fixture
def processes():
    """Register Popen objects here; their process groups die at teardown."""
    procs = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait(5)
