# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: datasources
short_description: Decide which databases a WSO2 API Manager node connects to
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Returns the C([database.*]) tables of one node's C(deployment.toml).
  - Control plane and key manager nodes get C(apim_db) and C(shared_db).
  - A traffic manager gets C(shared_db), and C(apim_db) unless O(settings.tm_apim_db) is false
    or O(settings.overrides.apim_db) is false.
  - A gateway never gets C(apim_db). It gets the real C(shared_db) only in multi-tenancy mode, or when
    Google Analytics is used with more than one gateway; otherwise its C(shared_db) stays on the embedded H2 database,
    because the registry and user store datasource must never be removed from a gateway.
  - Booleans may be strings (C(true)/C(false), C(yes)/C(no), C(1)/C(0)) and integers may be strings, as AWX sends them.
  - A bare C(&) in O(settings.db.url_options) is written as C(&amp;), because WSO2 copies the URL into an XML datasource file.
positional: settings
options:
  _input:
    description: The component of the node.
    type: str
    required: true
    choices: [control_plane, gateway, traffic_manager, key_manager]
  settings:
    description: The database settings.
    type: dict
    required: true
    suboptions:
      multi_tenancy:
        description: Whether tenants are used (gateways then need the real shared database).
        type: bool
        default: false
      google_analytics:
        description: Whether Google Analytics is used (with more than one gateway, gateways then need the shared database).
        type: bool
        default: false
      gateway_count:
        description: How many gateways the deployment has.
        type: int
        default: 1
      tm_apim_db:
        description: Whether traffic managers connect to C(apim_db).
        type: bool
        default: true
      db:
        description: Where the databases are.
        type: dict
        suboptions:
          type:
            description: The database server.
            type: str
            choices: [mysql, postgresql]
          host:
            description: The database server's address.
            type: str
          port:
            description: The database server's port; C(null) gives 3306 (MySQL) or 5432 (PostgreSQL).
            type: int
          apim_name:
            description: Name of the API-M database (WSO2AM_DB).
            type: str
          shared_name:
            description: Name of the shared database (WSO2SHARED_DB).
            type: str
          apim_user:
            description: User of the API-M database.
            type: str
          apim_password:
            description: Password of the API-M database user.
            type: str
          shared_user:
            description: User of the shared database.
            type: str
          shared_password:
            description: Password of the shared database user.
            type: str
          driver_class:
            description:
              - JDBC driver class; C(null) gives C(com.mysql.cj.jdbc.Driver) or C(org.postgresql.Driver).
              - Only classes whose driver name API-M accepts are allowed (it picks its SQL dialect from the name);
                C(org.mariadb.jdbc.Driver) and unknown classes are refused with the reason.
            type: str
          url_options:
            description:
              - Query string of the JDBC URL; C(null) gives C(useSSL=false&allowPublicKeyRetrieval=true) for MySQL and
                nothing for PostgreSQL. C(&) is written C(&amp;) (API-M copies the URL into an XML file).
            type: str
          pool_options:
            description: Written as C([database.<name>.pool_options]) when not empty.
            type: dict
      overrides:
        description: C(apim_db) and C(shared_db) booleans forcing a datasource on or off for this node.
        type: dict
      extra:
        description: The deep-merge dictionary for C(deployment.toml), checked so that it does not break the rules above.
        type: dict
notes:
  - "Fails when a gateway is asked for C(apim_db), when a gateway's C(shared_db) would be removed, when a control plane
    or key manager would lose either database, for an unknown component or database type, and when a real datasource
    lacks its host, name, user or password."
  - "Error messages name the variable of the roles each setting comes from (C(roles/_common/vars/main.yml)):
    O(settings.db.port) is C(wso2am_db_port), O(settings.overrides) C(wso2am_node_datasources), O(settings.extra)
    C(wso2am_deployment_toml_extra), O(settings.tm_apim_db) C(wso2am_traffic_manager_apim_db), every other key
    C(wso2am_<key>) or C(wso2am_db_<key>). A wrong value is described by its kind (a string, a number, a list ...)."
seealso:
  - plugin: wso2am.distributed.node_config
    plugin_type: filter
  - plugin: wso2am.distributed.db_clients
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Show the datasources of this gateway
  ansible.builtin.debug:
    msg: "{{ 'gateway' | wso2am.distributed.datasources(settings) }}"
  vars:
    settings:
      multi_tenancy: false
      gateway_count: 2
      db:
        type: mysql
        host: db.example.com
        apim_name: apim_db
        shared_name: shared_db
        apim_user: apimadmin
        apim_password: "{{ vault_apim_db_password }}"
        shared_user: sharedadmin
        shared_password: "{{ vault_shared_db_password }}"
# msg:
#   shared_db:
#     type: h2
#     url: "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE"
#     username: wso2carbon
#     password: wso2carbon
"""

RETURN = r"""
_value:
  description:
    - Datasource name (C(apim_db), C(shared_db)) to its C(deployment.toml) table.
    - "A real database: C(type) (C(mysql) or C(postgre)), C(url), C(username), C(password), C(driver),
      C(validationQuery), and C(pool_options) when set. The embedded one: C(type=h2), C(url), C(username), C(password)."
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_model import (
    Wso2amModelError,
    build_datasources,
)

FILTER_NAME = "wso2am.distributed.datasources"


def datasources(component, settings):
    """Return the datasource tables of a node of ``component``."""
    try:
        return build_datasources(component, settings)
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.datasources filter."""

    def filters(self):
        return {"datasources": datasources}
