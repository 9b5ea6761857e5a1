# Stay-Well: `make run` serves the app with demo data; `make test` runs every test.
# Both create .venv/ and install what they need first. Nothing else to set up.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint format typecheck migrate assets bench load clean-local

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/run.py

test: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy staywell/money.py accounts/rules.py claims/rules.py vesting/rules.py reports/economics/rules.py

migrate: $(STAMP)
	$(BIN)/python manage.py migrate

# Refresh the vendored front-end assets (USWDS, htmx, Chart.js, axe-core) from npm.
assets:
	npm ci --no-audit --no-fund
	$(PYTHON) scripts/vendor_assets.py

bench: $(STAMP)
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

# A working day under load: every role at once for 10 minutes (bench/load_day.py; LOAD_ARGS
# such as "--minutes 2"). Prints figures and checks; never part of `make test`.
load: $(STAMP)
	$(BIN)/python bench/load_day.py $(LOAD_ARGS)

# Stop the embedded services and delete their data (the demo is rebuilt on the next run).
LOCAL_DIR := $(or $(STAYWELL_LOCAL_DIR),.local)
clean-local:
	-$(BIN)/python scripts/stop_embedded.py
	rm -rf $(LOCAL_DIR)
