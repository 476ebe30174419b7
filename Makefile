# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
SDK_VENV := .venv-sdk
BUILD_VENV := .venv-build
FAST := -m "not e2e and not slow"
# Only what CodeBuild installs (requirements-build.txt): the dev-only packages cannot be imported.
BUILD_SET := -p tests.support.build_set
# How far ahead `make test` moves the clock (libfaketime) for its second run of the fast tests.
FUTURE ?= +400 days
# apt-get as root (CI, this workplace); through sudo otherwise.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BENCH_VENV := .venv-bench

.PHONY: help venv tools node browser faketime native test test-fast test-future test-build lint demo bench clean try try-stop

help:
	@echo "make demo   - venv + moto_server + seeded registry + the real CLI, as CodeBuild runs it"
	@echo "make test   - all tests, cfn-lint and checkov; then the fast tests $(FUTURE) ahead (faketime) with only"
	@echo "              what CodeBuild installs (requirements-build.txt)"
	@echo "make test-build - the fast tests in a fresh venv of requirements-build.txt (as CodeBuild installs it)"
	@echo "make try    - moto_server on 127.0.0.1, seeded and left running; prints export lines (make try-stop ends it)"
	@echo "make bench  - cold-start benchmark of the CLI against moto_server; the analyzer on 1M captures; data quality"
	@echo "              at 1M and 10M records beside Evidently and the JSON-decoding floor (.venv-bench)"

$(VENV)/.stamp: requirements.txt requirements-build.txt requirements-dev.txt requirements-report.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/.stamp: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(BENCH_VENV)/.stamp: requirements-bench.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-bench.txt
	touch $@

$(SDK_VENV)/.stamp: requirements-sdk.txt
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-sdk.txt
	touch $@

# asl-validator and jsonata (package.json, exact versions in package-lock.json) check the processing engine's state
# machines (tests/test_processing_engine.py). Without npm those tests skip, naming the reason.
node_modules/.stamp: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --silent && touch $@; \
	else echo "npm not found: the state machine checks will skip (apt-get install nodejs npm)"; fi

node: node_modules/.stamp

venv: $(VENV)/.stamp

tools: $(VENV)/.stamp $(CHECKOV_VENV)/.stamp $(SDK_VENV)/.stamp browser faketime

# The analyzer's fast reader (pipelines/analyze/fastcsv.py): plain C, loaded with ctypes; the C compiler comes from
# apt-get when missing. -ffp-contract=off: no fused multiply-add, so the mean/M2 blocks are numpy's doubles exactly.
NATIVE := pipelines/analyze/_native.so
CFLAGS_NATIVE := -O3 -ffp-contract=off -fPIC -shared -Wall -Wextra -Werror
$(NATIVE): pipelines/analyze/_native.c
	@command -v cc >/dev/null || $(SUDO) apt-get install -y -qq gcc >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gcc; }
	cc $(CFLAGS_NATIVE) -o $@ $<

native: $(NATIVE)

# libfaketime (Debian package faketime): the suite must pass on any date, so make test runs it in the future too.
faketime:
	@command -v faketime >/dev/null || $(SUDO) apt-get install -y -qq faketime >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq faketime; }

# Debian's headless browser for the HTML report's browser test (tests/test_report_html.py), installed when missing
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium and chromium-driver (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

lint: $(VENV)/.stamp $(CHECKOV_VENV)/.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/cfn-lint model-monitor-template.yml
	$(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact -f model-monitor-template.yml
	$(PY) -m devtools.processing_engine_block --check

test: tools node lint $(NATIVE)
	SDK_PYTHON=$(CURDIR)/$(SDK_VENV)/bin/python CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov \
		$(PY) -m pytest -q -n 2
	$(MAKE) --no-print-directory test-future

test-fast: $(VENV)/.stamp $(NATIVE)
	$(PY) -m pytest -q -n 2 $(FAST)

# The fast tests with the clock moved $(FUTURE) (a time bomb fails CI on the day it is written) and with only the
# build's packages importable (a fast test needing a dev-only package fails here, not in a user's CodeBuild run).
# libfaketime also fakes the monotonic clock: FAKETIME_DONT_FAKE_MONOTONIC=1 makes time.sleep fail with EINVAL.
# No test waits on a thread's timed wait (they hang under libfaketime: core/progress.py takes an injectable timer).
test-future: $(VENV)/.stamp faketime
	faketime '$(FUTURE)' $(PY) -m pytest -q -n 2 -p no:cacheprovider $(FAST) $(BUILD_SET)

# The same check in a real fresh venv of requirements-build.txt (slower: an install).
test-build:
	rm -rf $(BUILD_VENV)
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-build.txt
	$(BUILD_VENV)/bin/python -m pytest -q -n 2 -p no:cacheprovider $(FAST)

demo: $(VENV)/.stamp $(NATIVE)
	$(PY) bench/demo.py

# A seeded emulator left running, so the README's usage commands run as written: prints the export lines
try: $(VENV)/.stamp
	$(PY) -m devtools.try_env start

try-stop: $(VENV)/.stamp
	$(PY) -m devtools.try_env stop

bench: $(VENV)/.stamp $(BENCH_VENV)/.stamp $(NATIVE)
	$(PY) bench/bench.py
	$(PY) bench/bench_analyzer.py
	$(PY) bench/bench_report_html.py
	$(PY) bench/bench_throughput.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SDK_VENV) $(BUILD_VENV) $(BENCH_VENV) node_modules .pytest_cache out $(NATIVE)
