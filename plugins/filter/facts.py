# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: facts
short_description: What WSO2 API Manager ships and requires for one version
version_added: 1.1.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Returns the facts the roles need about an API Manager version, from the collection's one table of
    WSO2 facts (their sources are listed in C(docs/fidelity.md)).
  - Fails for a version other than 4.5.x, 4.6.x or 4.7.x, with a message naming C(wso2am_version).
options:
  _input:
    description: The API Manager version, such as C(4.7.0).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Show the JDK range of the version
  ansible.builtin.debug:
    msg: "{{ (wso2am_version | wso2am.distributed.facts).java_min }}"
"""

RETURN = r"""
_value:
  description:
    - C(version), C(minor), C(java_min) and C(java_max) (the JDK range the start scripts accept), C(packs) and
      C(start_scripts) per component, C(health_path), C(readiness_paths) (per component that has
      one), C(encryption_key) (whether C([encryption] key) is required),
      C(keystore) and C(truststore) (the packs' store file names, types and public default passwords),
      C(mysql_collations) (the case-sensitive collations the version's docs accept), C(db_ports) and
      C(db_drivers) per database type, C(mysql_connector_url) (the default MySQL Connector/J on Maven Central)
      and C(supported_versions) (a regular expression).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import facts_for

FILTER_NAME = "wso2am.distributed.facts"


def facts(version):
    """Return the facts of ``version``."""
    result = facts_for(version)
    if result is None:
        raise AnsibleFilterError(
            f"{FILTER_NAME}: wso2am_version {version!r} is not supported (rule: this collection deploys "
            f"the WSO2 API Manager 4.5.x, 4.6.x and 4.7.x component packs, written like 4.7.0)"
        )
    return result


class FilterModule:
    """wso2am.distributed.facts filter."""

    def filters(self):
        return {"facts": facts}
