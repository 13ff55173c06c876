# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The roles document their interface (ansible-doc -t role wso2am.distributed.<role>).

- the generated part of every meta/argument_specs.yml, and docs/variables.md, are what
  scripts/gen-role-specs.py writes from the one hand-written source (the `main` entry point of
  roles/_common/meta/argument_specs.yml);
- every variable a role reads (its task files and those of common, the host variables the
  topology reads, the variables of its play in playbooks/site.yml) is in its spec;
- a description says more than the option's name; secrets are no_log; wso2am_db_type has its
  choices; the entry points the playbooks use exist.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "gen-role-specs.py"
RUN = "run: python scripts/gen-role-specs.py"
SPEC_FILES = sorted((ROOT / "roles").glob("*/meta/argument_specs.yml"))
NAME = re.compile(r"\bwso2am_[a-z0-9_]*[a-z0-9]\b(?!\.py)")
MARKUP = re.compile(r"\b(?:RV|[CIBOVEMPU])\(([^)]*)\)")
SECRET = re.compile(r"password|_secret$|_token$|_key$")
# wso2am_* words in the task files that are not variables the role reads.
NOT_READ = {
    "_common": {
        "wso2am_install": "a tag",
        "wso2am_configure": "a tag",
        "wso2am_run": "a tag",
        "wso2am_db_clients": "computed by preflight for the database role",
        "wso2am_db_manage_server": "named in a preflight message; a setting of the database role",
        "wso2am_lb_drain_host": "passed by restart.yml to the load balancer role's drain.yml",
    },
    "database": {
        "wso2am_db_client_address": "named in a preflight message; a host variable of the node hosts",
    },
}


def _generator():
    spec = importlib.util.spec_from_file_location("gen_role_specs", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _entries(role):
    return _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]


def _all_options():
    """(where, name, spec) of every option and sub-option of every role's spec."""
    found = []

    def walk(where, options):
        for name, spec in (options or {}).items():
            found.append((where, name, spec))
            walk("%s %s" % (where, name), spec.get("options"))

    for path in SPEC_FILES:
        for entry, spec in _load(path)["argument_specs"].items():
            walk("%s:%s" % (path.parent.parent.name, entry), spec.get("options"))
    return found


# --- generated files ---------------------------------------------------------------------

@pytest.mark.parametrize("role", ("_common",) + GEN.PUBLIC_ROLES)
def test_role_spec_is_what_the_generator_writes(role):
    path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    assert path.read_text(encoding="utf-8") == GEN.spec_text(role), "%s is out of date; %s" % (path.relative_to(ROOT), RUN)


def test_variables_doc_is_what_the_generator_writes():
    assert GEN.DOC.is_file(), "docs/variables.md is missing; " + RUN
    assert GEN.DOC.read_text(encoding="utf-8") == GEN.variables_doc(), "docs/variables.md is out of date; " + RUN


def test_generator_check_passes():
    assert GEN.main(["--check"]) == 0


def test_a_source_edit_reaches_every_generated_file(tmp_path, monkeypatch):
    """The up-to-date tests are real: a changed source description changes every output."""
    for role in ("_common",) + GEN.PUBLIC_ROLES:
        for sub in ("meta", "defaults"):
            if (ROOT / "roles" / role / sub).is_dir():
                shutil.copytree(ROOT / "roles" / role / sub, tmp_path / "roles" / role / sub)
    monkeypatch.setattr(GEN, "ROLES", tmp_path / "roles")
    source = tmp_path / "roles" / "_common" / "meta" / "argument_specs.yml"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("Mask every secret in the", "Hide the passwords of the", 1), encoding="utf-8")
    for role in ("control_plane", "gateway", "traffic_manager", "key_manager"):
        assert "Hide the passwords of the" in GEN.spec_text(role), role
        assert GEN.spec_text(role) != (ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8")
    assert "Hide the passwords of the" in GEN.spec_text("_common").split(GEN.MARKER, 1)[1]
    assert "Hide the passwords of the" in GEN.variables_doc()


def test_generated_part_is_not_edited_by_hand():
    for path in SPEC_FILES:
        assert path.read_text(encoding="utf-8").count(GEN.MARKER) == 1, "%s: exactly one marker line expected" % path


# --- every variable a role reads is documented ----------------------------------------------

def _names(paths, exempt):
    names = set()
    for path in paths:
        if path.is_file():
            names.update(NAME.findall(path.read_text(encoding="utf-8")))
    return names - set(exempt)


def _role_files(role):
    base = ROOT / "roles" / role
    return [p for sub in ("tasks", "templates", "vars", "handlers") for p in sorted((base / sub).rglob("*"))]


def _lb_own_options():
    """The load balancer role's own settings (read on the load balancer hosts only, by its tasks and
    by the validation): documented by that role, not by the component roles."""
    return set(_entries("load_balancer")["main"]["options"]) - set(GEN.source_options())


def _host_variables():
    """The host variables the plugins read from hostvars: every string literal that is a wso2am_*
    name in plugins/ (the topology's hv.get("wso2am_hostname") ...), and the per-component offsets,
    except the load balancer role's own settings."""
    names = set()
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        names.update(re.findall(r'"(wso2am_[a-z0-9_]+)"', source))
        if 'f"wso2am_{component}_offset"' in source:
            names.update("wso2am_%s_offset" % component for component in GEN.COMPONENT_ROLES)
    return names - _lb_own_options()


def _play_variables(role):
    """wso2am_* variables of the play of playbooks/site.yml that applies ``role`` (hosts, serial...)."""
    names = set()
    for play in _load(ROOT / "playbooks" / "site.yml"):
        roles = [item["role"] if isinstance(item, dict) else item for item in play.get("roles") or []]
        if "wso2am.distributed.%s" % role in roles:
            header = {key: value for key, value in play.items() if key not in ("roles", "tasks")}
            names.update(NAME.findall(yaml.safe_dump(header)))
    return names


def test_host_variables_are_found():
    assert {"wso2am_hostname", "wso2am_gateway_labels", "wso2am_key_manager_offset", "wso2am_event_hub_url"} <= _host_variables()


@pytest.mark.parametrize("role", ("control_plane", "gateway", "traffic_manager", "key_manager"))
def test_component_role_documents_every_variable_it_reads(role):
    read = _names(_role_files("_common") + _role_files(role), NOT_READ["_common"])
    read -= {"wso2am_component"}  # set by the role itself
    read |= _host_variables() | _play_variables(role)
    assert {"wso2am_serial", "wso2am_limit_to"} <= read
    missing = sorted(read - set(_entries(role)["main"]["options"]))
    assert not missing, "%s reads but does not document: %s" % (role, ", ".join(missing))


def test_database_role_documents_every_variable_it_reads():
    read = _names(_role_files("database"), NOT_READ["database"]) | _play_variables("database")
    assert "wso2am_limit_to" in read
    missing = sorted(read - set(_entries("database")["main"]["options"]))
    assert not missing, "database reads but does not document: %s" % ", ".join(missing)


def test_load_balancer_role_documents_every_variable_it_reads():
    read = _names(_role_files("load_balancer"), {}) | _play_variables("load_balancer")
    assert {"wso2am_limit_to", "wso2am_lb_drain_timeout", "wso2am_lb_drain_host"} <= read
    entries = _entries("load_balancer")
    documented = set().union(*((spec.get("options") or {}).keys() for spec in entries.values()))
    missing = sorted(read - documented)
    assert not missing, "load_balancer reads but does not document: %s" % ", ".join(missing)
    # The names it serves are host variables of the topology, documented once in the source.
    assert {"wso2am_lb_control_plane_hostname", "wso2am_lb_gateway_hostnames"} <= set(GEN.source_options())
    assert {"wso2am_lb_control_plane_hostname", "wso2am_hostname"} <= set(entries["main"]["options"])
    assert entries["drain"]["options"]["wso2am_lb_drain_host"]["required"] is True


def test_common_entry_points_match_the_task_files_the_playbooks_use():
    entries = _entries("_common")
    used = set()
    for playbook in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in _load(playbook):
            for task in play.get("tasks") or []:
                include = task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role") or {}
                if include.get("name") == "wso2am.distributed._common" and include.get("tasks_from"):
                    used.add(Path(include["tasks_from"]).stem)
    assert used == {"validate", "pki", "preflight", "render", "status", "decommission"}
    for entry in used:
        assert entry in entries, "roles/_common has no entry point %s" % entry
        assert (ROOT / "roles" / "_common" / "tasks" / ("%s.yml" % entry)).is_file()
        assert "wso2am_component" not in entries[entry]["options"], entry
    assert entries["main"]["options"]["wso2am_component"]["required"] is True
    validate = (ROOT / "roles" / "_common" / "tasks" / "validate.yml").read_text(encoding="utf-8")
    assert "argument_specs.main.options" in validate


# --- descriptions, secrets, choices -----------------------------------------------------------

def _normal(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())


def repeats_name(name, description):
    """True when the description is only the option's name (case, underscores, markup ignored)."""
    if isinstance(description, list):
        description = " ".join(str(part) for part in description)
    text = _normal(MARKUP.sub(r"\1", str(description or "")))
    bare = name[len("wso2am_"):] if name.startswith("wso2am_") else name
    return text in ("", _normal(name), _normal(bare), "the" + _normal(name), "the" + _normal(bare))


def test_repeats_name_catches_a_bare_name():
    assert repeats_name("wso2am_heap_max", ["wso2am_heap_max"])
    assert repeats_name("wso2am_heap_max", "Wso2am heap max.")
    assert repeats_name("wso2am_heap_max", "O(wso2am_heap_max)")
    assert repeats_name("wso2am_db_shared_user", "DB shared user")
    assert repeats_name("wso2am_truststore_src", "")
    assert not repeats_name("wso2am_heap_max", "Maximum JVM heap, the -Xmx of JVM_MEM_OPTS.")


@pytest.mark.parametrize("where,name,spec", [pytest.param(w, n, s, id="%s %s" % (w, n)) for w, n, s in _all_options()])
def test_description_says_more_than_the_name(where, name, spec):
    assert not repeats_name(name, spec.get("description")), "%s: the description of %s only repeats its name" % (where, name)


def test_secrets_are_no_log():
    for where, name, spec in _all_options():
        if SECRET.search(name):
            assert spec.get("no_log") is True, "%s: %s is a secret and needs no_log: true" % (where, name)


def test_db_type_lists_the_types_the_database_role_implements():
    types = _load(ROOT / "roles" / "database" / "vars" / "main.yml")["_wso2am_db_types"]
    seen = 0
    for where, name, spec in _all_options():
        if name == "wso2am_db_type":
            seen += 1
            assert spec.get("choices") == types, where
    # every public role but the load balancer, and common's main
    assert seen >= len(GEN.PUBLIC_ROLES) - 1 + 1
