#!/usr/bin/env bash
# The test command (make test): sets up the machine from the repo's own files, then runs
# every gate in order and stops at the first failure. Each step prints its wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s)
step() { STEP_T=$(date +%s); printf '\n######## %s\n' "$*"; }
done_step() { printf '######## ok (%ss)\n' "$(( $(date +%s) - STEP_T ))"; }

step "setup (host packages, dockerd, .venv, lab images)"
bash scripts/setup.sh
done_step

# shellcheck disable=SC1091
source .venv/bin/activate
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.cache/collections"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0
export WSO2AM_STANDIN_PACKS="$ROOT/tests/.packs"
# The lab inventory (shared by simple_scalable) takes its packs from WSO2AM_PACK_DIR.
export WSO2AM_PACK_DIR="$WSO2AM_STANDIN_PACKS"
# ... and its MySQL JDBC driver from the stand-in MySQL Connector/J jar built beside the packs.
export WSO2AM_JDBC_DRIVER_JAR="$WSO2AM_STANDIN_PACKS/mysql-connector-j-standin.jar"
SCENARIOS=${WSO2AM_SCENARIOS:-$(cat tests/scenarios.txt)}

step "stand-in packs (test fixture)"
for v in 4.5.0 4.6.0 4.7.0; do python tests/standin/build_packs.py --version "$v" --out "$WSO2AM_STANDIN_PACKS"; done
done_step

step "yamllint"
yamllint -s .
done_step

step "ansible-lint (profile: production)"
ansible-lint
done_step

step "unit tests (filters, stand-in refusal rules, argument specs, templates)"
python -m pytest tests/unit -q -p no:cacheprovider
done_step

step "AWX path (EE definition, job templates, string survey answers, ansible-runner on a lab)"
python -m pytest tests/awx -q -p no:cacheprovider
done_step

step "ansible-test sanity"
bash scripts/sanity.sh
done_step

step "collection build and offline install"
bash scripts/build-check.sh
done_step

for s in $SCENARIOS; do
  step "molecule test -s $s"
  molecule test -s "$s"
  done_step
done

printf '\nAll gates passed in %ss.\n' "$(( $(date +%s) - T0 ))"
