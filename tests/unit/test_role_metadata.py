"""Gates on the roles' metadata: argument specs agree with defaults, templates carry ansible_managed.

Which defaults a role's spec must show:

- its own defaults/main.yml;
- for a role that includes the internal role common (the component roles), also
  roles/_common/defaults/main.yml: common runs inside it, so those settings apply with common's
  defaults;
- nothing else. Host variables (read by the topology from the inventory) and playbook variables
  (wso2am_serial, wso2am_limit_to) have no entry in any defaults/main.yml: their options carry no
  default, and their description says what happens when they are unset.
"""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()) if (ROOT / "roles").is_dir() else []
TEMPLATES = sorted((ROOT / "roles").glob("*/templates/**/*.j2"))
COMMON = ROOT / "roles" / "_common"
INCLUDE_ACTIONS = {
    "include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role",
}


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _defaults(role):
    path = role / "defaults" / "main.yml"
    return _load(path) if path.is_file() else {}


def _entry_points(role):
    return _load(role / "meta" / "argument_specs.yml")["argument_specs"]


def _includes_common(role):
    """True when the role's tasks/main.yml includes or imports wso2am.distributed._common."""
    tasks = role / "tasks" / "main.yml"
    for task in (_load(tasks) if tasks.is_file() else None) or []:
        for action in INCLUDE_ACTIONS.intersection(task):
            if (task[action] or {}).get("name") == "wso2am.distributed._common":
                return True
    return False


def _effective_defaults(role):
    """The defaults that apply while the role runs."""
    defaults = dict(_defaults(COMMON)) if role != COMMON and _includes_common(role) else {}
    defaults.update(_defaults(role))
    return defaults


def _text(description):
    return " ".join(description) if isinstance(description, list) else str(description or "")


def test_every_component_role_exists():
    names = {role.name for role in ROLES}
    assert {"control_plane", "gateway", "traffic_manager", "database", "_common"} <= names


def test_component_roles_include_common():
    for name in ("control_plane", "gateway", "traffic_manager", "key_manager"):
        assert _includes_common(ROOT / "roles" / name), name


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_match_defaults(role):
    spec_file = role / "meta" / "argument_specs.yml"
    assert spec_file.is_file(), "%s has no meta/argument_specs.yml" % role.name
    entries = _entry_points(role)
    assert "main" in entries, "%s: no main entry point" % role.name
    defaults = _effective_defaults(role)
    options = entries["main"].get("options") or {}

    assert set(defaults) == {k for k, v in options.items() if "default" in v}, (
        "keys differ between the defaults (defaults/main.yml%s) and meta/argument_specs.yml of %s"
        % (" and roles/_common/defaults/main.yml" if _includes_common(role) else "", role.name)
    )
    for key in _defaults(role):
        assert options[key].get("description"), "%s: %s has no description" % (role.name, key)
    for entry, spec in entries.items():
        for key, option in (spec.get("options") or {}).items():
            assert key.startswith("wso2am_"), "%s: public variable %s lacks the wso2am_ prefix" % (role.name, key)
            if "default" in option:
                assert key in defaults, "%s (%s): %s has a default but no defaults/main.yml sets it" % (role.name, entry, key)
                assert option["default"] == defaults[key], "%s (%s): default of %s differs" % (role.name, entry, key)


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_options_without_default_say_what_unset_means(role):
    """A host or playbook variable has no default: its description must tell what happens without it."""
    for entry, spec in _entry_points(role).items():
        for key, option in (spec.get("options") or {}).items():
            if "default" in option or option.get("required"):
                continue
            assert "unset" in _text(option.get("description")).lower(), (
                "%s (%s): %s has no default and its description does not say what happens when it is unset"
                % (role.name, entry, key)
            )


def test_repeated_shared_settings_keep_common_defaults():
    """A role that repeats a shared setting in its defaults (database) keeps common's value."""
    common = _defaults(COMMON)
    for role in ROLES:
        if role == COMMON:
            continue
        for key, value in _defaults(role).items():
            if key in common:
                assert value == common[key], "%s: default of %s differs from roles/_common/defaults/main.yml" % (role.name, key)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_start_with_ansible_managed(template):
    first = template.read_text(encoding="utf-8").lstrip().splitlines()[0]
    assert "ansible_managed" in first and "comment" in first, template
