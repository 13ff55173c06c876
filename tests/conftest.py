# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Make ``ansible_collections.wso2am.distributed`` importable in a plain pytest run.

Shared by every test tree under ``tests/`` (``tests/unit``, ``tests/playbook``,
``tests/standin/tests``, ``tests/awx``) when pytest runs from the checkout's root, as
``make unit``, ``scripts/test.sh`` and ``python -m pytest tests/unit`` do.

When the repository is checked out at ``.../ansible_collections/wso2am/distributed``
(as ``ansible-test units`` arranges), the directory above ``ansible_collections``
goes on ``sys.path``. Otherwise a temporary directory gets
``ansible_collections/wso2am/distributed`` as a symlink to the repository root and
goes first on ``sys.path``; ``ansible_collections`` and ``ansible_collections.wso2am``
stay namespace packages, so collections installed elsewhere remain importable.

Nothing else is changed: no Ansible collection loader is installed, no fixture
is autouse. The directory that holds ``ansible_collections`` is ``COLLECTIONS_PATH``,
the session fixture ``wso2am_collections_path``, and the environment variable
``WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH`` (set here, seen by child processes):
tests that start Ansible pass it as ``ANSIBLE_COLLECTIONS_PATH``, so they find
this checkout from a clean clone, with no ``scripts/setup.sh`` run.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile

import pytest

_NAMESPACE = "wso2am"
_NAME = "distributed"
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collections_path():
    """Return a directory holding ansible_collections/wso2am/distributed -> the repository."""
    parent, name = os.path.split(_REPO_ROOT)
    grandparent, namespace = os.path.split(parent)
    above, collections = os.path.split(grandparent)
    if (collections, namespace, name) == ("ansible_collections", _NAMESPACE, _NAME):
        return above
    existing = os.environ.get("WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH")
    if existing and os.path.realpath(
        os.path.join(existing, "ansible_collections", _NAMESPACE, _NAME)
    ) == os.path.realpath(_REPO_ROOT):
        return existing
    root = tempfile.mkdtemp(prefix="wso2am-distributed-tests-")
    namespace_dir = os.path.join(root, "ansible_collections", _NAMESPACE)
    os.makedirs(namespace_dir)
    os.symlink(_REPO_ROOT, os.path.join(namespace_dir, _NAME), target_is_directory=True)
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


COLLECTIONS_PATH = _collections_path()
# Child processes (xdist workers, ansible runs) reuse the same tree; tests that start Ansible
# read it from here.
os.environ["WSO2AM_DISTRIBUTED_TEST_COLLECTIONS_PATH"] = COLLECTIONS_PATH
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)
importlib.invalidate_caches()


@pytest.fixture(scope="session")
def wso2am_collections_path():
    """The directory that holds ansible_collections/wso2am/distributed."""
    return COLLECTIONS_PATH
