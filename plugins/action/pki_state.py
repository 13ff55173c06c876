# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)
"""Action plugin wso2am.distributed.pki_state: which parts of the PKI need examining this run.

roles/_common/tasks/pki.yml issues the deployment's certificates on the controller with the
community.crypto modules. Each of them is a module run per node even when everything is already
right, which made the PKI play the longest of a run that changes nothing. This action remembers,
in ``<wso2am_pki_dir>/state.json`` (0600), what the last successful issue produced: a salted
digest of the inputs (names, validity, passwords, sources) and the checksum and mode of every
file and folder, plus the expiry of each certificate. A later run compares the state with the
inputs and the files on disk and returns only what must be examined again:

* the shared part (CA and primary key pair), when its inputs, files or the primary certificate's
  renewal date changed; every node is then examined as well, since its certificate hangs off the
  CA;
* each node whose inputs, files or certificate renewal date changed, or which is not in the
  state (new host, or a host an earlier run left out with --limit).

Nothing is trusted that cannot be checked: a file edited or removed, a changed password or
hostname, a certificate entering its renewal window, an edited pki.yml (its checksum is an input)
all make the affected part stale. ``mode: record`` writes the state after a successful issue,
keeping the entries of hosts that were not in the play. Neither mode changes the deployment:
both report ``changed: false``; check mode records nothing.
"""

from __future__ import annotations

# The documentation is in plugins/modules/pki_state.py (ansible-test: action-plugin-docs).

import datetime
import hashlib
import json
import os
import secrets
import stat
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

STATE_FILE = "state.json"
STATE_VERSION = 1


def _load(path):
    """The recorded state, or None when there is none usable (missing, unreadable, other version)."""
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION or not state.get("salt"):
        return None
    return state


def _digest(salt, inputs):
    """A salted digest of the inputs: secrets among them (passwords) cannot be guessed back."""
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256((salt + "\n" + text).encode("utf-8")).hexdigest()


def _file_state(path):
    """What a file or folder is now: None when missing, else its type, mode and (files) sha256."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    entry = {"mode": "%04o" % stat.S_IMODE(info.st_mode)}
    if stat.S_ISDIR(info.st_mode):
        entry["type"] = "dir"
        return entry
    entry["type"] = "file"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    entry["sha256"] = digest.hexdigest()
    return entry


def _not_after(path):
    """The certificate's expiry as an ISO UTC timestamp, or None when it cannot be read."""
    try:
        from cryptography import x509  # the PKI's own requirement (requirements.txt)

        with open(path, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
    except Exception:  # pylint: disable=broad-except  # unreadable = must be examined
        return None
    when = getattr(cert, "not_valid_after_utc", None)
    if when is None:
        when = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return when.isoformat()


def _part(spec, what):
    if not isinstance(spec, dict):
        raise AnsibleActionFail(f"pki_state: {what} must be a dict of inputs, files and certs")
    files, certs = spec.get("files") or [], spec.get("certs") or []
    for path in list(files) + list(certs):
        if not isinstance(path, str) or not os.path.isabs(path):
            raise AnsibleActionFail(f"pki_state: {what} lists {path!r}; every path must be absolute")
    return spec.get("inputs") or {}, list(files), list(certs)


def snapshot(salt, spec, what):
    """The state entry of one part (shared, or a node) as it is on disk now."""
    inputs, files, certs = _part(spec, what)
    return {
        "digest": _digest(salt, inputs),
        "files": {path: _file_state(path) for path in files},
        "not_after": {path: _not_after(path) for path in certs},
    }


def why_stale(salt, recorded, spec, what, renew_days, now):
    """The reasons the part must be examined again (empty: it is as the last issue left it)."""
    if not recorded:
        return [f"{what}: not issued by an earlier run"]
    inputs, files, certs = _part(spec, what)
    reasons = []
    if recorded.get("digest") != _digest(salt, inputs):
        reasons.append(f"{what}: its settings changed")
    known = recorded.get("files") or {}
    for path in files:
        if path not in known:
            reasons.append(f"{what}: {path} is new to the PKI")
        elif _file_state(path) != known[path]:
            reasons.append(f"{what}: {path} was changed or removed since the last issue")
    expiry = recorded.get("not_after") or {}
    horizon = now + datetime.timedelta(days=int(renew_days))
    for path in certs:
        stamp = expiry.get(path)
        if not stamp:
            reasons.append(f"{what}: the expiry of {path} is unknown")
            continue
        if datetime.datetime.fromisoformat(stamp) <= horizon:
            reasons.append(f"{what}: {path} expires within {renew_days} days (renewal)")
    return reasons


def check(state, shared, nodes, renew_days, now):
    """{shared_stale, stale_hosts, reasons} for the play's hosts."""
    if state is None:
        return {
            "shared_stale": True,
            "stale_hosts": sorted(nodes),
            "reasons": ["no record of an earlier issue: everything is examined"],
        }
    salt = state["salt"]
    reasons = why_stale(salt, state.get("shared"), shared, "shared (CA, primary key pair)", renew_days, now)
    shared_stale = bool(reasons)
    stale = []
    for host in sorted(nodes):
        found = why_stale(salt, (state.get("nodes") or {}).get(host), nodes[host], host, renew_days, now)
        if found or shared_stale:
            stale.append(host)
        reasons.extend(found)
    return {"shared_stale": shared_stale, "stale_hosts": stale, "reasons": reasons}


def record(path, state, shared, nodes):
    """Writes the state after a successful issue; entries of hosts not given are kept. Returns
    whether the file was written (it is left alone when nothing differs)."""
    salt = state["salt"] if state else secrets.token_hex(16)
    kept = dict((state or {}).get("nodes") or {})
    kept.update({host: snapshot(salt, spec, host) for host, spec in nodes.items()})
    new = {
        "version": STATE_VERSION,
        "salt": salt,
        "shared": snapshot(salt, shared, "shared"),
        "nodes": dict(sorted(kept.items())),
    }
    if state == new:
        return False
    fd, tmp = tempfile.mkstemp(prefix=".state-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(new, handle, indent=1, sort_keys=True)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("dir", "mode", "shared", "nodes", "renew_days"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        mode = args.get("mode", "check")
        if mode not in ("check", "record"):
            raise AnsibleActionFail(f"pki_state: mode must be check or record, got {mode!r}")
        folder = args.get("dir")
        if not folder or not os.path.isabs(str(folder)):
            raise AnsibleActionFail(f"pki_state: dir must be an absolute path, got {folder!r}")
        nodes = args.get("nodes") or {}
        if not isinstance(nodes, dict):
            raise AnsibleActionFail("pki_state: nodes must be a dict of host to {inputs, files, certs}")
        path = os.path.join(str(folder), STATE_FILE)
        state = _load(path)
        result["changed"] = False
        if mode == "check":
            try:
                renew_days = int(args.get("renew_days", 30))
            except (TypeError, ValueError):
                raise AnsibleActionFail("pki_state: renew_days must be a number of days") from None
            now = datetime.datetime.now(datetime.timezone.utc)
            result.update(check(state, args.get("shared") or {}, nodes, renew_days, now))
        elif self._play_context.check_mode:
            result["recorded"] = False
        elif not os.path.isdir(str(folder)):
            raise AnsibleActionFail(f"pki_state: {folder} does not exist; nothing was issued to record")
        else:
            result["recorded"] = record(path, state, args.get("shared") or {}, nodes)
        return result
