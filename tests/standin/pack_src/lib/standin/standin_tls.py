"""TLS of the STAND-IN server: its keystores, trust store and upstream checks.

THIS IS A TEST FIXTURE, NOT WSO2 SOFTWARE.  Shipped in the stand-in packs
next to standin_server.py.

* ``[keystore.primary]``, ``[keystore.tls]``, ``[keystore.internal]`` and
  ``[truststore]`` with the kernel's defaults (primary: wso2carbon.jks,
  JKS, wso2carbon, alias wso2carbon, key_password wso2carbon; tls and
  internal take each missing key from primary; truststore:
  client-truststore.jks, JKS, wso2carbon), files in
  <CARBON_HOME>/repository/resources/security/;
* ``load_node_tls``: every keystore's key entry must load (the TLS one
  serves every TLS port) and the trust store must open;
* ``UpstreamVerifier``: a TLS handshake with an upstream trusting exactly
  the trust store's certificates (chain and validity; the host name only
  when -Dhttpclient.hostnameVerifier is not AllowAll), failures worded as
  the JDK words them;
* ``UpstreamHealth``: which TLS upstreams fail, for the 503 answers.
"""

from __future__ import annotations

import socket
import ssl
import threading

import standin_security as sec

SECURITY_DIR = "repository/resources/security"
PRIMARY_DEFAULTS = {"file_name": "wso2carbon.jks", "type": "JKS",
                    "password": "wso2carbon", "alias": "wso2carbon",
                    "key_password": "wso2carbon"}
TRUST_DEFAULTS = {"file_name": "client-truststore.jks", "type": "JKS",
                  "password": "wso2carbon"}
KEYSTORES = ("primary", "internal", "tls")
HOSTNAME_PROPERTY = "httpclient.hostnameVerifier"
HANDSHAKE_TIMEOUT = 10.0

PATH_BUILDING = ("PKIX path building failed: sun.security.provider.certpath."
                 "SunCertPathBuilderException: unable to find valid "
                 "certification path to requested target")
PATH_VALIDATION = ("PKIX path validation failed: java.security.cert."
                   "CertPathValidatorException: ")
HANDSHAKE = "javax.net.ssl.SSLHandshakeException: "


def _table(config, *keys):
    for key in keys:
        config = config.get(key) if isinstance(config, dict) else None
    return config if isinstance(config, dict) else None


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def store_settings(config, which):
    """Effective settings of [keystore.<which>] or of [truststore].

    Returns a dict with file_name, type, password, (alias, key_password),
    ``label`` ("[keystore.tls]") and ``configured`` (the table exists).
    """
    if which == "truststore":
        own = _table(config, "truststore")
        values = dict(TRUST_DEFAULTS)
        label = "[truststore]"
    else:
        primary = _table(config, "keystore", "primary") or {}
        values = dict(PRIMARY_DEFAULTS)
        values.update({k: primary[k] for k in PRIMARY_DEFAULTS
                       if k in primary})
        own = _table(config, "keystore", which)
        label = f"[keystore.{which}]"
    for key in list(values):
        if own and key in own:
            values[key] = own[key]
        values[key] = _text(values[key])
    values["label"] = label
    values["configured"] = own is not None
    return values


def store_path(home, settings):
    # The config mapper writes ${carbon.home}/repository/resources/security/
    # followed by file_name, whatever file_name holds.
    return f"{home.rstrip('/')}/{SECURITY_DIR}/{settings['file_name']}"


def _describe(settings, path):
    default = "" if settings["configured"] else " (kernel defaults)"
    alias = f", alias {settings['alias']}" if "alias" in settings else ""
    return (f"{settings['label']}{default} file_name = "
            f"\"{settings['file_name']}\" ({path}), type "
            f"{settings['type']}{alias}")


class NodeTLS:
    """What load_node_tls found: the server context and the trust anchors."""

    def __init__(self, server_context, trusted, trust_path, summary):
        self.server_context = server_context
        self.trusted = trusted
        self.trust_path = trust_path
        self.summary = summary


def load_node_tls(home, config):
    """(NodeTLS, error): load the keystores and the trust store.

    ``config`` is the deployment.toml after $secret{} resolution.
    """
    cache = {}

    def open_store(settings, path):
        key = (path, settings["password"])
        if key not in cache:
            cache[key] = sec.load_keystore(path, settings["password"],
                                           settings["type"])
        return cache[key]

    served = None
    for which in KEYSTORES:
        settings = store_settings(config, which)
        path = store_path(home, settings)
        try:
            store = open_store(settings, path)
            pkcs8, chain = store.private_key(settings["alias"],
                                             settings["key_password"])
            if which == "tls":
                served = (sec.server_context(pkcs8, chain), path,
                          settings["alias"], store.format)
        except sec.KeystoreError as exc:
            return None, (f"Error while loading the keystore of "
                          f"{_describe(settings, path)}: {exc}")
    settings = store_settings(config, "truststore")
    trust_path = store_path(home, settings)
    try:
        trusted = open_store(settings, trust_path).trusted_certs()
    except sec.KeystoreError as exc:
        return None, (f"Error while loading the trust store of "
                      f"{_describe(settings, trust_path)}: {exc}")
    context, path, alias, fmt = served
    summary = (f"TLS ports serve the key {alias} of {path} ({fmt}); "
               f"trust store {trust_path} holds {len(trusted)} trusted "
               "certificate(s)")
    return NodeTLS(context, trusted, trust_path, summary), None


# --------------------------------------------------------------------------
# Upstream verification
# --------------------------------------------------------------------------

def hostname_verifier(sysprops):
    """The -Dhttpclient.hostnameVerifier value (the start script: AllowAll)."""
    value = (sysprops or {}).get(HOSTNAME_PROPERTY, "AllowAll")
    return value.strip() or "AllowAll"


def _is_local(host):
    return host in ("localhost", "::1") or host.startswith("127.")


def checks_hostname(mode, host):
    """True when the verifier ``mode`` checks ``host`` against the cert."""
    mode = mode.lower()
    if mode == "allowall":
        return False
    if mode == "defaultandlocalhost":
        return not _is_local(host)
    return True  # Strict, Default and anything else


def _is_ip(host):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except OSError:
            continue
    return False


def java_reason(exc, host):
    """The JDK's wording of a failed handshake with ``host``."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        if code in (62, 64):
            if _is_ip(host):
                return (HANDSHAKE + "No subject alternative names matching "
                        f"IP address {host} found")
            return (HANDSHAKE + "No subject alternative DNS name matching "
                    f"{host} found.")
        if code in (2, 18, 19, 20, 21, 27):
            return HANDSHAKE + PATH_BUILDING
        if code in (9, 10):
            return HANDSHAKE + PATH_VALIDATION + (
                f"validity check failed ({exc.verify_message})")
        if code == 7:
            return HANDSHAKE + PATH_VALIDATION + "signature check failed"
        return HANDSHAKE + PATH_VALIDATION + str(exc.verify_message)
    if isinstance(exc, (ssl.SSLEOFError, ConnectionResetError,
                        BrokenPipeError)):
        return HANDSHAKE + "Remote host terminated the handshake"
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or " ".join(str(exc).split())
        if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
                      "PACKET_LENGTH_TOO_LONG"):
            return ("javax.net.ssl.SSLException: Unsupported or "
                    "unrecognized SSL message")
        return HANDSHAKE + str(reason)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "java.net.SocketTimeoutException: Read timed out"
    return "java.net.SocketException: " + " ".join(str(exc).split())


class UpstreamVerifier:
    """TLS handshakes with upstreams, trusting exactly the trust store."""

    def __init__(self, trusted, mode="AllowAll", timeout=HANDSHAKE_TIMEOUT):
        self.mode = mode
        self.timeout = timeout
        self._chain_only = sec.client_context(trusted, False)
        self._with_host = sec.client_context(trusted, True)

    def handshake(self, sock, host):
        """Handshake on the connected ``sock`` (consumed): None or reason."""
        context = (self._with_host if checks_hostname(self.mode, host)
                   else self._chain_only)
        sock.settimeout(self.timeout)
        try:
            tls = context.wrap_socket(sock, server_hostname=host)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            return java_reason(exc, host)
        tls.close()
        return None


class UpstreamHealth:
    """TLS upstreams currently failing, in the order they failed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._failing = {}

    def fail(self, key, reason):
        with self._lock:
            self._failing[key] = reason

    def ok(self, key):
        with self._lock:
            self._failing.pop(key, None)

    def problem(self):
        """One line naming the first failing upstream, or None."""
        with self._lock:
            if not self._failing:
                return None
            (name, host, port), reason = next(iter(self._failing.items()))
            more = len(self._failing) - 1
        tail = f" (and {more} more)" if more else ""
        return (f"UNHEALTHY: upstream {name} {host}:{port} fails TLS: "
                f"{reason}{tail}")


def tls_scheme(url):
    """True when an endpoint URL's scheme implies TLS (https, wss, ssl)."""
    if not isinstance(url, str):
        return False
    text = url.strip().lower()
    if text.startswith("jdbc:"):
        return False
    scheme = text.partition("://")[0]
    return scheme in ("https", "wss", "ssl") or (
        scheme == "${carbon.protocol}")
