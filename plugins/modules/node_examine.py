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
  expect:
    description:
      - Paths that must be as described. The result's RV(unmet) lists those that are not, so that the task which
        would make them so (M(wso2am.distributed.folders), M(ansible.builtin.file)) runs only for a node that needs it.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      type:
        description: What it must be (a link is read as itself, not followed).
        type: str
        choices: [directory, file, link]
        required: true
      src:
        description: With O(expect[].type=link), what the link must point at, as written in it.
        type: path
      owner:
        description: Its owner's name; unset is not checked.
        type: str
      group:
        description: Its group's name; unset is not checked.
        type: str
      mode:
        description: Its permissions, an octal string such as C(0755); unset is not checked.
        type: str
  trust:
    description:
      - A truststore and the certificates it must trust. RV(trust_recorded) is true when the record beside it
        (written after keytool last changed it) still names the checksums of the truststore and of each
        certificate (as C(sha256sum) prints them), the truststore's owner, group and mode (C(stat -c %U:%G:%a)) and
        the aliases, so that keytool need not run.
    type: dict
    suboptions:
      store:
        description: The truststore.
        type: path
        required: true
      certs:
        description: The certificates it must trust.
        type: list
        elements: path
        required: true
      aliases:
        description: Their aliases, one line.
        type: str
        required: true
      record:
        description: The record of what it trusted after the last change.
        type: path
        required: true
  credential:
    description:
      - A systemd encrypted credential and the secret it must hold. RV(credential) says whether C(systemd-creds
        decrypt) reads it and whether it holds that secret; the secret itself is never returned.
    type: dict
    suboptions:
      name:
        description: The credential's name (C(--name)).
        type: str
        required: true
      file:
        description: The encrypted credential.
        type: path
        required: true
      secret:
        description: The secret it must hold (never logged).
        type: str
        required: true
  describe:
    description:
      - Files whose SHA-256, owner, group and mode to read (a missing path, or one that is not a regular file, reads
        as null). M(wso2am.distributed.node_files) takes the result as O(wso2am.distributed.node_files#module:known)
        and does not contact the node again when every file is as it would write it.
      - A checksum of a file holding secrets says something of them; the roles run this task with C(no_log).
    type: list
    elements: path
    default: []
  last_good:
    description:
      - The node's last good state as C(bin/wso2am-release.py snapshot) records it. RV(last_good) says whether the
        record still matches the release the stable path points at and every managed file (checksum, mode, owner),
        as the helper would find it, and how many release folders there are (more than the role keeps and the
        helper would prune), so that a run which changes nothing need not run the helper.
    type: dict
    suboptions:
      state:
        description: The component's state folder (the record is C(last-good/manifest.json) in it).
        type: path
        required: true
      home:
        description: The stable path (a link to the running release).
        type: path
        required: true
      files:
        description: Managed files, relative to the release.
        type: list
        elements: str
        default: []
      abs:
        description: Managed files, absolute.
        type: list
        elements: path
        default: []
      releases:
        description: The folder of the component's releases.
        type: path
        required: true
  services:
    description: systemd services whose unit file state and active state to read.
    type: list
    elements: str
    default: []
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
missing_packages:
  description: The packages of O(packages) that are not installed, in order.
  returned: always
  type: list
  elements: str
  sample: [acl]
present:
  description: The paths of O(paths) that exist, in order.
  returned: always
  type: list
  elements: str
  sample: []
unmet:
  description: The paths of O(expect) that are not as described, in order.
  returned: always
  type: list
  elements: str
  sample: [/opt/wso2am/state/gateway]
trust_recorded:
  description: Whether the truststore still trusts what its record says (see O(trust)).
  returned: when O(trust) is set
  type: bool
credential:
  description: Whether the credential decrypts (rc of C(systemd-creds decrypt)) and holds the secret.
  returned: when O(credential) is set
  type: dict
  sample: {rc: 0, matches: true}
described:
  description: For each file of O(describe), its SHA-256, owner, group and mode, or null.
  returned: always
  type: dict
  sample: {/etc/systemd/system/wso2am-gateway.service: {sha256: 9f86d0..., owner: root, group: root, mode: "0644"}}
last_good:
  description: Whether the record of the last good state matches the node now, and the number of release folders.
  returned: when O(last_good) is set
  type: dict
  sample: {current: true, releases: 1}
services:
  description: For each service of O(services), whether it is enabled and whether it is active.
  returned: always
  type: dict
  sample: {wso2am-gateway: {enabled: true, active: true}}
account:
  description: Whether the group exists and the user exists with that primary group, O(home) and O(shell).
  returned: when O(user) is set
  type: dict
  sample: {group: true, user: true}
"""

import grp
import hashlib
import json
import os
import pwd
import stat
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


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def unmet(expected):
    """The paths of expected that are not as described (type, link target, owner, group, mode)."""
    out = []
    for want in expected:
        path = want["path"]
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            out.append(path)
            continue
        kinds = {"directory": stat.S_ISDIR, "file": stat.S_ISREG, "link": stat.S_ISLNK}
        ok = kinds[want["type"]](info.st_mode)
        if ok and want["type"] == "link" and want.get("src") is not None:
            ok = os.readlink(path) == want["src"]
        if ok and want.get("owner") is not None:
            ok = _name(pwd.getpwuid, info.st_uid) == want["owner"]
        if ok and want.get("group") is not None:
            ok = _name(grp.getgrgid, info.st_gid) == want["group"]
        if ok and want.get("mode") is not None and want["type"] != "link":
            ok = stat.S_IMODE(info.st_mode) == int(want["mode"], 8)
        if not ok:
            out.append(path)
    return out


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def trust_recorded(store, certs, aliases, record):
    """Whether the record still matches what keystores.yml's record task would write now."""
    try:
        lines = [f"{sha256(path)}  {path}" for path in [store, *certs]]
        info = os.stat(store)
        with open(record, encoding="utf-8", errors="replace") as handle:
            recorded = handle.read()
    except OSError:
        return False
    lines.append(f"{_name(pwd.getpwuid, info.st_uid)}:{_name(grp.getgrgid, info.st_gid)}:{stat.S_IMODE(info.st_mode):o}")
    lines.append(aliases)
    return "\n".join(lines) == recorded.strip()


def describe(path):
    """{sha256, owner, group, mode} of a regular file (not followed through a link), else None."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return None
        digest = sha256(path)
    except OSError:
        return None
    return {"sha256": digest, "owner": _name(pwd.getpwuid, info.st_uid), "group": _name(grp.getgrgid, info.st_gid),
            "mode": f"{stat.S_IMODE(info.st_mode):04o}"}


def _recorded(path):
    """A managed file as the helper's snapshot records it (bin/wso2am-release.py, _describe)."""
    if not os.path.isfile(path):
        return None
    info = os.stat(path)
    return {"sha256": sha256(path), "mode": info.st_mode & 0o7777, "uid": info.st_uid, "gid": info.st_gid}


def last_good(state, home, files, absolute, releases):
    """Whether the helper's snapshot would find its record current, and how many releases there are."""
    try:
        count = sum(1 for name in os.listdir(releases)
                    if os.path.isdir(os.path.join(releases, name)) and not os.path.islink(os.path.join(releases, name)))
    except OSError:
        count = 0
    release = os.path.realpath(home) if os.path.islink(home) else None
    try:
        with open(os.path.join(state, "last-good", "manifest.json"), encoding="utf-8") as handle:
            recorded = json.load(handle)
    except (OSError, ValueError):
        recorded = None
    if release is None or not isinstance(recorded, dict):
        return {"current": False, "releases": count}
    try:
        now = {f"rel:{rel}": _recorded(os.path.join(release, rel)) for rel in files}
        now.update({f"abs:{path}": _recorded(path) for path in absolute})
    except OSError:
        return {"current": False, "releases": count}
    return {"current": recorded == {"release": release, "files": now}, "releases": count}


def credential(name, path, secret, runner=run):
    out = runner(["systemd-creds", "decrypt", f"--name={name}", path, "-"])
    return {"rc": out["rc"], "matches": out["rc"] == 0 and out["stdout"].rstrip("\r\n") == secret}


def services(names, runner=run):
    """{service: {enabled, active}} from one systemctl show."""
    if not names:
        return {}
    out = runner(["systemctl", "show", "--property=Id,UnitFileState,ActiveState", "--", *(n + ".service" for n in names)])
    found, current = {}, {}
    for line in out["stdout"].splitlines() + [""]:
        if not line.strip():
            if current.get("Id"):
                found[current["Id"].removesuffix(".service")] = {
                    "enabled": current.get("UnitFileState") == "enabled", "active": current.get("ActiveState") == "active"}
            current = {}
            continue
        key, _eq, value = line.partition("=")
        current[key] = value
    return {name: found.get(name, {"enabled": False, "active": False}) for name in names}


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
            "expect": {"type": "list", "elements": "dict", "default": [], "options": {
                "path": {"type": "path", "required": True},
                "type": {"type": "str", "required": True, "choices": ["directory", "file", "link"]},
                "src": {"type": "path"},
                "owner": {"type": "str"},
                "group": {"type": "str"},
                "mode": {"type": "str"},
            }},
            "trust": {"type": "dict", "options": {
                "store": {"type": "path", "required": True},
                "certs": {"type": "list", "elements": "path", "required": True},
                "aliases": {"type": "str", "required": True},
                "record": {"type": "path", "required": True},
            }},
            "credential": {"type": "dict", "options": {
                "name": {"type": "str", "required": True},
                "file": {"type": "path", "required": True},
                "secret": {"type": "str", "required": True, "no_log": True},
            }},
            "services": {"type": "list", "elements": "str", "default": []},
            "describe": {"type": "list", "elements": "path", "default": []},
            "last_good": {"type": "dict", "options": {
                "state": {"type": "path", "required": True},
                "home": {"type": "path", "required": True},
                "files": {"type": "list", "elements": "str", "default": []},
                "abs": {"type": "list", "elements": "path", "default": []},
                "releases": {"type": "path", "required": True},
            }},
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
        "unmet": unmet(p["expect"]),
        "services": services(p["services"]),
        "described": {path: describe(path) for path in p["describe"]},
    }
    found["missing_packages"] = [name for name in p["packages"] if not found["packages"][name]]
    found["present"] = [path for path in p["paths"] if found["paths"][path]]
    if p["trust"]:
        t = p["trust"]
        found["trust_recorded"] = trust_recorded(t["store"], t["certs"], t["aliases"], t["record"])
    if p["last_good"]:
        g = p["last_good"]
        found["last_good"] = last_good(g["state"], g["home"], g["files"], g["abs"], g["releases"])
    if p["credential"]:
        c = p["credential"]
        found["credential"] = credential(c["name"], c["file"], c["secret"])
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
