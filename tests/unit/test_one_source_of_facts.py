# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""WSO2 facts are stated once, in plugins/plugin_utils/wso2am_facts.py.

The roles read them through the wso2am.distributed.facts filter and the model imports them;
this test greps the code (not comments, docs or argument spec descriptions) for a sample of
facts that copies would carry: ports, driver classes, pack and keystore names, server roles.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FACTS = ROOT / "plugins" / "plugin_utils" / "wso2am_facts.py"
SAMPLES = (
    "9443", "9763", "8243", "8280", "5672", "9611", "9711", "3306", "5432",
    "com.mysql.cj.jdbc.Driver", "org.postgresql.Driver", "org.mariadb.jdbc.Driver",
    "wso2am-acp", "wso2am-universal-gw", "wso2am-tm", "api-cp.sh", "key-manager.sh", "traffic-manager.sh",
    "wso2carbon.jks", "client-truststore.jks", "gateway-worker", "control-plane",
    "libmariadb-java", "repo1.maven.org",
)
DOC_NAMES = {"DOCUMENTATION", "EXAMPLES", "RETURN"}


def _yaml_code_lines(path):
    """Lines of a YAML or Jinja file without comments (# to the end of the line, outside quotes)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.split(" #", 1)[0]
        if stripped.lstrip().startswith("#"):
            continue
        yield number, stripped


def _python_code_strings(path):
    """String and number constants of a Python file, without docstrings and the plugin docs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id in DOC_NAMES for target in node.targets
        ):
            skip.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in skip and isinstance(node.value, (str, int)):
            yield node.lineno, str(node.value)
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.Constant):
                    yield node.lineno, str(part.value)


def _code_files():
    for pattern in ("roles/*/tasks/**/*.yml", "roles/*/vars/*.yml", "roles/*/handlers/*.yml",
                    "roles/*/templates/*.j2", "playbooks/*.yml"):
        yield from sorted(ROOT.glob(pattern))
    for path in sorted(ROOT.glob("plugins/**/*.py")):
        if path != FACTS:
            yield path


def _copies():
    found = []
    for path in _code_files():
        lines = _python_code_strings(path) if path.suffix == ".py" else _yaml_code_lines(path)
        for number, text in lines:
            for sample in SAMPLES:
                if re.search(r"(?<![\w.-])" + re.escape(sample) + r"(?![\w-])", text):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {sample}")
    return found


def test_the_facts_module_states_every_sample():
    text = FACTS.read_text(encoding="utf-8")
    missing = [s for s in SAMPLES if s not in text and s not in ("gateway-worker", "control-plane", "libmariadb-java")]
    assert missing == []


def test_no_fact_is_stated_outside_the_facts_module():
    assert _copies() == []


@pytest.mark.parametrize("line", ["port: 3306", 'driver: "org.postgresql.Driver"', "pack: wso2am-acp-{{ v }}"])
def test_the_grep_finds_a_copy(tmp_path, line):
    """The check itself can fail: a copy in a task file is found."""
    path = tmp_path / "task.yml"
    path.write_text(f"---\n- name: x\n  vars:\n    {line}  # a comment\n", encoding="utf-8")
    hits = [text for _n, text in _yaml_code_lines(path) if any(s in text for s in SAMPLES)]
    assert hits
