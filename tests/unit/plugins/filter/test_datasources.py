# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.datasources"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.datasources import FilterModule, datasources
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import H2_SHARED_DB

from ..wso2am_samples import db_settings

PREFIX = "wso2am.distributed.datasources: "

# The default MySQL URL options (useSSL=false&allowPublicKeyRetrieval=true), written with
# '&' as '&amp;' because WSO2 copies the URL into an XML file.
MYSQL_OPTIONS = "useSSL=false&amp;allowPublicKeyRetrieval=true"
MYSQL_APIM = {
    "type": "mysql",
    "url": f"jdbc:mysql://db.example.com:3306/apim_db?{MYSQL_OPTIONS}",
    "username": "apimadmin",
    "password": "apim-secret",
    "driver": "com.mysql.cj.jdbc.Driver",
    "validationQuery": "SELECT 1",
}
MYSQL_SHARED = {
    "type": "mysql",
    "url": f"jdbc:mysql://db.example.com:3306/shared_db?{MYSQL_OPTIONS}",
    "username": "sharedadmin",
    "password": "shared-secret",
    "driver": "com.mysql.cj.jdbc.Driver",
    "validationQuery": "SELECT 1",
}
H2 = {
    "type": "h2",
    "url": "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE",
    "username": "wso2carbon",
    "password": "wso2carbon",
}

GATEWAY_APIM = (
    PREFIX + "a gateway never connects to apim_db (WSO2AM_DB) (rule: only control plane, key manager "
    "and traffic manager nodes use apim_db); "
)
GATEWAY_SHARED = (
    PREFIX + "the registry/user store datasource shared_db must never be removed from a gateway; "
    "it stays on H2 when the shared database is not needed; "
)


def with_db(**changes):
    settings = db_settings()
    settings["db"].update(changes)
    return settings


def test_filter_is_registered():
    assert FilterModule().filters() == {"datasources": datasources}


def test_h2_constant():
    assert H2_SHARED_DB == H2


@pytest.mark.parametrize("component", ["control_plane", "key_manager", "traffic_manager"])
def test_both_databases(component):
    result = datasources(component, db_settings())
    assert result == {"apim_db": MYSQL_APIM, "shared_db": MYSQL_SHARED}
    assert list(result) == ["apim_db", "shared_db"]


def test_gateway_default_keeps_h2_shared_db():
    assert datasources("gateway", db_settings()) == {"shared_db": H2}


def test_gateway_result_is_a_copy_of_h2():
    result = datasources("gateway", db_settings())
    result["shared_db"]["url"] = "changed"
    assert datasources("gateway", db_settings())["shared_db"] == H2


@pytest.mark.parametrize(
    ("changes", "real"),
    [
        ({"multi_tenancy": True}, True),
        ({"multi_tenancy": "yes"}, True),
        ({"multi_tenancy": "false"}, False),
        ({"google_analytics": True, "gateway_count": 1}, False),
        ({"google_analytics": True, "gateway_count": 2}, True),
        ({"google_analytics": "true", "gateway_count": "3"}, True),
        ({"google_analytics": "0", "gateway_count": 3}, False),
        ({"google_analytics": False, "gateway_count": 5}, False),
        ({"multi_tenancy": "1", "google_analytics": "no", "gateway_count": 1}, True),
        ({"overrides": {"shared_db": True}}, True),
        ({"overrides": {"shared_db": "true"}}, True),
        ({"multi_tenancy": True, "overrides": {"shared_db": None}}, True),
        ({"overrides": {"apim_db": False}}, False),
    ],
)
def test_gateway_shared_db_rule(changes, real):
    result = datasources("gateway", db_settings(**changes))
    assert result == {"shared_db": MYSQL_SHARED if real else H2}
    assert "apim_db" not in result


def test_gateway_multi_tenancy_with_forced_h2_is_refused():
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", db_settings(multi_tenancy=True, overrides={"shared_db": False}))
    assert str(err.value) == GATEWAY_SHARED + "remove wso2am_node_datasources.shared_db=false"


@pytest.mark.parametrize(
    ("changes", "apim"),
    [
        ({}, True),
        ({"tm_apim_db": False}, False),
        ({"tm_apim_db": "no"}, False),
        ({"tm_apim_db": "yes"}, True),
        ({"tm_apim_db": None}, True),
        ({"overrides": {"apim_db": False}}, False),
        ({"overrides": {"apim_db": "false"}}, False),
        ({"tm_apim_db": False, "overrides": {"apim_db": True}}, True),
    ],
)
def test_traffic_manager_apim_db(changes, apim):
    result = datasources("traffic_manager", db_settings(**changes))
    expected = {"apim_db": MYSQL_APIM, "shared_db": MYSQL_SHARED} if apim else {"shared_db": MYSQL_SHARED}
    assert result == expected


def test_traffic_manager_shared_db_off_falls_back_to_h2():
    result = datasources("traffic_manager", db_settings(overrides={"shared_db": "no"}))
    assert result == {"apim_db": MYSQL_APIM, "shared_db": H2}


@pytest.mark.parametrize("component", ["control_plane", "key_manager"])
def test_forced_on_is_a_no_op_for_control_plane_and_key_manager(component):
    result = datasources(component, db_settings(overrides={"apim_db": True, "shared_db": "true"}))
    assert result == {"apim_db": MYSQL_APIM, "shared_db": MYSQL_SHARED}


def test_postgresql():
    settings = with_db(type="postgresql", port=None)
    result = datasources("control_plane", settings)
    assert result["apim_db"] == {
        "type": "postgre",
        "url": "jdbc:postgresql://db.example.com:5432/apim_db",
        "username": "apimadmin",
        "password": "apim-secret",
        "driver": "org.postgresql.Driver",
        "validationQuery": "SELECT 1",
    }
    assert result["shared_db"]["url"] == "jdbc:postgresql://db.example.com:5432/shared_db"


def test_postgresql_with_options_and_port_string():
    settings = with_db(type="PostgreSQL", port="6432", url_options="sslmode=require")
    result = datasources("key_manager", settings)
    assert result["apim_db"]["url"] == "jdbc:postgresql://db.example.com:6432/apim_db?sslmode=require"


def test_mysql_options_and_ampersand_escaping():
    settings = with_db(url_options="useSSL=false&allowPublicKeyRetrieval=true&amp;serverTimezone=UTC")
    url = datasources("control_plane", settings)["apim_db"]["url"]
    assert url == (
        "jdbc:mysql://db.example.com:3306/apim_db"
        "?useSSL=false&amp;allowPublicKeyRetrieval=true&amp;serverTimezone=UTC"
    )


def test_mysql_empty_options():
    url = datasources("control_plane", with_db(url_options=""))["apim_db"]["url"]
    assert url == "jdbc:mysql://db.example.com:3306/apim_db"


def test_mysql_options_leading_question_mark():
    url = datasources("control_plane", with_db(url_options="?useSSL=true"))["apim_db"]["url"]
    assert url == "jdbc:mysql://db.example.com:3306/apim_db?useSSL=true"


def test_mysql_default_driver_and_options():
    table = datasources("control_plane", with_db(driver_class=None, url_options=None))["apim_db"]
    assert table["driver"] == "com.mysql.cj.jdbc.Driver"
    assert table["url"] == "jdbc:mysql://db.example.com:3306/apim_db?useSSL=false&amp;allowPublicKeyRetrieval=true"


@pytest.mark.parametrize("driver", ["com.mysql.cj.jdbc.Driver", "com.mysql.jdbc.Driver", " com.mysql.jdbc.Driver "])
def test_mysql_connector_j_driver_classes_are_accepted(driver):
    result = datasources("control_plane", with_db(driver_class=driver, port=3307))
    assert result["apim_db"]["driver"] == driver.strip()
    assert result["apim_db"]["url"] == f"jdbc:mysql://db.example.com:3307/apim_db?{MYSQL_OPTIONS}"


def test_postgresql_driver_class_given_explicitly():
    result = datasources("control_plane", with_db(type="postgresql", driver_class="org.postgresql.Driver"))
    assert result["apim_db"]["driver"] == "org.postgresql.Driver"
    assert result["apim_db"]["url"] == "jdbc:postgresql://db.example.com:5432/apim_db"


def test_ipv6_database_host():
    url = datasources("control_plane", with_db(host="fd00::5"))["shared_db"]["url"]
    assert url == f"jdbc:mysql://[fd00::5]:3306/shared_db?{MYSQL_OPTIONS}"


def test_pool_options_only_when_set():
    pool = {"maxActive": 100, "maxWait": 60000, "testOnBorrow": True}
    result = datasources("control_plane", with_db(pool_options=pool))
    assert result["apim_db"]["pool_options"] == pool
    assert result["shared_db"]["pool_options"] == pool
    assert result["apim_db"]["pool_options"] is not pool
    assert "pool_options" not in datasources("control_plane", with_db(pool_options={}))["apim_db"]
    assert "pool_options" not in datasources("control_plane", with_db(pool_options=None))["apim_db"]


def test_gateway_real_shared_db_gets_pool_options():
    pool = {"maxActive": 10}
    settings = with_db(pool_options=pool)
    settings["multi_tenancy"] = True
    result = datasources("gateway", settings)
    assert result["shared_db"]["url"] == f"jdbc:mysql://db.example.com:3306/shared_db?{MYSQL_OPTIONS}"
    assert result["shared_db"]["pool_options"] == pool


def test_empty_password_is_allowed():
    result = datasources("control_plane", with_db(apim_password=""))
    assert result["apim_db"]["password"] == ""


def test_gateway_with_h2_needs_no_database_settings():
    assert datasources("gateway", {"db": {}}) == {"shared_db": H2}
    assert datasources("gateway", {}) == {"shared_db": H2}


def test_extra_that_does_not_touch_the_rules_is_accepted():
    settings = db_settings(extra={"database": {"shared_db": {"pool_options": {"maxActive": 5}}}, "server": {}})
    assert datasources("gateway", settings) == {"shared_db": H2}
    assert datasources("gateway", db_settings(extra={"database": {"apim_db": None}})) == {"shared_db": H2}


# ---------------------------------------------------------------- errors


def test_gateway_apim_db_override():
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", db_settings(overrides={"apim_db": True}))
    assert str(err.value) == GATEWAY_APIM + "remove wso2am_node_datasources.apim_db=true"


@pytest.mark.parametrize("value", ["yes", "1", 1])
def test_gateway_apim_db_override_strings(value):
    with pytest.raises(AnsibleFilterError, match="a gateway never connects to apim_db"):
        datasources("gateway", db_settings(overrides={"apim_db": value}))


@pytest.mark.parametrize("value", [{"url": "jdbc:mysql://x/y"}, {}, False])
def test_gateway_apim_db_in_extra(value):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", db_settings(extra={"database": {"apim_db": value}}))
    assert str(err.value) == GATEWAY_APIM + "remove database.apim_db from wso2am_deployment_toml_extra"


@pytest.mark.parametrize("value", [False, "false", "no", "0"])
def test_gateway_shared_db_override_off(value):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", db_settings(overrides={"shared_db": value}))
    assert str(err.value) == GATEWAY_SHARED + "remove wso2am_node_datasources.shared_db=false"


@pytest.mark.parametrize("value", [None, {}, False])
def test_gateway_shared_db_removed_in_extra(value):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", db_settings(extra={"database": {"shared_db": value}}))
    assert str(err.value) == GATEWAY_SHARED + (
        "do not set database.shared_db to an empty value in wso2am_deployment_toml_extra"
    )


@pytest.mark.parametrize("component", ["control_plane", "key_manager"])
@pytest.mark.parametrize("key", ["apim_db", "shared_db"])
def test_control_plane_and_key_manager_need_both(component, key):
    with pytest.raises(AnsibleFilterError) as err:
        datasources(component, db_settings(overrides={key: "false"}))
    assert str(err.value) == (
        f"{PREFIX}a {component} node needs both apim_db and shared_db (rule: the API control plane and "
        f"the key manager use both databases); remove wso2am_node_datasources.{key}=false"
    )


@pytest.mark.parametrize("component", ["control_plane", "key_manager"])
def test_control_plane_database_removed_in_extra(component):
    with pytest.raises(AnsibleFilterError) as err:
        datasources(component, db_settings(extra={"database": {"shared_db": {}}}))
    assert str(err.value) == (
        f"{PREFIX}a {component} node needs both apim_db and shared_db (rule: the API control plane and "
        f"the key manager use both databases); do not remove database.shared_db in "
        f"wso2am_deployment_toml_extra"
    )


@pytest.mark.parametrize(
    ("component", "shown"),
    [("gw", "'gw'"), ("Gateway", "'Gateway'"), ("", "''"), (None, "null"), ("api_key_manager", "'api_key_manager'")],
)
def test_unknown_component(component, shown):
    with pytest.raises(AnsibleFilterError) as err:
        datasources(component, db_settings())
    assert str(err.value) == (
        f"{PREFIX}unknown component {shown}; expected one of control_plane, gateway, "
        f"traffic_manager, key_manager"
    )


@pytest.mark.parametrize(
    ("db_type", "shown"),
    [("oracle", "'oracle'"), ("mssql", "'mssql'"), ("postgres", "'postgres'"), (None, "null"), ("", "''")],
)
def test_unknown_database_type(db_type, shown):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(type=db_type))
    assert str(err.value) == (
        f"{PREFIX}unknown database type {shown} in wso2am_db_type; accepted: mysql, postgresql"
    )


def test_database_type_of_another_kind():
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(type=["mysql"]))
    assert str(err.value) == PREFIX + "wso2am_db_type must be a string, got a list"


def test_gateway_with_h2_does_not_check_database_type():
    assert datasources("gateway", with_db(type="oracle")) == {"shared_db": H2}


@pytest.mark.parametrize(
    ("key", "label", "component"),
    [
        ("apim_name", "apim_db", "traffic_manager"),
        ("apim_user", "apim_db", "key_manager"),
        ("apim_password", "apim_db", "control_plane"),
        ("shared_name", "shared_db", "control_plane"),
        ("shared_user", "shared_db", "control_plane"),
        ("shared_password", "shared_db", "control_plane"),
    ],
)
def test_missing_database_setting(key, label, component):
    with pytest.raises(AnsibleFilterError) as err:
        datasources(component, with_db(**{key: None}))
    assert str(err.value) == (
        f"{PREFIX}wso2am_db_{key} must be set: the {component} node connects to the real {label} "
        f"(rule: a real datasource needs host, database name, user and password)"
    )


def no_database_server(label, component):
    return (
        f"{PREFIX}no database server for the real {label} of the {component} node: add its host to the "
        f"inventory group 'database' (the collection then manages it), or set wso2am_db_host to an "
        f"existing server"
    )


@pytest.mark.parametrize("host", [None, "", "  "])
@pytest.mark.parametrize("component", ["control_plane", "key_manager", "traffic_manager"])
def test_missing_database_host(component, host):
    with pytest.raises(AnsibleFilterError) as err:
        datasources(component, with_db(host=host))
    assert str(err.value) == no_database_server("apim_db", component)


def test_missing_database_host_of_traffic_manager_without_apim_db():
    settings = with_db(host=None)
    settings["tm_apim_db"] = False
    with pytest.raises(AnsibleFilterError) as err:
        datasources("traffic_manager", settings)
    assert str(err.value) == no_database_server("shared_db", "traffic_manager")


def test_missing_database_setting_on_gateway_that_needs_shared_db():
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", db_settings(multi_tenancy=True, db={"type": "mysql"}))
    assert str(err.value) == no_database_server("shared_db", "gateway")


def test_gateway_with_h2_needs_no_database_host():
    assert datasources("gateway", with_db(host=None)) == {"shared_db": H2}


def refused_driver(driver, db_type, reason, accepted, default):
    return (
        f"{PREFIX}wso2am_db_driver_class {driver} cannot be used with wso2am_db_type {db_type}: {reason} "
        f"(accepted: {accepted}); remove wso2am_db_driver_class to use {default}"
    )


# API-M picks its SQL dialect from the name the JDBC driver reports; a name it does not know
# stops the node with "Error occurred while initializing SQL Constants Manager".
SQL_CONSTANTS_REASON = (
    "the driver {driver} reports the name '{name}', and API-M picks its SQL dialect from the driver "
    "name, accepting only names containing MySQL, H2, MS SQL, Microsoft, PostgreSQL, Oracle: the node "
    "would stop with 'Error occurred while initializing SQL Constants Manager'"
)


@pytest.mark.parametrize("component", ["control_plane", "traffic_manager"])
def test_mariadb_driver_is_refused(component):
    # The old behaviour switched the URL to jdbc:mariadb:, which API-M cannot run on.
    with pytest.raises(AnsibleFilterError) as err:
        datasources(component, with_db(driver_class="org.mariadb.jdbc.Driver", port=3307))
    assert str(err.value) == refused_driver(
        "org.mariadb.jdbc.Driver",
        "mysql",
        SQL_CONSTANTS_REASON.format(driver="org.mariadb.jdbc.Driver", name="MariaDB Connector/J"),
        "com.mysql.cj.jdbc.Driver, com.mysql.jdbc.Driver",
        "com.mysql.cj.jdbc.Driver",
    )


def test_mariadb_driver_is_refused_on_a_gateway_that_needs_shared_db():
    settings = with_db(driver_class="org.mariadb.jdbc.Driver")
    settings["multi_tenancy"] = True
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", settings)
    assert str(err.value).startswith(
        PREFIX + "wso2am_db_driver_class org.mariadb.jdbc.Driver cannot be used with wso2am_db_type mysql: "
    )


def test_mariadb_driver_does_not_matter_to_a_gateway_on_h2():
    assert datasources("gateway", with_db(driver_class="org.mariadb.jdbc.Driver")) == {"shared_db": H2}


def test_aws_jdbc_wrapper_is_refused():
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(driver_class="software.amazon.jdbc.Driver"))
    assert str(err.value) == refused_driver(
        "software.amazon.jdbc.Driver",
        "mysql",
        SQL_CONSTANTS_REASON.format(
            driver="software.amazon.jdbc.Driver", name="Amazon Web Services (AWS) Advanced JDBC Wrapper"
        ),
        "com.mysql.cj.jdbc.Driver, com.mysql.jdbc.Driver",
        "com.mysql.cj.jdbc.Driver",
    )


@pytest.mark.parametrize(
    ("db_type", "driver", "accepted", "default"),
    [
        ("postgresql", "com.example.Driver", "org.postgresql.Driver", "org.postgresql.Driver"),
        # A MySQL driver class is no PostgreSQL driver, and the other way round.
        ("postgresql", "com.mysql.cj.jdbc.Driver", "org.postgresql.Driver", "org.postgresql.Driver"),
        ("mysql", "org.postgresql.Driver", "com.mysql.cj.jdbc.Driver, com.mysql.jdbc.Driver", "com.mysql.cj.jdbc.Driver"),
        ("mysql", "com.example.Driver", "com.mysql.cj.jdbc.Driver, com.mysql.jdbc.Driver", "com.mysql.cj.jdbc.Driver"),
    ],
)
def test_unknown_driver_class_is_refused(db_type, driver, accepted, default):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(type=db_type, driver_class=driver))
    reason = (
        f"{driver} is not a driver API-M is known to accept for {db_type} (API-M picks its SQL dialect "
        f"from the driver's name and stops with 'Error occurred while initializing SQL Constants Manager' "
        f"for a name it does not know)"
    )
    assert str(err.value) == refused_driver(driver, db_type, reason, accepted, default)


def test_unknown_driver_class_refusal_names_the_sql_constants_manager():
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(type="postgresql", driver_class="com.example.Driver"))
    assert "SQL Constants Manager" in str(err.value)


@pytest.mark.parametrize(("port", "db_type", "default"), [(0, "mysql", 3306), (70000, "mysql", 3306), (-1, "postgresql", 5432)])
def test_database_port_out_of_range(port, db_type, default):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(port=port, type=db_type))
    assert str(err.value) == (
        f"{PREFIX}wso2am_db_port must be between 1 and 65535, got {port} (rule: a TCP port); set it to "
        f"the port the database server listens on, or to 0 for {db_type}'s {default}"
    )


@pytest.mark.parametrize(("port", "shown"), [("abc", "'abc'"), (True, "the boolean true"), ([3306], "a list")])
def test_database_port_not_a_number(port, shown):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(port=port))
    assert str(err.value) == f"{PREFIX}wso2am_db_port must be an integer, got {shown}"


BOOLEAN = "must be a boolean (true/false, yes/no, on/off or 1/0), got"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"multi_tenancy": "maybe"}, f"wso2am_multi_tenancy {BOOLEAN} 'maybe'"),
        ({"multi_tenancy": {"enabled": True}}, f"wso2am_multi_tenancy {BOOLEAN} a dictionary"),
        ({"google_analytics": "sometimes", "gateway_count": 2}, f"wso2am_google_analytics {BOOLEAN} 'sometimes'"),
        ({"gateway_count": "many"}, "settings.gateway_count must be an integer, got 'many'"),
        ({"overrides": {"shared_db": "perhaps"}}, f"wso2am_node_datasources.shared_db {BOOLEAN} 'perhaps'"),
        ({"overrides": ["apim_db"]}, "wso2am_node_datasources must be a dictionary, got a list"),
        ({"db": "mysql"}, "settings.db (the wso2am_db_* variables) must be a dictionary, got a string"),
        ({"extra": "[server]"}, "wso2am_deployment_toml_extra must be a dictionary, got a string"),
    ],
)
def test_bad_setting_types(changes, message):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", db_settings(**changes))
    assert str(err.value) == PREFIX + message


@pytest.mark.parametrize("settings", [["db"], "settings", 3])
def test_settings_must_be_a_dictionary(settings):
    kind = {list: "a list", str: "a string", int: "a number"}[type(settings)]
    with pytest.raises(AnsibleFilterError) as err:
        datasources("gateway", settings)
    assert str(err.value) == f"{PREFIX}the settings argument must be a dictionary, got {kind}"


def test_traffic_manager_apim_db_names_its_variable():
    with pytest.raises(AnsibleFilterError) as err:
        datasources("traffic_manager", db_settings(tm_apim_db="sometimes"))
    assert str(err.value) == f"{PREFIX}wso2am_traffic_manager_apim_db {BOOLEAN} 'sometimes'"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"host": ["db1"]}, "wso2am_db_host must be a string, got a list"),
        ({"apim_name": {"name": "x"}}, "wso2am_db_apim_name must be a string, got a dictionary"),
        ({"driver_class": True}, "wso2am_db_driver_class must be a string, got the boolean true"),
        ({"url_options": ["useSSL=false"]}, "wso2am_db_url_options must be a string, got a list"),
        ({"pool_options": ["maxActive"]}, "wso2am_db_pool_options must be a dictionary, got a list"),
    ],
)
def test_bad_database_setting_types(changes, message):
    with pytest.raises(AnsibleFilterError) as err:
        datasources("control_plane", with_db(**changes))
    assert str(err.value) == PREFIX + message
