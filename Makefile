# gridvisit: `make run` starts the server, `make test` runs every test.
# Both set up what they need first: a virtualenv with the pinned Python
# packages, and the npm packages from package-lock.json.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Debian packages the tests need: Chromium for the field app's browser tests
# (Playwright drives it; no browser is downloaded) and a CJK font so that
# its screenshots show Chinese.
APT_PACKAGES ?= chromium fonts-wqy-microhei

.PHONY: run test bench screenshots setup setup-test clean

$(VENV)/.run-deps: requirements.txt setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# `make run` installs the runtime npm packages only (PouchDB's browser build,
# Chart.js); `make test` adds the dev ones (pouchdb-server, the test peer).
# `npm ci` empties node_modules first, stamps included, so each stamp says
# exactly what is installed now.
node_modules/.run-installed: package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@ node_modules/.run-installed

apt:
ifneq ($(strip $(APT_PACKAGES)),)
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || \
	  (apt-get update && apt-get install -y --no-install-recommends $(APT_PACKAGES))
endif

setup: $(VENV)/.run-deps node_modules/.run-installed

setup-test: apt $(VENV)/.test-deps node_modules/.installed

run: setup
	$(VENV)/bin/gridvisit seed-demo
	$(VENV)/bin/gridvisit serve --host $(HOST) --port $(PORT)

test: setup-test
	$(PY) -m pytest -q

# The browser tests, writing their screenshots to docs/screenshots/ (tracked):
# run on purpose after a change to a screen, then look at them before committing.
screenshots: setup-test
	GRIDVISIT_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/browser

bench: setup-test
	$(PY) bench/sync_bench.py

clean:
	rm -rf $(VENV) node_modules
