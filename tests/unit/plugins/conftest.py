# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Fixtures shared by the filter and plugin_utils tests."""

from __future__ import annotations

import pytest

from .wso2am_samples import INVENTORIES


@pytest.fixture(params=sorted(INVENTORIES))
def any_inventory(request):
    """Each sample inventory in turn, as (name, groups, hostvars)."""
    groups, hostvars = INVENTORIES[request.param]()
    return request.param, groups, hostvars
