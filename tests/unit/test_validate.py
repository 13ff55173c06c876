# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The controller-side validation of a whole inventory (wso2am_validate), class by class."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_validate import validate_inventory

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _specs():
    specs = {}
    for role in ("_common", "database", "load_balancer"):  # as roles/_common/tasks/validate.yml
        path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
        specs.update(yaml.safe_load(path.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"])
    return specs


SPECS = _specs()
DEFAULTS = {name: spec["default"] for name, spec in SPECS.items() if "default" in spec}
DEFAULTS["wso2am_pack_dir"] = "/nonexistent/packs"
GOOD = {
    "wso2am_version": "4.6.0",
    "wso2am_admin_password": "admin-secret-1",
    "wso2am_db_apim_password": "apim-secret-1",
    "wso2am_db_shared_password": "shared-secret-1",
    "wso2am_keystore_password": "keystore-secret-1",
}
GROUPS = {
    "database": ["db1"], "control_plane": ["cp1"], "traffic_manager": ["tm1"], "gateway": ["gw1", "gw2"],
    "key_manager": [],
}


def run(common=None, hosts=None, groups=None, check_files=False):
    groups = dict(groups or GROUPS)
    everyone = sorted({h for members in groups.values() for h in members})
    groups["all"] = everyone
    hostvars = {host: dict(GOOD, **(common or {}), **((hosts or {}).get(host) or {})) for host in everyone}
    return validate_inventory(groups, hostvars, SPECS, DEFAULTS, check_files=check_files, base_dir=str(ROOT))


def test_a_sound_inventory_has_no_problem():
    assert run() == []


def test_every_problem_is_listed_at_once():
    problems = run({"wso2am_db_typ": "mysql", "wso2am_heap_max": "2GB", "wso2am_install_dir": "opt/wso2"})
    assert len(problems) == 3, problems
    assert all(line.startswith("every host: ") for line in problems)


def test_an_empty_inventory_is_refused():
    assert validate_inventory({"all": []}, {}, SPECS, DEFAULTS) == [
        "the inventory matches no host: give an inventory (-i) with the groups control_plane, gateway and "
        "traffic_manager (key_manager and database are optional)"
    ]


@pytest.mark.parametrize(("typo", "suggestion"), [
    ("wso2am_db_typ", "wso2am_db_type"),
    ("wso2am_admin_pasword", "wso2am_admin_password"),
    ("wso2am_gateway_ofset", "wso2am_gateway_offset"),
])
def test_unknown_variables_name_the_closest_setting(typo, suggestion):
    assert run({typo: "x"}) == [
        f"every host: {typo} is not a setting of this collection (it would be ignored); did you mean {suggestion}?"
    ]


def test_a_secret_read_as_a_number_is_refused_without_printing_it():
    problems = run({"wso2am_admin_password": 5349})
    assert problems == [
        "every host: wso2am_admin_password is a number, not a string: YAML turned the unquoted value into a "
        "number (012345 becomes 5349, yes becomes true); quote it"
    ]
    assert "5349" not in problems[0].split("(012345")[0]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("wso2am_version", 4.7, "wso2am_version is a number (4.7), not a string"),
    ("wso2am_gateway_labels", "Default,Internal", "wso2am_gateway_labels must be a list such as [a, b], got a string"),
    ("wso2am_gateway_offset", "two", "wso2am_gateway_offset must be a whole number, got a string ('two')"),
    ("wso2am_multi_tenancy", "maybe", "wso2am_multi_tenancy must be true or false, got a string ('maybe')"),
    ("wso2am_db_type", "oracle", "wso2am_db_type is 'oracle'; accepted: mysql, postgresql"),
    ("wso2am_serial", "one", "wso2am_serial must be a whole number of hosts (1 or more) or a percentage"),
    ("wso2am_serial", 0, "wso2am_serial must be a whole number of hosts (1 or more) or a percentage"),
])
def test_wrong_types_and_choices(name, value, expected):
    problems = run({name: value})
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(("value", "expected"), [
    ("https://apim.example.com", "a URL; give only the host name or address (no scheme)"),
    ("apim.example.com:443", "with a port; give only the host name"),
    ("apim_host.example.com", "which Java's URI parser rejects as a host name"),
    ("apim host", "which Java's URI parser rejects as a host name"),
])
def test_host_names_that_cannot_go_into_a_url(value, expected):
    problems = run(hosts={"cp1": {"wso2am_public_hostname": value}})
    assert problems and problems[0].startswith("host cp1: wso2am_public_hostname is") and expected in problems[0]


@pytest.mark.parametrize("value", ["10.0.0.5", "fe80::1", "apim.example.com", "apim"])
def test_host_names_that_work(value):
    assert run(hosts={"cp1": {"wso2am_hostname": value}}) == []


def test_an_inventory_name_java_rejects_needs_wso2am_hostname():
    groups = dict(GROUPS, gateway=["gw_1"])
    problems = run(groups=groups)
    assert problems == [
        "host gw_1: the address the other nodes would use, 'gw_1' (its inventory name), cannot go into a URL "
        "(Java's URI parser accepts letters, digits, '-' and '.'); set wso2am_hostname"
    ]
    assert run(groups=groups, hosts={"gw_1": {"wso2am_hostname": "gw1.example.com"}}) == []


@pytest.mark.parametrize(("value", "expected"), [
    ("km.example.com/services/", "not an http(s) URL"),
    ("https://km.example.com", "without a path"),
])
def test_urls_need_a_scheme_and_a_path(value, expected):
    problems = run({"wso2am_key_manager_url": value})
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(("password", "expected"), [
    ("admin", "wso2am_admin_password is a well-known default password"),
    ("wso2carbon", "wso2am_admin_password is a well-known default password"),
    ("short", "wso2am_admin_password has 5 characters; use at least 8"),
])
def test_default_and_weak_passwords(password, expected):
    problems = run({"wso2am_admin_password": password})
    assert len(problems) == 1 and expected in problems[0] and f"'{password}'" not in problems[0]


@pytest.mark.parametrize(("common", "expected"), [
    ({"wso2am_heap_max": "2GB"}, "wso2am_heap_max is '2GB', which the JVM refuses"),
    ({"wso2am_heap_min": "2g", "wso2am_heap_max": "1024m"}, "wso2am_heap_min is larger than wso2am_heap_max"),
    ({"wso2am_install_dir": "opt/wso2"}, "wso2am_install_dir is 'opt/wso2', a relative path"),
])
def test_heap_and_paths(common, expected):
    problems = run(common)
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(("extra", "expected"), [
    ({"database": None}, "sets 'database' to an empty value, which removes the whole [database] table"),
    ({"apim": {}}, "sets 'apim' to an empty value, which removes the whole [apim] table"),
    ({"database": {"reporting_db": {"type": "mysql"}}}, "adds the datasource [database.reporting_db]"),
    ({"database": {"apim_db": {"url": "jdbc:mysql://other/apim"}}}, "sets the url, type or credentials"),
])
def test_extras_that_remove_tables_or_add_datasources(extra, expected):
    problems = run({"wso2am_deployment_toml_extra": extra})
    assert any(expected in line for line in problems), problems


def test_extra_pool_options_are_fine():
    extra = {"wso2am_deployment_toml_extra": {"database": {"apim_db": {"pool_options": {"maxActive": 99}}}}}
    assert run(hosts={"cp1": extra, "tm1": extra}) == []
    # On a gateway the same extra adds apim_db, which the model refuses (the rule's own message).
    assert "a gateway never connects to apim_db" in run(hosts={"gw1": extra})[0]


def test_two_key_managers_need_a_load_balanced_url():
    groups = dict(GROUPS, key_manager=["km1", "km2"])
    problems = run(groups=groups)
    assert len(problems) == 1 and problems[0].startswith("2 key managers (km1, km2) but no wso2am_key_manager_url")
    assert run(groups=groups, hosts={"km1": {"wso2am_key_manager_url": "https://km.example.com/services/"}}) == []


def test_duplicate_gateway_ids_and_two_database_hosts():
    problems = run(groups=dict(GROUPS, database=["db1", "db2"]),
                   hosts={"gw1": {"wso2am_gateway_id": "edge"}, "gw2": {"wso2am_gateway_id": "edge"}})
    assert "gateways gw1, gw2 share the gateway id 'edge'" in problems[0]
    assert "the inventory group 'database' has 2 hosts (db1, db2)" in problems[1]


def test_required_secrets_and_keystore_rules():
    problems = run({"wso2am_admin_password": "", "wso2am_keystore_password": ""})
    assert any(line.startswith("hosts cp1, gw1, gw2 and 1 more: wso2am_admin_password is empty") for line in problems)
    assert any("wso2am_keystore_password is empty" in line for line in problems)
    problems = run({"wso2am_pki": False})
    assert any("no keystore: wso2am_pki is false, so set wso2am_keystore_src" in line for line in problems)
    assert not run({"wso2am_pki": False, "wso2am_allow_default_keystore": True})


@pytest.mark.parametrize(
    "common, expected",
    [
        ({"wso2am_keystore_password": "short"}, "wso2am_keystore_password is shorter than 6 characters"),
        ({"wso2am_keystore_src": "own.jks"}, "wso2am_keystore_src is set while wso2am_pki is true"),
        ({"wso2am_truststore_src": "own.jks"}, "wso2am_truststore_src is set while wso2am_pki is true"),
        ({"wso2am_pki_node_cert_src": "gw.crt"}, "wso2am_pki_node_cert_src and wso2am_pki_node_key_src go together"),
        ({"wso2am_pki_node_cert_src": "gw.crt", "wso2am_pki_node_key_src": "gw.key"},
         "wso2am_pki_node_cert_src is set without wso2am_pki_ca_cert_src"),
        ({"wso2am_pki_ca_cert_src": "ca.crt"}, "wso2am_pki_ca_cert_src is set without wso2am_pki_ca_key_src"),
        ({"wso2am_pki_ca_key_src": "ca.key"}, "wso2am_pki_ca_key_src is set without wso2am_pki_ca_cert_src"),
        ({"wso2am_pki_renew_days": 400}, "wso2am_pki_renew_days (400) is not shorter than wso2am_pki_valid_days (397)"),
        ({"wso2am_pki_valid_days": "soon"}, "wso2am_pki_valid_days must be a whole number of days"),
    ],
)
def test_pki_settings_that_cannot_work(common, expected):
    problems = run(common)
    assert any(expected in line for line in problems), problems


def test_a_ready_made_node_certificate_with_its_ca_is_fine():
    assert not run({"wso2am_pki_ca_cert_src": "ca.crt", "wso2am_pki_node_cert_src": "gw.crt", "wso2am_pki_node_key_src": "gw.key"})


def test_the_model_rules_apply_once_settings_are_sound():
    problems = run({"wso2am_version": "4.7.0"})
    assert problems and all("wso2am_encryption_key must be set for API-M 4.7.0" in line for line in problems)


def test_a_template_that_does_not_render_is_reported_without_its_value():
    class Broken(dict):
        def __getitem__(self, key):
            if key == "wso2am_admin_password":
                raise ValueError("template error while templating 'p{{ss': unexpected end")
            return super().__getitem__(key)

    everyone = ["cp1", "db1", "gw1", "gw2", "tm1"]
    hostvars = {host: Broken(GOOD) for host in everyone}
    problems = validate_inventory(dict(GROUPS, all=everyone), hostvars, SPECS, DEFAULTS)
    assert problems[0].startswith("every host: wso2am_admin_password cannot be read")
    assert "p{{ss" not in "".join(problems) and "!unsafe" in problems[0]


def test_files_named_by_the_inventory_must_exist_on_the_controller(tmp_path):
    problems = run({"wso2am_keystore_src": str(tmp_path / "missing.jks"), "wso2am_keystore_password": "ks-secret-1"},
                   check_files=True)
    assert any(f"wso2am_keystore_src names '{tmp_path / 'missing.jks'}', which is not a file" in line for line in problems)
    assert any("the pack wso2am-acp-4.6.0.zip is not in wso2am_pack_dir" in line for line in problems)
    assert not any("not a file" in line for line in run(check_files=False))
