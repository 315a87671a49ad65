# Kizuna — two commands do everything on a fresh machine:
#   make run    install, migrate, load the demo event, serve http://127.0.0.1:8000
#   make test   install (plus chromium, fonts and ctfcli for the compat test), then the whole suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CTFCLI_VENV := .venv-ctfcli
VENDOR := src/kizuna/web/static/vendor

.PHONY: run test install system-packages lint catalogs bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# htmx is an enhancement: every page works without it, so a machine without npm still runs Kizuna.
# The type faces (Inter, Noto Sans JP, JetBrains Mono; SIL Open Font Licence) come from npm too: each
# face's stylesheet and its variable-weight files, which browsers fetch per script as pages need them.
# Certificates (PDF) embed Noto Sans JP from TrueType files (regular and bold, from
# @expo-google-fonts/noto-sans-jp): a PDF needs glyf outlines it can subset, not WOFF2.
$(VENDOR)/.installed: package.json package-lock.json
	mkdir -p $(VENDOR)
	if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund --loglevel=error && cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js \
	  && for font in inter noto-sans-jp jetbrains-mono; do \
	    rm -rf $(VENDOR)/fonts/$$font && mkdir -p $(VENDOR)/fonts/$$font/files \
	    && cp node_modules/@fontsource-variable/$$font/index.css node_modules/@fontsource-variable/$$font/LICENSE $(VENDOR)/fonts/$$font/ \
	    && cp node_modules/@fontsource-variable/$$font/files/*-wght-normal.woff2 $(VENDOR)/fonts/$$font/files/; \
	  done \
	  && rm -rf $(VENDOR)/fonts/certificate && mkdir -p $(VENDOR)/fonts/certificate \
	  && cp node_modules/@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf \
	    node_modules/@expo-google-fonts/noto-sans-jp/700Bold/NotoSansJP_700Bold.ttf \
	    node_modules/@expo-google-fonts/noto-sans-jp/LICENSE_FONT $(VENDOR)/fonts/certificate/; \
	else echo "npm not found: pages will work without htmx, in the system's fonts"; fi
	touch $@

$(CTFCLI_VENV)/.installed: requirements-ctfcli.lock
	$(PYTHON) -m venv $(CTFCLI_VENV)
	$(CTFCLI_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-ctfcli.lock
	touch $@

install: $(STAMP) $(VENDOR)/.installed

# Debian packages the tests need: chromium (driven by Playwright through executable_path, never a
# downloaded browser) and CJK fonts for the browser tests; wrk (the benchmark's load generator) and
# nginx (the reverse proxy of the scale-out test, run as the test's own process). Installed only
# when missing.
system-packages:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
	    || ! command -v wrk >/dev/null || ! PATH="$$PATH:/usr/sbin" command -v nginx >/dev/null; then \
	  echo "Installing chromium, fonts-noto-cjk, wrk and nginx with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk wrk nginx >/dev/null; \
	fi

run: install
	$(BIN)/kizuna db upgrade
	$(BIN)/kizuna demo --if-empty
	$(BIN)/kizuna serve --host 127.0.0.1 --port 8000

test: install $(CTFCLI_VENV)/.installed system-packages
	KIZUNA_CTFCLI=$(CURDIR)/$(CTFCLI_VENV)/bin/ctf $(BIN)/pytest -p no:cacheprovider -n auto --dist loadfile

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

catalogs: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k lazy -k ngettext:1,2 --sort-output -o src/kizuna/i18n/messages.pot --no-location --omit-header src/kizuna
	for loc in en ja; do \
	  if [ -f src/kizuna/i18n/locale/$$loc/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update -i src/kizuna/i18n/messages.pot -d src/kizuna/i18n/locale -l $$loc --no-fuzzy-matching --ignore-obsolete --omit-header; \
	  else $(BIN)/pybabel init -i src/kizuna/i18n/messages.pot -d src/kizuna/i18n/locale -l $$loc; fi; \
	done

bench: install
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) $(CTFCLI_VENV) node_modules $(VENDOR)
