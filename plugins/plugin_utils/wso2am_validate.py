# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Validate a whole inventory on the controller, before any host is contacted.

:func:`validate_inventory` reads ``groups`` and ``hostvars`` (which only template the
inventory's own values: nothing connects to a host), checks every ``wso2am_*`` setting of
every host against the roles' argument specs and the product's rules, builds every node's
configuration with the model, and returns every problem at once, each naming the host, the
variable and the fix. An empty list means the inventory is fine.
"""

from __future__ import annotations

import difflib
import os
import re

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_checks import (
    _address_problem,
    _check_type,
    DOWNLOAD_URL_VARIABLES,
    _extra_problems,
    _heap_problems,
    HOST_VARIABLES,
    _password_problems,
    PLAYBOOK_VARIABLES,
    _truthy,
    _UNREAD,
    _url_problem,
    URL_VARIABLES,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_datasources import build_db_clients
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import (
    COMPONENTS,
    PACKS,
    VERSION_PATTERN,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_lb import LB_GROUP, lb_problems
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_node_config import build_node_config
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_topology import build_topology
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import SETTING_VARIABLES, Wso2amModelError


class _Report:
    """Problems keyed by message, with the hosts each applies to."""

    def __init__(self):
        self._problems = {}

    def add(self, host, message):
        self._problems.setdefault(message, [])
        if host and host not in self._problems[message]:
            self._problems[message].append(host)

    def lines(self, all_hosts):
        out = []
        for message, hosts in self._problems.items():
            if not hosts:
                out.append(message)
            elif len(hosts) > 1 and set(hosts) == set(all_hosts):
                out.append(f"every host: {message}")
            elif len(hosts) > 3:
                out.append(f"hosts {', '.join(hosts[:3])} and {len(hosts) - 3} more: {message}")
            else:
                out.append(f"host{'s' if len(hosts) > 1 else ''} {', '.join(hosts)}: {message}")
        return out


def _read(hostvars, host, name):
    """(value, error) of a host's variable, templated; _UNREAD when the host does not set it."""
    try:
        hv = hostvars[host]
    except KeyError:
        return _UNREAD, None
    if name not in hv:
        return _UNREAD, None
    try:
        return hv[name], None
    except Exception as exc:  # a template that fails to render: reported, never raised
        return None, " ".join(str(exc).split())


# Settings the roles pass as None when the variable is empty (the model then uses its default).
_EMPTY_MEANS_UNSET = ("overrides", "db.host", "db.port", "db.driver_class", "db.url_options")


def _settings(values, version):
    """The model's settings for one host, from its effective variables, as the roles build them.

    The key -> variable mapping is wso2am_values.SETTING_VARIABLES (a test keeps it equal to
    the roles' _wso2am_settings); keystores do not change what the model refuses.
    """
    settings = {"version": version, "db": {}}
    for key, name in SETTING_VARIABLES.items():
        if key == "version" or not name.startswith("wso2am_") or key.startswith(("keystore.", "primary_keystore.", "truststore.")):
            continue
        value = values.get(name)
        # 0 (or "0" from AWX) is the type's default port, as in the roles' settings.
        if key in _EMPTY_MEANS_UNSET and (not value or (key == "db.port" and str(value).strip() == "0")):
            value = None
        table, _dot, leaf = key.rpartition(".")
        (settings[table] if table else settings)[leaf] = value
    return settings


def _file_problems(values, components, version, base_dir):
    def missing(path):
        path = str(path)
        if not os.path.isabs(path):
            path = os.path.join(base_dir, path)
        return not os.path.isfile(path)

    for name in ("wso2am_keystore_src", "wso2am_truststore_src", "wso2am_jdbc_driver_jar", "wso2am_pki_ca_cert_src",
                 "wso2am_pki_ca_key_src", "wso2am_pki_node_cert_src", "wso2am_pki_node_key_src"):
        value = values.get(name)
        if value and missing(value):
            yield f"{name} names '{value}', which is not a file on the controller"
    if not values.get("wso2am_pack_base_url") and values.get("wso2am_pack_dir") and version:
        for pack in sorted({PACKS[component] for component in components}):
            path = os.path.join(str(values["wso2am_pack_dir"]), f"{pack}-{version}.zip")
            if missing(path):
                yield (f"the pack {pack}-{version}.zip is not in wso2am_pack_dir ({values['wso2am_pack_dir']}); "
                       f"put the WSO2 packs there, or set wso2am_pack_base_url and wso2am_pack_checksums")


def _keystore_problems(values):
    """What the keystore and PKI settings of a node host get wrong."""
    pki = _truthy(values.get("wso2am_pki", True))
    password = values.get("wso2am_keystore_password")
    if pki:
        if values.get("wso2am_keystore_src"):
            yield ("wso2am_keystore_src is set while wso2am_pki is true (the collection issues the keystores); "
                   "set wso2am_pki: false to use your own keystore, or give your CA with wso2am_pki_ca_cert_src "
                   "and wso2am_pki_ca_key_src")
        if values.get("wso2am_truststore_src"):
            yield ("wso2am_truststore_src is set while wso2am_pki is true (the collection adds its CA to the "
                   "pack's truststore, keeping the public CAs); set wso2am_pki: false to use your own truststore")
        if not password:
            yield ("wso2am_keystore_password is empty; set it (in Ansible Vault): it protects the keystores "
                   "the collection's PKI issues, and the product reads it at start through the secure vault")
        elif len(str(password)) < 6:
            yield ("wso2am_keystore_password is shorter than 6 characters; Java's keytool refuses such "
                   "store passwords, give a longer one")
        ca_cert, ca_key = values.get("wso2am_pki_ca_cert_src"), values.get("wso2am_pki_ca_key_src")
        node_cert, node_key = values.get("wso2am_pki_node_cert_src"), values.get("wso2am_pki_node_key_src")
        if bool(node_cert) != bool(node_key):
            yield ("wso2am_pki_node_cert_src and wso2am_pki_node_key_src go together (the node's certificate and "
                   "its private key); give both or neither")
        if node_cert and not ca_cert:
            yield ("wso2am_pki_node_cert_src is set without wso2am_pki_ca_cert_src; give the certificate of the CA "
                   "that issued it, so that the other nodes trust it")
        if ca_cert and not ca_key and not node_cert:
            yield ("wso2am_pki_ca_cert_src is set without wso2am_pki_ca_key_src; give the CA's private key so the "
                   "collection can issue this node's certificate, or give wso2am_pki_node_cert_src and "
                   "wso2am_pki_node_key_src")
        if ca_key and not ca_cert:
            yield "wso2am_pki_ca_key_src is set without wso2am_pki_ca_cert_src; give the CA's certificate too"
        days = {}
        for name in ("wso2am_pki_valid_days", "wso2am_pki_ca_valid_days", "wso2am_pki_renew_days"):
            value = values.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not str(value).strip().isdigit() or int(str(value)) < 1:
                yield f"{name} must be a whole number of days (1 or more), got {value!r}"
            else:
                days[name] = int(str(value))
        valid, renew = days.get("wso2am_pki_valid_days"), days.get("wso2am_pki_renew_days")
        if valid and renew and renew >= valid:
            yield (f"wso2am_pki_renew_days ({renew}) is not shorter than wso2am_pki_valid_days ({valid}): "
                   f"every run would renew every certificate; make it shorter")
        return
    if not values.get("wso2am_keystore_src") and not _truthy(values.get("wso2am_allow_default_keystore")):
        yield ("no keystore: wso2am_pki is false, so set wso2am_keystore_src (a keystore file on the "
               "controller) and wso2am_keystore_password; the pack's default keystore has a public "
               "password and is accepted only with wso2am_allow_default_keystore: true, for labs")
    for src, name in (("wso2am_keystore_src", "wso2am_keystore_password"),
                      ("wso2am_truststore_src", "wso2am_truststore_password")):
        if values.get(src) and not values.get(name):
            yield f"{src} is set but {name} is empty; set the store's password (in Ansible Vault)"


def _host_problems(values, components, check_files, base_dir):
    version = values.get("wso2am_version")
    version = version if isinstance(version, str) and re.match(VERSION_PATTERN, version.strip()) else None
    if isinstance(values.get("wso2am_version"), str) and not version:
        yield (f"wso2am_version is '{values['wso2am_version']}'; this collection deploys the 4.5.x, 4.6.x "
               f"and 4.7.x component packs, written like \"4.7.0\"")
    for name in HOST_VARIABLES:
        problem = _address_problem(name, values.get(name) or "")
        if problem:
            yield problem
    for name in URL_VARIABLES:
        problem = _url_problem(name, values.get(name) or "", path_required=True)
        if problem:
            yield problem
    for name in DOWNLOAD_URL_VARIABLES:
        problem = _url_problem(name, values.get(name) or "", path_required=name != "wso2am_pack_base_url")
        if problem:
            yield problem
    if components:
        for name in ("wso2am_admin_password", "wso2am_db_apim_password", "wso2am_db_shared_password"):
            if not values.get(name):
                yield (f"{name} is empty; set it (in Ansible Vault, or as an AWX credential or extra "
                       f"variable): the collection never falls back to a default password")
    if components:
        yield from _keystore_problems(values)
    if components and values.get("wso2am_pack_base_url") and version:
        checksums = values.get("wso2am_pack_checksums") or {}
        for pack in sorted({PACKS[component] for component in components}):
            if f"{pack}-{version}.zip" not in checksums:
                yield (f"wso2am_pack_base_url is set but wso2am_pack_checksums has no entry for "
                       f"{pack}-{version}.zip; give \"sha256:<hex>\" for each pack")
    if values.get("wso2am_jdbc_driver_url") and not values.get("wso2am_jdbc_driver_checksum"):
        yield ("wso2am_jdbc_driver_url is set without wso2am_jdbc_driver_checksum; give \"sha256:<hex>\" or "
               "\"<algorithm>:<URL of a checksum file>\"")
    yield from _password_problems(values, values.get("wso2am_admin_username"))
    yield from _heap_problems(values)
    install_dir = values.get("wso2am_install_dir")
    if isinstance(install_dir, str) and not install_dir.startswith("/"):
        yield f"wso2am_install_dir is '{install_dir}', a relative path; give an absolute one such as /opt/wso2"
    yield from _extra_problems(values.get("wso2am_deployment_toml_extra"))
    serial = values.get("wso2am_serial")
    if serial is not None and not (
        (isinstance(serial, int) and not isinstance(serial, bool) and serial >= 1)
        or (isinstance(serial, str) and re.fullmatch(r"\s*([1-9]\d*|[1-9]\d?%|100%)\s*", serial))
    ):
        yield f"wso2am_serial must be a whole number of hosts (1 or more) or a percentage such as 50%, got {serial!r}"
    if check_files and components:
        yield from _file_problems(values, components, version, base_dir)


def _model_problems(groups, hostvars, host_values, report, build_nodes=True):
    """Build the topology and every node's configuration with the model; report what it refuses."""
    try:
        topology = build_topology(groups, hostvars)
    except Wso2amModelError as exc:
        if build_nodes:  # else it repeats, in the model's words, a problem already reported
            report.add(None, str(exc))
        return
    kms = topology["key_manager"]
    if len(kms) > 1 and not any(
        host_values.get(node["host"], {}).get("wso2am_key_manager_url") for node in kms + topology["control_plane"][:1]
    ):
        report.add(None, (
            f"{len(kms)} key managers ({', '.join(node['host'] for node in kms)}) but no wso2am_key_manager_url: "
            f"every node would use the first one only; put them behind a load balancer and set "
            f"wso2am_key_manager_url (https://<load balancer>/services/) for group key_manager"))
    seen = {}
    for node in topology["gateway"]:
        seen.setdefault(node["gateway_id"], []).append(node["host"])
    for gateway_id, hosts in seen.items():
        if len(hosts) > 1:
            report.add(None, (
                f"gateways {', '.join(hosts)} share the gateway id '{gateway_id}'; each gateway needs its own "
                f"wso2am_gateway_id (unset, it is the inventory name)"))
    databases = topology.get("database") or []
    if len(databases) > 1:
        report.add(None, (
            f"the inventory group 'database' has {len(databases)} hosts ({', '.join(d['host'] for d in databases)}); "
            f"every node uses one database server: keep one host there"))
    for node in topology["nodes"]:
        problem = _address_problem("its address", node["hostname"])
        if problem and not host_values.get(node["host"], {}).get("wso2am_hostname"):
            report.add(node["host"], (
                f"the address the other nodes would use, '{node['hostname']}' (its "
                f"{'ansible_host' if node['hostname'] != node['host'] else 'inventory name'}), cannot go into a "
                f"URL (Java's URI parser accepts letters, digits, '-' and '.'); set wso2am_hostname"))
    if not build_nodes:
        return
    first_settings = None
    for node in topology["nodes"]:
        values = host_values.get(node["host"], {})
        settings = _settings(values, values.get("wso2am_version"))
        first_settings = first_settings or settings
        try:
            build_node_config(topology, node["host"], node["component"], settings)
        except Wso2amModelError as exc:
            report.add(node["host"], str(exc))
    if first_settings:
        try:
            build_db_clients(topology, first_settings)
        except Wso2amModelError as exc:
            report.add(None, str(exc))


def _lb_problems(groups, hostvars, host_values, report, check_files, base_dir):
    """The load balancer (group load_balancer): its TLS certificate, the names it serves, its ports."""
    lb_hosts = [str(host) for host in groups.get(LB_GROUP) or []]
    if not lb_hosts:
        return
    try:
        topology = build_topology(groups, hostvars)
    except Wso2amModelError:
        topology = None  # already reported by _model_problems
    for host, problem in lb_problems(topology, host_values, lb_hosts):
        report.add(host, problem)
    if check_files:
        for host in lb_hosts:
            values = host_values.get(host, {})
            for name in ("wso2am_lb_tls_cert_src", "wso2am_lb_tls_key_src"):
                path = values.get(name)
                if path and not os.path.isfile(path if os.path.isabs(str(path)) else os.path.join(base_dir, str(path))):
                    report.add(host, f"{name} names '{path}', which is not a file on the controller")


def _spec_defaults(specs, base_dir):
    """The settings' defaults from their specs, {{ playbook_dir }} filled in (never a host's values)."""
    defaults = {}
    for name, spec in specs.items():
        if "default" not in spec:
            continue
        value = spec["default"]
        if isinstance(value, str) and "{{" in value:
            if not re.fullmatch(r"\{\{ *playbook_dir *\}\}[^{}]*", value):
                continue
            value = re.sub(r"\{\{ *playbook_dir *\}\}", lambda _m: str(base_dir), value)
        defaults[name] = value
    return defaults


def validate_inventory(groups, hostvars, specs, defaults=None, check_files=False, base_dir="."):
    """Every problem of the inventory, as lines of text; [] when there is none.

    ``specs``: the argument spec options of every setting (name -> spec); ``defaults``: the
    value of each setting a host does not set (None: the specs' defaults, with
    ``{{ playbook_dir }}`` read as ``base_dir``).
    ``check_files``: also check that the files the inventory names exist on the controller.
    """
    report = _Report()
    specs = dict(specs or {})
    specs.update(PLAYBOOK_VARIABLES)
    if defaults is None:
        defaults = _spec_defaults(specs, base_dir)
    defaults = dict(defaults)
    all_hosts = [str(host) for host in (groups.get("all") or [])]
    node_hosts = {c: [str(h) for h in groups.get(c) or []] for c in COMPONENTS}
    if not all_hosts:
        report.add(None, "the inventory matches no host: give an inventory (-i) with the groups control_plane, "
                         "gateway and traffic_manager (key_manager and database are optional)")
        return report.lines(all_hosts)
    known = sorted(specs)
    host_values = {}
    unsound = False  # a value of the wrong type or unreadable: the model would only repeat it
    for host in all_hosts:
        values = dict(defaults)
        names = [name for name in (hostvars[host].keys() if host in hostvars else []) if str(name).startswith("wso2am_")]
        for name in sorted(names):
            spec = specs.get(name)
            if spec is None:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
                hint = f"; did you mean {close[0]}?" if close else "; see docs/variables.md for the settings"
                report.add(host, f"{name} is not a setting of this collection (it would be ignored){hint}")
                continue
            secret = bool(spec.get("no_log"))
            value, error = _read(hostvars, host, name)
            if error is not None:
                unsound = True
                values[name] = _UNREAD  # present, but unreadable: not "empty" as well
                if secret or "{{" in error or "{%" in error:
                    report.add(host, (
                        f"{name} cannot be read: its value is a template that does not render (an undefined "
                        f"variable, or '{{{{' / '{{%' inside a password); mark a password holding them !unsafe "
                        f"(docs/secrets.md)"))
                else:
                    report.add(host, f"{name} cannot be read: {error}")
                continue
            # Kept even when wrong, so that "is empty" is not reported on top of the real problem.
            values[name] = value
            problem = _check_type(name, value, spec, secret)
            if problem:
                unsound = True
                report.add(host, problem)
                continue
            choices = spec.get("choices")
            if choices and value not in choices:
                unsound = True
                report.add(host, f"{name} is {value!r}; accepted: {', '.join(map(str, choices))}")
        host_values[host] = values
        components = [c for c in COMPONENTS if host in node_hosts[c]]
        for problem in _host_problems(values, components, check_files, base_dir):
            report.add(host, problem)
    # The topology's own rules always; every node's configuration only once the settings are
    # sound (a wrong type would otherwise be reported twice, once more in the model's words).
    _model_problems(groups, hostvars, host_values, report, build_nodes=not unsound)
    if not unsound:
        _lb_problems(groups, hostvars, host_values, report, check_files, base_dir)
    return report.lines(all_hosts)
