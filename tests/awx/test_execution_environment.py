# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""The execution environment definition (execution-environment/) makes a build context
offline, and that context carries the three requirement files and an installable copy of
the collection."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from awxlib import EE_DIR, REPO, ansible_env, run, tool

# Any attempt to reach the network through a proxy-aware client fails at once.
OFFLINE = {
    name: "http://127.0.0.1:9"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
}
OFFLINE.update(no_proxy="", NO_PROXY="", PIP_NO_INDEX="1", ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/")


def _requirement_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=!~\[ ;]", line, maxsplit=1)[0].lower())
    return names


def _bindep_packages(text: str) -> dict[str, str]:
    packages = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            parts = line.split(None, 1)
            packages[parts[0]] = packages.get(parts[0], "") + (parts[1] if len(parts) > 1 else "")
    return packages


def test_definition_is_schema_v3_and_pins_the_tested_versions():
    ee = yaml.safe_load((EE_DIR / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    deps = ee["dependencies"]
    assert {deps["galaxy"], deps["python"], deps["system"]} == {"requirements.yml", "requirements.txt", "bindep.txt"}
    # The EE runs what the test suite runs (tests/requirements-dev.txt).
    dev = (REPO / "tests" / "requirements-dev.txt").read_text()
    for package in ("ansible-core", "ansible-runner"):
        pinned = re.search(rf"^{package}==(\S+)$", dev, re.M).group(1)
        key = package.replace("-", "_")
        assert deps[key]["package_pip"] == f"{package}=={pinned}"


def test_requirements_match_the_collection():
    """The EE's requirement files agree with galaxy.yml and the collection's own files."""
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    ee_collections = {c["name"]: c for c in yaml.safe_load((EE_DIR / "requirements.yml").read_text())["collections"]}
    for name, version in galaxy["dependencies"].items():
        assert name in ee_collections, f"{name} (galaxy.yml dependency) missing from execution-environment/requirements.yml"
        assert ee_collections[name].get("version") == version
    local = [c for c in ee_collections.values() if c.get("type") == "dir"]
    assert len(local) == 1, "the collection itself is installed from the build context (type: dir)"
    # Every collection the roles call is in the EE.
    used = set()
    for path in (REPO / "roles").rglob("*.yml"):
        used.update(re.findall(r"\b((?!ansible\.builtin)[a-z_]+\.[a-z_]+)\.[a-z_]+:", path.read_text()))
    assert used, "no collection module found in roles/: the pattern is out of date"
    assert used <= set(ee_collections), f"collections used by the roles but not in the EE: {used - set(ee_collections)}"
    assert _requirement_names((REPO / "requirements.txt").read_text()) <= _requirement_names(
        (EE_DIR / "requirements.txt").read_text()
    )
    bindep = _bindep_packages((EE_DIR / "bindep.txt").read_text())
    assert "platform:rpm" in bindep.get("openssh-clients", ""), "ssh is the connection to the nodes"


def test_ansible_builder_create_works_offline(tmp_path: Path):
    context = tmp_path / "context"
    run(
        [tool("ansible-builder"), "create", "-f", str(EE_DIR / "execution-environment.yml"),
         "--context", str(context), "--output-filename", "Containerfile", "-v3"],
        env=ansible_env(**OFFLINE),
        cwd=tmp_path,
    )
    build = context / "_build"
    assert (context / "Containerfile").is_file()
    for name in ("requirements.yml", "requirements.txt", "bindep.txt"):
        assert (build / name).read_text() == (EE_DIR / name).read_text(), name
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "COPY _build /build" in containerfile, "requirements.yml names /build/wso2am.distributed"

    # The copy of the collection in the context is complete: ansible-galaxy installs it
    # offline, with its roles, playbooks, filters and the files introspection reads.
    copy = build / "wso2am.distributed"
    for part in ("galaxy.yml", "README.md", "meta/runtime.yml", "meta/execution-environment.yml",
                 "requirements.txt", "bindep.txt", "playbooks/site.yml", "plugins/filter/tier_hosts.py",
                 "roles/_common/tasks/main.yml", "roles/database/meta/argument_specs.yml"):
        assert (copy / part).is_file(), part
    # The entry of requirements.yml, with /build (the context's _build in the image) mapped here.
    entry = next(c for c in yaml.safe_load((build / "requirements.yml").read_text())["collections"] if c.get("type") == "dir")
    assert entry["name"].startswith("/build/")
    requirements = tmp_path / "requirements-dir.yml"
    requirements.write_text(yaml.safe_dump({"collections": [{"name": str(build / entry["name"][len("/build/"):]), "type": "dir"}]}))
    dest = tmp_path / "installed"
    run(
        [tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force", "-p", str(dest), "-r", str(requirements)],
        env=ansible_env(ANSIBLE_COLLECTIONS_PATH=str(dest), **OFFLINE),
        cwd=tmp_path,
    )
    installed = dest / "ansible_collections" / "wso2am" / "distributed"
    assert (installed / "MANIFEST.json").is_file()
    assert (installed / "playbooks" / "site.yml").read_text() == (REPO / "playbooks" / "site.yml").read_text()
    assert not list(installed.rglob("__pycache__")), "build_ignore / default ignores keep caches out"


def test_collection_ee_metadata_points_at_existing_files():
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    for key in ("python", "system"):
        assert (REPO / meta["dependencies"][key]).is_file()
