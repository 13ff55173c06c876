#!/usr/bin/env bash
# One setup step for a fresh Debian 12 machine (run as root, or as a user with sudo).
# Installs the host packages, starts a Docker engine when none runs, creates the pinned
# virtualenv in .venv and builds the lab images. Idempotent: a ready machine takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

say() { printf '==> %s\n' "$*"; }

# 1. Host packages: the Docker engine, debootstrap for the images, a JRE for keytool and
#    openssl (the stand-in packs' keystores), unzip, venv support for Debian's python3,
#    and shellcheck (used by ansible-test sanity).
need=()
for pkg in docker.io debootstrap openjdk-17-jre-headless openssl unzip python3-venv git make shellcheck; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  say "installing host packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 2. Docker engine: there is no systemd on the machine itself, so start dockerd directly.
if ! $SUDO docker info >/dev/null 2>&1; then
  say "starting dockerd (log: /var/log/dockerd.log)"
  $SUDO sh -c 'setsid nohup dockerd >/var/log/dockerd.log 2>&1 < /dev/null &'
  for _ in $(seq 1 60); do
    $SUDO docker info >/dev/null 2>&1 && break
    sleep 1
  done
  $SUDO docker info >/dev/null 2>&1 || { echo "dockerd did not start: see /var/log/dockerd.log" >&2; exit 1; }
fi

# 3. The pinned virtualenv, rebuilt only when the requirements change.
REQ=tests/requirements-dev.txt
PY=${PYTHON:-python3}
stamp=".venv/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "creating .venv from $REQ"
  rm -rf .venv
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r "$REQ"
  echo "$want" > "$stamp"
fi

# 4. The collection, seen by Ansible and Python under its own name (a symlink, no copy).
mkdir -p .cache/collections/ansible_collections/wso2am
ln -sfn "$ROOT" .cache/collections/ansible_collections/wso2am/distributed

# 5. Lab images (rebuilt only when their recipe changes).
$SUDO bash tests/lab/build-images.sh
say "setup done"
