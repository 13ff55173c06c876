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

from ..wso2am_samples import ENCRYPTION_KEY, INVENTORIES, VERSIONS, node_settings, version_settings

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


@pytest.mark.parametrize("version", VERSIONS)
def test_every_node_config_roundtrips(any_inventory, version):
    name, groups, hostvars = any_inventory
    topo = topology(groups, hostvars)
    extra = {"apim": {"analytics": {"enable": False, "properties": {"a.b": "c"}}}, "server": {"node_ip": None}}
    for node in topo["nodes"]:
        for settings in (version_settings(version), version_settings(version, multi_tenancy=True, extra=extra)):
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
    assert '[apim.analytics]\nenable = false\nconfig_endpoint = "https://localhost:8080/auth/v1"\nauth_token = ""\n' in text
    assert "[apim.cache.gateway_token]\nenable = true\nexpiry_time = 15\n" in text
    assert "[apim.cache.resource]\nenable = true\n" in text
    assert "[apim.cache.jwt_claim]\nenable = true\nexpiry_time = 900\n" in text
    assert '[apim.oauth_config]\nremove_outbound_auth_header = true\nauth_header = "Authorization"\n' in text
    assert '[apim.key_manager]\nservice_url = "https://cp1:9443/services/"\nusername = "${admin.username}"\n' in text
    # 4.5: no gateway id, no encryption key.
    assert "[apim.gateway_notification]" not in text
    assert "[encryption]" not in text


def test_control_plane_toml_text():
    topo = topology(*INVENTORIES["minimal"]())
    text = to_toml(node_config(topo, "cp1", "control_plane", node_settings()))
    assert (
        '[server]\nhostname = "cp1"\noffset = 0\nserver_role = "default"\n'
        'base_path = "${carbon.protocol}://${carbon.host}:${carbon.management.port}"\n'
    ) in text
    assert '[apim]\ngateway_type = "Regular,APK,AWS"\n' in text
    assert "[[apim.gateway.environment]]\nname = \"Default\"\n" in text
    assert '[database.local]\nurl = "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE"\n' in text
    assert "[[event_listener]]\nid = \"token_revocation\"\n" in text
    assert '[event_listener.properties]\nnotification_endpoint = "https://cp1:9443/internal/data/v1/notify"\n' in text
    assert '"header.X-WSO2-KEY-MANAGER" = "default"\n' in text
    assert text.index("[[event_listener]]") < text.index("[event_listener.properties]")
    assert '[[event_handler]]\nname = "userPostSelfRegistration"\nsubscriptions = ["POST_ADD_USER"]\n' in text
    # Written as the pack writes it: one backslash in the value, escaped in the TOML string.
    assert '[service_provider]\nsp_name_regex = "^[\\\\sa-zA-Z0-9._-]*$"\n' in text
    assert tomllib.loads(text)["service_provider"]["sp_name_regex"] == r"^[\sa-zA-Z0-9._-]*$"
    assert "[apim.throttling]" not in text
    assert "oauth" not in tomllib.loads(text)


def test_4_7_toml_text():
    topo = topology(*INVENTORIES["ha"]())
    settings = version_settings("4.7.0")
    cp = to_toml(node_config(topo, "cp1", "control_plane", settings))
    assert f'[encryption]\nkey = "{ENCRYPTION_KEY}"\n' in cp
    assert '[apim]\ngateway_type = "Regular,APK,AWS,Azure,Kong,Envoy,APIPlatform"\n' in cp
    assert (
        '[[oauth.extensions.token_types]]\nname = "JWT"\n'
        'issuer = "org.wso2.is.key.manager.tokenpersistence.issuer.ExtendedJWTTokenIssuer"\n'
    ) in cp
    assert (
        '[database.local]\nurl = "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;DB_CLOSE_DELAY=-1"\n'
    ) in cp
    gw = to_toml(node_config(topo, "gw1", "gateway", settings))
    assert f'[encryption]\nkey = "{ENCRYPTION_KEY}"\n' in gw
    assert '[apim.gateway_notification]\ngateway_id = "gw1"\n' in gw
    assert '[apim.analytics]\nenable = false\ntype = "moesif"\n' in gw
    assert "[[oauth.extensions.token_types]]" not in gw
    km = to_toml(node_config(topo, "km1", "key_manager", settings))
    assert "[[oauth.extensions.token_types]]\nname = \"JWT\"\n" in km
    assert '[event_listener.properties]\nnotification_endpoint = "https://apim.example.com:443/internal/data/v1/notify"\n' in km


# Fragments of the packs' deployment.toml, as wso2/product-apim ships them (tags v4.5.0, v4.6.0,
# v4.7.0): api-control-plane/.../conf/deployment.toml and gateway/.../conf/deployment.toml.
PACK_CONTROL_PLANE = r'''
[server]
base_path = "${carbon.protocol}://${carbon.host}:${carbon.management.port}"
server_role = "default"

[apim]
gateway_type = "{gateway_type}"

[apim.cors]
allow_origins = "*"
allow_methods = ["GET","PUT","POST","DELETE","PATCH","OPTIONS"]
allow_headers = ["authorization","Access-Control-Allow-Origin","Content-Type","SOAPAction","apikey","Internal-Key"]
allow_credentials = false

[[event_handler]]
name="userPostSelfRegistration"
subscriptions=["POST_ADD_USER"]

[service_provider]
sp_name_regex = "^[\\sa-zA-Z0-9._-]*$"

[database.local]
url = "{local_url}"
'''
PACK_CONTROL_PLANE_4_7 = r'''
[[oauth.extensions.token_types]]
name = "JWT"
issuer = "org.wso2.is.key.manager.tokenpersistence.issuer.ExtendedJWTTokenIssuer"
'''
PACK_GATEWAY = r'''
[server]
server_role = "default"

# Caches
[apim.cache.gateway_token]
enable = true
expiry_time = 15

[apim.cache.resource]
enable = true

[apim.cache.jwt_claim]
enable = true
expiry_time = 900

[apim.oauth_config]
remove_outbound_auth_header = true
auth_header = "Authorization"

[apim.cors]
allow_origins = "*"
allow_methods = ["GET","PUT","POST","DELETE","PATCH","OPTIONS"]
allow_headers = ["authorization","Access-Control-Allow-Origin","Content-Type","SOAPAction","apikey","Internal-Key"]
allow_credentials = false
'''
PACK_GATEWAY_ANALYTICS = {
    "4.5.0": '[apim.analytics]\nenable = false\nconfig_endpoint = "https://localhost:8080/auth/v1"\nauth_token = ""\n',
    "4.6.0": '[apim.analytics]\nenable = false\ntype = "moesif"\n',
    "4.7.0": '[apim.analytics]\nenable = false\ntype = "moesif"\n',
}
PACK_GATEWAY_TYPES = {
    "4.5.0": "Regular,APK,AWS",
    "4.6.0": "Regular,APK,AWS,Azure,Kong,Envoy",
    "4.7.0": "Regular,APK,AWS,Azure,Kong,Envoy,APIPlatform",
}
PACK_LOCAL_URLS = {
    "4.5.0": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE",
    "4.6.0": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE",
    "4.7.0": "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;DB_CLOSE_DELAY=-1",
}


def contains(written, shipped):
    """Every key of ``shipped`` is in ``written`` with the same value (tables recursively)."""
    for key, value in shipped.items():
        assert key in written, key
        if isinstance(value, dict):
            contains(written[key], value)
        else:
            assert written[key] == value, key


@pytest.mark.parametrize("version", VERSIONS)
def test_shipped_sections_are_written_as_the_pack_has_them(version):
    topo = topology(*INVENTORIES["ha"]())
    settings = version_settings(version)
    shipped = PACK_CONTROL_PLANE.replace("{gateway_type}", PACK_GATEWAY_TYPES[version])
    shipped = shipped.replace("{local_url}", PACK_LOCAL_URLS[version])
    if version == "4.7.0":
        shipped += PACK_CONTROL_PLANE_4_7
    cp = tomllib.loads(to_toml(node_config(topo, "cp1", "control_plane", settings)))
    contains(cp, tomllib.loads(shipped))
    gw = tomllib.loads(to_toml(node_config(topo, "gw1", "gateway", settings)))
    contains(gw, tomllib.loads(PACK_GATEWAY + PACK_GATEWAY_ANALYTICS[version]))
    # [apim.analytics] is exactly the pack's: no key of another version.
    assert gw["apim"]["analytics"] == tomllib.loads(PACK_GATEWAY_ANALYTICS[version])["apim"]["analytics"]


# ---------------------------------------------------------------- masking


def test_mask_secrets():
    data = {
        "super_admin": {"username": "admin", "password": "s3cret"},
        "keystore": {"tls": {"password": "ks", "key_password": "kp", "alias": "a"}},
        "database": {"apim_db": {"Password": "db", "pool_options": {"PASSWORD": "x"}}},
        "apim": {"key_manager": {"password": "$ref{super_admin.password}"}},
        "event_listener": [{"properties": {"password": "$ref{super_admin.password}", "Key_Password": "k"}}],
        "vault": {"password": "$secret{admin_password}", "other": {"password": "$env{DB_PASS}"}},
        "not_a_string": {"password": 12345, "key_password": True, "Password": ["a"], "PASSWORD": {"a": "b"}},
        "unset": {"password": None},
        "name": {"passwords": "not masked", "db_password": "masked", "password_file": "not masked"},
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
    # A secret is masked whatever its type; None is left out of TOML.
    assert parsed["not_a_string"] == {
        "password": "********", "key_password": "********", "Password": "********", "PASSWORD": "********",
    }
    assert parsed["unset"] == {}
    assert parsed["name"] == {"passwords": "not masked", "db_password": "********", "password_file": "not masked"}
    assert parsed["list"] == [[{"password": "********"}]]
    for secret in ("s3cret", '"ks"', '"kp"', '"db"', '"deep"', "12345"):
        assert secret not in text
    # A table that only ends like a secret is no secret: the gateway's token cache settings.
    cache = {"apim": {"cache": {"gateway_token": {"enable": True, "expiry_time": 15}, "auth_token": "t"}}}
    assert tomllib.loads(to_toml(cache, mask_secrets=True)) == {
        "apim": {"cache": {"gateway_token": {"enable": True, "expiry_time": 15}, "auth_token": "********"}}
    }
    # The input is left alone.
    assert data["super_admin"]["password"] == "s3cret"


@pytest.mark.parametrize(
    "value",
    [
        "${admin.password}-suffix",
        "prefix-${admin.password}",
        "$ref{a}b",
        "$ref{super_admin.password}x",
        "${a}${b}",
        "$secret{a}$secret{b}",
        "$foo{bar}",
        "${}",
        "$ref{a{b}}",
        "{admin.password}",
        "$ref{a}\nb",
    ],
)
def test_mask_secrets_masks_anything_longer_than_one_placeholder(value):
    text = to_toml({"apim": {"key_manager": {"password": value}}}, mask_secrets=True)
    assert tomllib.loads(text) == {"apim": {"key_manager": {"password": "********"}}}


@pytest.mark.parametrize(
    "value",
    ["${admin.password}", "$ref{super_admin.password}", "$secret{admin_password}", "$env{DB_PASS}", "$sys{db.pass}"],
)
def test_mask_secrets_keeps_exactly_one_placeholder(value):
    text = to_toml({"event_listener": [{"properties": {"password": value}}]}, mask_secrets=True)
    assert tomllib.loads(text)["event_listener"][0]["properties"]["password"] == value


def test_mask_secrets_masks_the_encryption_key_only():
    data = {
        "encryption": {"key": ENCRYPTION_KEY, "internal_crypto_provider": "x"},
        "vault": {"encryption": {"key": "$secret{encryption_key}"}},
        "other": {"key": "visible"},
        "key": "visible too",
    }
    parsed = tomllib.loads(to_toml(data, mask_secrets=True))
    assert parsed["encryption"] == {"key": "********", "internal_crypto_provider": "x"}
    assert parsed["vault"] == {"encryption": {"key": "$secret{encryption_key}"}}
    assert parsed["other"] == {"key": "visible"}
    assert parsed["key"] == "visible too"


@pytest.mark.parametrize(
    "key",
    [
        "password", "key_password", "secret", "client_secret", "token", "auth_token", "access_token",
        "apikey", "api_key", "private_key", "Token", "API_KEY", "Client_Secret",
        "db_password", "keystore_password", "consumer_secret", "refresh_token", "X_TOKEN",
    ],
)
def test_mask_secrets_masks_every_secret_key_name(key):
    parsed = tomllib.loads(to_toml({"apim": {"some": {key: "s3cret", "name": "kept"}}}, mask_secrets=True))
    assert parsed == {"apim": {"some": {key: "********", "name": "kept"}}}


@pytest.mark.parametrize(
    "key",
    [
        "token_types", "key_manager", "auth_header", "key", "secrets_enabled", "tokens", "token_endpoint",
        "password_file", "passwords", "secret_key_name", "api_keys", "private_key_alias", "keystore",
    ],
)
def test_mask_secrets_leaves_other_keys_alone(key):
    data = {"apim": {"some": {key: "visible"}}}
    assert tomllib.loads(to_toml(data, mask_secrets=True)) == data


def test_mask_secrets_of_what_users_put_in_extra():
    data = {
        "apim": {
            "ai": {"enable": True, "endpoint": "https://ai.example/v2", "key": "ai-key", "token": "ai-token",
                   "token_endpoint": "https://idp.example/token"},
            "distributed_throttling": {"keyvalue_store": {"type": "redis", "password": "redis-pw", "user": "u"}},
            "key_manager": {"service_url": "https://km:9443/services/", "client_secret": "cs"},
            "oauth_config": {"auth_header": "Authorization"},
            "analytics": {"enable": True, "auth_token": "moesif-token"},
        },
        "oauth": {"extensions": {"token_types": [{"name": "JWT", "issuer": "x"}]}},
        "secrets": {"admin_password": "[s3cret]", "db_pw": "$secret{x}", "nested": {"any": "deep"}, "list": ["a"]},
        "transport": {"https": {"secrets": {"keystore": "ks"}}},
    }
    text = to_toml(data, mask_secrets=True)
    parsed = tomllib.loads(text)
    assert parsed["apim"] == {
        "ai": {"enable": True, "endpoint": "https://ai.example/v2", "key": "********", "token": "********",
               "token_endpoint": "https://idp.example/token"},
        "distributed_throttling": {"keyvalue_store": {"type": "redis", "password": "********", "user": "u"}},
        "key_manager": {"service_url": "https://km:9443/services/", "client_secret": "********"},
        "oauth_config": {"auth_header": "Authorization"},
        "analytics": {"enable": True, "auth_token": "********"},
    }
    assert parsed["oauth"] == data["oauth"]
    # Every value of a [secrets] table is a secret of WSO2's secure vault; one placeholder stays.
    assert parsed["secrets"] == {
        "admin_password": "********", "db_pw": "$secret{x}", "nested": {"any": "********"}, "list": "********",
    }
    assert parsed["transport"] == {"https": {"secrets": {"keystore": "********"}}}
    for secret in ("ai-key", "ai-token", "redis-pw", '"cs"', "moesif-token", "s3cret", "deep", '"ks"'):
        assert secret not in text


def test_mask_secrets_key_only_under_encryption_and_ai():
    data = {"ai": {"key": "k1"}, "other": {"ai": {"key": "k2"}, "key": "k3"}, "encryption": {"key": "k4"}}
    parsed = tomllib.loads(to_toml(data, mask_secrets=True))
    assert parsed == {
        "ai": {"key": "********"}, "other": {"ai": {"key": "********"}, "key": "k3"}, "encryption": {"key": "********"},
    }


@pytest.mark.parametrize("flag", [True, "true", "yes", 1])
def test_mask_flag_accepts_awx_strings(flag):
    assert 'password = "********"' in to_toml({"a": {"password": "x"}}, flag)


@pytest.mark.parametrize("flag", [False, "false", "no", 0])
def test_no_mask(flag):
    assert 'password = "x"' in to_toml({"a": {"password": "x"}}, flag)


@pytest.mark.parametrize("version", VERSIONS)
def test_masked_node_config_has_no_secret(version):
    topo = topology(*INVENTORIES["ha"]())
    for node in topo["nodes"]:
        conf = node_config(topo, node["host"], node["component"], version_settings(version))
        text = to_toml(conf, mask_secrets=True)
        for secret in (
            "admin-secret", "apim-secret", "shared-secret", "ks-secret", "key-secret", "ts-secret", ENCRYPTION_KEY,
        ):
            assert secret not in text
        # Every node names the admin password with a placeholder somewhere (event hub, key manager, ...).
        assert 'password = "${admin.password}"' in text
        assert "$ref{" not in text
        assert "admin-secret" in to_toml(conf)
        assert (ENCRYPTION_KEY in to_toml(conf)) == (version == "4.7.0")


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(("data", "kind"), [([1], "a list"), ("text", "a string"), (None, "null"), (3, "a number")])
def test_input_must_be_a_mapping(data, kind):
    with pytest.raises(AnsibleFilterError) as err:
        to_toml(data)
    assert str(err.value) == f"{PREFIX}expects a dictionary to write as TOML, got {kind}"


VALUE_RULE = " (rule: a value is a string, a number, a boolean, a date, a list or a dictionary)"
KEY_RULE = " (rule: every key of deployment.toml is a name); quote the key in YAML"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"a": {"b": object()}}, "cannot write a value of type object at 'a.b' as TOML" + VALUE_RULE),
        ({"a": b"bytes"}, "cannot write bytes at 'a' as TOML" + VALUE_RULE),
        ({"a": [1, {2, 3}]}, "cannot write a set at 'a.1' as TOML" + VALUE_RULE),
        ({"a": {1: "x"}}, "TOML keys must be strings, got 1 at 'a'" + KEY_RULE),
        ({"a": {True: "x"}}, "TOML keys must be strings, got the boolean true at 'a'" + KEY_RULE),
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
