#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/wso2am/distributed:
# copy the tracked (and untracked, not ignored) files there and run it locally.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/sanity/ansible_collections/wso2am/distributed
rm -rf .cache/sanity
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -C "$dest" -xf -
cd "$dest"
git init -q && git add -A >/dev/null
ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --color no ${WSO2AM_SANITY_ARGS:-}
