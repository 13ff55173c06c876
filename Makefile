# The two commands of README.md:
#   make lab   deploy the distributed topology onto the local container lab
#   make test  set up everything and run every gate and scenario
# and the developer's targets (docs/developing.md): make help lists them all.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# The shared environment of scripts/test.sh, scripts/lab.sh and the targets below.
ENV := source scripts/env.sh
# make unit T=<path or node id> ARGS=<more pytest options>; by default the four pytest trees
# that need no Docker: unit tests, playbook runs, the stand-ins' own tests, the lab load generator.
T ?= tests/unit tests/playbook tests/standin/tests tests/lab
ARGS ?=
# make molecule S=<scenario> [MOLECULE_CMD=converge|verify|login|destroy|...]
S ?=
MOLECULE_CMD ?= test
SCENARIOS := $(sort $(filter-out _shared,$(notdir $(wildcard molecule/*))))

.PHONY: setup test lab lab-down unit lint sanity molecule bench help
setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

lab:
	bash scripts/lab.sh up

lab-down:
	bash scripts/lab.sh down

unit:
	@bash scripts/setup.sh --no-docker
	$(ENV) && python -m pytest $(T) -q $(ARGS)

lint:
	@bash scripts/setup.sh --no-docker
	$(ENV) && yamllint -s . && ansible-lint

sanity:
	@bash scripts/setup.sh --no-docker
	$(ENV) && bash scripts/sanity.sh

# The lab images the scenario's molecule.yml names, the stand-in packs of every version, then
# molecule with the environment scripts/test.sh gives it.
molecule:
	@[ -n "$(S)" ] && [ -f "molecule/$(S)/molecule.yml" ] \
	  || { echo "usage: make molecule S=<scenario> [MOLECULE_CMD=test]; scenarios: $(SCENARIOS)" >&2; exit 2; }
	@WSO2AM_LAB_IMAGES="$$(grep -ohE 'wso2am-lab:[a-z]+' molecule/$(S)/molecule.yml | sed 's/^wso2am-lab://' | sort -u | tr '\n' ' ')" \
	  bash scripts/setup.sh
	$(ENV) && wso2am_standin_env && wso2am_build_standins && molecule $(MOLECULE_CMD) -s $(S)

help:
	@echo "make lab                 deploy the lab (inventories/lab) and print each node's URLs and health"
	@echo "make lab-down            remove the lab's containers"
	@echo "make test                everything CI runs (scripts/test.sh)"
	@echo "make unit [T=..] [ARGS=..]  pytest tests/unit tests/playbook tests/standin/tests tests/lab (no Docker); T: a path or node id"
	@echo "make lint                yamllint + ansible-lint (production profile)"
	@echo "make sanity              ansible-test sanity (scripts/sanity.sh)"
	@echo "make molecule S=<name> [MOLECULE_CMD=test]  one scenario: $(SCENARIOS)"
	@echo "make bench [ARGS=..]      speed figures on the lab (make lab first): scripts/bench.py --help"
	@echo "make setup               host packages, dockerd, .venv, lab images (scripts/setup.sh)"
	@echo "See docs/developing.md."

# make bench [ARGS="--runs 5 --skip-node-scale ..."]: the speed figures of scripts/bench.py on the
# container lab (make lab first); writes bench/results.json.
bench:
	@WSO2AM_LAB_IMAGES="$$(grep -rhoE 'wso2am-lab:[a-z]+' inventories/lab | sed 's/^wso2am-lab://' | sort -u | tr '\n' ' ')" \
	  bash scripts/setup.sh
	$(ENV) && wso2am_standin_env && wso2am_build_standins && python scripts/bench.py $(ARGS)
