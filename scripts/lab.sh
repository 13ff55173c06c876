#!/usr/bin/env bash
# make lab: bring up the local container lab (database, control plane, traffic manager, two
# gateways), deploy it with playbooks/site.yml, and report each node's URLs and health.
#   scripts/lab.sh up     create/converge the lab (idempotent)
#   scripts/lab.sh down   remove the lab's containers and network
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
INV=inventories/lab
bash scripts/setup.sh >/dev/null
# shellcheck disable=SC1091
source .venv/bin/activate
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.cache/collections"

case "${1:-up}" in
  down)
    ansible-playbook -i "$INV" tests/lab/containers.yml -e lab_state=absent
    exit 0
    ;;
  up) ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

version=$(sed -n 's/^wso2am_version: "\(.*\)"/\1/p' "$INV/group_vars/all/main.yml")
if ls packs/wso2am-acp-"$version".zip packs/wso2am-universal-gw-"$version".zip packs/wso2am-tm-"$version".zip >/dev/null 2>&1; then
  export WSO2AM_PACK_DIR="$ROOT/packs"
  echo "==> using the real WSO2 packs from packs/"
else
  export WSO2AM_PACK_DIR="$ROOT/tests/.packs"
  echo "==> NOTE: no real WSO2 $version packs in packs/: deploying the STAND-IN packs (test fixtures that"
  echo "    only imitate the nodes' ports, health URLs and logs). Put the real zips in packs/ for a real lab."
  python tests/standin/build_packs.py --version "$version" --out "$WSO2AM_PACK_DIR"
  # The stand-in MySQL Connector/J that the stand-in packs accept (a test fixture too).
  export WSO2AM_JDBC_DRIVER_JAR="$WSO2AM_PACK_DIR/mysql-connector-j-standin.jar"
fi

ansible-playbook -i "$INV" tests/lab/containers.yml
ansible-playbook -i "$INV" playbooks/site.yml
ansible-playbook -i "$INV" playbooks/status.yml
