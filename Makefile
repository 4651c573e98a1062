# Every target sets itself up from nothing: a .venv with the project installed editable,
# Graphviz's `dot` program and, for the tests, Chromium and its driver (apt-get when they
# are missing and it is usable). A second run only checks the stamps, so it is fast.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test bench notebook notebooks graphviz chromium clean

$(VENV)/.installed-%: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$*]"
	@touch $@

$(VENV)/.installed-core: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

graphviz:
	@sh scripts/ensure-program.sh dot graphviz

# The player's browser test opens its HTML in headless Chromium; without it that test is
# skipped with a message.
chromium:
	@sh scripts/ensure-program.sh --optional chromedriver chromium chromium-driver

demo: $(VENV)/.installed-core graphviz
	$(BIN)/python -m nn --out $(OUT)

test: $(VENV)/.installed-test graphviz chromium
	$(BIN)/python -m pytest -q tests
	$(BIN)/python -m pytest -q --nbmake notebooks

bench: $(VENV)/.installed-bench graphviz
	$(BIN)/python bench/run.py

notebook notebooks: $(VENV)/.installed-notebook $(VENV)/.installed-test graphviz
	$(BIN)/python -m jupyter lab notebooks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
