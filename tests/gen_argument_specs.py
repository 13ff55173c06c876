"""Developer helper: (re)generate a role's meta/argument_specs.yml options from its commented defaults.

Usage: python tests/gen_argument_specs.py roles/common "Short description"
The comment lines right above a key become its description. The test suite does not run this;
it checks the result against defaults/main.yml (tests/unit/test_role_metadata.py).
"""
import sys
from pathlib import Path

import yaml


class _Dumper(yaml.SafeDumper):
    """Indents sequences under their key, as yamllint expects."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


EXTRA = {
    "common": {
        "wso2am_component": {
            "type": "str",
            "required": True,
            "choices": ["control_plane", "gateway", "traffic_manager", "key_manager"],
            "description": ["Which node this is; set by the component role that includes this internal role."],
        }
    }
}


def main(role, short):
    role = Path(role)
    text = (role / "defaults" / "main.yml").read_text()
    values = yaml.safe_load(text) or {}
    comments, pending = {}, []
    for line in text.splitlines():
        if line.startswith("#") and not line.startswith("# ---"):
            pending.append(line.lstrip("# ").rstrip())
        elif line and not line.startswith(" ") and ":" in line and not line.startswith("---"):
            comments[line.split(":")[0]] = " ".join(pending) or line.split(":")[0]
            pending = []
        elif not line.strip():
            pending = []
    types = {bool: "bool", int: "int", str: "str", dict: "dict", list: "list"}
    options = {}
    for key, value in values.items():
        options[key] = {"type": types[type(value)], "default": value, "description": [comments[key]]}
    options.update(EXTRA.get(role.name, {}))
    spec = {"argument_specs": {"main": {"short_description": short, "options": options}}}
    out = role / "meta" / "argument_specs.yml"
    with open(out, "w") as handle:
        handle.write("---\n")
        yaml.dump(spec, handle, Dumper=_Dumper, sort_keys=False, width=110, default_flow_style=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
