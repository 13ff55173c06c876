# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The deployment's certificates and WSO2's secure vault, decided on the controller.

* :func:`node_sans` - the subject alternative names of a node's TLS certificate: every name and
  address the inventory gives the host (wso2am_hostname, ansible_host unless loopback, the
  inventory name, wso2am_public_hostname, and the public names the collection's load balancer
  gives it), so that whatever name a peer, the load balancer or a browser uses, the certificate
  covers it.
* :func:`vault_references` - a node's deployment.toml with every secret replaced by
  ``$secret{alias}``, and the secrets by alias.
* :func:`vault_encrypt` - the ``[secrets]`` table: each secret encrypted the way WSO2's cipher
  tool does: 4.5/4.6 asymmetric (Cipher "RSA", PKCS#1 v1.5, with the primary certificate,
  base64), 4.7 key-based (AES-256-GCM with the 4.7 encryption key, base64 of the JSON
  ``{"cipherText", "iv"}``). Both are randomised, so a ciphertext already on the node is kept
  whenever it still decrypts to the wanted value: a re-run with the same secrets changes nothing.

Facts and sources: docs/security-facts.md. No Ansible import; ``cryptography`` (a dependency of
ansible-core) is imported only by the functions that encrypt.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_toml import (
    SECRET_TABLES,
    _is_placeholder,
    is_secret_key,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    _is_list,
    is_loopback,
    Wso2amModelError,
)

SECRETS_TABLE = "secrets"
# The fact playbooks/_pki_issue.yml sets: the load balancer's public names for this host.
PUBLIC_NAMES_FACT = "_wso2am_pki_public_names"
# What render.yml shows in [secrets]: the ciphertexts are made on the controller at deployment,
# with the deployment's primary key, and differ per node.
RENDER_PLACEHOLDER = "(encrypted with the primary certificate at deployment)"
_ALIAS_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


def _san(name):
    text = str(name).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return f"IP:{ipaddress.ip_address(text)}"
    except ValueError:
        return f"DNS:{text.lower()}"


def node_sans(host, hostvars):
    """Subject alternative names (``DNS:name`` / ``IP:address``) for the TLS certificate of ``host``.

    ``hostvars`` are the host's variables. Loopback names and addresses are left out: a
    certificate for ``localhost`` proves nothing about which node answered.
    ``_wso2am_pki_public_names`` (set by playbooks/_pki_issue.yml when the inventory has a
    ``load_balancer`` group): on a load balancer host every public hostname it serves, on a
    control plane or gateway host the public hostname the load balancer reaches it by (nginx
    verifies the node's certificate against that name when it re-encrypts).
    """
    hv = hostvars if isinstance(hostvars, Mapping) else {}
    names = [hv.get("wso2am_hostname"), hv.get("ansible_host"), host, hv.get("wso2am_public_hostname")]
    public = hv.get(PUBLIC_NAMES_FACT) or []
    if isinstance(public, str):
        public = [public]
    if not _is_list(public):
        raise Wso2amModelError(f"{PUBLIC_NAMES_FACT} of host '{host}' must be a list of names, got {type(public).__name__}")
    names.extend(public)
    extra = hv.get("wso2am_pki_extra_sans") or []
    if isinstance(extra, str):
        extra = extra.split(",")
    if not _is_list(extra):
        raise Wso2amModelError(
            f"wso2am_pki_extra_sans on host '{host}' must be a list of names or addresses, got {type(extra).__name__}"
        )
    names.extend(extra)
    sans = []
    for name in names:
        if name is None or not str(name).strip() or is_loopback(name):
            continue
        san = _san(name)
        if san not in sans:
            sans.append(san)
    if not sans:
        raise Wso2amModelError(
            f"host '{host}' has no name or address for its TLS certificate (rule: the certificate must name "
            f"the host as its peers reach it); set wso2am_hostname on host '{host}'"
        )
    return sans


# --------------------------------------------------------------------------
# Secure vault
# --------------------------------------------------------------------------

def _alias(path):
    return _ALIAS_UNSAFE.sub("_", "_".join(str(part) for part in path)).strip("_").lower()


def _replace(value, path, secrets):
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if isinstance(item, Mapping) or _is_list(item):
                result[key] = _replace(item, path + (key,), secrets)
            elif (isinstance(item, str) and item
                  and is_secret_key(key, path[-1] if path else None)
                  and not _is_placeholder(item)):
                alias = _alias(path + (key,))
                if alias in secrets and secrets[alias] != str(item):
                    raise Wso2amModelError(f"two secrets of deployment.toml map to the secure vault alias {alias!r}")
                secrets[alias] = str(item)
                result[key] = f"$secret{{{alias}}}"
            else:
                result[key] = item
        return result
    if _is_list(value):
        return [_replace(item, path + (str(index),), secrets) for index, item in enumerate(value)]
    return value


def vault_references(config):
    """``(config with $secret{alias} for every secret, {alias: secret})``.

    Secrets are the values :func:`wso2am_toml.is_secret_key` names (passwords, [encryption] key,
    tokens ...), at any depth, except WSO2 placeholders such as ``${admin.password}``. The alias
    is the key's path joined with underscores (``database_apim_db_password``).
    """
    if not isinstance(config, Mapping):
        raise Wso2amModelError(f"secure vault: the node's configuration must be a mapping, got {type(config).__name__}")
    if any(str(key).lower() in SECRET_TABLES for key in config):
        raise Wso2amModelError(
            "wso2am_deployment_toml_extra sets [secrets] while the collection's secure vault is on "
            "(rule: the collection writes [secrets] itself); put the values in the tables that use them"
        )
    secrets = {}
    return _replace(config, (), secrets), secrets


def current_ciphertexts(toml_text):
    """The ``[secrets]`` table of a deployment.toml already on the node ({} when none or unreadable)."""
    if not toml_text:
        return {}
    try:
        data = tomllib.loads(toml_text)
    except (tomllib.TOMLDecodeError, TypeError, ValueError):
        return {}
    table = data.get(SECRETS_TABLE)
    if not isinstance(table, Mapping):
        return {}
    return {str(k): v for k, v in table.items() if isinstance(v, str)}


def _load_keys(private_key_pem, certificate_pem):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        private_key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise Wso2amModelError(f"secure vault: cannot read the primary key pair ({exc})") from None
    public = certificate.public_key()
    if public.public_numbers() != private_key.public_key().public_numbers():
        raise Wso2amModelError(
            "secure vault: the primary certificate does not belong to the primary private key; re-run playbooks/pki.yml"
        )
    return private_key, public


def _decrypts_to(private_key, ciphertext, wanted):
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        plain = private_key.decrypt(base64.b64decode(ciphertext, validate=True), padding.PKCS1v15())
    except ValueError:
        return False
    return plain == wanted


def aes_key(encryption_key):
    """The 32 bytes of a 4.7 encryption key: 64 hex characters, as WSO2's EncryptionKeyWrapper reads them."""
    text = str(encryption_key or "").strip()
    if not re.fullmatch(r"[0-9A-Fa-f]{64}", text):
        raise Wso2amModelError(
            "secure vault: the key-based vault of API-M 4.7 encrypts with wso2am_encryption_key, which must be "
            "64 hexadecimal characters (openssl rand -hex 32)"
        )
    return bytes.fromhex(text)


def _aes_encrypt(key, wanted):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, wanted, None)  # ciphertext followed by the 16-byte tag
    document = {"cipherText": base64.b64encode(sealed).decode("ascii"), "iv": base64.b64encode(iv).decode("ascii")}
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode("utf-8")).decode("ascii")


def _aes_decrypts_to(key, ciphertext, wanted):
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        document = json.loads(base64.b64decode(ciphertext, validate=True))
        sealed, iv = base64.b64decode(document["cipherText"]), base64.b64decode(document["iv"])
        return AESGCM(key).decrypt(iv, sealed, None) == wanted
    except (ValueError, KeyError, TypeError, InvalidTag):
        return False


def vault_encrypt(secrets, current, private_key_pem=None, certificate_pem=None, encryption_key=None, reveal=False):
    """``{alias: ciphertext}`` for ``secrets``, keeping each current ciphertext that still decrypts
    to its secret (``current`` is :func:`current_ciphertexts` of the node's file).

    With ``encryption_key`` (API-M 4.7) the vault is key-based (AES-GCM); else asymmetric with the
    primary key pair. Without key material (render.yml) every value is :data:`RENDER_PLACEHOLDER`,
    or with ``reveal`` the secret in the cipher tool's input form, ``[secret]``.
    """
    current = current or {}
    if reveal and not (encryption_key or private_key_pem):
        return {alias: f"[{secret}]" for alias, secret in secrets.items()}
    if encryption_key:
        key = aes_key(encryption_key)
        return {
            alias: (current[alias] if isinstance(current.get(alias), str)
                    and _aes_decrypts_to(key, current[alias], str(secret).encode("utf-8"))
                    else _aes_encrypt(key, str(secret).encode("utf-8")))
            for alias, secret in secrets.items()
        }
    if not private_key_pem or not certificate_pem:
        return {alias: RENDER_PLACEHOLDER for alias in secrets}
    from cryptography.hazmat.primitives.asymmetric import padding

    private_key, public_key = _load_keys(_bytes(private_key_pem), _bytes(certificate_pem))
    result = {}
    for alias, secret in secrets.items():
        wanted = str(secret).encode("utf-8")
        old = current.get(alias)
        if isinstance(old, str) and _decrypts_to(private_key, old, wanted):
            result[alias] = old
        else:
            result[alias] = base64.b64encode(public_key.encrypt(wanted, padding.PKCS1v15())).decode("ascii")
    return result


def _bytes(value):
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def with_secure_vault(config, current_toml="", private_key_pem=None, certificate_pem=None, encryption_key=None,
                      reveal=False):
    """A node's configuration with its secrets in WSO2's secure vault, ``[secrets]`` last.

    The cipher tool and the docs require ``[secrets]`` to be the last table of deployment.toml;
    the TOML writer keeps the order of the mapping, whose last key it is. ``encryption_key``
    (4.7) selects the key-based vault, else the primary key pair encrypts.
    """
    referenced, secrets = vault_references(config)
    referenced[SECRETS_TABLE] = vault_encrypt(
        secrets, current_ciphertexts(current_toml), private_key_pem, certificate_pem, encryption_key, reveal
    )
    return referenced
