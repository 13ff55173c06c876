# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Fake inventories and settings shared by the filter and plugin_utils tests."""

from __future__ import annotations

import copy
from collections.abc import Mapping


class FakeHostVars(Mapping):
    """Behaves like Ansible's HostVars: a Mapping, not a dict."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def inventory(groups, hostvars=None):
    """Return (groups, hostvars) with an 'all' group and empty vars for every host."""
    hostvars = copy.deepcopy(hostvars or {})
    all_hosts = []
    for hosts in groups.values():
        for host in hosts:
            if host not in all_hosts:
                all_hosts.append(host)
            hostvars.setdefault(host, {})
    groups = dict(groups)
    groups.setdefault("all", all_hosts)
    groups.setdefault("ungrouped", [])
    return groups, hostvars


def minimal_inventory():
    """One control plane, one gateway, one traffic manager; nothing set."""
    return inventory({"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]})


def ha_inventory():
    """2 control planes behind a load balancer, a separated key manager, 2 TMs, 2 gateways behind a load balancer."""
    return inventory(
        {
            "control_plane": ["cp1", "cp2"],
            "gateway": ["gw1", "gw2"],
            "traffic_manager": ["tm1", "tm2"],
            "key_manager": ["km1"],
        },
        {
            "cp1": {"ansible_host": "10.0.0.11", "wso2am_public_hostname": "apim.example.com"},
            "cp2": {"ansible_host": "10.0.0.12", "wso2am_public_hostname": "apim.example.com"},
            "gw1": {"ansible_host": "10.0.1.11", "wso2am_public_hostname": "gw.example.com"},
            "gw2": {"ansible_host": "10.0.1.12", "wso2am_public_hostname": "gw.example.com"},
            "tm1": {"ansible_host": "10.0.2.11"},
            "tm2": {"ansible_host": "10.0.2.12"},
            "km1": {"ansible_host": "10.0.3.11"},
        },
    )


def colocated_inventory():
    """One host runs the control plane and the traffic manager (offset 1); gateways in two environments."""
    return inventory(
        {
            "control_plane": ["apim1"],
            "gateway": ["gw1", "gw2", "gw3"],
            "traffic_manager": ["apim1"],
        },
        {
            "apim1": {"wso2am_hostname": "apim1.lan", "wso2am_traffic_manager_offset": 1},
            "gw1": {"wso2am_gateway_environment": "Production"},
            "gw2": {"wso2am_gateway_environment": "Sandbox", "wso2am_gateway_offset": "2"},
            "gw3": {
                "wso2am_gateway_environment": "Production",
                "wso2am_gateway_labels": ["Production", "Internal"],
                "wso2am_gateway_id": "gw3-eu",
            },
        },
    )


def ssh_lab_inventory():
    """Containers reached through 127.0.0.1 with distinct ports, AWX-style string offsets."""
    return inventory(
        {"control_plane": ["cp1"], "gateway": ["gw1"], "traffic_manager": ["tm1"]},
        {
            "cp1": {"ansible_host": "127.0.0.1", "ansible_port": 2201},
            "gw1": {"ansible_host": "127.0.0.1", "ansible_port": 2202, "wso2am_gateway_offset": "3"},
            "tm1": {"ansible_host": "localhost", "ansible_port": 2203, "wso2am_traffic_manager_offset": " 2 "},
        },
    )


INVENTORIES = {
    "minimal": minimal_inventory,
    "ha": ha_inventory,
    "colocated": colocated_inventory,
    "ssh_lab": ssh_lab_inventory,
}


def db_settings(**changes):
    """Datasource settings with a MySQL server."""
    settings = {
        "multi_tenancy": False,
        "google_analytics": False,
        "gateway_count": 1,
        "tm_apim_db": True,
        "db": {
            "type": "mysql",
            "host": "db.example.com",
            "port": None,
            "apim_name": "apim_db",
            "shared_name": "shared_db",
            "apim_user": "apimadmin",
            "apim_password": "apim-secret",
            "shared_user": "sharedadmin",
            "shared_password": "shared-secret",
            "driver_class": None,
            "url_options": None,
            "pool_options": {},
        },
        "overrides": {},
        "extra": {},
    }
    settings.update(changes)
    return settings


def node_settings(**changes):
    """node_config settings."""
    settings = db_settings()
    settings.update(
        {
            "version": "4.5.0",
            "admin_username": "admin",
            "admin_password": "admin-secret",
            # Every 4.5-4.7 component pack knows only "default" (its infer.json).
            "server_roles": {
                "control_plane": "default",
                "gateway": "default",
                "traffic_manager": "default",
                "key_manager": "default",
            },
            "keystore": {
                "file_name": "wso2carbon.jks",
                "type": "JKS",
                "password": "ks-secret",
                "alias": "wso2carbon",
                "key_password": "key-secret",
            },
            "truststore": {"file_name": "client-truststore.jks", "type": "JKS", "password": "ts-secret"},
            "extra": {},
        }
    )
    settings.update(changes)
    return settings


# A well-formed [encryption] key (64 hexadecimal characters), required from 4.7.
ENCRYPTION_KEY = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"
VERSIONS = ("4.5.0", "4.6.0", "4.7.0")


def version_settings(version, **changes):
    """node_config settings for ``version``, with the encryption key 4.7 requires."""
    settings = node_settings(version=version, **changes)
    if version.startswith("4.7.") and "encryption_key" not in changes:
        settings["encryption_key"] = ENCRYPTION_KEY
    return settings


def with_database_group(groups, hostvars, host="db1", **db_hostvars):
    """Add ``host`` (with ``db_hostvars``) as the inventory group 'database'."""
    groups = dict(groups)
    groups["database"] = [host]
    groups["all"] = list(groups["all"]) + [host]
    hostvars = dict(hostvars)
    hostvars[host] = dict(db_hostvars)
    return groups, hostvars
