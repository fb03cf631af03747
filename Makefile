# Two commands for a fresh machine (Python 3.11+, pip, venv):
#   make demo   installs everything into .venv and chats with the bot in the terminal
#   make test   installs everything and runs lint, type checks and the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PO_FILES := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: install demo console-demo test lint typecheck pytest catalogs extract clean bench

install: $(STAMP) $(MO_FILES)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Compile each catalog when its .po changes (the install step compiles them).
locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --domain messages --input-file $< --output-file $@ --statistics

catalogs: $(MO_FILES)

# Refresh the template from the code, then rebuild every catalog from the reviewed wording in
# locales/tools/ (fails, naming the message, when a translation is missing).
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o locales/messages.pot --no-location --sort-output \
		-k ngettext:1,2 --project pathbot --omit-header .
	$(BIN)/python locales/tools/make_catalogs.py

demo: install
	$(BIN)/pathbot demo

# The staff console on a demo clinic (a fresh pathbot-console-demo.db): http://127.0.0.1:8000/staff/
console-demo: install
	$(BIN)/pathbot staff demo

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: install lint typecheck pytest

# Benchmarks with targets (not part of `make test`): prints one table. PostgreSQL from
# PATHBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(MO_FILES)
