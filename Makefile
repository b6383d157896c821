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
FT_LOCK := requirements-ft.lock
DOCS_LOCK := requirements-docs.lock

# The 3.11 environment runs the one-interpreter tools (ruff, mypy, models, ...).
PY := $(VENV)/py3.11/bin/python
BENCH_PY := $(VENV)/bench/bin/python
DOCS_PY := $(VENV)/docs/bin/python

# The free-threaded interpreter: FT_PYTHON if set (any 3.13t or later), else the
# one in ../shared/ft, unpacked into .venv/python3.13t (../shared stays read-only).
FT_PYTHON ?=
FT_ARCHIVE := $(abspath ../shared/ft/python3.13t.tar.xz)
FT_BUNDLED := $(VENV)/python3.13t/bin/python3.13t
FT_BASE := $(if $(FT_PYTHON),$(FT_PYTHON),$(FT_BUNDLED))
FT_PY := $(VENV)/py3.13t/bin/python

PYTEST_ARGS ?=
BENCH_ARGS ?=

comma := ,

# Caches and bytecode go under .venv/ too, not beside the sources.
export PYTHONPYCACHEPREFIX := $(abspath $(VENV)/cache/pycache)
export HYPOTHESIS_STORAGE_DIRECTORY := $(abspath $(VENV)/cache/hypothesis)
export MYPY_CACHE_DIR := $(abspath $(VENV)/cache/mypy)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The PostgreSQL integration tests (tests/postgres.py) fail, rather than skip,
# when the server binaries are missing: make's tests promise a real server.
export RPOOL_REQUIRE_POSTGRES ?= 1

# The TLA+ tools: taken from the environment, else from ../shared if it is there.
ifeq ($(TLA2TOOLS_JAR),)
TLA2TOOLS_JAR := $(wildcard $(abspath ../shared/tla/tla2tools.jar))
endif
ifneq ($(TLA2TOOLS_JAR),)
export TLA2TOOLS_JAR
endif

.PHONY: help venvs demo lint format typecheck test $(addprefix test-,$(PYTHONS)) \
	test-ft ft-venv models models-deep mutants mutants-table conformance nightly $(addprefix nightly-,$(PYTHONS)) \
	bench bench-ft docs check clean

help: ## List the targets
	@echo "rpool make targets:"
	@grep -E '^[a-z][a-zA-Z0-9._-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'
	@echo "Variables: PYTEST_ARGS (passed to pytest), BENCH_ARGS (passed to the benchmarks),"
	@echo "  FT_PYTHON (a free-threaded interpreter for test-ft and bench-ft, instead of ../shared/ft)."

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

# .venv/docs: Python 3.11 with requirements-docs.lock (MkDocs) and rpool (editable).
$(VENV)/docs/.stamp: $(DOCS_LOCK) pyproject.toml | $(VENV)/.gitignore
	$(call make_venv,$(VENV)/docs,3.11,$(DOCS_LOCK))

venvs: $(DEV_STAMPS) ## Create .venv/py3.11, py3.12, py3.13

$(FT_BUNDLED): | $(VENV)/.gitignore
	@if [ ! -f "$(FT_ARCHIVE)" ]; then \
		echo "error: no free-threaded interpreter: $(FT_ARCHIVE) is missing;" \
			"set FT_PYTHON=/path/to/python3.13t" >&2; \
		exit 1; \
	fi
	@echo "==> $(VENV)/python3.13t: unpacking $(FT_ARCHIVE)"
	@rm -rf $(VENV)/python3.13t
	@tar -C $(VENV) -xJf "$(FT_ARCHIVE)"
	@touch $@

# .venv/py3.13t: the free-threaded interpreter with requirements-ft.lock and rpool
# (editable). Made anew when the lockfile or the interpreter changes: .stamp
# records both. Phony, so that a new FT_PYTHON is noticed; it refuses an
# interpreter built with the GIL.
ft-venv: $(FT_LOCK) pyproject.toml $(if $(FT_PYTHON),,$(FT_BUNDLED)) | $(VENV)/.gitignore
	@py="$(FT_BASE)"; \
	if ! "$$py" -c 'import sys, sysconfig; sys.exit(sysconfig.get_config_var("Py_GIL_DISABLED") != 1)' 2>/dev/null; then \
		echo "error: $$py is not a free-threaded CPython (Py_GIL_DISABLED is not 1)" >&2; \
		exit 1; \
	fi; \
	want="$$("$$py" -c 'import sys; print(sys.executable, sys.version.split()[0])') $$(cksum < $(FT_LOCK))"; \
	if [ ! -x $(FT_PY) ] || [ "$$(cat $(VENV)/py3.13t/.stamp 2>/dev/null)" != "$$want" ]; then \
		echo "==> $(VENV)/py3.13t: $$("$$py" -VV) ($$py) + $(FT_LOCK)"; \
		"$$py" -m venv --clear $(VENV)/py3.13t; \
		$(FT_PY) -m pip install -qq -r $(FT_LOCK); \
		$(FT_PY) -m pip check; \
	fi; \
	echo "==> $(VENV)/py3.13t: pip install -e ."; \
	$(FT_PY) -m pip install -qq --no-deps -e .; \
	rm -rf src/*.egg-info; \
	echo "$$want" > $(VENV)/py3.13t/.stamp

# --- targets ----------------------------------------------------------------

demo: $(VENV)/py3.11/.stamp ## Run the demo (docs/demo.py): threads sharing sqlite3 connections
	$(PY) docs/demo.py

lint: $(VENV)/py3.11/.stamp ## ruff check and ruff format --check over src and tests
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests

format: $(VENV)/py3.11/.stamp ## Apply ruff's fixes and formatting to src and tests
	$(PY) -m ruff check --fix src tests
	$(PY) -m ruff format src tests

typecheck: $(VENV)/py3.11/.stamp ## mypy --strict over src and tests, the typing cases, the docs' examples
	$(PY) -m mypy
	MYPY_CACHE_DIR=$(VENV)/cache/mypy-cases $(PY) tests/typing/run_typing_cases.py
	$(PY) tests/docs_examples.py --mypy

test: $(addprefix test-,$(PYTHONS)) ## pytest on 3.11, 3.12 and 3.13 (PYTEST_ARGS=...)

$(addprefix test-,$(PYTHONS)): test-%: $(VENV)/py%/.stamp
	@echo "==> pytest on Python $*"
	$(VENV)/py$*/bin/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS)

# -X gil=0 (and PYTHON_GIL=0 for the subprocesses) keeps the GIL off even if an
# extension module without free-threading support is imported; the conftest
# fails the session if the GIL is on at its start or after any test.
test-ft: ft-venv ## pytest on the free-threaded build, GIL off (FT_PYTHON=..., PYTEST_ARGS=...)
	@echo "==> pytest on $$($(FT_PY) -VV)"
	PYTHON_GIL=0 RPOOL_REQUIRE_FREE_THREADING=1 \
		$(FT_PY) -X gil=0 -m pytest -p no:cacheprovider -q $(PYTEST_ARGS)

models: $(VENV)/py3.11/.stamp ## TLC on every model configuration and model mutant (models/check.py)
	$(PY) models/check.py

models-deep: $(VENV)/py3.11/.stamp ## The deep model profile: more clients, bigger pools (slow; not in check)
	$(PY) models/check.py --deep

mutants: $(VENV)/py3.11/.stamp ## Run each planted-bug mutant through the test layers until one kills it
	$(PY) tests/mutants/run.py

mutants-table: $(VENV)/py3.11/.stamp ## Every mutant through every layer: the kill table of docs/testing.md (slow; not in check)
	$(PY) tests/mutants/run.py --table

conformance: $(VENV)/py3.11/.stamp ## Trace validation, model-based tests, CrossHair (tests/conformance/run.py)
	$(PY) tests/conformance/run.py

nightly: $(addprefix nightly-,$(PYTHONS)) ## The test suite with the nightly Hypothesis profile (slow; not in check)

$(addprefix nightly-,$(PYTHONS)): nightly-%: $(VENV)/py%/.stamp
	HYPOTHESIS_PROFILE=nightly $(VENV)/py$*/bin/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS)

bench: $(VENV)/bench/.stamp ## Run the benchmarks in .venv/bench (BENCH_ARGS=...)
	MPLBACKEND=Agg $(BENCH_PY) tests/benchmarks/run.py $(BENCH_ARGS)

# The peers that need packages (SQLAlchemy, generic-connection-pool, matplotlib)
# are left out where they are not installed: .venv/py3.13t has none of them.
bench-ft: ft-venv ## The benchmarks on the free-threaded build, GIL off (BENCH_ARGS=...)
	PYTHON_GIL=0 $(FT_PY) -X gil=0 tests/benchmarks/run.py $(BENCH_ARGS)

# The site (mkdocs.yml, docs/site.md) is built in strict mode: a broken link or
# anchor, a page left out of the nav, a docstring mkdocstrings cannot parse or
# a reference to a missing name fails it. NO_MKDOCS_2_WARNING silences a notice
# about the tools' future that docs/site.md states once.
docs: $(VENV)/docs/.stamp ## Build the documentation site into .venv/site, strictly (a warning fails it)
	NO_MKDOCS_2_WARNING=1 $(DOCS_PY) -m mkdocs build --strict

# Sub-makes in order, so a failure stops the rest even under make -j.
check: ## lint, typecheck, docs, test, test-ft, models, mutants, conformance, in that order
	@began=$$(date +%s); for t in lint typecheck docs test test-ft models mutants conformance; do \
		echo "==> make $$t"; start=$$(date +%s); \
		$(MAKE) $$t || { echo "make check: '$$t' failed" >&2; exit 1; }; \
		echo "==> make $$t: $$(( $$(date +%s) - start )) s"; \
	done; echo "make check: all passed in $$(( $$(date +%s) - began )) s"

clean: ## Remove .venv (environments and caches) and stray build/cache files
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis src/*.egg-info
	find src tests models -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
