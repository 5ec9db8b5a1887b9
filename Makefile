# Ledgerflow: `make run` starts the whole stack, `make test` checks everything.
# Each target bootstraps .venv first; a second bootstrap takes a fraction of a second.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint unit bench chaos soak fuzz migrate doctor record-histories clean-data

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m workers dev

migrate: $(STAMP)
	$(BIN)/python -m workers migrate

# Is the stack able to run (PostgreSQL migrated, search attributes, pollers on every queue)?
doctor: $(STAMP)
	$(BIN)/python -m workers doctor

# Re-records tests/replay/histories (RECORD_ARGS="--module wallets"); review and commit the diff.
record-histories: $(STAMP)
	$(BIN)/python -m workers record-histories $(RECORD_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy config domain storage activities workflows api workers bench fuzz chaos
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Contract fuzzing, long profile (FUZZ_MAX_TIME seconds, 900 by default); `make test` runs the
# short one (tests/fuzz).
fuzz: $(STAMP)
	$(BIN)/python -m fuzz $(FUZZ_ARGS)

clean-data:
	rm -rf .data

# Faults on loopback, never part of `make test` (CHAOS_ARGS: a scenario -- ledger, workers,
# temporal, outbox; all by default -- and --duration, --clients, --every): the ledger under lost
# COMMIT replies and kill -9 of PostgreSQL and the API (chaos/run.py), then workers SIGKILLed,
# Temporal restarted, the dispatcher and PostgreSQL killed under every workflow kind.
chaos: $(STAMP)
	timeout 1800 $(BIN)/python -m chaos $(CHAOS_ARGS)

# Mixed load without faults (SOAK_SECONDS, 600 by default): throughput per 30 s, p99, RSS over
# time, Temporal history lengths.
SOAK_SECONDS ?= 600
soak: $(STAMP)
	timeout $$(( $(SOAK_SECONDS) + 600 )) $(BIN)/python -m chaos soak --duration $(SOAK_SECONDS) $(CHAOS_ARGS)
