# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""inventories/example*: Ansible reads them as the inventory they are, and nothing else.

Ansible parses every file under an inventory folder as inventory, group_vars/ and host_vars/
aside: a keystore there becomes hosts with binary names. The playbook render of these
inventories is tests/playbook/test_render_playbook.py.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ("example", "example-km-ha")
# Folders of an inventory folder that Ansible never parses as inventory.
VARS_FOLDERS = ("group_vars", "host_vars")
SOURCE_VARIABLES = ("wso2am_pack_dir", "wso2am_render_dir")


def _ansible_inventory(inventory):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_UNPARSED_WARNING="1")
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True, text=True, env=env, check=False,
    )


@pytest.mark.parametrize("name", EXAMPLES)
def test_only_the_hosts_file_is_an_inventory_source(name):
    folder = ROOT / "inventories" / name
    sources = sorted(
        str(path.relative_to(folder)) for path in folder.rglob("*")
        if path.is_file() and path.relative_to(folder).parts[0] not in VARS_FOLDERS
    )
    assert sources == ["hosts.yml"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_ansible_reads_the_inventory_without_a_warning(name):
    folder = ROOT / "inventories" / name
    proc = _ansible_inventory(folder)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    listed = json.loads(proc.stdout)
    hosts = set(listed["_meta"]["hostvars"])
    declared = yaml.safe_load((folder / "hosts.yml").read_text(encoding="utf-8"))

    def members(group):
        found = set((group or {}).get("hosts") or {})
        for child in ((group or {}).get("children") or {}).values():
            found |= members(child)
        return found

    assert hosts == members(declared["all"])
    # vault.yml.example is a template for vault.yml, never loaded as group_vars.
    assert not any(key.startswith("vault_") for values in listed["_meta"]["hostvars"].values() for key in values)


@pytest.mark.parametrize("name", EXAMPLES)
def test_files_the_example_names_are_outside_the_inventory_folder(name):
    folder = ROOT / "inventories" / name
    settings = yaml.safe_load((folder / "group_vars" / "all" / "main.yml").read_text(encoding="utf-8"))
    for variable in SOURCE_VARIABLES:
        template = settings[variable]
        assert template.startswith("{{ inventory_dir }}/"), variable
        path = os.path.normpath(template.replace("{{ inventory_dir }}", str(folder)))
        assert not path.startswith(str(folder) + os.sep), f"{variable} points inside {folder}: {path}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_pki_folder_is_beside_the_inventory_folder_not_inside(name):
    """The PKI writes keys and certificates; inside an inventory folder Ansible would parse them."""
    folder = ROOT / "inventories" / name
    defaults = yaml.safe_load((ROOT / "roles/_common/defaults/main.yml").read_text(encoding="utf-8"))
    template = defaults["wso2am_pki_dir"]
    assert template == ("{{ inventory_dir | default(playbook_dir, true) | dirname }}/pki/"
                        "{{ inventory_dir | default(playbook_dir, true) | basename }}")
    path = os.path.join(os.path.dirname(str(folder)), "pki", os.path.basename(str(folder)))
    assert not path.startswith(str(folder) + os.sep) and os.path.basename(path) == name
