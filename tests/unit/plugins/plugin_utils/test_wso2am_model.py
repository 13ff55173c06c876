# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Helpers of plugins/plugin_utils/wso2am_model.py that every filter relies on."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

from ansible_collections.wso2am.distributed.plugins.plugin_utils import wso2am_facts as facts
from ansible_collections.wso2am.distributed.plugins.plugin_utils import wso2am_model as model
from ansible_collections.wso2am.distributed.plugins.plugin_utils import wso2am_values as values
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


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "null"), ("", "''"), ("maybe", "'maybe'"), (2, "2"), (-1, "-1"), (0.5, "0.5"), ([], "a list"),
     ({}, "a dictionary"), ("truee", "'truee'")],
)
def test_to_bool_rejects(value, shown):
    with pytest.raises(Wso2amModelError) as err:
        to_bool(value, "wso2am_multi_tenancy")
    assert str(err.value) == (
        f"wso2am_multi_tenancy must be a boolean (true/false, yes/no, on/off or 1/0), got {shown}"
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


@pytest.mark.parametrize(
    ("value", "shown"),
    [("two", "'two'"), ("2.5", "'2.5'"), (2.5, "2.5"), ("", "''"), (None, "null"), (True, "the boolean true"),
     (False, "the boolean false"), ([1], "a list"), ({"a": 1}, "a dictionary"), (float("nan"), "nan")],
)
def test_to_int_rejects(value, shown):
    with pytest.raises(Wso2amModelError) as err:
        to_int(value, "wso2am_db_port")
    assert str(err.value) == f"wso2am_db_port must be an integer, got {shown}"


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


# ---------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("value", "kind"),
    [(None, "null"), (True, "a boolean"), (3, "a number"), (1.5, "a number"), ("x", "a string"),
     ({}, "a dictionary"), ([], "a list"), ((1,), "a list"), ({1}, "a set"), (b"x", "bytes"),
     (object(), "a value of type object")],
)
def test_type_name(value, kind):
    assert values.type_name(value) == kind


def _ansible_values():
    """The values Ansible hands a filter: its tagged subclasses of str, int, float, list and dict."""
    from ansible.parsing.utils.yaml import from_yaml

    return from_yaml(
        "s: text\nn: 5\nf: 1.5\nl: [1]\nd: {k: v}\n", file_name="/inventory/group_vars/all.yml"
    )


def test_ansible_tagged_values_are_named_like_yaml_values():
    loaded = _ansible_values()
    # The test is worth something only if Ansible really hands over its own classes.
    assert {type(value).__name__ for value in loaded.values()} == {
        "_AnsibleTaggedStr", "_AnsibleTaggedInt", "_AnsibleTaggedFloat", "_AnsibleTaggedList", "_AnsibleTaggedDict",
    }
    kinds = {key: values.type_name(value) for key, value in loaded.items()}
    assert kinds == {"s": "a string", "n": "a number", "f": "a number", "l": "a list", "d": "a dictionary"}
    shown = {key: values.shown(value) for key, value in loaded.items()}
    assert shown == {"s": "'text'", "n": "5", "f": "1.5", "l": "a list", "d": "a dictionary"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v: to_int(v["s"], "wso2am_db_port"), "wso2am_db_port must be an integer, got 'text'"),
        (lambda v: to_int(v["l"], "wso2am_db_port"), "wso2am_db_port must be an integer, got a list"),
        (lambda v: to_bool(v["d"], "wso2am_multi_tenancy"),
         "wso2am_multi_tenancy must be a boolean (true/false, yes/no, on/off or 1/0), got a dictionary"),
        (lambda v: values._text(v["l"], "wso2am_db_host"), "wso2am_db_host must be a string, got a list"),
        (lambda v: values._text(v["d"], "wso2am_db_host"), "wso2am_db_host must be a string, got a dictionary"),
        (lambda v: values._mapping(v["s"], "wso2am_node_datasources"),
         "wso2am_node_datasources must be a dictionary, got a string"),
        (lambda v: values._mapping(v["n"], "wso2am_server_roles"), "wso2am_server_roles must be a dictionary, got a number"),
        (lambda v: values._mapping(v["l"], "wso2am_deployment_toml_extra"),
         "wso2am_deployment_toml_extra must be a dictionary, got a list"),
    ],
)
def test_messages_never_name_a_python_class(call, message):
    with pytest.raises(Wso2amModelError) as err:
        call(_ansible_values())
    assert str(err.value) == message
    assert "Ansible" not in str(err.value)


def _settings_templates(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _settings_templates(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_setting_variables_follow_the_roles_settings():
    """Every settings key the roles fill from a user's variable is mapped to that variable, and back."""
    import yaml

    root = pathlib.Path(model.__file__).resolve().parents[2]
    settings = yaml.safe_load((root / "roles/_common/vars/main.yml").read_text(encoding="utf-8"))["_wso2am_settings"]
    templates = dict(_settings_templates(settings))
    from_users = {key for key, template in templates.items() if re.search(r"(?<![A-Za-z])_?wso2am_(?!facts|(tls|primary)_keystore\.)", template)}
    mapped = {key for key, name in values.SETTING_VARIABLES.items() if name.startswith("wso2am_")}
    assert from_users == mapped
    for key in mapped:
        # _wso2am_db_port and _wso2am_keystore_password are the user's variable with its default.
        assert values.SETTING_VARIABLES[key] in templates[key], key


@pytest.mark.parametrize(
    ("setting", "name"),
    [("db.port", "wso2am_db_port"), ("overrides", "wso2am_node_datasources"), ("extra", "wso2am_deployment_toml_extra"),
     ("tm_apim_db", "wso2am_traffic_manager_apim_db"), ("keystore.key_password", "wso2am_keystore_password"),
     ("gateway_count", "settings.gateway_count"), ("node_overrides", "settings.node_overrides"),
     ("settings", "the settings argument")],
)
def test_variable(setting, name):
    assert values.variable(setting) == name


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
