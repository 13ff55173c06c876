# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""Every filter file documents itself so that ansible-doc works, and the filters load in Ansible."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

FILTERS = ("topology", "datasources", "node_config", "to_toml", "db_clients", "mermaid", "pki_sans", "secure_vault",
           "upstreams", "lb_config", "deployment_toml", "render_files", "mysql_grants")


def load(name):
    return importlib.import_module(f"ansible_collections.wso2am.distributed.plugins.filter.{name}")


def ansible_tool(tool):
    candidate = os.path.join(os.path.dirname(sys.executable), tool)
    if os.access(candidate, os.X_OK):
        return candidate
    return shutil.which(tool)


@pytest.mark.parametrize("name", FILTERS)
def test_documentation_matches_the_function(name):
    module = load(name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == name
    assert doc["short_description"]
    assert doc["version_added"] == "1.0.0"
    assert all(isinstance(line, str) for line in doc["description"])
    function = module.FilterModule().filters()[name]
    assert function.__name__ == name
    parameters = list(inspect.signature(function).parameters)
    positional = [part.strip() for part in doc.get("positional", "").split(",") if part.strip()]
    assert positional == parameters[1:]
    assert set(doc["options"]) == {"_input", *parameters[1:]}
    assert yaml.safe_load(module.EXAMPLES)
    assert "_value" in yaml.safe_load(module.RETURN)
    assert module.FILTER_NAME == f"wso2am.distributed.{name}"


@pytest.mark.parametrize("name", FILTERS)
def test_one_filter_per_file(name):
    assert list(load(name).FilterModule().filters()) == [name]


def run(command, collections_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=120)


def test_ansible_doc(wso2am_collections_path, tmp_path):
    tool = ansible_tool("ansible-doc")
    if tool is None:
        pytest.skip("ansible-doc is not installed")
    result = run(
        [tool, "-t", "filter", "--json", *(f"wso2am.distributed.{name}" for name in FILTERS)],
        wso2am_collections_path,
    )
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert sorted(docs) == sorted(f"wso2am.distributed.{name}" for name in FILTERS)
    for name, doc in docs.items():
        assert doc["doc"]["name"] == name.rsplit(".", 1)[1]
        assert doc["examples"] and doc["return"]


def test_filters_in_an_ad_hoc_run(wso2am_collections_path):
    tool = ansible_tool("ansible")
    if tool is None:
        pytest.skip("ansible is not installed")
    expression = (
        "{{ {'super_admin': {'username': 'admin', 'password': 's3cret'}, "
        "'x': {'header.X-WSO2-KEY-MANAGER': 'default'}} | wso2am.distributed.to_toml(mask_secrets=true) }}"
    )
    result = run(
        [tool, "localhost", "-m", "ansible.builtin.debug", "-a", json.dumps({"msg": expression})],
        wso2am_collections_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        '[super_admin]\\nusername = \\"admin\\"\\npassword = \\"********\\"\\n\\n'
        '[x]\\n\\"header.X-WSO2-KEY-MANAGER\\" = \\"default\\"\\n'
    ) in result.stdout


INVENTORY = """
all:
  vars:
    ansible_connection: local
  children:
    control_plane:
      hosts:
        cp1: {ansible_host: 127.0.0.1, wso2am_public_hostname: apim.example.com}
    gateway:
      hosts:
        gw1: {wso2am_gateway_offset: "1", wso2am_gateway_labels: "Default,Internal"}
    traffic_manager:
      hosts:
        cp1: {wso2am_traffic_manager_offset: "{{ 1 + 1 }}"}
    database:
      hosts:
        db1: {ansible_host: 10.9.0.5}
"""

PLAYBOOK = """
- hosts: all
  gather_facts: false
  vars:
    settings:
      version: "4.5.0"
      admin_password: "{{ 'adm' ~ 'in' }}"
      multi_tenancy: "false"
      db: {type: mysql, apim_name: a, shared_name: s, apim_user: u, apim_password: p,
           shared_user: u, shared_password: p}
  tasks:
    - name: Model
      ansible.builtin.set_fact:
        topo: "{{ groups | wso2am.distributed.topology(hostvars) }}"
      run_once: true
    - name: Write each node's deployment.toml
      ansible.builtin.copy:
        dest: "{{ out }}/{{ inventory_hostname }}-{{ item }}.toml"
        content: "{{ topo | wso2am.distributed.node_config(inventory_hostname, item, settings) | wso2am.distributed.to_toml }}"
        mode: "0600"
      loop: "{{ group_names | select('in', ['control_plane', 'gateway', 'traffic_manager', 'key_manager']) | list }}"
    - name: Diagram
      ansible.builtin.copy:
        dest: "{{ out }}/topology.mmd"
        content: "{{ topo | wso2am.distributed.mermaid(topo | wso2am.distributed.db_clients(settings), 'db', 3306) }}"
        mode: "0600"
      run_once: true
"""


def test_filters_in_a_playbook_with_real_hostvars(wso2am_collections_path, tmp_path):
    import tomllib

    tool = ansible_tool("ansible-playbook")
    if tool is None:
        pytest.skip("ansible-playbook is not installed")
    (tmp_path / "inventory.yml").write_text(INVENTORY, encoding="utf-8")
    (tmp_path / "playbook.yml").write_text(PLAYBOOK, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = run(
        [
            tool, "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "playbook.yml"),
            "-e", json.dumps({"out": str(out), "ansible_python_interpreter": sys.executable}),
        ],
        wso2am_collections_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(path.name for path in out.iterdir()) == [
        "cp1-control_plane.toml", "cp1-traffic_manager.toml", "gw1-gateway.toml", "topology.mmd",
    ]
    cp = tomllib.loads((out / "cp1-control_plane.toml").read_text(encoding="utf-8"))
    tm = tomllib.loads((out / "cp1-traffic_manager.toml").read_text(encoding="utf-8"))
    gw = tomllib.loads((out / "gw1-gateway.toml").read_text(encoding="utf-8"))
    assert cp["server"] == {
        "hostname": "apim.example.com",
        "offset": 0,
        "server_role": "default",
        "base_path": "${carbon.protocol}://${carbon.host}:${carbon.management.port}",
    }
    assert cp["super_admin"]["password"] == "admin"
    assert "throttling" not in cp["apim"]
    # The database server is the host of the inventory group 'database'.
    assert cp["database"]["apim_db"]["url"] == (
        "jdbc:mysql://10.9.0.5:3306/a?useSSL=false&amp;allowPublicKeyRetrieval=true"
    )
    assert tm["server"] == {"hostname": "cp1", "offset": 2, "server_role": "default"}
    assert tm["database"]["shared_db"]["url"].startswith("jdbc:mysql://10.9.0.5:3306/s?")
    assert gw["server"]["offset"] == 1
    assert gw["apim"]["throttling"]["throttle_decision_endpoints"] == ["tcp://cp1:5674"]
    assert gw["apim"]["sync_runtime_artifacts"]["gateway"]["gateway_labels"] == ["Default", "Internal"]
    assert gw["database"]["shared_db"]["type"] == "h2"
    chart = (out / "topology.mmd").read_text(encoding="utf-8")
    assert chart.startswith("flowchart LR\n")
    assert 'cp1__traffic_manager -->|"apim_db :3306"| database' in chart
