# The two commands of README.md:
#   make lab   deploy the distributed topology onto the local container lab
#   make test  set up everything and run every gate and scenario
SHELL := /bin/bash

.PHONY: setup test lab lab-down
setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

lab:
	bash scripts/lab.sh up

lab-down:
	bash scripts/lab.sh down
