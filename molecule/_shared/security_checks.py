"""Checks shared by the scenarios that deploy with the collection's PKI and secure vault.

Unlike testinfra_helpers (which only read), each function here asserts: a scenario's test calls it
for its node (``host``) and the node's tier. Facts behind them: docs/security-facts.md.
"""

import os

from testinfra_helpers import (deployment_toml, files_containing, node_name, pki_dir, tls_upstreams,
                               truststore_aliases, truststore_bundle, verify_tls_from_node)

PRODUCT_FILES = ("/opt/wso2",)
UNIT_FILES = ("/etc/systemd/system",)


def _fingerprint(pem_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    with open(pem_path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read()).fingerprint(hashes.SHA256()).hex()


def every_tls_upstream_verifies(host, component):
    """Each https/wss/ssl endpoint the node's deployment.toml names, and the node's own HTTPS port under
    its inventory name, verifies against the node's truststore with the hostname the node uses."""
    conf = deployment_toml(host, component)
    bundle = truststore_bundle(host, component)
    targets = tls_upstreams(conf) + [(node_name(host), 9443 + conf["server"].get("offset", 0), "itself")]
    assert len(targets) > 1 or component == "traffic_manager", targets
    for hostname, port, where in targets:
        assert verify_tls_from_node(host, bundle, hostname, port) == "ok", (hostname, port, where)


def truststore_trusts_the_ca_and_the_primary(host, component):
    """The pack's truststore keeps its own entries and gains the CA and, under gateway_certificate_alias,
    the deployment's primary certificate (the JWT signer)."""
    aliases = truststore_aliases(host, component)
    pki = pki_dir(host)
    assert aliases["wso2am-ca"] == _fingerprint(os.path.join(pki, "ca", "ca.crt"))
    assert aliases["gateway_certificate_alias"] == _fingerprint(os.path.join(pki, "primary", "primary.crt"))
    # The pack's other entries (public CAs in a real pack) are still there.
    assert len(aliases) > 2, aliases


def secure_vault_is_on_and_password_tmp_is_gone(host, component):
    """Every password of deployment.toml is a $secret{} reference, [secrets] is the last table, the
    vault's keystore is the primary, and the product consumed password-tmp at start."""
    conf = deployment_toml(host, component)
    assert conf["super_admin"]["password"] == "$secret{super_admin_password}"
    assert conf["keystore"]["tls"]["password"] == "$secret{keystore_tls_password}"
    assert conf["keystore"]["tls"]["file_name"] == "wso2am-tls.p12" and conf["keystore"]["tls"]["type"] == "PKCS12"
    assert conf["keystore"]["primary"]["file_name"] == "wso2am-primary.p12"
    home = "/opt/wso2/%s" % component
    text = host.file("%s/repository/conf/deployment.toml" % home).content_string
    tables = [line.strip() for line in text.splitlines() if line.strip().startswith("[")]
    assert tables[-1] == "[secrets]", tables[-3:]
    secret_conf = host.file("%s/repository/conf/security/secret-conf.properties" % home).content_string
    assert "keystore.identity.location=%s/repository/resources/security/wso2am-primary.p12" % home in secret_conf
    # The vault's root secret (password-tmp, encryption-key-tmp for 4.7) was consumed at start.
    for name in ("password-tmp", "password", "password-persist", "encryption-key-tmp", "encryption-key",
                 "encryption-key-persist"):
        assert not host.file("%s/%s" % (home, name)).exists, name
    unit = host.file("/etc/systemd/system/wso2am-%s.service" % component.replace("_", "-")).content_string
    assert "LoadCredentialEncrypted=wso2am-vault-root:" in unit
    if "encryption" in conf:  # 4.7: the key-based vault, the key itself one of its secrets
        assert conf["encryption"]["key"] == "$secret{encryption_key}"
        assert "secretRepositories.file.encryptionMode=key.based.symmetric.encryption" in secret_conf
        assert "encryption-key-tmp" in unit
    else:
        assert "password-tmp" in unit


def no_secret_on_disk(host, secrets):
    """None of the inventory's secrets appears in any file of the product or in the unit files."""
    for name, value in secrets.items():
        found = files_containing(host, str(value), *(PRODUCT_FILES + UNIT_FILES))
        assert not found, "%s found in %s" % (name, found)
