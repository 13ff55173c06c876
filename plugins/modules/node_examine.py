#!/usr/bin/python
# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_examine
short_description: Read in one module run what wso2am.distributed needs to know of a node
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Reads, without changing anything, what it is asked among the JDK version, whether C(systemd-creds) works,
    which release a stable path points at, whether paths exist, a few small files, which Debian packages are
    installed, and whether the product's user and group exist as wanted. One module run instead of one per question
    (M(ansible.builtin.command), M(ansible.builtin.stat), M(ansible.builtin.slurp) and M(ansible.builtin.apt)
    each take a round trip to the node, which a run that changes nothing pays on every node).
  - The preflight of C(wso2am.distributed.site) runs it (the install phase then skips the package and user tasks
    when the node already has what they would make), and each node's install phase (its release and a restart
    an earlier run left pending).
options:
  java_home:
    description: The JDK whose C(bin/java -version) to read; unset reads none.
    type: path
  systemd_creds:
    description: Whether to run C(systemd-creds --version).
    type: bool
    default: false
  paths:
    description: Paths whose existence to read (a link counts when it exists itself).
    type: list
    elements: path
    default: []
  links:
    description: Paths (the stable paths of the node's components) to read as symbolic links.
    type: list
    elements: path
    default: []
  files:
    description: Small text files to read (absent ones read as null).
    type: list
    elements: path
    default: []
  packages:
    description: Debian packages whose installed state to read with C(dpkg-query).
    type: list
    elements: str
    default: []
  user:
    description: The user that runs the product; unset reads no account.
    type: str
  group:
    description: The user's primary group (with O(user)).
    type: str
  home:
    description: The home folder the user must have (with O(user)).
    type: path
  shell:
    description: The login shell the user must have.
    type: str
    default: /usr/sbin/nologin
extends_documentation_fragment:
  - wso2am.distributed.read_only
"""

EXAMPLES = r"""
- name: Read what preflight needs of the node
  wso2am.distributed.node_examine:
    java_home: /usr/lib/jvm/java-21-openjdk-amd64
    systemd_creds: true
    links: [/opt/wso2am/gateway]
    files: [/opt/wso2am/state/encryption-key.sha256]
    packages: [openjdk-21-jre-headless, unzip, acl]
    user: wso2carbon
    group: wso2
    home: /opt/wso2am
  register: node
"""

RETURN = r"""
java:
  description: The JDK's C(java -version) (its version is printed on stderr); rc 2 when there is no JDK there.
  returned: when O(java_home) is set
  type: dict
  sample: {rc: 0, stderr: 'openjdk version "21.0.5" 2024-10-15'}
systemd_creds:
  description: C(systemd-creds --version); rc 2 and a message when the command is missing.
  returned: when O(systemd_creds) is true
  type: dict
paths:
  description: For each path of O(paths), whether it exists.
  returned: always
  type: dict
  sample: {/opt/wso2am/state/gateway/restart-pending: false}
links:
  description: One entry per path of O(links), in order.
  returned: always
  type: list
  elements: dict
  sample: [{path: /opt/wso2am/gateway, exists: true, islnk: true, lnk_source: /opt/wso2am/releases/gateway/wso2am-universal-gw-4.6.0}]
files:
  description: The content of each file of O(files), null when it does not exist.
  returned: always
  type: dict
packages:
  description: For each package of O(packages), whether it is installed.
  returned: always
  type: dict
  sample: {unzip: true, acl: false}
account:
  description: Whether the group exists and the user exists with that primary group, O(home) and O(shell).
  returned: when O(user) is set
  type: dict
  sample: {group: true, user: true}
"""

import grp
import os
import pwd
import subprocess

from ansible.module_utils.basic import AnsibleModule


def run(argv):
    """{rc, stdout, stderr} of a command; rc 2 with the error as msg when it cannot start."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except OSError as exc:
        return {"rc": 2, "stdout": "", "stderr": "", "msg": str(exc)}
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "msg": ""}


def link(path):
    """What M(ansible.builtin.stat) with follow=false says of a path, in its terms."""
    if not os.path.lexists(path):
        return {"path": path, "exists": False, "islnk": False, "lnk_source": None}
    islnk = os.path.islink(path)
    return {"path": path, "exists": True, "islnk": islnk, "lnk_source": os.path.realpath(path) if islnk else None}


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def installed(names, runner=run):
    """{package: installed} from dpkg-query (an unknown package is not installed)."""
    if not names:
        return {}
    out = runner(["dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\n", *names])
    state = {}
    for line in out["stdout"].splitlines():
        name, _tab, abbrev = line.partition("\t")
        # "ii " is installed and configured; dpkg-query names a package with its :arch when asked so.
        state[name.split(":")[0]] = abbrev.startswith("ii")
    return {name: state.get(name.split(":")[0], False) for name in names}


def account(user, group, home, shell):
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return {"group": False, "user": False}
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return {"group": True, "user": False}
    return {"group": True, "user": entry.pw_gid == gid and entry.pw_dir == home and entry.pw_shell == shell}


def main():
    module = AnsibleModule(
        argument_spec={
            "java_home": {"type": "path"},
            "systemd_creds": {"type": "bool", "default": False},
            "paths": {"type": "list", "elements": "path", "default": []},
            "links": {"type": "list", "elements": "path", "default": []},
            "files": {"type": "list", "elements": "path", "default": []},
            "packages": {"type": "list", "elements": "str", "default": []},
            "user": {"type": "str"},
            "group": {"type": "str"},
            "home": {"type": "path"},
            "shell": {"type": "str", "default": "/usr/sbin/nologin"},
        },
        required_by={"user": ("group", "home")},
        supports_check_mode=True,
    )
    p = module.params
    found = {
        "paths": {path: os.path.lexists(path) for path in p["paths"]},
        "links": [link(path) for path in p["links"]],
        "files": {path: read(path) for path in p["files"]},
        "packages": installed(p["packages"]),
    }
    if p["java_home"]:
        java = run([os.path.join(p["java_home"], "bin", "java"), "-version"])
        found["java"] = {"rc": java["rc"], "stderr": java["stderr"], "msg": java["msg"]}
    if p["systemd_creds"]:
        creds = run(["systemd-creds", "--version"])
        found["systemd_creds"] = {"rc": creds["rc"], "msg": creds["msg"]}
    if p["user"]:
        found["account"] = account(p["user"], p["group"], p["home"], p["shell"])
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
