# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: validate
short_description: Every problem of an inventory, found on the controller before any host is contacted
version_added: 1.1.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Used by the first play of C(wso2am.distributed.site) and C(wso2am.distributed.render). Reads the inventory's
    C(groups) and C(hostvars) only (nothing connects to a host) and returns every problem at once, each naming the
    host(s), the variable and the fix; an empty list when there is none.
  - "Checks: unknown C(wso2am_*) variables (with the closest known name), values of the wrong type as YAML produced
    them (an unquoted password read as a number, a version as a float, a list as a string), choices, host names and
    URLs Java's URI parser rejects, default and weak passwords, JVM heap sizes, relative install paths,
    C(wso2am_deployment_toml_extra) that removes whole tables or adds datasources the database role never grants,
    several key managers without a load-balanced URL, duplicate gateway ids, several database hosts, an inventory
    without hosts, and everything the model refuses when it builds every node's configuration."
  - With O(check_files), also the files the inventory names on the controller (keystores, JDBC jar, packs).
positional: hostvars, specs, defaults
options:
  _input:
    description: The C(groups) of the inventory.
    type: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: raw
    required: true
  specs:
    description: The argument spec options of every setting, name to spec (C(type), C(choices), C(no_log)).
    type: dict
    required: true
  defaults:
    description:
      - The value of each setting a host does not set. Default (C(null)) is the specs' C(default) values, with
        C({{ playbook_dir }}) read as O(base_dir).
    type: dict
  check_files:
    description: Also check that the files the inventory names exist on the controller.
    type: bool
    default: false
  base_dir:
    description: The folder relative file paths are resolved against.
    type: str
    default: .
"""

EXAMPLES = r"""
- name: Stop with every problem of the inventory
  ansible.builtin.fail:
    msg: "{{ __problems | join('\n') }}"
  when: __problems | length > 0
  vars:
    __problems: "{{ groups | wso2am.distributed.validate(hostvars, __specs, base_dir=playbook_dir) }}"
"""

RETURN = r"""
_value:
  description: One line of text per problem; empty when the inventory is fine.
  type: list
  elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.template import accept_lazy_markers, get_first_marker_arg

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_validate import validate_inventory

FILTER_NAME = "wso2am.distributed.validate"


class _HostVars(Mapping):
    """One host's variables: a value whose template does not render raises ValueError when read
    (the validation reports it, naming the variable) instead of failing the whole task."""

    def __init__(self, variables):
        self._variables = variables

    def __getitem__(self, key):
        value = self._variables[key]
        if get_first_marker_arg((value,), {}) is not None:
            raise ValueError("its value is a template that does not render")
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except (KeyError, ValueError):
            return default

    def __contains__(self, key):
        return key in self._variables

    def __iter__(self):
        return iter(self._variables)

    def __len__(self):
        return len(self._variables)


class _AllHostVars(Mapping):
    def __init__(self, hostvars):
        self._hostvars = hostvars

    def __getitem__(self, host):
        return _HostVars(self._hostvars[host])

    def __contains__(self, host):
        return host in self._hostvars

    def __iter__(self):
        return iter(self._hostvars)

    def __len__(self):
        return len(self._hostvars)


@accept_lazy_markers
def validate(groups, hostvars, specs, defaults=None, check_files=False, base_dir="."):
    """Return the problems of the inventory."""
    if not hasattr(groups, "get"):
        raise AnsibleFilterError(f"{FILTER_NAME}: expects the 'groups' mapping of the inventory as input")
    return validate_inventory(groups, _AllHostVars(hostvars), specs, defaults, check_files=bool(check_files),
                              base_dir=base_dir)


class FilterModule:
    """wso2am.distributed.validate filter."""

    def filters(self):
        return {"validate": validate}
