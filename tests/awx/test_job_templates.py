# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""awx/job_templates.yml (the job templates and surveys as data) and awx/configure.yml: the
surveys are valid for AWX, ask only what the collection reads, and default to the collection's
own defaults; the playbook that applies them passes the syntax check. No AWX server is needed."""

from __future__ import annotations

import re

import pytest
import yaml

from awxlib import AWX_DIR, PROJECT_SKELETON, REPO, run, tool

DATA = yaml.safe_load((AWX_DIR / "job_templates.yml").read_text())
TEMPLATES = {jt["name"]: jt for jt in DATA["wso2am_awx_job_templates"]}
QUESTION_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
COMMON_DEFAULTS = yaml.safe_load((REPO / "roles" / "_common" / "defaults" / "main.yml").read_text())
SITE = (REPO / "playbooks" / "site.yml").read_text()


def _survey_errors(question: dict, value) -> list[str]:
    """The checks AWX applies to an answer (and to a default before it uses it)."""
    kind, errors = question["type"], []
    if kind in ("text", "textarea", "password"):
        if not isinstance(value, str):
            return [f"{value!r} is not a string"]
        if question.get("min") not in ("", None) and len(value) < int(question["min"]):
            errors.append("too short")
        if question.get("max") not in ("", None) and len(value) > int(question["max"]):
            errors.append("too long")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):  # AWX wants the exact type int
            return [f"{value!r} is not an integer"]
        if question.get("min") not in ("", None) and value < int(question["min"]):
            errors.append("too small")
        if question.get("max") not in ("", None) and value > int(question["max"]):
            errors.append("too large")
    elif kind == "multiplechoice":
        choices = question["choices"]
        choices = choices if isinstance(choices, list) else [c for c in choices.splitlines() if c.strip()]
        if value not in choices:
            errors.append(f"{value!r} is not one of {choices}")
    return errors


def _questions():
    for jt in TEMPLATES.values():
        for question in jt["survey"].get("spec", []):
            yield jt["name"], question


def test_every_template_runs_a_playbook_of_the_project():
    assert {jt["playbook"] for jt in TEMPLATES.values()} == {"site.yml", "render.yml", "status.yml"}
    for jt in TEMPLATES.values():
        assert (PROJECT_SKELETON / jt["playbook"]).is_file(), jt["playbook"]
        assert set(jt["credentials"]) <= set(DATA["wso2am_awx_credentials"]), jt["name"]
    types = {c["credential_type"] for c in DATA["wso2am_awx_credentials"].values()}
    assert types == {"Machine", "Vault"}
    assert "vault" in TEMPLATES["WSO2 API-M | deploy"]["credentials"]
    assert "machine" in TEMPLATES["WSO2 API-M | deploy"]["credentials"]
    assert TEMPLATES["WSO2 API-M | deploy"]["become_enabled"] is True
    assert TEMPLATES["WSO2 API-M | render"]["become_enabled"] is False, "render runs only in the EE (no sudo)"


def test_surveys_are_valid_for_awx():
    for jt in TEMPLATES.values():
        survey = jt["survey"]
        if not survey:
            continue
        assert survey.get("name") and "description" in survey, jt["name"]
        variables = [q["variable"] for q in survey["spec"]]
        assert len(variables) == len(set(variables)), jt["name"]
    for name, question in _questions():
        where = f"{name}: {question.get('variable')}"
        for key in ("question_name", "variable", "type", "required"):
            assert key in question, f"{where}: no {key}"
        assert question["type"] in QUESTION_TYPES, where
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", question["variable"]), where
        assert question["type"] != "password" or not question.get("default"), f"{where}: no password in a default"
        default = question.get("default")
        if default in (None, ""):
            # AWX sends no default that fails its own checks: an empty one must fail them (or
            # the question be required), else "" would override the inventory.
            assert question["required"] and _survey_errors(question, ""), f"{where}: an empty default would be sent"
        else:
            assert not _survey_errors(question, default), f"{where}: default {default!r}: {_survey_errors(question, default)}"


def test_survey_variables_are_read_by_the_collection():
    known = set(COMMON_DEFAULTS) | set(re.findall(r"\b(wso2am_[a-z_]+)\b", SITE))
    for name, question in _questions():
        assert question["variable"] in known, f"{name}: {question['variable']} is read by nothing"


def test_survey_defaults_are_the_collection_defaults():
    """A default is sent on every launch and beats the inventory: it must change nothing."""
    playbook_defaults = {"wso2am_limit_to": "all", "wso2am_serial": 1}
    for name, question in _questions():
        default = question.get("default")
        if default in (None, ""):
            continue
        variable = question["variable"]
        expected = playbook_defaults.get(variable, COMMON_DEFAULTS.get(variable))
        if isinstance(expected, bool):
            expected = "true" if expected else "false"
        assert default == expected, f"{name}: {variable} defaults to {default!r}, the collection to {expected!r}"
    # the defaults site.yml gives the two playbook variables
    assert "wso2am_limit_to | default('all')" in SITE
    assert "wso2am_serial | default(1)" in SITE


@pytest.mark.parametrize("playbook", ["configure.yml", "project/site.yml", "project/render.yml", "project/status.yml"])
def test_playbooks_pass_the_syntax_check(playbook):
    run([tool("ansible-playbook"), "--syntax-check", "-i", "localhost,", str(AWX_DIR / playbook)], cwd=REPO)
