# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""What WSO2 API Manager 4.5-4.7 ships and requires, per version, as data.

Plain Python without Ansible imports. Every value here is traced to its public
source in docs/fidelity.md (keys of deployment.toml) or in the comment beside it;
the code that builds a node's configuration reads these tables instead of
branching on versions. Abbreviations in the comments:

* ``pa <tag>``: wso2/product-apim at that tag, e.g. ``pa v4.7.0
  api-control-plane/.../conf/deployment.toml`` is
  ``api-control-plane/modules/distribution/product/src/main/conf/deployment.toml``;
* ``helm <branch>``: wso2/helm-apim at that branch, ``distributed/<component>/confs/``;
* ``docs <v>``: WSO2's documentation of that API-M version (apim.docs.wso2.com).
"""

from __future__ import annotations

import re

COMPONENTS = ("control_plane", "gateway", "traffic_manager", "key_manager")
REQUIRED_COMPONENTS = ("control_plane", "gateway", "traffic_manager")

# The one version rule: the 4.5, 4.6 and 4.7 component packs (4.4 and older ship one
# all-in-one pack that this collection does not install).
VERSION_PATTERN = r"^4\.[5-7]\.\d+$"
_VERSION_RE = re.compile(VERSION_PATTERN)

# Component packs and start scripts (pa <tag> */modules/distribution/product/src/main/startup-scripts/).
PACKS = {
    "control_plane": "wso2am-acp",
    "key_manager": "wso2am-acp",
    "gateway": "wso2am-universal-gw",
    "traffic_manager": "wso2am-tm",
}
START_SCRIPTS = {
    "control_plane": "api-cp.sh",
    "key_manager": "key-manager.sh",
    "gateway": "gateway.sh",
    "traffic_manager": "traffic-manager.sh",
}

# Health: every node answers GET /services/Version on its HTTP port with "WSO2 API Manager-<v>"
# once up; a gateway is ready only when its startup health check answers 200, after every API
# is deployed (helm-apim's liveness and readiness probes).
HEALTH_PATH = "/services/Version"
READINESS_PATHS = {"gateway": "/api/am/gateway/v2/server-startup-healthcheck"}

# [server] server_role: every 4.5-4.7 component pack ships "default", and its
# resources/conf/infer.json maps no other value (pa v4.5.0, v4.6.0, v4.7.0, each pack).
# helm 4.5.x-4.7.x write gateway-worker / traffic-manager on GW / TM; the packs win.
SERVER_ROLE = "default"
KNOWN_SERVER_ROLES = ("default",)

# Per minor version. java: the JDK range the start scripts accept.
# gateway_types: [apim] gateway_type of the ACP pack's deployment.toml.
# gateway_id: [apim.gateway_notification] gateway_id is documented from 4.6 (docs 4.6.0).
# encryption_key: [encryption] key required (docs 4.7.0 symmetric encryption; helm 4.7.x).
# secure_vault: how the vault encrypts (docs/security-facts.md sections 4-5): "asymmetric" (RSA with
# the identity keystore, root secret = its password in password-tmp) or, 4.7, "key_based" (AES-GCM
# with a key read from encryption-key-tmp; the docs recommend it and Helm 4.7.x never pairs an
# asymmetric vault with 4.7's symmetric internal encryption).
# jwt_token_type: [[oauth.extensions.token_types]] JWT in the 4.7 ACP pack.
# local_db_url: [database.local] url of the ACP pack.
# gateway_analytics: [apim.analytics] of the gateway pack.
# mysql_collations: case-sensitive collations docs <v> changing-to-mysql accept.
VERSIONS = {
    "4.5": {
        "java": (11, 21),
        "gateway_types": "Regular,APK,AWS",
        "gateway_id": False,
        "encryption_key": False,
        "secure_vault": "asymmetric",
        "jwt_token_type": False,
        "local_db_url": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE",
        "gateway_analytics": {
            "enable": False,
            "config_endpoint": "https://localhost:8080/auth/v1",
            "auth_token": "",
        },
        "mysql_collations": ("latin1_bin",),
    },
    "4.6": {
        "java": (11, 21),
        "gateway_types": "Regular,APK,AWS,Azure,Kong,Envoy",
        "gateway_id": True,
        "encryption_key": False,
        "secure_vault": "asymmetric",
        "jwt_token_type": False,
        "local_db_url": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE",
        "gateway_analytics": {"enable": False, "type": "moesif"},
        "mysql_collations": ("latin1_bin",),
    },
    "4.7": {
        "java": (21, 25),
        "gateway_types": "Regular,APK,AWS,Azure,Kong,Envoy,APIPlatform",
        "gateway_id": True,
        "encryption_key": True,
        "secure_vault": "key_based",
        "jwt_token_type": True,
        "local_db_url": (
            "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;DB_CLOSE_DELAY=-1"
        ),
        "gateway_analytics": {"enable": False, "type": "moesif"},
        "mysql_collations": ("utf8mb4_bin", "latin1_bin"),
    },
}

# Ports at offset 0 (docs: default ports of WSO2 API-M). Every one moves with [server] offset.
BASE_PORTS = (
    ("https", 9443),
    ("http", 9763),
    ("jms", 5672),
    ("binary", 9611),
    ("binary_ssl", 9711),
)
GATEWAY_PORTS = (
    ("passthrough_https", 8243),
    ("passthrough_http", 8280),
    ("ws", 9099),
    ("wss", 8099),
    ("websub_http", 9021),
    ("websub_https", 8021),
)
MAX_PORT = 65535

# Datasource types. API-M chooses its SQL dialect from the JDBC driver's name
# (carbon-apimgt SQLConstantManagerFactory): a name without MySQL, H2, MS SQL,
# Microsoft, PostgreSQL or Oracle (DB2 is matched by product name) stops the node with
# "Error occurred while initializing SQL Constants Manager" (product-apim issue 9266:
# the MariaDB Connector/J reports "MariaDB Connector/J"). drivers: the classes whose
# reported name API-M accepts, with that name.
DB_TYPES = {
    "mysql": {
        "toml_type": "mysql",
        "scheme": "mysql",
        "port": 3306,
        "driver": "com.mysql.cj.jdbc.Driver",
        "drivers": {
            "com.mysql.cj.jdbc.Driver": "MySQL Connector/J",
            "com.mysql.jdbc.Driver": "MySQL Connector/J",
        },
        # docs changing-to-mysql: useSSL=false; MySQL 8 users (caching_sha2_password)
        # without TLS also need allowPublicKeyRetrieval=true.
        "url_options": "useSSL=false&allowPublicKeyRetrieval=true",
    },
    "postgresql": {
        "toml_type": "postgre",
        "scheme": "postgresql",
        "port": 5432,
        "driver": "org.postgresql.Driver",
        "drivers": {"org.postgresql.Driver": "PostgreSQL JDBC Driver"},
        "url_options": None,
    },
}
# Driver classes whose reported name API-M rejects, with that name.
REJECTED_DRIVERS = {
    "org.mariadb.jdbc.Driver": "MariaDB Connector/J",
    "software.amazon.jdbc.Driver": "Amazon Web Services (AWS) Advanced JDBC Wrapper",
}
# Names API-M accepts (SQLConstantManagerFactory).
ACCEPTED_DRIVER_NAME_PARTS = ("MySQL", "H2", "MS SQL", "Microsoft", "PostgreSQL", "Oracle")
# Default MySQL Connector/J: Maven Central, with the checksum file Maven publishes beside it.
MYSQL_CONNECTOR_VERSION = "8.4.0"
MYSQL_CONNECTOR_URL = (
    "https://repo1.maven.org/maven2/com/mysql/mysql-connector-j/{v}/mysql-connector-j-{v}.jar"
)

# What a gateway keeps when it does not use the real shared database: the registry and
# user store must still point at a datasource (docs: distributed deployment, gateway).
H2_SHARED_DB = {
    "type": "h2",
    "url": "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE",
    "username": "wso2carbon",
    "password": "wso2carbon",
}

# The packs' keystore and truststore (pa <tag> */conf/deployment.toml).
DEFAULT_KEYSTORE = {
    "file_name": "wso2carbon.jks",
    "type": "JKS",
    "password": "wso2carbon",
    "alias": "wso2carbon",
    "key_password": "wso2carbon",
}
DEFAULT_TRUSTSTORE = {
    "file_name": "client-truststore.jks",
    "type": "JKS",
    "password": "wso2carbon",
}

# The collection's own PKI (docs/security-facts.md): PKCS12 stores, which every 4.5-4.7 template
# passes through as [keystore.*] type (docs: "Supported keystore types are JKS and PKCS12").
# One TLS keystore per node, one primary keystore (the JWT signer) for the whole deployment; the
# internal keystore keeps its kernel default (the primary) in 4.5/4.6, 4.7 uses [encryption] key.
PKI_KEYSTORES = {
    "tls": {"file_name": "wso2am-tls.p12", "type": "PKCS12", "alias": "wso2am-tls"},
    "primary": {"file_name": "wso2am-primary.p12", "type": "PKCS12", "alias": "wso2am-primary"},
}
# Aliases added to the pack's truststore: the CA, and the primary certificate under the alias the
# gateway looks up when a JWT carries no kid (shipped client-truststore.jks; docs: jwt-tokens).
PKI_TRUST_ALIASES = {"ca": "wso2am-ca", "primary": "gateway_certificate_alias"}
# WSO2's secure vault (carbon-kernel DefaultSecretCallbackHandler / EncryptionKeyCallbackHandler,
# cipher-tool's secret-conf): asymmetric ciphertexts are Cipher "RSA" (PKCS#1 v1.5) with the identity
# keystore's certificate; key-based ones AES-GCM with the 4.7 key (docs/security-facts.md).
SECURE_VAULT = {
    "secret_conf": "repository/conf/security/secret-conf.properties",
    "cipher_text": "repository/conf/security/cipher-text.properties",
    "algorithm": "RSA",
    # The file in CARBON_HOME the product reads the vault's root secret from at start, then deletes.
    "root_files": {"asymmetric": "password-tmp", "key_based": "encryption-key-tmp"},
}
# What must survive a move to a new pack of the same version (a WSO2 update level): the Solr index
# and the node's local H2 databases (docs 4.5.0 administer/updating-wso2-api-manager.md names
# solr/data and repository/database/WSO2CARBON_DB; the 4.x packs ship them as H2 2.x *.mv.db
# files, pa <tag> */modules/distribution/src/assembly/bin.xml).
RELEASE_STATE = ("solr/data", "repository/database/*.mv.db", "repository/database/*.h2.db")
# WSO2 Update 2.0 tool (updates.docs.wso2.com update-commands, troubleshoot): run from <HOME>/bin;
# the pack records its level in updates/config.json ("update-level", -1 before any update).
UPDATE_TOOL = {
    "binaries": {"x86_64": "wso2update_linux", "aarch64": "wso2update_linux_arm64"},
    "config": "updates/config.json",
    "level_key": "update-level",
    # Exit codes: 0 done, 1 error, 2 the tool updated itself (run it again), 3 conflicts, 4 reverted.
    "exit_codes": {"0": "updated", "1": "error", "2": "self-update", "3": "conflicts", "4": "reverted"},
}

# WSO2 placeholders for the super admin inside other sections (pa ACP gateway environment
# and token_revocation listener; helm 4.5.x-4.7.x). $ref{super_admin.password} would copy the
# clear password into generated files.
ADMIN_USERNAME_REF = "${admin.username}"
ADMIN_PASSWORD_REF = "${admin.password}"

# [apim.cache_invalidation] domain of HA control planes (docs: distributed deployment, HA).
CACHE_INVALIDATION_DOMAIN = "control-plane"
TOKEN_REVOCATION_TYPE = "org.wso2.carbon.identity.core.handler.AbstractIdentityHandler"
TOKEN_REVOCATION_NAME = "org.wso2.is.notification.ApimOauthEventInterceptor"
JWT_TOKEN_ISSUER = "org.wso2.is.key.manager.tokenpersistence.issuer.ExtendedJWTTokenIssuer"

# Shipped as is by the ACP (and, for the event handler, the key-manager template) and the
# gateway packs of 4.5-4.7.
CORS = {
    "allow_origins": "*",
    "allow_methods": ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"],
    "allow_headers": [
        "authorization",
        "Access-Control-Allow-Origin",
        "Content-Type",
        "SOAPAction",
        "apikey",
        "Internal-Key",
    ],
    "allow_credentials": False,
}
USER_SELF_REGISTRATION_HANDLER = {
    "name": "userPostSelfRegistration",
    "subscriptions": ["POST_ADD_USER"],
}
SP_NAME_REGEX = "^[\\sa-zA-Z0-9._-]*$"
SERVER_BASE_PATH = "${carbon.protocol}://${carbon.host}:${carbon.management.port}"
GATEWAY_CACHES = {
    "gateway_token": {"enable": True, "expiry_time": 15},
    "resource": {"enable": True},
    "jwt_claim": {"enable": True, "expiry_time": 900},
}
GATEWAY_OAUTH_CONFIG = {"remove_outbound_auth_header": True, "auth_header": "Authorization"}

# [encryption] key: 256-bit AES key as 64 hexadecimal characters (docs 4.7.0).
ENCRYPTION_KEY_RE = re.compile(r"^[0-9a-fA-F]{64}$")
ENCRYPTION_KEY_HOWTO = "generate one with: openssl rand -hex 32"


def minor(version):
    """'4.7' for '4.7.0'; None when ``version`` is not a supported version."""
    text = str(version).strip() if version is not None else ""
    if not _VERSION_RE.match(text):
        return None
    return ".".join(text.split(".")[:2])


def version_facts(version):
    """The VERSIONS entry of ``version``, or None when it is not supported."""
    key = minor(version)
    return VERSIONS.get(key) if key else None


def driver_verdict(db_type, driver_class):
    """None when API-M accepts ``driver_class`` for ``db_type``, else the reason it does not."""
    spec = DB_TYPES[db_type]
    if driver_class in spec["drivers"]:
        return None
    if driver_class in REJECTED_DRIVERS:
        name = REJECTED_DRIVERS[driver_class]
        return (
            f"the driver {driver_class} reports the name '{name}', and API-M picks its SQL "
            f"dialect from the driver name, accepting only names containing "
            f"{', '.join(ACCEPTED_DRIVER_NAME_PARTS)}: the node would stop with 'Error occurred "
            f"while initializing SQL Constants Manager'"
        )
    return (
        f"{driver_class} is not a driver API-M is known to accept for {db_type} (API-M picks "
        f"its SQL dialect from the driver's name and stops with 'Error occurred while "
        f"initializing SQL Constants Manager' for a name it does not know)"
    )


def facts_for(version):
    """Everything the roles need to know about ``version``, as plain data (the ``facts`` filter).

    Returns None when the version is not supported.
    """
    facts = version_facts(version)
    if facts is None:
        return None
    return {
        "version": str(version).strip(),
        "minor": minor(version),
        "java_min": facts["java"][0],
        "java_max": facts["java"][1],
        "packs": dict(PACKS),
        "start_scripts": dict(START_SCRIPTS),
        "health_path": HEALTH_PATH,
        "readiness_paths": dict(READINESS_PATHS),
        "encryption_key": facts["encryption_key"],
        "mysql_collations": list(facts["mysql_collations"]),
        "db_ports": {name: spec["port"] for name, spec in DB_TYPES.items()},
        "keystore": dict(DEFAULT_KEYSTORE),
        "truststore": dict(DEFAULT_TRUSTSTORE),
        "pki_keystores": {name: dict(spec) for name, spec in PKI_KEYSTORES.items()},
        "pki_trust_aliases": dict(PKI_TRUST_ALIASES),
        "secure_vault": dict(SECURE_VAULT, mode=facts["secure_vault"],
                             root_file=SECURE_VAULT["root_files"][facts["secure_vault"]]),
        "db_drivers": {name: spec["driver"] for name, spec in DB_TYPES.items()},
        "mysql_connector_url": MYSQL_CONNECTOR_URL.format(v=MYSQL_CONNECTOR_VERSION),
        "supported_versions": VERSION_PATTERN,
        "release_state": list(RELEASE_STATE),
        "update_tool": {key: dict(value) if isinstance(value, dict) else value
                        for key, value in UPDATE_TOOL.items()},
    }
