#!/usr/bin/env bash
# Builds the collection tarball, proves it holds nothing from tests/ or molecule/,
# and installs it offline into a scratch collections path.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/build
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/wso2am-distributed-*.tar.gz)
echo "built $tarball ($(du -h "$tarball" | cut -f1))"
if tar -tzf "$tarball" | grep -E '^(tests|molecule|\.ci|scripts|\.config)/'; then
  echo "the tarball holds test or CI files (above): fix build_ignore in galaxy.yml" >&2
  exit 1
fi
# Only the scratch path is configured, so the install cannot be satisfied by the working tree.
export ANSIBLE_COLLECTIONS_PATH="$out/installed"
ansible-galaxy collection install --offline --no-deps --force -p "$out/installed" "$tarball" >/dev/null
test -f "$out/installed/ansible_collections/wso2am/distributed/MANIFEST.json"
ansible-galaxy collection list wso2am.distributed
# The installed copy is usable: its filters load and document themselves.
ansible-doc -t filter wso2am.distributed.datasources | head -3
