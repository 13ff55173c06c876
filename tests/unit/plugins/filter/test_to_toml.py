# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.to_toml"""

from __future__ import annotations

import datetime
import math
import tomllib
from collections import OrderedDict

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.node_config import node_config
from ansible_collections.wso2am.distributed.plugins.filter.to_toml import FilterModule, to_toml
from ansible_collections.wso2am.distributed.plugins.filter.topology import topology

from ..wso2am_samples import INVENTORIES, node_settings

PREFIX = "wso2am.distributed.to_toml: "


def without_none(value):
    if isinstance(value, dict):
        return {key: without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_none(item) for item in value if item is not None]
    return value


def roundtrip(data):
    text = to_toml(data)
    assert tomllib.loads(text) == without_none(data)
    return text


def test_filter_is_registered():
    assert FilterModule().filters() == {"to_toml": to_toml}


def test_empty():
    assert to_toml({}) == ""


def test_root_scalars_then_tables():
    text = roundtrip({"a": 1, "t": {"x": "y"}, "b": True})
    assert text == 'a = 1\nb = true\n\n[t]\nx = "y"\n'


def test_scalars():
    data = {
        "s": "text",
        "i": 42,
        "neg": -7,
        "big": 2**62,
        "f": 1.5,
        "whole": 2.0,
        "exp": 1e20,
        "small": 1e-7,
        "t": True,
        "n": False,
        "empty": "",
        "list": [1, 2, 3],
        "strings": ["a", "b"],
        "mixed": [1, "a", True, 1.5],
        "nested": [[1, 2], ["x"]],
        "none_list": [],
    }
    text = roundtrip(data)
    assert 'whole = 2.0\n' in text
    assert 'list = [1, 2, 3]\n' in text
    assert 'mixed = [1, "a", true, 1.5]\n' in text
    assert 'none_list = []\n' in text


def test_special_floats():
    text = to_toml({"a": float("inf"), "b": float("-inf"), "c": float("nan")})
    assert text == "a = inf\nb = -inf\nc = nan\n"
    parsed = tomllib.loads(text)
    assert parsed["a"] == math.inf and parsed["b"] == -math.inf and math.isnan(parsed["c"])


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("C:\\wso2\\bin", r'"C:\\wso2\\bin"'),
        ("tab\there", r'"tab\there"'),
        ("line\nbreak", r'"line\nbreak"'),
        ("cr\rlf", r'"cr\rlf"'),
        ("bell\x07", r'"bell\u0007"'),
        ("esc\x1b", r'"esc\u001b"'),
        ("del\x7f", r'"del\u007f"'),
        ("form\ffeed\b", r'"form\ffeed\b"'),
        ("ünïcødé ✓ 日本", '"ünïcødé ✓ 日本"'),
        ("$ref{super_admin.password}", '"$ref{super_admin.password}"'),
        ("jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE",
         '"jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"'),
        ("'single'", "\"'single'\""),
        ("a#b", '"a#b"'),
    ],
)
def test_string_escaping(value, written):
    text = roundtrip({"k": value})
    assert text == f"k = {written}\n"


@pytest.mark.parametrize(
    ("key", "written"),
    [
        ("plain_key", "plain_key"),
        ("dash-key", "dash-key"),
        ("Key9", "Key9"),
        ("123", "123"),
        ("header.X-WSO2-KEY-MANAGER", '"header.X-WSO2-KEY-MANAGER"'),
        ("with space", '"with space"'),
        ("", '""'),
        ("quo\"te", '"quo\\"te"'),
        ("ключ", '"ключ"'),
    ],
)
def test_keys(key, written):
    assert roundtrip({key: 1}) == f"{written} = 1\n"
    assert roundtrip({key: {"a": 1}}) == f"[{written}]\na = 1\n"


def test_table_order_scalars_then_subtables_then_arrays():
    data = {
        "apim": {
            "throttling": {
                "url_group": [{"type": "loadbalance"}],
                "sub": {"x": 1},
                "service_url": "https://tm:9443/services/",
            }
        }
    }
    text = roundtrip(data)
    assert text == (
        "[apim.throttling]\n"
        'service_url = "https://tm:9443/services/"\n'
        "\n"
        "[apim.throttling.sub]\n"
        "x = 1\n"
        "\n"
        "[[apim.throttling.url_group]]\n"
        'type = "loadbalance"\n'
    )


def test_implicit_parent_tables_have_no_header():
    text = roundtrip({"a": {"b": {"c": {"d": 1}}}})
    assert text == "[a.b.c]\nd = 1\n"


def test_empty_tables_are_written_only_as_leaves():
    text = roundtrip({"a": {}, "b": {"c": {}}, "d": {"e": None}})
    assert text == "[a]\n\n[b.c]\n\n[d]\n"


def test_none_values_are_skipped():
    data = {"a": None, "b": {"c": None, "d": 1}, "e": [1, None, 2], "f": [{"g": None, "h": 2}, None]}
    text = roundtrip(data)
    assert "None" not in text and "null" not in text
    assert tomllib.loads(text) == {"b": {"d": 1}, "e": [1, 2], "f": [{"h": 2}]}


def test_array_of_tables_with_subtables():
    data = {
        "event_listener": [
            {
                "id": "token_revocation",
                "order": 1,
                "properties": {"notification_endpoint": "https://cp:9443/x", "header.X-WSO2-KEY-MANAGER": "default"},
            },
            {"id": "second", "properties": {"a": 1}, "more": [{"z": 1}, {"z": 2}]},
        ]
    }
    text = roundtrip(data)
    assert text == (
        "[[event_listener]]\n"
        'id = "token_revocation"\n'
        "order = 1\n"
        "\n"
        "[event_listener.properties]\n"
        'notification_endpoint = "https://cp:9443/x"\n'
        '"header.X-WSO2-KEY-MANAGER" = "default"\n'
        "\n"
        "[[event_listener]]\n"
        'id = "second"\n'
        "\n"
        "[event_listener.properties]\n"
        "a = 1\n"
        "\n"
        "[[event_listener.more]]\n"
        "z = 1\n"
        "\n"
        "[[event_listener.more]]\n"
        "z = 2\n"
    )


def test_nested_array_of_tables_under_implicit_table():
    data = {"apim": {"event_hub": {"enable": True, "publish": {"url_group": [{"urls": ["tcp://a:9611"]}, {"urls": ["tcp://b:9611"]}]}}}}
    text = roundtrip(data)
    assert "[apim.event_hub.publish]" not in text
    assert text.count("[[apim.event_hub.publish.url_group]]") == 2


def test_empty_element_in_array_of_tables():
    assert roundtrip({"a": [{}, {"b": 1}]}) == "[[a]]\n\n[[a]]\nb = 1\n"


def test_inline_tables_inside_plain_arrays():
    data = {"mixed": [1, {"a": 1, "b": {"c": [1, 2]}}], "deep": [[{"x": 1}], []], "e": [{}, 1]}
    text = roundtrip(data)
    assert "mixed = [1, { a = 1, b = { c = [1, 2] } }]\n" in text
    assert "e = [{}, 1]\n" in text


def test_tuples_and_ordered_dicts_and_mapping_subclasses():
    data = OrderedDict([("b", (1, 2)), ("a", OrderedDict([("x", ("y",))]))])
    text = to_toml(data)
    assert text == 'b = [1, 2]\n\n[a]\nx = ["y"]\n'


def test_dates_and_times():
    data = {
        "d": datetime.date(2024, 5, 1),
        "dt": datetime.datetime(2024, 5, 1, 12, 30, 0),
        "tz": datetime.datetime(2024, 5, 1, 12, 30, 0, tzinfo=datetime.timezone.utc),
        "t": datetime.time(7, 45, 1),
    }
    roundtrip(data)


def test_deterministic_output():
    topo = topology(*INVENTORIES["ha"]())
    conf = node_config(topo, "cp1", "control_plane", node_settings())
    assert to_toml(conf) == to_toml(node_config(topology(*INVENTORIES["ha"]()), "cp1", "control_plane", node_settings()))
    assert to_toml(conf).encode("utf-8") == to_toml(conf).encode("utf-8")


def test_every_node_config_roundtrips(any_inventory):
    name, groups, hostvars = any_inventory
    topo = topology(groups, hostvars)
    extra = {"apim": {"analytics": {"enable": False, "properties": {"a.b": "c"}}}, "server": {"node_ip": None}}
    for node in topo["nodes"]:
        for settings in (node_settings(), node_settings(multi_tenancy=True, extra=extra)):
            conf = node_config(topo, node["host"], node["component"], settings)
            text = roundtrip(conf)
            assert text.endswith("\n") and not text.endswith("\n\n"), name
            assert "\n\n\n" not in text


def test_gateway_toml_text():
    topo = topology(*INVENTORIES["minimal"]())
    text = to_toml(node_config(topo, "gw1", "gateway", node_settings()))
    assert '[database.shared_db]\ntype = "h2"\n' in text
    assert "[database.apim_db]" not in text
    assert '[[apim.throttling.url_group]]\ntraffic_manager_urls = ["tcp://tm1:9611"]\n' in text
    assert '[apim.sync_runtime_artifacts.gateway]\ngateway_labels = ["Default"]\n' in text


def test_control_plane_toml_text():
    topo = topology(*INVENTORIES["minimal"]())
    text = to_toml(node_config(topo, "cp1", "control_plane", node_settings()))
    assert "[[apim.gateway.environment]]\nname = \"Default\"\n" in text
    assert "[[event_listener]]\nid = \"token_revocation\"\n" in text
    assert '[event_listener.properties]\nnotification_endpoint = "https://cp1:9443/internal/data/v1/notify"\n' in text
    assert '"header.X-WSO2-KEY-MANAGER" = "default"\n' in text
    assert text.index("[[event_listener]]") < text.index("[event_listener.properties]")


# ---------------------------------------------------------------- masking


def test_mask_secrets():
    data = {
        "super_admin": {"username": "admin", "password": "s3cret"},
        "keystore": {"tls": {"password": "ks", "key_password": "kp", "alias": "a"}},
        "database": {"apim_db": {"Password": "db", "pool_options": {"PASSWORD": "x"}}},
        "apim": {"key_manager": {"password": "$ref{super_admin.password}"}},
        "event_listener": [{"properties": {"password": "$ref{super_admin.password}", "Key_Password": "k"}}],
        "vault": {"password": "$secret{admin_password}", "other": {"password": "$env{DB_PASS}"}},
        "not_a_string": {"password": 12345},
        "name": {"passwords": "not masked", "db_password": "not masked either"},
        "list": [[{"password": "deep"}]],
    }
    text = to_toml(data, mask_secrets=True)
    parsed = tomllib.loads(text)
    assert parsed["super_admin"] == {"username": "admin", "password": "********"}
    assert parsed["keystore"]["tls"] == {"password": "********", "key_password": "********", "alias": "a"}
    assert parsed["database"]["apim_db"] == {"Password": "********", "pool_options": {"PASSWORD": "********"}}
    assert parsed["apim"]["key_manager"]["password"] == "$ref{super_admin.password}"
    assert parsed["event_listener"][0]["properties"] == {
        "password": "$ref{super_admin.password}",
        "Key_Password": "********",
    }
    assert parsed["vault"] == {"password": "$secret{admin_password}", "other": {"password": "$env{DB_PASS}"}}
    assert parsed["not_a_string"] == {"password": 12345}
    assert parsed["name"] == {"passwords": "not masked", "db_password": "not masked either"}
    assert parsed["list"] == [[{"password": "********"}]]
    for secret in ("s3cret", '"ks"', '"kp"', '"db"', '"deep"'):
        assert secret not in text
    # The input is left alone.
    assert data["super_admin"]["password"] == "s3cret"


@pytest.mark.parametrize("flag", [True, "true", "yes", 1])
def test_mask_flag_accepts_awx_strings(flag):
    assert 'password = "********"' in to_toml({"a": {"password": "x"}}, flag)


@pytest.mark.parametrize("flag", [False, "false", "no", 0])
def test_no_mask(flag):
    assert 'password = "x"' in to_toml({"a": {"password": "x"}}, flag)


def test_masked_node_config_has_no_secret():
    topo = topology(*INVENTORIES["ha"]())
    for node in topo["nodes"]:
        conf = node_config(topo, node["host"], node["component"], node_settings())
        text = to_toml(conf, mask_secrets=True)
        for secret in ("admin-secret", "apim-secret", "shared-secret", "ks-secret", "key-secret", "ts-secret"):
            assert secret not in text
        assert "$ref{super_admin.password}" in text
        assert "admin-secret" in to_toml(conf)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(("data", "kind"), [([1], "list"), ("text", "str"), (None, "NoneType"), (3, "int")])
def test_input_must_be_a_mapping(data, kind):
    with pytest.raises(AnsibleFilterError) as err:
        to_toml(data)
    assert str(err.value) == f"{PREFIX}expects a dictionary to write as TOML, got {kind}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"a": {"b": object()}}, "cannot write a value of type object at 'a.b' as TOML"),
        ({"a": b"bytes"}, "cannot write a value of type bytes at 'a' as TOML"),
        ({"a": [1, {2, 3}]}, "cannot write a value of type set at 'a.1' as TOML"),
        ({"a": {1: "x"}}, "TOML keys must be strings, got 1 at 'a'"),
    ],
)
def test_unsupported_values(data, message):
    with pytest.raises(AnsibleFilterError) as err:
        to_toml(data)
    assert str(err.value) == PREFIX + message


def test_bad_mask_flag():
    with pytest.raises(AnsibleFilterError) as err:
        to_toml({}, "sometimes")
    assert str(err.value) == (
        PREFIX + "mask_secrets must be a boolean (true/false, yes/no, on/off or 1/0), got 'sometimes'"
    )
