#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/wso2am/distributed:
# copy the tracked (and untracked, not ignored) files there and run it. It checks what the
# collection ships plus its Python tests (tests/unit, tests/playbook, tests/awx); the lab, the
# stand-in packs and their own tests (tests/standin), molecule and the scripts (all in
# build_ignore) are left out.
set -euo pipefail
cd "$(dirname "$0")/.."

# ansible-test bootstraps pip in each sanity venv with a get-pip script it downloads from a
# host this machine cannot reach. Give it a local equivalent: ensurepip, then pip from PyPI.
pip_version=$(python - <<'PY'
import re, ansible_test, pathlib
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
cache=~/.ansible/test/cache
mkdir -p "$cache"
# ansible-test passes pip only a filtered environment: carry this machine's CA bundle and
# into each sanity venv's own pip.conf.
cert=${PIP_CERT:-${SSL_CERT_FILE:-}}
cat > "$cache/get_pip_${pip_version//./_}.py" <<PY
"""Local stand-in for get-pip.py (written by scripts/sanity.sh): ensurepip, then pip install ARGS."""
import ensurepip
import os
import runpy
import sys

CERT = "$cert"
if CERT:
    with open(os.path.join(sys.prefix, "pip.conf"), "w") as conf:
        conf.write("[global]\\ncert = %s\\n" % CERT)
ensurepip.bootstrap(upgrade=True)
os.environ.pop("PIP_CONFIG_FILE", None)  # ensurepip points it at /dev/null
# get-pip's own options (--no-setuptools, --no-wheel) are not pip's.
sys.argv = ["pip", "install"] + [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
PY
dest=.cache/sanity/ansible_collections/wso2am/distributed
rm -rf .cache/sanity
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  case "$f" in tests/standin/*|tests/lab/*|molecule/*|scripts/*|.ci/*|.config/*) continue ;; esac
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -C "$dest" -xf -
cd "$dest"
git init -q && git add -A >/dev/null
# shellcheck disable=SC2086  # WSO2AM_SANITY_ARGS is split into arguments on purpose
ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --color no ${WSO2AM_SANITY_ARGS:-}
