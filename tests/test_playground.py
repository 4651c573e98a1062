"""The playground: chainrule running in headless Chromium (Pyodide, viz.js), against CPython.

The folder ``playground/build.py`` builds is served on 127.0.0.1 by a thread of this process,
and Chromium resolves every other host to nothing, so the page can only work offline; the
network log then shows no request left for another host. Each check runs the same code in
the page and here (``playground/app.py`` is the page's Python, run by both) and compares the
numbers. Pyodide's libm (musl) may round exp and tanh differently from glibc's in the last
bit, so gradients are compared to 1e-12 relative, and 50 training steps to 1e-9.
"""

from __future__ import annotations

import functools
import http.server
import json
import math
import shutil
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from browser import chromium, console_errors

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "playground"))
import app  # noqa: E402  (the page's Python, here in CPython)
import build  # noqa: E402

READY_SECONDS = 90  # a slow machine's first load compiles 11 MB of WebAssembly

EXPRESSION = """\
a = Value(0.7)
b = Value(-1.3)
c = a * b + a * a
d = c.tanh() * b.exp()
e = (d + 2.0) ** 2 / (3.0 - a)
L = e.log() + c.sigmoid() * d
"""


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The built playground, served on 127.0.0.1; its address."""
    if shutil.which("npm") is None and not (build.HERE / "node_modules" / build.STAMP).is_file():
        pytest.skip("the playground is built from npm packages and npm is not installed "
                    "(Debian/Ubuntu: sudo apt-get install nodejs npm)")
    try:
        folder = build.build(tmp_path_factory.mktemp("playground") / "site")
    except build.BuildError as failed:
        pytest.skip(f"the playground could not be built: {failed}")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(build.Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(site):
    # Every host but 127.0.0.1 resolves to nothing: the page must need no network.
    with chromium(1200, 900, flags=("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)) as driver:
        yield driver


def open_page(driver, url: str) -> float:
    """Open the playground and wait until its Python is ready; the seconds that took."""
    start = time.monotonic()
    driver.get(url)
    while time.monotonic() - start < READY_SECONDS:
        state = driver.execute_script("return document.body.dataset.ready")
        if state == "true":
            return time.monotonic() - start
        assert state != "failed", driver.find_element("id", "status").text
        time.sleep(0.1)
    raise AssertionError(f"the page was not ready after {READY_SECONDS} s: "
                         f"{driver.find_element('id', 'status').text}; console: {console_errors(driver)}")


@pytest.fixture(scope="session")
def page(browser, site):
    open_page(browser, site)
    wait_for(browser, "return document.body.dataset.ran === '1'")  # the first example, run on opening
    return browser


def wait_for(driver, script: str, seconds: float = 30.0):
    """The first truthy value of ``script`` (JavaScript, returning a value)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def run_code(driver, code: str) -> None:
    """Type ``code`` into the editor (as its input event sees it) and press Run."""
    wait_for(driver, "return !document.getElementById('run').disabled")
    before = driver.execute_script("return document.body.dataset.ran || ''")
    driver.execute_script("""
        const box = document.getElementById('code');
        box.value = arguments[0];
        box.dispatchEvent(new Event('input'));""", code)
    driver.find_element("id", "run").click()
    wait_for(driver, f"return (document.body.dataset.ran || '') !== {json.dumps(before)}")


def show_tab(driver, name: str) -> None:
    driver.find_element("id", f"tab-{name}").click()


def cpython(code: str):
    root, names = app.execute(code)
    root.backward()
    return root, names


SVG_TOOLTIPS = """
return Array.from(document.querySelectorAll('#graph svg g.node')).map(function (g) {
  var a = g.querySelector('a');
  return a ? (a.getAttribute('xlink:title') || a.getAttribute('title') || '') : '';
});
"""


def test_an_expressions_gradients_in_the_drawn_svg_equal_cpythons(page):
    run_code(page, EXPRESSION)
    _, names = cpython(EXPRESSION)
    drawn = {}
    for tip in page.execute_script(SVG_TOOLTIPS):
        lines = tip.split("\n")
        fields = dict(line.split(" = ", 1) for line in lines[1:] if " = " in line)
        if "grad" in fields:
            drawn[lines[0]] = (float(fields["data"]), float(fields["grad"]))
    assert set(drawn) >= set(names) and len(names) == 6  # every named variable drawn, by its name
    for name, value in names.items():
        data, grad = drawn[name]
        assert math.isclose(data, value.data, rel_tol=1e-12), name
        assert math.isclose(grad, value.grad, rel_tol=1e-12, abs_tol=1e-300), (name, grad, value.grad)
    # the variables' table shows the same gradients, in full in its tooltips
    table = page.execute_script("""return Array.from(document.querySelectorAll('#variables tbody tr')).map(
        function (tr) { return [tr.dataset.name, tr.cells[2].title]; });""")
    assert [n for n, _ in table] == list(names)
    assert [float(g) for _, g in table] == pytest.approx([v.grad for v in names.values()], rel=1e-12)


def test_the_graphs_text_is_drawn_at_its_own_size_and_scrolls(page):
    # Scaled down to fit the pane, a dozen nodes' numbers were 5 px tall: the drawing keeps the
    # desktop's type size and its box scrolls sideways instead.
    run_code(page, EXPRESSION)
    heights = page.execute_script("""return Array.from(document.querySelectorAll('#graph svg text')).map(
        function (t) { return t.getBoundingClientRect().height; });""")
    assert len(heights) > 20 and min(heights) >= 12, sorted(heights)[:5]
    box = page.execute_script("""var g = document.getElementById('graph');
        return [g.scrollWidth, g.clientWidth, getComputedStyle(g).overflowX];""")
    assert box[0] > box[1] and box[2] == "auto", box  # wider than its pane, and it scrolls


def test_stepping_shows_the_html_players_frames_and_captions(page):
    from autograd import animate

    run_code(page, EXPRESSION)
    show_tab(page, "steps")
    data = json.loads(wait_for(page, """
        var f = document.getElementById('player'), d = f.contentDocument;
        var el = d && d.getElementById('player-data');
        return el ? el.textContent : null;"""))
    root, _ = cpython(EXPRESSION)
    expected = animate(root)
    assert len(data["frames"]) == len(expected) == len(expected.captions) > 5
    assert data["captions"] == expected.captions
    # the player's own controls move it, made live by the engine in the page
    shown = page.execute_script("""var d = document.getElementById('player').contentDocument;
        d.getElementById('next').click(); d.getElementById('next').click();
        return [d.getElementById('caption').textContent, d.body.dataset.step];""")
    show_tab(page, "graph")
    assert shown == [expected.captions[2], "2"]


@pytest.mark.parametrize("name", ["a", "b", "c"])
def test_a_variables_paths_sum_to_its_gradient(page, name):
    from autograd import paths

    run_code(page, EXPRESSION)
    show_tab(page, "paths")
    try:
        page.execute_script("""var s = document.getElementById('path-variable');
            s.value = arguments[0]; s.dispatchEvent(new Event('change'));""", name)
        wait_for(page, f"""var r = document.querySelector('#paths li .route');
            return r && r.textContent.indexOf({json.dumps(name)}) === 0;""")
        shown = page.execute_script("""return {
            sum: Number(document.getElementById('path-sum').dataset.value),
            grad: Number(document.getElementById('path-grad').dataset.value),
            products: Array.from(document.querySelectorAll('#paths li b')).map(function (b) { return Number(b.dataset.product); })};""")
    finally:
        show_tab(page, "graph")
    root, names = cpython(EXPRESSION)
    found = paths(root, names[name])
    assert len(shown["products"]) == len(found) >= (3 if name == "a" else 1)
    assert shown["products"] == pytest.approx([p.product for p in found], rel=1e-12)
    assert shown["sum"] == pytest.approx(names[name].grad, rel=1e-12)
    assert shown["grad"] == pytest.approx(names[name].grad, rel=1e-12)


def test_an_error_shows_pythons_message_at_its_line(page):
    run_code(page, "a = Value(1.0)\nb = a * 2\nc = b + undefined_name\n")
    error = page.find_element("id", "error")
    assert error.is_displayed()
    assert "NameError: name 'undefined_name' is not defined" in error.text
    assert error.get_attribute("data-line") == "3"
    assert page.execute_script("return document.querySelector('#gutter .bad').textContent") == "3"
    assert page.find_element("id", "error-line").is_displayed()
    # the last good graph stays; a fixed line clears the error
    run_code(page, "a = Value(1.0)\nb = a * 2\nc = b + 1\n")
    assert not page.find_element("id", "error").is_displayed()


def test_training_steps_in_the_page_give_cpythons_weights(page):
    options = {"dataset": "moons", "hidden": [8, 8], "activation": "tanh", "lr": 0.1, "batch_size": 16, "seed": 3}
    started = json.loads(page.execute_async_script(
        "var done = arguments[1]; window.playground.call('train_start', arguments[0]).then(function (r) { done(JSON.stringify(r)); });",
        json.dumps(options)))
    assert started["ok"], started
    result = json.loads(page.execute_async_script(
        "var done = arguments[0]; window.playground.call('train_steps', 50).then(function (r) { done(JSON.stringify(r)); });"))
    trainer = app.Trainer(**options)
    for _ in range(50):
        trainer.step()
    expected = trainer.weights()
    assert result["steps"] == 50 and len(result["weights"]) == len(expected) == 8 * 3 + 8 * 9 + 2 * 9
    assert result["weights"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert result["losses"] == pytest.approx(trainer.losses, rel=1e-9)
    assert trainer.losses[-1] < trainer.losses[0]


def test_pressing_train_again_starts_afresh_with_no_step_of_the_run_before(page):
    # Views of the abandoned run may still be on their way: none may reach the new loss curve.
    show_tab(page, "train")
    try:
        for _ in range(4):
            page.find_element("id", "train").click()
            time.sleep(0.15)
        wait_for(page, "return window.trainingUpdates().length >= 4", 60)
        page.find_element("id", "pause").click()
        time.sleep(0.5)
        steps = int(page.find_element("id", "train-status").get_attribute("data-steps"))
        assert page.execute_script("return window.trainingLosses()") == steps > 0
    finally:
        show_tab(page, "graph")


def test_training_live_updates_the_views_and_pauses(page):
    show_tab(page, "train")
    try:
        page.find_element("id", "train").click()
        wait_for(page, "return window.trainingUpdates().length >= 4", 60)
        # the units of every layer, and a box around each of its four layers
        assert page.execute_script("return document.querySelectorAll('#network svg g.node').length") == (2 + 8 + 8 + 2) + 4
        page.find_element("id", "pause").click()
        time.sleep(0.5)
        steps = page.find_element("id", "train-status").get_attribute("data-steps")
        time.sleep(0.8)
        assert page.find_element("id", "train-status").get_attribute("data-steps") == steps
        assert int(steps) > 0
        loss = page.execute_script("return document.getElementById('loss').toDataURL().length")
        assert loss > 2000  # the loss curve is drawn
    finally:
        show_tab(page, "graph")


def test_code_that_never_ends_can_be_stopped_and_python_starts_again(page):
    # A learner's `while True: pass` would leave Run waiting for ever: Stop ends the worker,
    # says what happened, and a fresh Python runs the next code.
    page.execute_script("""const box = document.getElementById('code');
        box.value = 'a = Value(1.0)\\nwhile True:\\n    a = a + 0'; box.dispatchEvent(new Event('input'));""")
    page.find_element("id", "run").click()
    wait_for(page, "return !document.getElementById('stop').hidden", 10)
    page.find_element("id", "stop").click()
    error = wait_for(page, "var e = document.getElementById('error'); return !e.hidden && e.textContent")
    assert error.startswith("Stopped after ") and "press Run" in error
    assert page.execute_script("return document.getElementById('run').disabled")  # until Python is back
    wait_for(page, "return document.body.dataset.ready === 'true'", READY_SECONDS)
    assert "restarted" in page.find_element("id", "status").text
    run_code(page, EXPRESSION)
    _, names = cpython(EXPRESSION)
    shown = page.execute_script("""return Array.from(document.querySelectorAll('#variables tbody tr')).map(
        function (tr) { return tr.cells[2].title; });""")
    assert [float(g) for g in shown] == pytest.approx([v.grad for v in names.values()], rel=1e-12)
    assert page.execute_script("return document.getElementById('stop').hidden")


def test_a_chain_thousands_deep_runs_and_the_next_run_too(page):
    # Dropped whole, such a chain is freed by a recursion as deep as the chain, which overflows
    # the browser's stack and stops Pyodide for good: the page frees it node by node.
    chain = "y = Value(1.0)\nfor i in range(5000):\n    y = y * 1.0001\nL = y"
    run_code(page, chain)
    error = page.find_element("id", "error").text
    assert "max_nodes" in error  # drawing 5,001 nodes is refused, as in CPython
    with pytest.raises(ValueError, match="max_nodes"):
        app.draw(cpython(chain)[0])
    for _ in range(2):  # the chain is let go of here; Python must still be there
        run_code(page, EXPRESSION)
        assert not page.execute_script("return document.body.dataset.ran").startswith("error")
        assert page.find_element("id", "error").get_attribute("hidden")
    assert not [e for e in page.get_log("browser") if "fatal" in e["message"]]


def test_when_python_itself_fails_the_page_says_so_and_starts_it_again(page):
    # Code that drops a chain thousands deep itself overflows the browser's stack inside
    # Pyodide, which cannot go on after that: the page must not hang with Run greyed out.
    run_code(page, "y = Value(1.0)\nfor i in range(5000):\n    y = y * 1.0001\ndel y\nL = Value(1.0)")
    error = page.find_element("id", "error").text
    assert error.startswith("Python in the page failed") and "press Run" in error
    wait_for(page, "return document.body.dataset.ready === 'true'", READY_SECONDS)
    run_code(page, EXPRESSION)
    assert page.execute_script("return document.body.dataset.ran").isdigit()
    # Pyodide's own report of the failure, read here so that it is not taken for a new one later
    assert any("fatal error" in e["message"] for e in console_errors(page))


def test_what_the_code_prints_is_shown(page):
    run_code(page, "a = Value(3.0)\nprint('a is', a.data)\nfor i in range(3):\n    print(i)\nL = a * a")
    assert page.find_element("id", "output").text.splitlines()[-4:] == ["a is 3.0", "0", "1", "2"]
    run_code(page, "a = Value(1.0)\nprint('x' * 100_000)\nL = a")  # a flood is cut, and says how much
    shown = page.find_element("id", "output").text
    assert len(shown) < 21_000 and "80,001 more characters" in shown  # the line break too
    run_code(page, "a = Value(1.0)\nL = a")
    assert not page.find_element("id", "output").is_displayed()  # nothing printed: no box


def test_the_output_is_the_last_value_assigned_even_inside_a_block(page):
    code = "a = Value(2.0)\nif a.data > 0:\n    L = a * a"
    run_code(page, code)
    root, names = cpython(code)
    assert root is names["L"] and names["a"].grad == 4.0
    assert "output L" in page.find_element("id", "status").text
    grads = page.execute_script("""return Array.from(document.querySelectorAll('#variables tbody tr')).map(
        function (tr) { return [tr.dataset.name, tr.cells[2].title]; });""")
    assert dict(grads)["a"] == "4.0"


@pytest.mark.parametrize("field, typed, said", [("lr", "", "Learning rate"), ("lr", "0", "above 0"),
                                                ("batch", "0", "Batch"), ("seed", "-1", "Seed"),
                                                ("hidden", "8, abc", "whole numbers")])
def test_a_bad_training_field_is_named_not_read_as_zero(page, field, typed, said):
    show_tab(page, "train")
    page.execute_script("arguments[0].value = arguments[1];", page.find_element("id", field), typed)
    page.find_element("id", "train").click()
    message = wait_for(page, "var s = document.getElementById('train-status'); return s.dataset.error && s.textContent")
    assert said in message
    assert page.execute_script("return document.body.dataset.training || ''") != "on"
    page.execute_script("document.getElementById('train-form').reset()")
    show_tab(page, "graph")


def test_a_damaged_link_says_so_and_runs_nothing(browser, site):
    browser.get("about:blank")  # a new address, not a new hash on the same page
    open_page(browser, site + "#code=%E0%A4%A")
    assert "could not be read" in browser.find_element("id", "link-note").text
    time.sleep(1)
    assert browser.execute_script("return document.body.dataset.ran || ''") == ""
    assert browser.find_element("id", "code").get_attribute("value") == ""


def test_code_from_a_link_does_not_run_until_run_is_pressed(browser, site):
    code = "p = Value(3.0)\nq = p * p\nr = q.tanh()\n"
    browser.get("about:blank")  # a new address, not a new hash on the same page
    open_page(browser, site + "#code=" + urllib.parse.quote(code))
    time.sleep(1.0)  # give a wrongly started run the time to show
    assert browser.find_element("id", "code").get_attribute("value") == code
    assert browser.find_element("id", "link-note").is_displayed()
    assert browser.execute_script("return document.body.dataset.ran") is None
    assert browser.find_elements("css selector", "#graph svg") == []
    browser.find_element("id", "run").click()
    wait_for(browser, "return document.body.dataset.ran === '1'")
    _, names = cpython(code)
    assert {t.split("\n")[0] for t in browser.execute_script(SVG_TOOLTIPS)} >= set(names)
    assert not browser.find_element("id", "link-note").is_displayed()


RESOURCES = "var done = arguments[0]; window.playground.resources().then(done);"


def test_no_request_left_for_another_host(page, site):
    # Resource timing lists every address fetched, failed ones too, by the page, its worker
    # (Pyodide, viz.js, the zip) and the player.
    show_tab(page, "steps")
    wait_for(page, "var d = document.getElementById('player').contentDocument; return !!(d && d.getElementById('player-data'));")
    show_tab(page, "graph")
    asked = page.execute_async_script(RESOURCES)
    assert any(u.endswith("pyodide.asm.wasm") for u in asked) and any(u.endswith("chainrule.zip") for u in asked)
    assert [u for u in asked if not u.startswith(site)] == []
    assert [e for e in console_errors(page) if "favicon" not in e["message"]] == []
    # and the check would have seen one
    page.execute_async_script("var done = arguments[0]; fetch('http://example.com/chainrule').then(done, function () { done(); });")
    assert "http://example.com/chainrule" in page.execute_async_script(RESOURCES)
