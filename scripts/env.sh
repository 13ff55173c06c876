# shellcheck shell=bash
# The environment shared by scripts/test.sh, scripts/lab.sh and the Makefile's developer targets.
# Source it from bash once scripts/setup.sh has made .venv:  source scripts/env.sh
# It activates .venv and exports
#   ANSIBLE_COLLECTIONS_PATH  .cache/collections, where setup.sh links this checkout as
#                             wso2am.distributed
#   WSO2AM_STANDIN_PACKS      tests/.packs, where the stand-in packs (test fixtures) are built
# and defines two functions:
#   wso2am_standin_env        point the lab inventory at the stand-ins: WSO2AM_PACK_DIR (its
#                             packs) and WSO2AM_JDBC_DRIVER_JAR (the stand-in MySQL Connector/J)
#   wso2am_build_standins     build the stand-in packs of WSO2AM_STANDIN_VERSIONS (every version
#                             the scenarios use; WSO2AM_STANDIN_VERSIONS=4.6.0 wso2am_build_standins
#                             for one); a no-op when they are up to date
WSO2AM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WSO2AM_STANDIN_VERSIONS="4.5.0 4.6.0 4.7.0"

# shellcheck disable=SC1091
source "$WSO2AM_ROOT/.venv/bin/activate"
export ANSIBLE_COLLECTIONS_PATH="$WSO2AM_ROOT/.cache/collections"
export WSO2AM_STANDIN_PACKS="$WSO2AM_ROOT/tests/.packs"

wso2am_standin_env() {
  # The lab inventory (shared by simple_scalable) takes its packs from WSO2AM_PACK_DIR ...
  export WSO2AM_PACK_DIR="$WSO2AM_STANDIN_PACKS"
  # ... and its MySQL JDBC driver from the stand-in MySQL Connector/J jar built beside the packs.
  export WSO2AM_JDBC_DRIVER_JAR="$WSO2AM_STANDIN_PACKS/mysql-connector-j-standin.jar"
}

wso2am_build_standins() {
  local v
  local -a versions
  read -ra versions <<< "$WSO2AM_STANDIN_VERSIONS"
  for v in "${versions[@]}"; do
    python "$WSO2AM_ROOT/tests/standin/build_packs.py" --version "$v" --out "$WSO2AM_STANDIN_PACKS" || return
  done
}
