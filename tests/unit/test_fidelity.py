# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Every key the model writes is traced to a source in docs/fidelity.md, per component and version."""

from __future__ import annotations

import functools
import pathlib
import re

import pytest

from ansible_collections.wso2am.distributed.plugins.plugin_utils import wso2am_model as model

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"
VERSIONS = ("4.5", "4.6", "4.7")
HEADINGS = {
    "Control plane": "control_plane",
    "Key manager": "key_manager",
    "Universal Gateway": "gateway",
    "Traffic manager": "traffic_manager",
}


def _versions(text):
    text = text.strip()
    if text == "4.5-4.7":
        return set(VERSIONS)
    return {part.strip() for part in text.split(",")}


@functools.lru_cache(maxsize=None)
def documented_keys():
    """{component: {key: {versions}}} from the tables of docs/fidelity.md."""
    tables, component = {}, None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (.+?)(?: \(|$)", line)
        if heading:
            component = HEADINGS.get(heading.group(1).strip())
            continue
        row = re.match(r"^\| `([^`]+)` \| ([0-9.,\- ]+) \|", line)
        if component and row:
            versions = _versions(row.group(2))
            assert versions <= set(VERSIONS), line
            tables.setdefault(component, {})[row.group(1)] = versions
    return tables


def key_paths(data, prefix=""):
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from key_paths(value, path)
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            for item in value:
                yield from key_paths(item, path + "[]")
        else:
            yield path


SETTINGS = {
    "admin_password": "admin-secret",
    "encryption_key": "0123456789abcdef" * 4,
    "db": {
        "apim_name": "apim_db", "shared_name": "shared_db", "apim_user": "apimadmin",
        "apim_password": "a", "shared_user": "sharedadmin", "shared_password": "s",
    },
}
INVENTORIES = {
    "simple": {"database": ["db1"], "control_plane": ["cp1"], "traffic_manager": ["tm1"], "gateway": ["gw1"]},
    "km_ha": {
        "database": ["db1"], "control_plane": ["cp1", "cp2"], "key_manager": ["km1"],
        "traffic_manager": ["tm1", "tm2"], "gateway": ["gw1", "gw2"],
    },
}
HOSTVARS = {
    "none": {},
    "public": {"cp1": {"wso2am_public_hostname": "apim.example.com"},
               "gw1": {"wso2am_public_hostname": "gw.example.com"}},
}


@functools.lru_cache(maxsize=None)
def rendered_keys():
    """{(component, version): {key}} over every inventory, database type and option here."""
    found = {}
    for version in VERSIONS:
        for groups in INVENTORIES.values():
            for hostvars in HOSTVARS.values():
                for db_type in ("mysql", "postgresql"):
                    for multi_tenancy in (False, True):
                        topology = model.build_topology(groups, hostvars)
                        settings = dict(SETTINGS, version=f"{version}.0", multi_tenancy=multi_tenancy)
                        settings["db"] = dict(SETTINGS["db"], type=db_type)
                        for component in model.COMPONENTS:
                            for node in topology[component]:
                                conf = model.build_node_config(topology, node["host"], component, settings)
                                found.setdefault((component, version), set()).update(key_paths(conf))
    return found


def test_the_document_has_a_table_per_component():
    assert set(documented_keys()) == set(model.COMPONENTS)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("component", model.COMPONENTS)
def test_every_rendered_key_is_traced_to_a_source(component, version):
    documented = {key for key, versions in documented_keys()[component].items() if version in versions}
    rendered = rendered_keys()[(component, version)]
    assert sorted(rendered - documented) == [], f"keys of {component} {version} missing in docs/fidelity.md"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("component", model.COMPONENTS)
def test_every_documented_key_is_rendered(component, version):
    """The tables do not list keys the model never writes (they would mislead a reader)."""
    documented = {key for key, versions in documented_keys()[component].items() if version in versions}
    rendered = rendered_keys()[(component, version)]
    assert sorted(documented - rendered) == []
