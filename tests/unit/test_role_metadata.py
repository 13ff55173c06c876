"""Gates on the roles' metadata: argument specs agree with defaults, templates carry ansible_managed."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()) if (ROOT / "roles").is_dir() else []
TEMPLATES = sorted((ROOT / "roles").glob("*/templates/**/*.j2"))


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def test_every_component_role_exists():
    names = {role.name for role in ROLES}
    assert {"control_plane", "gateway", "traffic_manager", "database", "common"} <= names


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_match_defaults(role):
    spec_file = role / "meta" / "argument_specs.yml"
    assert spec_file.is_file(), "%s has no meta/argument_specs.yml" % role.name
    options = _load(spec_file)["argument_specs"]["main"].get("options") or {}
    defaults_file = role / "defaults" / "main.yml"
    defaults = _load(defaults_file) if defaults_file.is_file() else {}

    assert set(defaults) == {k for k, v in options.items() if "default" in v}, (
        "keys differ between defaults/main.yml and meta/argument_specs.yml of %s" % role.name
    )
    for key, value in defaults.items():
        assert options[key]["default"] == value, "%s: default of %s differs" % (role.name, key)
        assert options[key].get("description"), "%s: %s has no description" % (role.name, key)
    for key in options:
        assert key.startswith("wso2am_"), "%s: public variable %s lacks the wso2am_ prefix" % (role.name, key)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_start_with_ansible_managed(template):
    first = template.read_text(encoding="utf-8").lstrip().splitlines()[0]
    assert "ansible_managed" in first and "comment" in first, template
