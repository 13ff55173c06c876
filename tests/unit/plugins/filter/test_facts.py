# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The facts filter: what the roles read about a version, from the one facts module."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter.facts import facts


@pytest.mark.parametrize(
    ("version", "minor", "java", "key", "collations"),
    [
        ("4.5.0", "4.5", (11, 21), False, ["latin1_bin"]),
        ("4.6.2", "4.6", (11, 21), False, ["latin1_bin"]),
        ("4.7.0", "4.7", (21, 25), True, ["utf8mb4_bin", "latin1_bin"]),
    ],
)
def test_facts_per_version(version, minor, java, key, collations):
    result = facts(version)
    assert result["version"] == version and result["minor"] == minor
    assert (result["java_min"], result["java_max"]) == java
    assert result["encryption_key"] is key
    assert result["mysql_collations"] == collations
    assert result["packs"] == {
        "control_plane": "wso2am-acp", "key_manager": "wso2am-acp",
        "gateway": "wso2am-universal-gw", "traffic_manager": "wso2am-tm",
    }
    assert result["start_scripts"]["key_manager"] == "key-manager.sh"
    assert result["db_drivers"] == {"mysql": "com.mysql.cj.jdbc.Driver", "postgresql": "org.postgresql.Driver"}
    assert result["mysql_connector_url"].startswith("https://repo1.maven.org/maven2/com/mysql/mysql-connector-j/")
    assert result["mysql_connector_url"].endswith(".jar")


@pytest.mark.parametrize("version", ["4.4.0", "4.8.0", "v4.7.0", "4.7", "latest", None, 4.7])
def test_unsupported_versions_are_refused(version):
    with pytest.raises(AnsibleFilterError) as err:
        facts(version)
    assert str(err.value) == (
        f"wso2am.distributed.facts: wso2am_version {version!r} is not supported (rule: this collection deploys "
        f"the WSO2 API Manager 4.5.x, 4.6.x and 4.7.x component packs, written like 4.7.0)"
    )
