# rpool: the project's interface. `make help` lists the targets.
#
# Everything this Makefile creates lives under .venv/ (virtual environments,
# tool caches, bytecode), and .venv/.gitignore keeps all of it out of git.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory

VENV := .venv
PYTHONS := 3.11 3.12 3.13
DEV_LOCK := requirements-dev.lock
BENCH_LOCK := requirements-bench.lock

# The 3.11 environment runs the one-interpreter tools (ruff, mypy, models, ...).
PY := $(VENV)/py3.11/bin/python
BENCH_PY := $(VENV)/bench/bin/python

PYTEST_ARGS ?=
BENCH_ARGS ?=

comma := ,

# Caches and bytecode go under .venv/ too, not beside the sources.
export PYTHONPYCACHEPREFIX := $(abspath $(VENV)/cache/pycache)
export HYPOTHESIS_STORAGE_DIRECTORY := $(abspath $(VENV)/cache/hypothesis)
export MYPY_CACHE_DIR := $(abspath $(VENV)/cache/mypy)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The TLA+ tools: taken from the environment, else from ../shared if it is there.
ifeq ($(TLA2TOOLS_JAR),)
TLA2TOOLS_JAR := $(wildcard $(abspath ../shared/tla/tla2tools.jar))
endif
ifneq ($(TLA2TOOLS_JAR),)
export TLA2TOOLS_JAR
endif

.PHONY: help venvs demo lint format typecheck test $(addprefix test-,$(PYTHONS)) \
	models models-deep mutants conformance nightly $(addprefix nightly-,$(PYTHONS)) bench check clean

help: ## List the targets
	@echo "rpool make targets:"
	@grep -E '^[a-z][a-zA-Z0-9._-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'
	@echo "Variables: PYTEST_ARGS (passed to pytest), BENCH_ARGS (passed to the benchmarks)."

# --- environments -----------------------------------------------------------

$(VENV)/.gitignore:
	@mkdir -p $(VENV)
	@echo '*' > $@

# Shell code: sets the shell variable py to an interpreter of Python $(1), or fails saying
# which places were tried.
find_python = py=""; \
	for c in "$$(command -v python$(1) || true)" /root/.pyenv/versions/$(1).*/bin/python$(1); do \
		if [ -x "$$c" ] && p=$$("$$c" -c 'import sys; print(sys.executable) if sys.version_info[:2] == ($(subst .,$(comma),$(1))) else sys.exit(1)' 2>/dev/null); \
		then py=$$p; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
		echo "error: no Python $(1) found (tried python$(1) on PATH and /root/.pyenv/versions/$(1).*/bin/python$(1))" >&2; \
		exit 1; \
	fi

# $(call make_venv,DIR,PYTHON-VERSION,LOCKFILE): DIR/.stamp's recipe. The venv
# is made anew when the lockfile changes; when only pyproject.toml changes,
# rpool alone is reinstalled (editable). setuptools leaves src/rpool.egg-info
# behind while building; it is removed, since with src/ on sys.path it would
# show up as a second copy of rpool's metadata. pip runs with -qq: errors only.
define make_venv
@$(call find_python,$(2)); \
	if [ ! -x $(1)/bin/python ] || [ ! -e $(1)/.stamp ] || [ $(3) -nt $(1)/.stamp ]; then \
		echo "==> $(1): $$("$$py" --version) ($$py) + $(3)"; \
		"$$py" -m venv --clear $(1); \
		$(1)/bin/python -m pip install -qq -r $(3); \
	fi; \
	echo "==> $(1): pip install -e ."; \
	$(1)/bin/python -m pip install -qq --no-deps -e .; \
	rm -rf src/*.egg-info
@touch $(1)/.stamp
endef

DEV_STAMPS := $(foreach v,$(PYTHONS),$(VENV)/py$(v)/.stamp)

# .venv/py3.X: Python 3.X with requirements-dev.lock and rpool (editable).
$(DEV_STAMPS): $(VENV)/py%/.stamp: $(DEV_LOCK) pyproject.toml | $(VENV)/.gitignore
	$(call make_venv,$(VENV)/py$*,$*,$(DEV_LOCK))

# .venv/bench: Python 3.11 with requirements-bench.lock and rpool (editable).
$(VENV)/bench/.stamp: $(BENCH_LOCK) pyproject.toml | $(VENV)/.gitignore
	$(call make_venv,$(VENV)/bench,3.11,$(BENCH_LOCK))

venvs: $(DEV_STAMPS) ## Create .venv/py3.11, py3.12, py3.13

# --- targets ----------------------------------------------------------------

demo: $(VENV)/py3.11/.stamp ## Run the demo (docs/demo.py): threads sharing sqlite3 connections
	$(PY) docs/demo.py

lint: $(VENV)/py3.11/.stamp ## ruff check and ruff format --check over src and tests
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests

format: $(VENV)/py3.11/.stamp ## Apply ruff's fixes and formatting to src and tests
	$(PY) -m ruff check --fix src tests
	$(PY) -m ruff format src tests

typecheck: $(VENV)/py3.11/.stamp ## mypy --strict over src and tests, then the typing cases
	$(PY) -m mypy
	MYPY_CACHE_DIR=$(VENV)/cache/mypy-cases $(PY) tests/typing/run_typing_cases.py

test: $(addprefix test-,$(PYTHONS)) ## pytest on 3.11, 3.12 and 3.13 (PYTEST_ARGS=...)

$(addprefix test-,$(PYTHONS)): test-%: $(VENV)/py%/.stamp
	@echo "==> pytest on Python $*"
	$(VENV)/py$*/bin/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS)

models: $(VENV)/py3.11/.stamp ## TLC on every model configuration and model mutant (models/check.py)
	$(PY) models/check.py

models-deep: $(VENV)/py3.11/.stamp ## The deep model profile: more clients, bigger pools (slow; not in check)
	$(PY) models/check.py --deep

mutants: $(VENV)/py3.11/.stamp ## Run the planted-bug mutants against the test layers (tests/mutants/run.py)
	$(PY) tests/mutants/run.py

conformance: $(VENV)/py3.11/.stamp ## Trace validation, model-based tests, CrossHair (tests/conformance/run.py)
	$(PY) tests/conformance/run.py

nightly: $(addprefix nightly-,$(PYTHONS)) ## The test suite with the nightly Hypothesis profile (slow; not in check)

$(addprefix nightly-,$(PYTHONS)): nightly-%: $(VENV)/py%/.stamp
	HYPOTHESIS_PROFILE=nightly $(VENV)/py$*/bin/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS)

bench: $(VENV)/bench/.stamp ## Run the benchmarks in .venv/bench (BENCH_ARGS=...)
	MPLBACKEND=Agg $(BENCH_PY) tests/benchmarks/run.py $(BENCH_ARGS)

# Sub-makes in order, so a failure stops the rest even under make -j.
check: ## lint, typecheck, test, models, mutants, conformance, in that order
	@for t in lint typecheck test models mutants conformance; do \
		echo "==> make $$t"; \
		$(MAKE) $$t || { echo "make check: '$$t' failed" >&2; exit 1; }; \
	done
	@echo "make check: all passed"

clean: ## Remove .venv (environments and caches) and stray build/cache files
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis src/*.egg-info
	find src tests models -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
