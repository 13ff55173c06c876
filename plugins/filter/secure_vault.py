# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: secure_vault
short_description: A node's deployment.toml with its secrets in WSO2's secure vault
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Replaces every secret of a node's configuration (passwords, the 4.7 C([encryption] key), tokens) by
    C($secret{alias}) and adds the C([secrets]) table, last as WSO2 requires, holding each secret encrypted with
    the primary certificate the way WSO2's cipher tool does (Cipher C(RSA), PKCS#1 v1.5, base64).
  - A ciphertext already on the node (in O(current_toml)) is kept when it still decrypts to the same secret, so a
    re-run with the same secrets changes nothing and a changed secret changes only the nodes that use it.
  - For API-M 4.7 (O(encryption_key) given) the vault is key-based (AES-256-GCM with that key), as the 4.7 docs
    recommend. Without key material (render.yml) the C([secrets]) values are a placeholder.
  - The key files are read on the controller. Facts and sources are in C(docs/security-facts.md).
positional: current_toml, private_key_path, certificate_path, encryption_key, reveal
options:
  _input:
    description: The node's configuration, from C(wso2am.distributed.node_config).
    type: dict
    required: true
  current_toml:
    description: The text of the node's current C(deployment.toml), or empty.
    type: str
    default: ""
  private_key_path:
    description: Path on the controller of the primary private key (PEM, unencrypted).
    type: path
  certificate_path:
    description: Path on the controller of the primary certificate (PEM).
    type: path
  encryption_key:
    description:
      - The API-M 4.7 encryption key (64 hex characters). Given, the vault is key-based as 4.7 recommends
        (AES-256-GCM, base64 of the JSON C({"cipherText", "iv"})) and the key files are not needed.
    type: str
  reveal:
    description:
      - Without key material, write each secret in the cipher tool's input form C([secret]) instead of a placeholder
        (the unmasked render).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Put the node's secrets in the secure vault
  ansible.builtin.set_fact:
    config: "{{ config | wso2am.distributed.secure_vault(current_toml, 'pki/primary/primary.key', 'pki/primary/primary.crt') }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The configuration, with C($secret{alias}) references and the C(secrets) table last.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_pki import with_secure_vault
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import Wso2amModelError

FILTER_NAME = "wso2am.distributed.secure_vault"


def _read(path):
    if not path:
        return None
    try:
        with open(str(path), "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise AnsibleFilterError(
            f"{FILTER_NAME}: cannot read {path} on the controller ({exc.strerror}); "
            f"run playbooks/pki.yml first (site.yml does)"
        ) from None


def secure_vault(config, current_toml="", private_key_path=None, certificate_path=None, encryption_key=None,
                 reveal=False):
    """Return ``config`` with its secrets as ``$secret{alias}`` and the ``secrets`` table last."""
    try:
        if encryption_key:
            return with_secure_vault(config, current_toml or "", encryption_key=encryption_key)
        return with_secure_vault(config, current_toml or "", _read(private_key_path), _read(certificate_path),
                                 reveal=bool(reveal))
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.secure_vault filter."""

    def filters(self):
        return {"secure_vault": secure_vault}
