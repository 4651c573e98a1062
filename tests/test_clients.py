"""Pictures and players as the clients a learner opens a notebook in show them, in headless Chromium.

* JupyterLab, started here on 127.0.0.1 with a token and fresh data, settings and workspace
  folders, so every notebook opens untrusted, as a downloaded one does: every picture and every
  player's first step stored in the notebooks must show as an image, and no output may print as
  markup. Then a notebook is trusted, and its player must play with the keys.
* nbconvert's HTML, with and without ``sanitize_html``: the pictures show either way; the
  player plays in the plain export and leaves its first step in the sanitized one.

Besides the stored notebooks, each client is shown a notebook whose outputs the current code
makes here (no kernel needed), so the test holds for the code even before the notebooks are
re-executed. A stored notebook made before pictures carried a PNG is skipped, saying how to
refresh it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import MEASURE, chromium, console_errors
from test_player import mlp_sample, readme_example

import nn
from autograd import animate, draw, draw_step

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
nbformat = pytest.importorskip("nbformat", reason="nbformat comes with JupyterLab (the test extra)")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
REFRESH = "make refresh-notebooks"
# What must never show where a picture or a player should: raw markup, or a repr instead of a picture.
RAW = re.compile(r"<(?:svg|iframe|div|script|img|style|autograd\.|IPython\.)|No (?:\(safe\) )?renderer could be found",
                 re.I)


def stale(notebook: dict) -> str | None:
    """Why a stored notebook's outputs predate pictures that show everywhere, if they do."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data and "image/png" not in data:
                return "a picture stored as SVG only"
            if "<iframe" in "".join(data.get("text/html", "")):
                return "a player stored as an HTML iframe"
    return None


def pictures(notebook: dict) -> dict[int, int]:
    """How many pictures (PNG or SVG; a player's first step is one) each cell stores, by cell."""
    counts = {}
    for i, cell in enumerate(notebook["cells"]):
        n = sum(1 for output in cell.get("outputs", []) if {"image/png", "image/svg+xml"} & set(output.get("data", {})))
        if n:
            counts[i] = n
    return counts


def current_notebook() -> dict:
    """A notebook with the outputs the current code gives Jupyter: drawings, a network view, and
    the player of one sample through MLP(2, [4, 4, 1])."""
    v4 = nbformat.v4
    loss = readme_example()
    loss.backward()

    def result(source: str, diagram, count: int):
        data = {**diagram._repr_mimebundle_(), "text/plain": repr(diagram)}
        return v4.new_code_cell(source, execution_count=count,
                                outputs=[v4.new_output("execute_result", data=data, execution_count=count)])

    player = animate(mlp_sample())
    cells = [
        v4.new_markdown_cell("Made by the current code, as a kernel would show it."),
        result("draw(L)", draw(loss), 1),
        result("draw_step(L, 2)", draw_step(loss, 2), 2),
        result("nn.draw_network(model, x, target, 'mse')",
               nn.draw_network(nn.MLP(2, [4, 4, 1], activation="tanh", seed=0), x=[0.5, -1.0], target=0.25, loss="mse"), 3),
        v4.new_code_cell("animate(sample)", execution_count=4,
                         outputs=[v4.new_output("display_data", data=d) for d in player.notebook_outputs()]),
    ]
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    nbformat.validate(notebook)
    return notebook


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("made") / "made_by_the_current_code.ipynb"
    nbformat.write(nbformat.from_dict(current_notebook()), str(path))
    return path


# -- nbconvert ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium(900, 900) as driver:
        yield driver


@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitize_html"])
def test_nbconvert_html_shows_every_picture_and_no_markup(made, browser, tmp_path, sanitize):
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(sanitize_html=sanitize)
    body, _ = exporter.from_filename(str(made))
    page = tmp_path / "made.html"
    page.write_text(body, encoding="utf-8")
    browser.get(page.as_uri())
    outputs = browser.execute_script("""
        return Array.prototype.map.call(document.querySelectorAll('.jp-OutputArea-child'), function (child) {
          var shown = Array.prototype.filter.call(child.querySelectorAll('img'), function (img) {
            var r = img.getBoundingClientRect(); return img.complete && img.naturalWidth > 0 && r.width > 0 && r.height > 0; });
          return {images: shown.length, frames: child.querySelectorAll('iframe').length, text: child.innerText}; });""")
    # draw, draw_step, draw_network, then the player's first step and the player's script.
    assert [o["images"] for o in outputs[:3]] == [1, 1, 1]
    assert all(not RAW.search(o["text"]) for o in outputs), [o["text"][:200] for o in outputs]
    if sanitize:  # scripts are dropped: the first step stays, the script's output is empty
        assert (outputs[3]["images"], outputs[4]["images"], outputs[4]["frames"]) == (1, 0, 0)
        assert outputs[4]["text"].strip() == ""
    else:  # the script put the player in place of the first step
        assert (outputs[3]["images"], outputs[4]["frames"]) == (0, 1)
        browser.switch_to.frame(browser.find_element("css selector", ".jp-OutputArea-child iframe"))
        assert browser.find_element("id", "counter").text == "step 0 of 19"
        browser.switch_to.default_content()


# -- JupyterLab --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(made, tmp_path_factory):
    """JupyterLab on 127.0.0.1 serving copies of the notebooks (trusting one saves it), with
    fresh Jupyter folders, and Chromium on it at 900 x 900 with the left sidebar closed."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is in the test extra (make test installs it)")
    base = tmp_path_factory.mktemp("lab")
    served, home = base / "notebooks", base / "home"
    served.mkdir()
    for path in [*NOTEBOOKS, made]:
        shutil.copy(path, served)
    settings = home / "settings" / "@jupyterlab"
    for plugin, values in {
        # Every cell in the page, not only those near the screen; kernels stopped with their notebooks.
        "notebook-extension/tracker": {"windowingMode": "none", "kernelShutdown": True},
        "docmanager-extension/plugin": {"autosave": False},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        (settings / plugin).parent.mkdir(parents=True, exist_ok=True)
        (settings / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))
    token = secrets.token_hex(24)
    env = {**os.environ, "JUPYTER_TOKEN": token, "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           # the kernels a notebook starts import this tree, as the tests do
           "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    port = _free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={served}",
               "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (base / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(base / 'server.log').read_text()[-2000:]}")
                time.sleep(0.2)
        with chromium(900, 900) as driver:
            driver.get(f"http://127.0.0.1:{port}/lab?token={token}")
            _wait(driver, "var app = window.jupyterapp; if (app && !app.chainruleRestored) {"
                          "  app.restored.then(function () { app.chainruleRestored = true; }); }"
                          "return !!(app && app.chainruleRestored);", 90)
            driver.execute_script("window.jupyterapp.shell.collapseLeft()")
            yield driver
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait(driver, script: str, seconds: float = 30, *args):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: d.execute_script(script, *args))


# The notebook open in Lab at the path arguments[0].
_PANEL = """
function panel(path) {
  for (var w of window.jupyterapp.shell.widgets('main')) { if (w.context && w.context.path === path) { return w; } }
  return null;
}
"""
# What a notebook shows in Lab: for each cell with outputs, how many images it shows (loaded,
# with a size) and its outputs' text.
_SHOWN = _PANEL + """
var widget = panel(arguments[0]), found = {};
widget.content.widgets.forEach(function (cell, i) {
  var outputs = cell.node.querySelectorAll('.jp-OutputArea-output');
  if (!outputs.length) { return; }
  var images = Array.prototype.filter.call(cell.node.querySelectorAll('.jp-OutputArea-output img'), function (img) {
    var r = img.getBoundingClientRect(), hidden = img.closest('.jp-OutputArea-child').style.display === 'none';
    return img.complete && img.naturalWidth > 0 && r.width > 0 && r.height > 0 && !hidden; });
  found[i] = {images: images.length, text: Array.prototype.map.call(outputs, function (o) { return o.innerText; }).join('\\n')};
});
return found;
"""


def open_in_lab(driver, name: str, cells: int) -> None:
    driver.execute_script("window.jupyterapp.commands.execute('docmanager:open', {path: arguments[0]})", name)
    _wait(driver, _PANEL + "var w = panel(arguments[0]);"
                  "return !!(w && w.context.isReady && w.content.widgets.length === arguments[1])", 60, name, cells)
    driver.execute_script(_PANEL + "window.jupyterapp.shell.activateById(panel(arguments[0]).id)", name)


def close_in_lab(driver, name: str) -> None:
    # Opening may mark a notebook changed (Lab adds what its format lacks): close without asking to save.
    driver.execute_script(_PANEL + "var w = panel(arguments[0]); w.context.model.dirty = false; w.close();", name)
    _wait(driver, _PANEL + "return panel(arguments[0]) === null", 10, name)


def check_untrusted(driver, path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    expected = pictures(notebook)
    open_in_lab(driver, path.name, len(notebook["cells"]))
    assert driver.execute_script(_PANEL + "return panel(arguments[0]).content.widgets.every(function (c) {"
                                 "  return c.model.type !== 'code' || !c.model.trusted; })", path.name), "opened trusted"
    from selenium.common.exceptions import TimeoutException

    try:  # images decode as the page settles
        _wait(driver, "var f = (function () {" + _SHOWN + "}).apply(null, arguments), e = arguments[1];"
                      "return Object.keys(e).every(function (i) { return f[i] && f[i].images === e[i]; });",
              30, path.name, {str(k): v for k, v in expected.items()})
    except TimeoutException:
        pass
    shown = driver.execute_script(_SHOWN, path.name)
    missing = {i: (n, shown.get(str(i), {}).get("images", 0)) for i, n in expected.items()
               if shown.get(str(i), {}).get("images", 0) != n}
    assert missing == {}, f"{path.name}: cell: (pictures stored, shown as images) {missing}"
    raw = {i: found["text"][:300] for i, found in shown.items() if RAW.search(found["text"])}
    assert raw == {}, f"{path.name}: outputs printed as markup"
    close_in_lab(driver, path.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_stored_picture_and_player_shows_untrusted_in_lab(lab, path):
    why = stale(json.loads(path.read_text(encoding="utf-8")))
    if why:
        pytest.skip(f"{path.name} was stored before pictures showed untrusted ({why}): run {REFRESH}")
    check_untrusted(lab, path)


def test_pictures_the_code_makes_show_untrusted_in_lab(lab, made):
    check_untrusted(lab, made)


def trust_and_play(driver, name: str, cells: int, last: int) -> None:
    """Trust the notebook, then play its first player with the keys, checking that it fits
    the 900 x 900 window: controls, counter, step text and picture on screen together."""
    from selenium.webdriver.common.keys import Keys

    open_in_lab(driver, name, cells)
    driver.execute_script("window.jupyterapp.commands.execute('notebook:trust')")
    _wait(driver, "return !!document.querySelector('.jp-Dialog .jp-mod-accept')", 10)
    driver.find_element("css selector", ".jp-Dialog .jp-mod-accept").click()
    _wait(driver, _PANEL + "return !!panel(arguments[0]).node.querySelector('.jp-OutputArea-output iframe')", 30, name)
    frame = driver.execute_script(_PANEL + "return panel(arguments[0]).node.querySelector('.jp-OutputArea-output iframe')",
                                  name)
    # The first step's picture, shown before the script ran, is gone: the player took its place.
    assert driver.execute_script("return arguments[0].closest('.jp-OutputArea-child').previousElementSibling"
                                 ".style.display", frame) == "none"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", frame)
    top = driver.execute_script("return arguments[0].getBoundingClientRect()", frame)
    driver.switch_to.frame(frame)
    try:
        _wait(driver, "return document.body && document.body.dataset.moving === 'false'", 10)
        for element in ("first", "play", "slider", "counter", "caption", "view", "whole"):
            box = driver.execute_script("return document.getElementById(arguments[0]).getBoundingClientRect()", element)
            y0, y1 = top["top"] + box["top"], top["top"] + box["bottom"]
            x0, x1 = top["left"] + box["left"], top["left"] + box["right"]
            assert box["width"] > 0 and 0 <= y0 and y1 <= 900 and 0 <= x0 and x1 <= 900, (element, x0, y0, x1, y1)
        view = driver.find_element("id", "view")
        view.click()
        body, counter = driver.find_element("tag name", "body"), driver.find_element("id", "counter")

        def at(k: int) -> None:
            _wait(driver, "return document.body.dataset.step === arguments[0]"
                          " && document.body.dataset.moving === 'false'", 10, str(k))
            assert counter.text == f"step {k} of {last}"

        body.send_keys(Keys.ARROW_RIGHT)
        body.send_keys(Keys.ARROW_RIGHT)
        at(2)
        assert driver.execute_script(MEASURE, False)["median"] >= 9
        body.send_keys(Keys.ARROW_LEFT)
        at(1)
        body.send_keys(Keys.END)
        at(last)
        body.send_keys(Keys.HOME)
        at(0)
        body.send_keys(Keys.SPACE)
        _wait(driver, "return document.body.dataset.playing === 'true'", 5)
        body.send_keys(Keys.SPACE)
        _wait(driver, "return document.body.dataset.playing === 'false'", 5)
        # Lab's own messages (its bundle, its server) are not the player's.
        assert [e for e in console_errors(driver) if "127.0.0.1" not in e["message"]] == []
    finally:
        driver.switch_to.default_content()
    close_in_lab(driver, name)


def test_a_trusted_notebook_plays_its_player_with_the_keys(lab, made):
    trust_and_play(lab, made.name, len(json.loads(made.read_text())["cells"]), 19)


def test_a_stored_player_plays_once_its_notebook_is_trusted(lab):
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        scripts = [o for c in notebook["cells"] for o in c.get("outputs", [])
                   if "application/javascript" in o.get("data", {})]
        if scripts and not stale(notebook):
            last = int(re.search(r"step 0 of (\d+)", "".join(scripts[0]["data"]["application/javascript"])).group(1))
            trust_and_play(lab, path.name, len(notebook["cells"]), last)
            return
    pytest.skip(f"no stored notebook holds a player made by the current code: run {REFRESH}")
