# Two commands on a fresh machine with Python 3.11:
#   make demo   set up .venv and run the example workflow locally (file storage)
#   make test   set up .venv and run the whole test suite (every target for real)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
export RAY_USAGE_STATS_ENABLED = 0
export RAY_AUTH_MODE = disabled
export PREFECT_SERVER_ANALYTICS_ENABLED = false

.PHONY: demo test check venv bench golden clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $@

demo: venv
	$(BIN)/fusec run examples/models.fuse

# pytest exits 5 when it collected nothing: for the whole suite that means
# something is broken, so it fails the run like any failing test.
test: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

# The gate CI runs before the tests: lint (ruff), types (mypy, strict on the compiler,
# the IR, the option schemas and the runtime) and layers (import-linter contracts in pyproject.toml).
check: venv
	$(BIN)/ruff check fuseflow tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

golden: venv
	$(BIN)/python -m pytest -q tests --update-golden

bench: venv
	for b in compile local flow storage startup lsp ray prefect kfp; do $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache examples/.fuseflow
