# The README's two commands: `make run` and `make test`. Both set up .venv on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run check test lint format-new bench screenshots clean venv fuzz

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q sockplay  # an editable install is not compiled, and PYTHONDONTWRITEBYTECODE would make every run compile it
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sockplay $(ARGS)

# The static checks: ruff, mypy (settings and files in pyproject.toml; .mypy_cache keeps reruns
# to a few seconds) and the import-linter layer contracts (pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check sockplay tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: check
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The fuzz suites (hostile input, export), twenty times as many examples as in `make test` (many minutes).
fuzz: $(STAMP)
	SOCKPLAY_FUZZ=long HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q -s -p no:randomly -o timeout=0 \
		tests/lang/test_fuzz_hostile.py tests/lang/test_export_fuzz.py

# Harlequin runs `ruff format` over the whole tree; here 139 of 170 files predate the formatter and a
# mass reformat would collide with every open branch. So: Python files this branch ADDS (since it left
# main) must be ruff-formatted; files it only edits are left as they are. `make lint` is the checks plus that.
BASE ?= $(shell git merge-base HEAD main 2>/dev/null || echo HEAD)
format-new: $(STAMP)
	@files="$$(git diff --name-only --diff-filter=A $(BASE) -- '*.py' 2>/dev/null)"; \
	if [ -n "$$files" ]; then $(BIN)/ruff format --check $$files; \
	else echo "format-new: no Python file added since $(BASE)"; fi

lint: check format-new

bench: $(STAMP)
	$(BIN)/python -m sockplay bench

screenshots: $(STAMP)
	$(BIN)/python -m sockplay.tui.screenshots screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .import_linter_cache
