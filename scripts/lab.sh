#!/usr/bin/env bash
# make lab: bring up the local container lab (database, control plane, traffic manager, two
# gateways), deploy it with playbooks/site.yml, and report each node's URLs and health.
#   scripts/lab.sh up     create/converge the lab (idempotent)
#   scripts/lab.sh down   remove the lab's containers and network
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
INV=inventories/lab

case "${1:-up}" in
  down)
    # Removing containers needs no image.
    WSO2AM_LAB_IMAGES="" bash scripts/setup.sh
    # shellcheck source=scripts/env.sh
    source scripts/env.sh
    ansible-playbook -i "$INV" tests/lab/containers.yml -e lab_state=absent
    exit 0
    ;;
  up) ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

# Build only the lab images this inventory uses (lab_image: wso2am-lab:<suite>).
images=$(grep -rhoE 'wso2am-lab:[a-z]+' "$INV" | sed 's/^wso2am-lab://' | sort -u | tr '\n' ' ' || true)
WSO2AM_LAB_IMAGES=${WSO2AM_LAB_IMAGES-${images:-bookworm}} bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

version=$(sed -n 's/^wso2am_version: "\(.*\)"/\1/p' "$INV/group_vars/all/main.yml")
if ls packs/wso2am-acp-"$version".zip packs/wso2am-universal-gw-"$version".zip packs/wso2am-tm-"$version".zip >/dev/null 2>&1; then
  export WSO2AM_PACK_DIR="$ROOT/packs"
  echo "==> using the real WSO2 packs from packs/"
else
  echo "==> NOTE: no real WSO2 $version packs in packs/: deploying the STAND-IN packs (test fixtures that"
  echo "    only imitate the nodes' ports, health URLs and logs). Put the real zips in packs/ for a real lab."
  # WSO2AM_PACK_DIR: tests/.packs, and WSO2AM_JDBC_DRIVER_JAR: the stand-in MySQL Connector/J
  # that the stand-in packs accept (a test fixture too).
  wso2am_standin_env
  WSO2AM_STANDIN_VERSIONS=$version wso2am_build_standins
fi

ansible-playbook -i "$INV" tests/lab/containers.yml
ansible-playbook -i "$INV" playbooks/site.yml
ansible-playbook -i "$INV" playbooks/status.yml
