"""Releases of one API-M node: last good state, rollback, state carried across releases, pruning.

Installed by wso2am.distributed on every node (<install_dir>/bin/wso2am-release.py) and run by
its tasks as root; standard library only. Every subcommand prints one JSON object with
"changed", so Ansible reports a change only when something was written.

  snapshot --state DIR --home LINK [--file REL]... [--abs PATH]...
           [--prune-releases DIR --keep N [--protect DIR]...]
      Records the node's current release (the target of LINK) and a copy of the files the
      collection manages (REL: relative to the release; PATH: absolute) as its last good state.
      Writes nothing when the record already matches. With --prune-releases, then prunes as
      prune does (one run of the helper for both, after every healthy start).
  rollback --state DIR --home LINK [--carry REL]...
      Puts back the last good state: carries the runtime state (REL paths) from the current
      release into the recorded one, points LINK at it and restores the recorded files (a file
      absent in the record is removed).
  carry --from DIR --to DIR [--carry REL]...
      Copies the runtime state WSO2 says must survive a new pack (REL: a file, a folder or a
      glob such as repository/database/*.mv.db) from one release into another.
  prune --releases DIR --keep N [--protect DIR]...
      Removes the oldest release folders beyond the newest N, never a protected one.
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import sys

MANIFEST = "manifest.json"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(path):
    """What the record keeps of one file: its checksum, mode and owner, or None if absent."""
    if not os.path.isfile(path):
        return None
    info = os.stat(path)
    return {"sha256": _sha256(path), "mode": info.st_mode & 0o7777, "uid": info.st_uid,
            "gid": info.st_gid}


def _copy_file(src, dst, record=None):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".wso2am-tmp"
    shutil.copyfile(src, tmp)
    info = record or {}
    if not info:
        stat = os.stat(src)
        info = {"mode": stat.st_mode & 0o7777, "uid": stat.st_uid, "gid": stat.st_gid}
    os.chmod(tmp, info["mode"])
    if os.geteuid() == 0:
        os.chown(tmp, info["uid"], info["gid"])
    os.replace(tmp, dst)


def _copy_tree(src, dst):
    """Replaces dst by a copy of src, keeping modes and owners."""
    if os.path.lexists(dst):
        shutil.rmtree(dst) if os.path.isdir(dst) and not os.path.islink(dst) else os.remove(dst)
    shutil.copytree(src, dst, symlinks=True)
    for root, dirs, files in os.walk(src):
        for name in dirs + files:
            source = os.path.join(root, name)
            target = os.path.join(dst, os.path.relpath(source, src))
            stat = os.lstat(source)
            if os.geteuid() == 0:
                os.lchown(target, stat.st_uid, stat.st_gid)
    stat = os.stat(src)
    if os.geteuid() == 0:
        os.chown(dst, stat.st_uid, stat.st_gid)


def _target(link):
    return os.path.realpath(link) if os.path.islink(link) else None


def _point(link, target):
    tmp = link + ".wso2am-tmp"
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _read_manifest(state):
    try:
        with open(os.path.join(state, "last-good", MANIFEST), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def _stored(base, key):
    kind, _sep, path = key.partition(":")
    return os.path.join(base, "files", kind, path.lstrip("/"))


def snapshot(args):
    release = _target(args.home)
    if release is None:
        return {"changed": False, "msg": f"{args.home} is not a link to a release yet"}
    keys = [f"rel:{rel}" for rel in args.file] + [f"abs:{path}" for path in args.abs]
    files = {}
    for key in keys:
        kind, _sep, path = key.partition(":")
        files[key] = _describe(os.path.join(release, path) if kind == "rel" else path)
    manifest = {"release": release, "files": files}
    if _read_manifest(args.state) == manifest:
        return {"changed": False, "release": release}
    work = os.path.join(args.state, "last-good.new")
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work, mode=0o700)
    for key, record in files.items():
        if record is not None:
            kind, _sep, path = key.partition(":")
            _copy_file(os.path.join(release, path) if kind == "rel" else path,
                       _stored(work, key), {"mode": 0o600, "uid": 0, "gid": 0})
    with open(os.path.join(work, MANIFEST), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
    final = os.path.join(args.state, "last-good")
    old = os.path.join(args.state, "last-good.old")
    if os.path.exists(old):
        shutil.rmtree(old)
    if os.path.exists(final):
        os.rename(final, old)
    os.rename(work, final)
    if os.path.exists(old):
        shutil.rmtree(old)
    return {"changed": True, "release": release}


def carry_paths(source, target, patterns):
    """Copies each path (or glob) of source into target; returns what was copied."""
    copied = []
    if not source or not target or os.path.realpath(source) == os.path.realpath(target):
        return copied
    for pattern in patterns:
        for found in sorted(glob.glob(os.path.join(source, pattern))):
            rel = os.path.relpath(found, source)
            dest = os.path.join(target, rel)
            if os.path.isdir(found) and not os.path.islink(found):
                _copy_tree(found, dest)
            elif os.path.isfile(found):
                _copy_file(found, dest)
            else:
                continue
            copied.append(rel)
    return copied


def carry(args):
    copied = carry_paths(args.source, args.target, args.carry)
    return {"changed": bool(copied), "carried": copied}


def rollback(args):
    manifest = _read_manifest(args.state)
    if manifest is None:
        return {"changed": False, "rolled_back": False,
                "msg": "no last good state is recorded on this node"}
    current = _target(args.home)
    release = manifest["release"]
    if not os.path.isdir(release):
        return {"changed": False, "rolled_back": False,
                "msg": f"the last good release {release} is no longer on this node"}
    carried = carry_paths(current, release, args.carry) if current != release else []
    if current != release:
        _point(args.home, release)
    base = os.path.join(args.state, "last-good")
    restored = []
    for key, record in sorted(manifest["files"].items()):
        kind, _sep, path = key.partition(":")
        live = os.path.join(release, path) if kind == "rel" else path
        if record is None:
            if os.path.isfile(live):
                os.remove(live)
                restored.append(path)
            continue
        if os.path.isfile(live) and _sha256(live) == record["sha256"]:
            continue
        _copy_file(_stored(base, key), live, record)
        restored.append(path)
    return {"changed": True, "rolled_back": True, "release": release, "from": current,
            "restored": restored, "carried": carried}


def snapshot_and_prune(args):
    result = snapshot(args)
    if args.prune_releases:
        pruned = prune(argparse.Namespace(releases=args.prune_releases, keep=args.keep, protect=args.protect))
        result = dict(result, changed=result["changed"] or pruned["changed"], removed=pruned["removed"])
    return result


def prune(args):
    protect = {os.path.realpath(path) for path in args.protect if path}
    try:
        entries = [os.path.join(args.releases, name) for name in os.listdir(args.releases)]
    except FileNotFoundError:
        return {"changed": False, "removed": []}
    folders = [path for path in entries if os.path.isdir(path) and not os.path.islink(path)]
    folders.sort(key=lambda path: os.stat(path).st_mtime, reverse=True)
    kept = 0
    removed = []
    for path in folders:
        if os.path.realpath(path) in protect:
            continue
        if kept < max(args.keep - len(protect), 0):
            kept += 1
            continue
        shutil.rmtree(path)
        removed.append(path)
    return {"changed": bool(removed), "removed": removed}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("snapshot")
    one.add_argument("--state", required=True)
    one.add_argument("--home", required=True)
    one.add_argument("--file", action="append", default=[])
    one.add_argument("--abs", action="append", default=[])
    one.add_argument("--prune-releases", default="")
    one.add_argument("--keep", type=int, default=3)
    one.add_argument("--protect", action="append", default=[])
    one.set_defaults(run=snapshot_and_prune)
    one = commands.add_parser("rollback")
    one.add_argument("--state", required=True)
    one.add_argument("--home", required=True)
    one.add_argument("--carry", action="append", default=[])
    one.set_defaults(run=rollback)
    one = commands.add_parser("carry")
    one.add_argument("--from", dest="source", required=True)
    one.add_argument("--to", dest="target", required=True)
    one.add_argument("--carry", action="append", default=[])
    one.set_defaults(run=carry)
    one = commands.add_parser("prune")
    one.add_argument("--releases", required=True)
    one.add_argument("--keep", type=int, required=True)
    one.add_argument("--protect", action="append", default=[])
    one.set_defaults(run=prune)
    args = parser.parse_args(argv)
    try:
        result = args.run(args)
    except OSError as err:
        print(json.dumps({"changed": False, "failed": True, "msg": str(err)}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
