# Every target installs what it needs first, so each one works on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test unit lint typecheck bench bench-large browser-deps clean dev offline package cfn-lint invoke-local offline-smoke ci
.PHONY: bench-office bench-pdf bench-promote bench-real clamav-deps checkov newcomer-smoke scanner-templates bench-scanners
.PHONY: chromium-deps system-deps checkov-venv

$(STAMP): requirements.txt requirements-devstack.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(DEV_STAMP)

# `make dev` installs only what the stack needs (no Playwright, cfn-lint, ruff), in the
# same .venv with its own stamp; the full install above covers it too. --no-compile:
# Python compiles what the stack imports on first use (byte-compiling every package took
# about half of the install time).
DEV_STAMP := $(VENV)/.installed-devstack
$(DEV_STAMP): requirements.txt requirements-devstack.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile -r requirements-devstack.txt
	touch $@

venv: $(STAMP)

NODE_STAMP := node_modules/.package-lock.json
# The framework and serverless-offline run the functions with the project's virtualenv.
SLS := PATH="$(CURDIR)/$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" node_modules/.bin/sls
# exec: the stack replaces the recipe's shell, so make is its parent; --stop-with-parent:
# SIGINT or SIGTERM sent to make's own PID stops the stack cleanly
# (data saved) too, not only Ctrl-C, which the whole process group gets.
DEVSTACK := exec $(BIN)/python -m devstack --stop-with-parent
DATA_DIR ?=
CLAMD ?=
SCANNER ?=
DEV_ARGS ?= $(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(if $(CLAMD),--clamd) $(if $(SCANNER),--scanner $(SCANNER)) \
  $(if $(AUTH),--auth $(AUTH))

## make dev: the whole service locally (S3, API on :8000, validator); DATA_DIR=.local-data keeps data;
## CLAMD=1 (or SCANNER=clamd) also starts clamd (EICAR-only database) and scans every upload with it;
## SCANNER=guardduty: GuardDuty Malware Protection played by that clamd, results to handler.scan_result;
## AUTH=jwt: bearer tokens from a local issuer (a token is printed; /_local/token?sub=NAME mints more)
dev: $(DEV_STAMP) $(if $(CLAMD)$(filter clamd guardduty,$(SCANNER)),clamav-deps)
	$(DEVSTACK) $(DEV_ARGS)

## make offline: `sls offline` (API on :3000) against the same local S3 and validator
offline: export CORS_ALLOWED_ORIGINS ?= *
offline: $(DEV_STAMP) $(NODE_STAMP)
	$(DEVSTACK) --api none $(DEV_ARGS) --run env PATH="$(CURDIR)/$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" \
	  node_modules/.bin/sls offline

# make package builds AUTH_MODE=jwt with an example issuer unless the environment says
# otherwise (JWT_ISSUER/JWT_AUDIENCE, or AUTH_MODE=none), so CI checks the guarded template.
JWT_ISSUER ?= https://issuer.example.com/
JWT_AUDIENCE ?= upload-api

## make package: the Lambda artifact (no AWS credentials needed), checked: size, contents, libmagic
# serverless.yml has no default CORS origin (a deployment names its own); this check build
# uses an example one unless CORS_ALLOWED_ORIGINS is set.
package: export CORS_ALLOWED_ORIGINS ?= https://app.example.com
package: $(STAMP) $(NODE_STAMP)
	JWT_ISSUER=$(JWT_ISSUER) JWT_AUDIENCE=$(JWT_AUDIENCE) $(SLS) package
	$(BIN)/python infra/check_artifact.py .serverless/upload-service.zip

CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Failed checks that are explained in README ("Security checks"); any other one fails.
CHECKOV_SKIP := CKV_AWS_18,CKV_AWS_21,CKV_AWS_26,CKV_AWS_27,CKV_AWS_115,CKV_AWS_116,CKV_AWS_117,CKV_AWS_158,CKV_AWS_173

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

# Template variants, each packaged apart from .serverless/ (nothing is deployed):
# full: every optional resource (webhook, alarm e-mail); guardduty and clamd: the template of
# each malware scanner (README "Malware scanning"), clamd with example network ids.
VARIANT_ENV_full := WEBHOOK_URL=https://hooks.example.com/uploads \
  WEBHOOK_SECRET_ARN=arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf ALARM_EMAIL=ops@example.com
VARIANT_ENV_guardduty := MALWARE_SCANNER=guardduty
VARIANT_ENV_clamd := CLAMD_ADDRESS=clamd.internal:3310 CLAMD_VPC_ID=vpc-0a1b2c3d4e5f60718 \
  CLAMD_SUBNET_IDS=subnet-0a1b2c3d4e5f60718,subnet-1a1b2c3d4e5f60718 CLAMD_SECURITY_GROUP_ID=sg-0a1b2c3d4e5f60718 \
  CLAMD_ROUTE_TABLE_IDS=rtb-0a1b2c3d4e5f60718
VARIANT_TEMPLATE = .serverless-variants/$(1)/cloudformation-template-update-stack.json

# One variant: sls package (its template; the artifact without requirements: `make package` builds and
# checks the real one), then infra/check_template.py (what its scanner needs, nothing else).
variant-%: export CORS_ALLOWED_ORIGINS ?= https://app.example.com
variant-%: $(STAMP) $(NODE_STAMP)
	env $(VARIANT_ENV_$*) PACKAGE_REQUIREMENTS=/dev/null JWT_ISSUER=$(JWT_ISSUER) JWT_AUDIENCE=$(JWT_AUDIENCE) \
	  $(SLS) package --package .serverless-variants/$*
	env $(VARIANT_ENV_$*) $(BIN)/python infra/check_template.py $(call VARIANT_TEMPLATE,$*)

# cfn-lint, then checkov, on the templates of the variants named in $(1)
lint-variants = $(BIN)/cfn-lint --non-zero-exit-code error $(foreach v,$(1),$(call VARIANT_TEMPLATE,$(v))) && \
  $(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --skip-check $(CHECKOV_SKIP) \
  $(foreach v,$(1),-f $(call VARIANT_TEMPLATE,$(v)))

## make checkov: the template with every optional resource and those of both malware scanners
## (MALWARE_SCANNER=guardduty, =clamd): each through check_template, then cfn-lint and checkov on all three
checkov: variant-full variant-guardduty variant-clamd $(CHECKOV_STAMP)
	$(call lint-variants,full guardduty clamd)

## make scanner-templates: only the two scanners' templates, as `make checkov` checks them
scanner-templates: variant-guardduty variant-clamd $(CHECKOV_STAMP)
	$(call lint-variants,guardduty clamd)

checkov-venv: $(CHECKOV_STAMP)

## make cfn-lint: the generated CloudFormation template has no errors
cfn-lint: export CORS_ALLOWED_ORIGINS ?= https://app.example.com
cfn-lint: package
	$(BIN)/cfn-lint --non-zero-exit-code error .serverless/cloudformation-template-update-stack.json
	@echo "cfn-lint: no errors"
	@if [ "$${AUTH_MODE:-}" != none ]; then \
	  $(BIN)/python infra/check_template.py .serverless/cloudformation-template-update-stack.json; fi

# `sls invoke local` runs the runtime's name (python3.12); in .venv that is the venv's Python.
$(BIN)/python3.12: $(STAMP)
	ln -sf python $@

## make invoke-local: `sls invoke local` on tests/events/ for both functions, against the local S3
invoke-local: export CORS_ALLOWED_ORIGINS ?= *
invoke-local: $(STAMP) $(NODE_STAMP) $(BIN)/python3.12
	$(DEVSTACK) --api none --s3-port 0 --bucket uploads-local --run env PATH="$(CURDIR)/$(BIN):$$PATH" \
	  VIRTUAL_ENV="$(CURDIR)/$(VENV)" sh infra/invoke_local_smoke.sh

## make offline-smoke: sls offline inside the local stack: health, inline, presigned upload validated
offline-smoke: export CORS_ALLOWED_ORIGINS ?= *
offline-smoke: $(STAMP) $(NODE_STAMP)
	$(DEVSTACK) --api none --s3-port 0 --bucket uploads-offline-smoke --run env PATH="$(CURDIR)/$(BIN):$$PATH" \
	  VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(BIN)/python infra/offline_smoke.py

## make newcomer-smoke: make dev on a fresh clone (.venv from requirements-devstack.txt alone), the
## README's Try it and CLI lines as written, no traceback in the stack's log, SIGINT to make stops it
newcomer-smoke: $(STAMP)
	$(BIN)/python infra/newcomer_smoke.py

## make ci: what CI (.ci/run) runs: lint, package + artifact check, cfn-lint, the template variants + checkov, invoke local, sls offline, the newcomer smoke, then the tests
ci: lint cfn-lint checkov invoke-local offline-smoke newcomer-smoke test

## make test: install into .venv (and what the browser tests need), then run the whole test suite
## in TEST_WORKERS processes (pytest-xdist; default: the cores, at most 4; TEST_WORKERS=0 runs it in one)
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
test: $(STAMP) browser-deps clamav-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

## make unit: the pure rules and inspection only (no server, no browser): seconds
unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

## make lint: ruff (lint and format) and mypy on the pure modules, as CI runs them
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

## make bench: cold start and validator figures; image/PDF inspection MB/s and peak RSS
bench: $(STAMP)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_inspect.py

## make bench-real: inspection of real files from Debian packages (apt-get download into
## ~/.cache/upload-service): MB/s per type, slowest file, sandbox peak RSS and overhead, PDFs vs
## a pikepdf walk; rewrites upload_core/measured_rates.py (the time budget's rates) and prints the budget
bench-real: $(STAMP)
	$(BIN)/python bench/bench_real.py --write

## make bench-pdf: PDF inspection on Debian's PDF manuals (fetched into ~/.cache/upload-service once) against
## a pikepdf (qpdf) walk: CPU seconds, ratio, peak RSS; import cost and installed size; hostile files refused
bench-pdf: $(STAMP)
	$(BIN)/python bench/bench_pdf.py

## make bench-office: CPU time and peak RSS of Office inspection, main against the working tree, honest and hostile files
bench-office: $(STAMP)
	$(BIN)/python bench/bench_office.py

## make bench-promote: writing the served object from the spool vs the old copy in S3 (1 MiB, 100 MiB, 1 GiB, 5 GiB)
bench-promote: $(STAMP)
	$(BIN)/python bench/bench_promote.py

## make bench-scanners: S3 requests per decided upload with GuardDuty (either order) vs none; clamd client CPU per GiB
bench-scanners: $(STAMP) clamav-deps
	$(BIN)/python bench/bench_scanners.py

## make bench-large: CLI vs boto3 upload_file for a 1 GiB file, its peak RSS, bytes through handler.api
bench-large: $(STAMP)
	$(BIN)/python bench/bench_large.py

## make browser-deps: Debian's chromium (apt, as root), Playwright for Python (in .venv),
## @uppy/core, @uppy/aws-s3 and esbuild (npm ci); each step is skipped once done
browser-deps: $(STAMP) node_modules/.package-lock.json chromium-deps

chromium-deps:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; \
	  fi; }

## make system-deps: the Debian packages the tests use (chromium, clamd), one apt at a time
system-deps: chromium-deps clamav-deps

## make clamav-deps: Debian's clamd (apt, as root) for the malware-scanning tests, which run
## it with their own signature database (no freshclam); skipped once installed
clamav-deps:
	@test -x /usr/sbin/clamd || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon; \
	  else \
	    echo "The malware-scanning tests need Debian's clamd: sudo apt-get install -y clamav-daemon" >&2; exit 1; \
	  fi; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache
