#!/usr/bin/env bash
# One setup step for a fresh Debian 12 machine (run as root, or as a user with sudo).
# Installs the host packages, starts a Docker engine when none runs, creates the pinned
# virtualenv in .venv and builds the lab images. Idempotent: a ready machine takes seconds.
#   scripts/setup.sh              everything (make test, make molecule, make lab)
#   scripts/setup.sh --no-docker  only what the unit tests, the linters and sanity need: their
#                                 host packages (on Debian/Ubuntu), .venv and the collection link;
#                                 no Docker engine, no lab images (make unit, make lint, make sanity)
# WSO2AM_LAB_IMAGES names the lab images to build (default "bookworm trixie"; empty: none).
# Progress goes to stdout as short "==>" lines.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
DOCKER=1
case "${1:-}" in
  "") ;;
  --no-docker) DOCKER=0 ;;
  *) echo "usage: $0 [--no-docker]" >&2; exit 2 ;;
esac
read -ra IMAGES <<< "${WSO2AM_LAB_IMAGES-bookworm trixie}"

say() { printf '==> %s\n' "$*"; }

# 1. Host packages: the Docker engine, debootstrap for the images, a JRE for keytool and
#    openssl (the stand-in packs' keystores), unzip, venv support for Debian's python3,
#    and shellcheck (used by ansible-test sanity).
pkgs=(openjdk-17-jre-headless openssl unzip python3-venv git make shellcheck)
[ "$DOCKER" -eq 0 ] || pkgs=(docker.io debootstrap "${pkgs[@]}")
if [ "$DOCKER" -eq 0 ] && ! command -v dpkg-query >/dev/null; then
  say "not Debian/Ubuntu: skipping host packages (needed: python3 with venv, openssl, a JRE's keytool, git, shellcheck)"
  pkgs=()
fi
need=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  say "installing host packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 2. Docker engine: there is no systemd on the machine itself, so start dockerd directly.
if [ "$DOCKER" -eq 1 ] && ! $SUDO docker info >/dev/null 2>&1; then
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
if [ "$DOCKER" -eq 1 ] && [ "${#IMAGES[@]}" -gt 0 ]; then
  $SUDO bash tests/lab/build-images.sh "${IMAGES[@]}"
fi
say "setup done"
