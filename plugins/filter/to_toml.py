# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: to_toml
short_description: Write a dictionary as TOML
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Writes nested dictionaries and lists as a TOML document, without third-party Python libraries on the controller.
  - Dictionaries become C([a.b]) tables, lists of dictionaries C([[a.b]]) arrays of tables; within a table its plain
    values come first, then its sub-tables, then its arrays of tables, each in insertion order.
  - Keys that are not bare (letters, digits, C(_), C(-)) are quoted. C(null) values are left out.
  - The same input always gives the same output.
positional: mask_secrets
options:
  _input:
    description: The data to write.
    type: dict
    required: true
  mask_secrets:
    description:
      - Replace every secret value by C(********), unless the value is exactly one WSO2 placeholder such as
        C($ref{super_admin.password}) or C($secret{alias}).
      - Secrets are the values of keys named C(password), C(key_password), C(secret), C(client_secret), C(token),
        C(auth_token), C(access_token), C(apikey), C(api_key), C(private_key) or ending with C(_password), C(_secret)
        or C(_token) (any case, any depth), of C([encryption] key) and C([apim.ai] key), and every value under a
        table named C(secrets) (the aliases of WSO2's secure vault). C(token_types), C(key_manager) or C(auth_header)
        are not secrets.
      - For showing a configuration in a log or a diff, not for writing it.
    type: bool
    default: false
seealso:
  - plugin: wso2am.distributed.node_config
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Show a configuration without its secrets
  ansible.builtin.debug:
    msg: "{{ {'super_admin': {'username': 'admin', 'password': 's3cret'}} | wso2am.distributed.to_toml(mask_secrets=true) }}"
# msg: |
#   [super_admin]
#   username = "admin"
#   password = "********"
"""

RETURN = r"""
_value:
  description: The TOML document, ending with a newline.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    Wso2amModelError,
    to_bool,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    to_toml as _write_toml,
)

FILTER_NAME = "wso2am.distributed.to_toml"


def to_toml(data, mask_secrets=False):
    """Return ``data`` as a TOML document."""
    try:
        return _write_toml(data, mask=to_bool(mask_secrets, "mask_secrets"))
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.to_toml filter."""

    def filters(self):
        return {"to_toml": to_toml}
