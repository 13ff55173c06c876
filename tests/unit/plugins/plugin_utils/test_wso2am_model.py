# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Helpers of plugins/plugin_utils/wso2am_model.py that every filter relies on."""

from __future__ import annotations

import ast
import pathlib

import pytest

from ansible_collections.wso2am.distributed.plugins.plugin_utils import wso2am_facts as facts
from ansible_collections.wso2am.distributed.plugins.plugin_utils import wso2am_model as model
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    Wso2amModelError,
    deep_merge,
    is_loopback,
    to_bool,
    to_int,
)


@pytest.mark.parametrize(
    "value",
    [True, 1, "true", "True", "TRUE", " yes ", "Yes", "y", "on", "1", "t"],
)
def test_to_bool_true(value):
    assert to_bool(value) is True


@pytest.mark.parametrize(
    "value",
    [False, 0, "false", "False", "no", "NO", "n", "off", "0", " f "],
)
def test_to_bool_false(value):
    assert to_bool(value) is False


@pytest.mark.parametrize("value", [None, "", "maybe", 2, -1, 0.5, [], {}, "truee"])
def test_to_bool_rejects(value):
    with pytest.raises(Wso2amModelError) as err:
        to_bool(value, "multi_tenancy")
    assert str(err.value) == (
        f"multi_tenancy must be a boolean (true/false, yes/no, on/off or 1/0), got {value!r}"
    )


def test_to_bool_default_only_for_none():
    assert to_bool(None, "x", default=True) is True
    assert to_bool(None, "x", default=False) is False
    assert to_bool("no", "x", default=True) is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (7, 7), ("2", 2), (" 10 ", 10), ("-3", -3), ("+4", 4), (3.0, 3)],
)
def test_to_int(value, expected):
    assert to_int(value) == expected


@pytest.mark.parametrize("value", ["two", "2.5", 2.5, "", None, True, False, [1], float("nan")])
def test_to_int_rejects(value):
    with pytest.raises(Wso2amModelError, match=r"^offset must be an integer, got"):
        to_int(value, "offset")


def test_to_int_default():
    assert to_int(None, "x", default=0) == 0
    assert to_int("5", "x", default=0) == 5


def test_deep_merge_dicts_recurse_lists_replace():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}
    extra = {"a": {"c": [3], "g": True}, "d": {"now": "a table"}, "e": None}
    merged = deep_merge(base, extra)
    assert merged == {"a": {"b": 1, "c": [3], "g": True}, "d": {"now": "a table"}, "e": None}
    # Inputs are left alone, the result shares nothing with them.
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}
    merged["a"]["c"].append(4)
    assert extra["a"]["c"] == [3]


def test_deep_merge_empty_extra():
    assert deep_merge({"a": 1}, None) == {"a": 1}
    assert deep_merge({"a": 1}, {}) == {"a": 1}


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "localhost.localdomain",
     "ip6-localhost", "foo.localhost"],
)
def test_is_loopback(address):
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address", ["10.0.0.1", "192.168.1.10", "fe80::1", "host.example.com", "localhost-db", "128.0.0.1"]
)
def test_is_not_loopback(address):
    assert not is_loopback(address)


OWN_PLUGINS = "ansible_collections.wso2am.distributed.plugins."


MODEL_FILES = sorted(p.name for p in pathlib.Path(model.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("name", MODEL_FILES)
def test_module_has_no_ansible_imports(name):
    """The model imports nothing of Ansible: only the standard library and its own modules."""
    source = (pathlib.Path(model.__file__).parent / name).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        names = [name for name in names if not name.startswith(OWN_PLUGINS)]
        assert not any(name.split(".")[0] in ("ansible", "ansible_collections") for name in names)


def test_files_start_with_the_collection_header():
    root = pathlib.Path(model.__file__).resolve().parents[2]
    files = sorted((root / "plugins" / "filter").glob("*.py")) + sorted((root / "plugins" / "plugin_utils").glob("*.py"))
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[:2] == [
            "# Copyright: contributors to wso2am.distributed",
            "# Apache License 2.0 (see LICENSE)",
        ], path
        assert "from __future__ import annotations" in lines, path


@pytest.mark.parametrize("name", MODEL_FILES)
def test_each_model_module_can_be_read_in_one_sitting(name):
    """One concern per module, none over 450 lines."""
    lines = (pathlib.Path(model.__file__).parent / name).read_text(encoding="utf-8").count("\n")
    assert lines <= 450, f"{name} has {lines} lines"


def test_no_controller_code_in_module_utils():
    """module_utils is for code shipped to managed nodes; the model runs on the controller only."""
    root = pathlib.Path(model.__file__).resolve().parents[2]
    assert not list((root / "plugins").glob("module_utils/*.py"))


# ---------------------------------------------------------------- wso2am_facts


@pytest.mark.parametrize(
    ("version", "expected"),
    [("4.5.0", "4.5"), ("4.6.2", "4.6"), ("4.7.0", "4.7"), ("4.7.10", "4.7"),
     ("4.4.0", None), ("4.8.0", None), ("v4.7.0", None), ("4.7", None), ("4.10.0", None), ("", None), (None, None)],
)
def test_facts_minor(version, expected):
    assert facts.minor(version) == expected


def test_facts_versions_are_the_three_component_pack_releases():
    assert sorted(facts.VERSIONS) == ["4.5", "4.6", "4.7"]
    assert facts.version_facts("4.4.0") is None
    assert facts.version_facts("4.7.1") is facts.VERSIONS["4.7"]


@pytest.mark.parametrize(
    ("db_type", "driver"),
    [("mysql", "com.mysql.cj.jdbc.Driver"), ("mysql", "com.mysql.jdbc.Driver"), ("postgresql", "org.postgresql.Driver")],
)
def test_facts_accepted_drivers(db_type, driver):
    assert facts.driver_verdict(db_type, driver) is None


def test_facts_default_drivers_are_accepted():
    for db_type, spec in facts.DB_TYPES.items():
        assert facts.driver_verdict(db_type, spec["driver"]) is None, db_type


@pytest.mark.parametrize("driver", ["org.mariadb.jdbc.Driver", "software.amazon.jdbc.Driver"])
def test_facts_drivers_whose_name_api_m_rejects(driver):
    verdict = facts.driver_verdict("mysql", driver)
    assert f"the driver {driver} reports the name '{facts.REJECTED_DRIVERS[driver]}'" in verdict
    assert verdict.endswith("the node would stop with 'Error occurred while initializing SQL Constants Manager'")
