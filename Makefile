# Every target sets itself up from nothing: a .venv with the project installed editable,
# Graphviz's `dot` program, the fonts the drawings are measured in and, for the tests, Chromium
# and its driver (apt-get when they are missing and it is usable). A second run only checks
# the stamps, so it is fast.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out
PORT ?= 8888
PLAYGROUND_PORT ?= 8000
SITE ?= site

.PHONY: demo test docs bench bench-playground playground playground-build notebook notebooks refresh-notebooks graphviz fonts chromium clean

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

# Graphviz sizes each box around text it measures, and the browser draws that text: both use
# autograd/render.py's font stack, Liberation Sans (Debian's fonts-liberation), Arial or Helvetica.
fonts:
	@sh scripts/ensure-program.sh --optional --font "Liberation Sans|Arial|Helvetica" fonts-liberation

# The browser tests (the player, JupyterLab, nbconvert's HTML) run headless Chromium; without
# it they are skipped with a message.
chromium:
	@sh scripts/ensure-program.sh --optional chromedriver chromium chromium-driver

demo: $(VENV)/.installed-core graphviz fonts
	$(BIN)/python -m nn --out $(OUT)

# tests/test_docs_site.py builds the site too (docs/build.py) and looks at it in Chromium.
test: $(VENV)/.installed-test $(VENV)/.installed-docs graphviz fonts chromium
	$(BIN)/python -m pytest -q tests
	CHAINRULE_FILL_ANSWERS=1 $(BIN)/python -m pytest -q --nbmake notebooks

# The documentation site, from nothing, into site/ (open site/index.html; no network needed, then
# or at build time): Sphinx with warnings as errors, then a check of every local link.
docs: $(VENV)/.installed-docs graphviz fonts
	$(BIN)/python docs/build.py $(SITE)

bench: $(VENV)/.installed-bench graphviz
	$(BIN)/python bench/run.py

# The playground: chainrule in the browser (Pyodide and viz.js, from playground/package-lock.json;
# npm runs once), built into $(OUT)/playground and served on 127.0.0.1 (see playground/README.md).
playground-build: $(VENV)/.installed-core
	$(BIN)/python playground/build.py --out $(OUT)/playground

playground: $(VENV)/.installed-core
	$(BIN)/python playground/build.py --out $(OUT)/playground --serve --port $(PLAYGROUND_PORT)

bench-playground: $(VENV)/.installed-test chromium
	$(BIN)/python bench/playground.py --out $(OUT)/playground

# JupyterLab refuses to start as root (in a container, say) without --allow-root: pass it then.
# The token is made here so that the URL to open is printed before the server's log (which
# hides it); it travels in JUPYTER_TOKEN, not on the command line where `ps` would show it.
notebook notebooks: $(VENV)/.installed-notebook $(VENV)/.installed-test graphviz fonts
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(24))'); \
	root=$$(test "$$(id -u)" = 0 && echo --allow-root); \
	echo "JupyterLab on notebooks/: open http://localhost:$(PORT)/lab?token=$$token (Ctrl-C stops it)"; \
	JUPYTER_TOKEN=$$token exec $(BIN)/python -m jupyter lab notebooks --port=$(PORT) \
		--ServerApp.port_retries=0 $$root

# Re-run every notebook in place, so that its stored outputs are what the code now draws (see
# notebooks/README.md). Never with CHAINRULE_FILL_ANSWERS (the stored exercises would print their
# answers), and with PyTorch, with which the stored comparisons were made: without it, say
# WITHOUT_TORCH=1 to have those cells store how to install it instead.
refresh-notebooks: $(VENV)/.installed-notebook $(VENV)/.installed-test graphviz fonts
	@$(BIN)/python -c 'import torch' 2>/dev/null || test -n "$(WITHOUT_TORCH)" || { \
		echo "PyTorch is not installed in $(VENV): the notebooks' PyTorch cells would lose their comparisons." >&2; \
		echo "Install it ($(BIN)/python -m pip install torch, a CPU build is enough), or run make refresh-notebooks WITHOUT_TORCH=1." >&2; \
		exit 1; }
	env -u CHAINRULE_FILL_ANSWERS $(BIN)/python -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False \
		--NotebookExporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor \
		notebooks/*.ipynb

clean:
	rm -rf $(VENV) $(OUT) $(SITE) build/docs .pytest_cache .hypothesis
