# Every target installs what it needs first, so each one works on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: checkov test lint bench bench-large browser-deps clean dev offline package cfn-lint invoke-local offline-smoke ci

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

NODE_STAMP := node_modules/.package-lock.json
# The framework and serverless-offline run the functions with the project's virtualenv.
SLS := PATH="$(CURDIR)/$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" node_modules/.bin/sls
DEVSTACK := $(BIN)/python -m devstack
DATA_DIR ?=
DEV_ARGS ?= $(if $(DATA_DIR),--data-dir $(DATA_DIR))

## make dev: the whole service locally (S3, API on :8000, validator); DATA_DIR=.local-data keeps data
dev: $(STAMP)
	$(DEVSTACK) $(DEV_ARGS)

## make offline: `sls offline` (API on :3000) against the same local S3 and validator
offline: export CORS_ALLOWED_ORIGINS ?= *
offline: $(STAMP) $(NODE_STAMP)
	$(DEVSTACK) --api none $(DEV_ARGS) --run env PATH="$(CURDIR)/$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" \
	  node_modules/.bin/sls offline

## make package: the Lambda artifact (no AWS credentials needed), checked: size, contents, libmagic
# serverless.yml has no default CORS origin (a deployment names its own); this check build
# uses an example one unless CORS_ALLOWED_ORIGINS is set.
package: export CORS_ALLOWED_ORIGINS ?= https://app.example.com
package: $(STAMP) $(NODE_STAMP)
	$(SLS) package
	$(BIN)/python infra/check_artifact.py .serverless/upload-service.zip

CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Failed checks that are explained in README ("Security checks"); any other one fails.
CHECKOV_SKIP := CKV_AWS_18,CKV_AWS_21,CKV_AWS_26,CKV_AWS_27,CKV_AWS_116,CKV_AWS_117,CKV_AWS_158,CKV_AWS_173

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

## make checkov: cfn-lint and checkov on the template with its optional resources (webhook, alarm e-mail)
checkov: export WEBHOOK_URL ?= https://hooks.example.com/uploads
checkov: export WEBHOOK_SECRET_ARN ?= arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf
checkov: export ALARM_EMAIL ?= ops@example.com
checkov: package $(CHECKOV_STAMP)
	$(BIN)/cfn-lint --non-zero-exit-code error .serverless/cloudformation-template-update-stack.json
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --framework cloudformation --skip-check $(CHECKOV_SKIP) \
	  -f .serverless/cloudformation-template-update-stack.json

## make cfn-lint: the generated CloudFormation template has no errors
cfn-lint: package
	$(BIN)/cfn-lint --non-zero-exit-code error .serverless/cloudformation-template-update-stack.json
	@echo "cfn-lint: no errors"

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

## make ci: what CI runs: package + artifact check, cfn-lint, invoke local, sls offline, then the tests
ci: cfn-lint invoke-local offline-smoke test

## make test: install into .venv (and what the browser tests need), then run the whole test suite
test: $(STAMP) browser-deps
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

## make bench: cold start and validator figures
bench: $(STAMP)
	$(BIN)/python bench/bench_core.py

## make bench-large: CLI vs boto3 upload_file for a 1 GiB file, its peak RSS, bytes through handler.api
bench-large: $(STAMP)
	$(BIN)/python bench/bench_large.py

## make browser-deps: Debian's chromium (apt, as root), Playwright for Python (in .venv),
## @uppy/core, @uppy/aws-s3 and esbuild (npm ci); each step is skipped once done
browser-deps: $(STAMP) node_modules/.package-lock.json
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; \
	  fi; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache
