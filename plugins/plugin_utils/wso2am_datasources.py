# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Which node uses which database (the [database.*] tables), and who connects to each database.

Rules from WSO2's distributed deployment docs: control planes and key managers use both
databases, traffic managers both unless told otherwise, gateways never apim_db and keep
shared_db on H2 unless multi-tenancy or analytics with several gateways needs the real one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_facts import (
    DB_TYPES,
    driver_verdict,
    H2_SHARED_DB,
    MAX_PORT,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import (
    _host_in_url,
    _mapping,
    _plain_copy,
    shown,
    _text,
    to_bool,
    to_int,
    variable,
    Wso2amModelError,
)
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_topology import (
    _check_component,
    _check_topology,
)


# --------------------------------------------------------------------------
# Datasources (which node uses which database: docs/fidelity.md, and the docs page on the distributed deployment)
# --------------------------------------------------------------------------

def _removed(value):
    """True when a deep-merge value would remove a datasource table."""
    return value is None or value is False or (isinstance(value, Mapping) and not value)


def _extra_database(extra):
    extra = _mapping(extra, variable("extra"))
    database = extra.get("database")
    return database if isinstance(database, Mapping) else {}


def _db_type(db):
    db_type = _text(db.get("type"), variable("db.type"))
    db_type = db_type.lower() if db_type else None
    if db_type not in DB_TYPES:
        raise Wso2amModelError(
            f"unknown database type {shown(db.get('type'))} in {variable('db.type')}; accepted: "
            f"{', '.join(DB_TYPES)}"
        )
    return db_type


def _escape_url_options(options):
    """WSO2 copies the datasource URL into an XML file: a bare '&' must be '&amp;'."""
    return re.sub(r"&(?!amp;)", "&amp;", options)


def _real_datasource(kind, db, component):
    """The table of a real database: kind is 'apim' or 'shared'."""
    label = f"{kind}_db"
    db_type = _db_type(db)
    spec = DB_TYPES[db_type]

    def required(key):
        value = db.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and key != f"{kind}_password"):
            raise Wso2amModelError(
                f"{variable('db.' + key)} must be set: the {component} node connects to the real "
                f"{label} (rule: a real datasource needs host, database name, user and password)"
            )
        return value

    host = _text(db.get("host"), variable("db.host"))
    if not host:
        raise Wso2amModelError(
            f"no database server for the real {label} of the {component} node: add its host to "
            f"the inventory group 'database' (the collection then manages it), or set "
            f"{variable('db.host')} to an existing server"
        )
    port = to_int(db.get("port"), variable("db.port"), default=spec["port"])
    if not 1 <= port <= MAX_PORT:
        raise Wso2amModelError(
            f"{variable('db.port')} must be between 1 and {MAX_PORT}, got {port} (rule: a TCP "
            f"port); set it to the port the database server listens on, or to 0 for "
            f"{db_type}'s {spec['port']}"
        )
    name = _text(required(f"{kind}_name"), variable(f"db.{kind}_name"))
    username = required(f"{kind}_user")
    password = required(f"{kind}_password")
    driver_variable = variable("db.driver_class")
    driver = _text(db.get("driver_class"), driver_variable) or spec["driver"]
    verdict = driver_verdict(db_type, driver)
    if verdict:
        raise Wso2amModelError(
            f"{driver_variable} {driver} cannot be used with {variable('db.type')} {db_type}: "
            f"{verdict} (accepted: {', '.join(spec['drivers'])}); remove {driver_variable} "
            f"to use {spec['driver']}"
        )
    options = db.get("url_options")
    if options is None:
        options = spec["url_options"]
    options = (_text(options, variable("db.url_options")) or "").lstrip("?")
    scheme = spec["scheme"]
    url = f"jdbc:{scheme}://{_host_in_url(host)}:{port}/{name}"
    if options:
        url = f"{url}?{_escape_url_options(options)}"
    table = {
        "type": spec["toml_type"],
        "url": url,
        "username": str(username),
        "password": str(password),
        "driver": driver,
        "validationQuery": "SELECT 1",
    }
    pool_options = _mapping(db.get("pool_options"), variable("db.pool_options"))
    if pool_options:
        table["pool_options"] = _plain_copy(pool_options)
    return table


def _override(overrides, key):
    value = overrides.get(key)
    return None if value is None else to_bool(value, f"{variable('overrides')}.{key}")


def build_datasources(component, settings):
    """Return ``{datasource name: table}`` for one node of ``component``.

    ``settings``: multi_tenancy, google_analytics, gateway_count, tm_apim_db,
    db, overrides (apim_db / shared_db forced on or off), extra.
    """
    _check_component(component)
    settings = _mapping(settings, variable("settings"))
    db = _mapping(settings.get("db"), variable("db"))
    overrides = _mapping(settings.get("overrides"), variable("overrides"))
    extra_db = _extra_database(settings.get("extra"))
    force_apim = _override(overrides, "apim_db")
    force_shared = _override(overrides, "shared_db")

    if component in ("control_plane", "key_manager"):
        for key, forced in (("apim_db", force_apim), ("shared_db", force_shared)):
            if forced is False:
                raise Wso2amModelError(
                    f"a {component} node needs both apim_db and shared_db (rule: the API "
                    f"control plane and the key manager use both databases); remove "
                    f"{variable('overrides')}.{key}=false"
                )
            if key in extra_db and _removed(extra_db[key]):
                raise Wso2amModelError(
                    f"a {component} node needs both apim_db and shared_db (rule: the API "
                    f"control plane and the key manager use both databases); do not remove "
                    f"database.{key} in {variable('extra')}"
                )
        use_apim, use_shared = True, True
    elif component == "traffic_manager":
        tm_apim_db = to_bool(settings.get("tm_apim_db"), variable("tm_apim_db"), default=True)
        use_apim = force_apim if force_apim is not None else tm_apim_db
        use_shared = force_shared if force_shared is not None else True
    else:
        if force_apim:
            raise Wso2amModelError(
                "a gateway never connects to apim_db (WSO2AM_DB) (rule: only control plane, "
                "key manager and traffic manager nodes use apim_db); remove "
                f"{variable('overrides')}.apim_db=true"
            )
        if extra_db.get("apim_db") is not None:
            raise Wso2amModelError(
                "a gateway never connects to apim_db (WSO2AM_DB) (rule: only control plane, "
                "key manager and traffic manager nodes use apim_db); remove database.apim_db "
                f"from {variable('extra')}"
            )
        if force_shared is False:
            raise Wso2amModelError(
                "the registry/user store datasource shared_db must never be removed from a "
                "gateway; it stays on H2 when the shared database is not needed; remove "
                f"{variable('overrides')}.shared_db=false"
            )
        if "shared_db" in extra_db and _removed(extra_db["shared_db"]):
            raise Wso2amModelError(
                "the registry/user store datasource shared_db must never be removed from a "
                "gateway; it stays on H2 when the shared database is not needed; do not set "
                f"database.shared_db to an empty value in {variable('extra')}"
            )
        multi_tenancy = to_bool(
            settings.get("multi_tenancy"), variable("multi_tenancy"), default=False
        )
        analytics = to_bool(
            settings.get("google_analytics"), variable("google_analytics"), default=False
        )
        gateway_count = to_int(
            settings.get("gateway_count"), variable("gateway_count"), default=1
        )
        needed = multi_tenancy or (analytics and gateway_count > 1)
        use_apim = False
        use_shared = force_shared if force_shared is not None else needed

    datasources = {}
    if use_apim:
        datasources["apim_db"] = _real_datasource("apim", db, component)
    if use_shared:
        datasources["shared_db"] = _real_datasource("shared", db, component)
    else:
        datasources["shared_db"] = dict(H2_SHARED_DB)
    return datasources


def with_database_host(topology, settings):
    """A copy of ``settings`` whose db.host is set: given, else the database group's first host.

    The database host is addressed like every other node: its wso2am_hostname, else its
    ansible_host unless that is loopback, else its inventory name.
    """
    settings = dict(_mapping(settings, variable("settings")))
    db = dict(_mapping(settings.get("db"), variable("db")))
    if not _text(db.get("host"), variable("db.host")):
        servers = topology.get("database") or []
        if servers:
            db["host"] = servers[0]["hostname"]
    settings["db"] = db
    return settings


# --------------------------------------------------------------------------
# Database clients
# --------------------------------------------------------------------------

def build_db_clients(topology, settings):
    """Return ``{"apim_db": [...], "shared_db": [...]}``: the client addresses per database.

    ``settings`` are those of :func:`build_datasources`; its ``overrides`` and
    ``extra`` are ignored (they belong to one node). A node's overrides are
    ``settings.node_overrides["<host>/<component>"]``, else
    ``settings.node_overrides["<host>"]``, else its ``datasource_overrides``
    (the host variable ``wso2am_node_datasources``).
    """
    _check_topology(topology)
    settings = with_database_host(topology, settings)
    node_overrides = _mapping(settings.get("node_overrides"), variable("node_overrides"))
    clients = {"apim_db": set(), "shared_db": set()}
    for node in topology["nodes"]:
        node_settings = dict(settings)
        node_settings["gateway_count"] = len(topology["gateway"])
        node_settings["extra"] = None
        node_settings["overrides"] = node_overrides.get(
            node["id"], node_overrides.get(node["host"], node.get("datasource_overrides"))
        )
        for name, table in build_datasources(node["component"], node_settings).items():
            if table.get("type") != "h2":
                clients[name].add(node["db_client_address"])
    return {name: sorted(addresses) for name, addresses in clients.items()}
