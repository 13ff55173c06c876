# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)
"""Documentation shared by the collection's modules that only read a node (node_examine, node_health, reach)."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The attributes of a module that changes nothing."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing.
"""
