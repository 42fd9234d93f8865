# Two commands for a new user: `make demo` and `make test`. Both set themselves up, installing
# what each needs and no more: the demo the runtime (requirements.lock: no Airflow), the tests
# Airflow and the test tools too, the benchmarks their solvers. One stamp per set in the venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-runtime
TEST_STAMP  := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
WORK   ?= out/demo
DATE   ?= 2026-11-24
ACCOUNTS ?= 200
SEED   ?= 7

.PHONY: install install-airflow airflow airflow-down lock system-deps demo test test-fast check bench clean

# Debian packages the tests use: Chromium (the review page in a real browser), poppler (PDF → PNG).
SYSTEM_PACKAGES := chromium poppler-utils fonts-liberation fonts-dejavu-core
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null; then \
		echo "Installing $(SYSTEM_PACKAGES) (Debian packages) ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements-airflow.lock requirements-test.lock
	$(PY) -m pip install --quiet -r requirements-airflow.lock -r requirements-test.lock
	touch $(TEST_STAMP)

$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(PY) -m pip install --quiet -r requirements-bench.lock
	touch $(BENCH_STAMP)

# The runtime: `sma` and the in-process night (no Airflow).
install: $(STAMP)

# The runtime and Airflow, for running the DAGs (README, "Running on Airflow").
install-airflow: $(STAMP)
	$(PY) -m pip install --quiet -r requirements-airflow.lock

# Airflow with the Celery executor on this machine (deploy/README.md): PostgreSQL, Redis, a local
# S3 server (moto, from the test lock) for the shard exchange, api-server, scheduler, dag-processor,
# triggerer, two workers. State under out/deploy; `make airflow-down` stops it.
airflow: $(TEST_STAMP)
	PY=$(abspath $(PY)) deploy/up

airflow-down:
	deploy/down

# After a change of pyproject.toml's requirements, in the venv the tests passed in.
lock:
	$(PY) scripts/lock.py

demo: $(STAMP)
	$(PY) -m pipelines.demo --work $(WORK) --date $(DATE) --accounts $(ACCOUNTS) --seed $(SEED)

# Everything: the static gates (lint, format, types), the fast tests, the slow end-to-end tests,
# then the coverage gate over both groups (.ci/gates says what each gate checks; pytest-cov only
# collects here: --cov-fail-under=0, the floor is checked once, over both groups).
# --dist loadfile: one worker runs a whole test file, so a module fixture (a night, a book, a DAG
# bag) is built once, not once a worker. (loadgroup's xdist_group marks do nothing under pytest
# 9.2: pytest-xdist issue #1386.)
PYTEST := $(PY) -m pytest -n 2 --dist loadfile --durations=15
test: $(TEST_STAMP) system-deps
	PY=$(PY) .ci/gates static
	$(PYTEST) -m "not slow" --cov --cov-report= --cov-fail-under=0
	$(PYTEST) -m slow --cov --cov-append --cov-report= --cov-fail-under=0
	PY=$(PY) .ci/gates coverage

# The tests not marked slow: a few minutes, for the edit-test loop.
test-fast: $(TEST_STAMP)
	$(PYTEST) -m "not slow"

# The static gates alone: ruff lint, ruff format --check, pyright.
check: $(TEST_STAMP)
	PY=$(PY) .ci/gates static

bench: $(BENCH_STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; PYTHONPATH=. $(PY) $$b || exit 1; done

clean:
	rm -rf out .pytest_cache .coverage .coverage.*
