#!/usr/bin/env bash
# The test command (make test): sets up the machine from the repo's own files, then runs
# every gate in order and stops at the first failure. Each step prints its wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
step() { STEP_T=$(date +%s); printf '\n######## %s\n' "$*"; }
done_step() { printf '######## ok (%ss)\n' "$(( $(date +%s) - STEP_T ))"; }

step "setup (host packages, dockerd, .venv, lab images)"
bash scripts/setup.sh
done_step

# .venv, ANSIBLE_COLLECTIONS_PATH, WSO2AM_STANDIN_PACKS (shared with make lab / make molecule).
# shellcheck source=scripts/env.sh
source scripts/env.sh
export ANSIBLE_NOCOLOR=1 PY_COLORS=0
# WSO2AM_PACK_DIR and WSO2AM_JDBC_DRIVER_JAR: the lab inventory (simple_scalable) uses the stand-ins.
wso2am_standin_env
SCENARIOS=${WSO2AM_SCENARIOS:-$(cat tests/scenarios.txt)}

step "stand-in packs (test fixture)"
wso2am_build_standins  # 4.5.0 4.6.0 4.7.0 (scripts/env.sh)
done_step

step "yamllint"
yamllint -s .
done_step

step "ansible-lint (profile: production)"
ansible-lint
done_step

step "unit tests, playbook render tests, stand-in tests, the lab load generator (tests/unit, tests/playbook, tests/standin/tests, tests/lab)"
python -m pytest tests/unit tests/playbook tests/standin/tests tests/lab -q -p no:cacheprovider
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
