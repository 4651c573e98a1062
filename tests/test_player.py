"""animate(): a player of the steps that needs no kernel, tested as files and in a real browser."""

import base64
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browser import MEASURE, chromium, console_errors, page_data

import nn
from autograd import Op, Parameter, Player, Value, animate, backward_steps, forward_steps, ops, step_slider, topological_order
from autograd.draw import draw, draw_step, picture

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
pytestmark = needs_dot
ROOT = Path(__file__).resolve().parents[1]


def chain():
    """Note 004's chain of single-neuron layers, as notebook 2 steps it."""
    a = Value(0.6, "a1 = x")
    for k, (w, b) in enumerate([(0.8, 0.1), (-1.3, 0.4), (2.1, -0.7)], 2):
        z = ops.dot([Parameter(w, f"w{k}")], [a], Parameter(b, f"b{k}"))
        z.label = f"z{k}"
        a = z.sigmoid()
        a.label = f"a{k}"
    cost = (a - Value(1.0, "y")) ** 2
    cost.label = "C"
    return cost


def _docs_pictures():
    """docs/make_pictures.py, which draws the README's pictures (docs/ is no package)."""
    spec = importlib.util.spec_from_file_location("make_pictures", ROOT / "docs" / "make_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readme_example = _docs_pictures().readme_example  # the README's chain: z = x*w + b, L = z*z


def mlp_sample():
    """One sample through MLP(2, [4, 4, 1]): the player at network size (20 frames of 59 nodes)."""
    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
    return nn.losses.mse(model([0.5, -1.0]), 0.25)


def test_one_frame_per_step_with_the_steps_own_text():
    cost = chain()
    player = animate(cost)
    steps = list(backward_steps(chain()))
    assert len(player) == len(steps) == 9
    assert player.captions == [str(s) for s in steps]
    forward = animate(cost, "forward")
    assert forward.captions == [str(s) for s in forward_steps(cost)]
    both = animate(cost, "both")
    assert both.captions == forward.captions + player.captions
    assert len(animate(cost, leaves=True)) == len(topological_order(cost)) + 1


def test_animating_changes_no_grad():
    cost = chain()
    cost.backward()
    before = [node.grad for node in topological_order(cost)]
    animate(cost, "both").svgs()
    assert [node.grad for node in topological_order(cost)] == before


def test_every_frame_has_the_same_layout():
    frames = animate(chain()).svgs()
    sizes = {re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', f).groups() for f in frames}
    assert len(sizes) == 1
    # The same nodes at the same places: only text and colours change.
    places = [re.findall(r'<title>(n\d+)</title>\s*<[^>]*?(?:points|d)="([^"]+)"', f) for f in frames]
    assert all(p == places[0] for p in places) and len(places[0]) == len(topological_order(chain()))


def test_the_page_is_self_contained(tmp_path):
    player = animate(chain())
    path = player.save(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no scripts, styles, images or fonts from anywhere else.
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', page)
    assert not re.search(r"url\(|@import|fetch\(|XMLHttpRequest", page)
    data = page_data(page)
    assert data["captions"] == player.captions
    assert "Step 4 of 8: z4 [dot] has all 1 of its contributions" in data["captions"][4]
    # Each frame is rebuilt from the shared pieces exactly as Graphviz drew it.
    for k, svg in enumerate(player.svgs()):
        rebuilt = "".join(data["parts"][i] for i in data["frames"][k])
        assert rebuilt == re.sub(r"<!--.*?-->\n?", "", svg[svg.index("<svg"):], flags=re.S)


def test_text_in_the_page_cannot_end_its_script():
    hostile = "</script><script>alert(1)</script><!--"
    x = Value(2.0, hostile)
    y = x * x
    y.label = hostile  # in the player's title too
    player = animate(y)
    page = player.html()
    data = page[page.index('id="player-data">'):]
    assert data.count("</script>") == 2  # its own end, and the player's script's
    assert "<!--" not in data.split("</script>")[0]
    assert any(hostile in caption for caption in page_data(page)["captions"])  # shown as written
    script = player.notebook_outputs()[1]["application/javascript"]
    assert not re.search(r"</script|<!--", script, re.I)


def test_frames_share_what_does_not_change():
    player = animate(mlp_sample())
    data = page_data(player.html())
    whole = sum(len(svg) for svg in player.svgs())
    stored = sum(len(part) for part in data["parts"])
    # 20 frames of 59 nodes: each node and edge changes a few times in a pass, not every step.
    assert len(data["frames"]) == 20 and stored < whole / 5


def test_the_camera_frames_the_step_node_and_what_it_sends_to():
    loss = readme_example()
    player = animate(loss)
    keys = {node.lines[0]: node.key for node in picture(loss).nodes}
    assert player.focus[0] == [keys["L = *"], keys["z = +"], "e4", "e5"]  # z is both of L's inputs
    assert player.focus[2][0] == keys["z = +"] and set(player.focus[2][1:]) == {keys["*"], keys["b"], "e2", "e3"}
    forward = animate(loss, "forward")
    assert forward.focus[0] == forward.focus[1]  # nothing is computed at step 0: the first op's place


def test_a_notebook_gets_a_picture_every_client_shows_then_the_player():
    from PIL import Image

    player = animate(chain())
    fallback, script = player.notebook_outputs()
    # No HTML: JupyterLab would sanitize it away untrusted, nbconvert's sanitize_html print it as text.
    assert set(fallback) == {"image/png", "text/plain"} and set(script) == {"application/javascript", "text/plain"}
    png = base64.b64decode(fallback["image/png"])
    with Image.open(io.BytesIO(png)) as image:
        frame = re.search(r'viewBox="0.00 0.00 ([\d.]+)', player.svgs()[0])
        assert image.format == "PNG" and image.width >= float(frame.group(1)) * 96 / 72
    assert script["text/plain"] == "" and "player" in fallback["text/plain"]
    js = script["application/javascript"]
    assert not re.search(r"</script|<!--", js, re.I)  # safe inside an HTML export's <script>
    assert json.dumps(fallback["image/png"][-40:]) in js  # it hides exactly this picture
    page = json.loads(re.search(r"frame\.srcdoc = (\".*?\");\n", js).group(1))
    assert page == player.html()


def test_jupyter_shows_the_player_as_those_two_outputs(monkeypatch):
    display = pytest.importorskip("IPython.display")
    shown = []
    monkeypatch.setattr(display, "display", lambda data, raw: shown.append((data, raw)))
    player = animate(chain())
    player._ipython_display_()
    assert shown == [(output, True) for output in player.notebook_outputs()]


def test_the_gif_has_one_frame_per_step(tmp_path):
    from PIL import Image

    player = animate(chain())
    path = player.save(tmp_path / "steps.gif", seconds_per_frame=0.5)
    with Image.open(path) as gif:
        assert gif.n_frames == len(player) == 9
        assert gif.info["duration"] == 500 and gif.info["loop"] == 0
        widths = set()
        for k in range(gif.n_frames):
            gif.seek(k)
            widths.add(gif.size)
        assert len(widths) == 1


def test_png_frames_go_to_a_folder(tmp_path):
    from PIL import Image

    folder = animate(chain(), "forward").save(tmp_path / "frames")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"step_{k:03d}.png" for k in range(9)]
    with Image.open(folder / "step_000.png") as first:
        assert first.format == "PNG" and first.width > 500


def test_saving_refuses_unknown_kinds_and_keeps_what_was_there(tmp_path, monkeypatch):
    player = animate(chain())
    with pytest.raises(ValueError, match=r"save writes \.html, \.gif or a folder of PNG frames .* got 'steps\.mp4'"):
        player.save(tmp_path / "steps.mp4")
    with pytest.raises(ValueError, match="seconds_per_frame must be a number from 0.02 to 60, got 0"):
        player.save(tmp_path / "steps.gif", seconds_per_frame=0)
    target = tmp_path / "steps.html"
    target.write_text("earlier")
    monkeypatch.setattr(Player, "html", lambda self: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        player.save(target)
    assert target.read_text() == "earlier" and sorted(p.name for p in tmp_path.iterdir()) == ["steps.html"]


def test_the_size_guard_refuses_before_any_drawing(monkeypatch):
    drawing = sys.modules["autograd.draw"]  # the module; autograd.draw is the function

    def no_drawing(*args, **kwargs):
        raise AssertionError("a picture was drawn before the size was checked")

    monkeypatch.setattr(drawing, "picture", no_drawing)
    x = Value(0.1, "x")
    y = x
    for _ in range(300):
        y = y.tanh()
    with pytest.raises(ValueError, match=r"602 frames of 301 nodes is 181202 frames x nodes, more than "
                                         r"max_frame_nodes=10000.*max_frame_nodes=181202"):
        animate(y, "both")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"direction": "up"}, ValueError, "direction must be one of 'backward', 'forward', 'both', got 'up'"),
    ({"max_frame_nodes": 0}, ValueError, "max_frame_nodes must be a positive int, got 0"),
    ({"precision": 0}, ValueError, "precision must be from 1 to 17"),
    ({"rankdir": "XY"}, ValueError, "rankdir must be one of"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        animate(chain(), **kwargs)


def test_step_slider_without_widgets_gives_the_player(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    with pytest.warns(UserWarning, match=r"needs ipywidgets \(pip install ipywidgets\)"):
        shown = step_slider(chain())
    assert isinstance(shown, Player) and len(shown) == 9


def test_step_slider_with_widgets():
    pytest.importorskip("ipywidgets")
    widget = step_slider(chain())
    slider, view = widget.children
    assert (slider.min, slider.max, slider.value) == (0, 8, 0)
    assert "Step 0 of 8" in view.value
    slider.value = 4
    assert "Step 4 of 8: z4 [dot]" in view.value


# -- in a real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium(900, 900) as driver:
        yield driver


def open_page(driver, player, tmp_path):
    driver.get(player.save(tmp_path / "steps.html").resolve().as_uri())
    return driver.find_element("tag name", "body")


def settled(driver, k: int) -> None:
    """Wait until step k shows and the camera has stopped moving."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "return document.body.dataset.step === arguments[0] && document.body.dataset.moving === 'false'", str(k)))


def go_to(driver, k: int) -> None:
    driver.execute_script("var s = document.getElementById('slider'); s.value = arguments[0];"
                          "s.dispatchEvent(new Event('input'));", k)
    settled(driver, k)


def test_the_saved_page_plays_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    player = animate(chain())
    body = open_page(browser, player, tmp_path)
    caption, counter = browser.find_element("id", "caption"), browser.find_element("id", "counter")
    settled(browser, 0)
    assert caption.text == player.captions[0] and counter.text == "step 0 of 8"
    for _ in range(3):
        body.send_keys(Keys.ARROW_RIGHT)
    settled(browser, 3)
    assert caption.text == player.captions[3] and counter.text == "step 3 of 8"
    body.send_keys(Keys.ARROW_LEFT)
    settled(browser, 2)
    body.send_keys(Keys.END)
    settled(browser, 8)
    body.send_keys(Keys.HOME)
    settled(browser, 0)
    # The picture is the step's: the node drawn red is the one that sends.
    for k in (1, 2):
        browser.find_element("id", "next").click()
        settled(browser, k)
        red = browser.execute_script(
            "return Array.prototype.filter.call(document.querySelectorAll('#view g.node'), function (g) {"
            "  return g.querySelector('[stroke=\"#dc2626\"]'); }).map(function (g) {"
            "  return g.querySelector('title').textContent; });")
        assert red == [player.focus[k][0]]
    # Space plays at the chosen speed; it reaches the last frame and stops there.
    Select(browser.find_element("id", "speed")).select_by_visible_text("4x")
    body.send_keys(" ")
    WebDriverWait(browser, 20).until(lambda d: d.find_element("tag name", "body").get_attribute("data-playing") == "false")
    settled(browser, 8)
    assert caption.text == player.captions[8] and browser.find_element("id", "slider").get_attribute("value") == "8"
    assert console_errors(browser) == []


@pytest.mark.parametrize("make", [mlp_sample, readme_example], ids=["MLP(2, [4, 4, 1])", "README chain"])
def test_at_900_by_900_every_step_is_on_screen_and_legible(browser, tmp_path, make):
    player = animate(make())
    open_page(browser, player, tmp_path)
    for k in range(len(player)):
        go_to(browser, k)
        # The controls, the step counter, the step's text and the picture, all on screen at once.
        for name in ("first", "play", "last", "slider", "counter", "speed", "whole", "caption", "view"):
            box = browser.find_element("id", name).rect
            assert box["width"] > 0 and box["height"] > 0, name
            assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 900 and box["y"] + box["height"] <= 900, name
        assert browser.find_element("id", "view").rect["height"] >= 400
        found = browser.execute_script(MEASURE, False)
        assert found["median"] >= 9, f"step {k}: the median text on screen is {found['median']:.1f} px tall"
        touching = [f"{t['node']}: {t['text']}" for t in found["texts"] if not t["inside"]]
        assert touching == [], f"step {k}: text within 2 px across or 1 px up and down of its outline"
        assert found["texts"], f"step {k}: no node on screen"
    assert console_errors(browser) == []


def test_the_camera_zooms_pans_and_shows_the_whole_graph(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    player = animate(mlp_sample())
    body = open_page(browser, player, tmp_path)
    go_to(browser, 3)

    def camera():
        settled(browser, 3)
        return [float(v) for v in browser.execute_script(
            "return document.querySelector('#view svg').getAttribute('viewBox')").split()]

    def nodes_on_screen():
        return browser.execute_script(
            "var v = document.getElementById('view').getBoundingClientRect(), n = 0;"
            "document.querySelectorAll('#view g.node').forEach(function (g) { var r = g.getBoundingClientRect();"
            "  if (r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom) { n++; } });"
            "return n;")

    following = camera()
    body.send_keys("+")
    closer = camera()
    assert closer[2] == pytest.approx(following[2] / 1.25, rel=1e-3)  # 25% closer, viewBox 1/1.25 as wide
    body.send_keys("-")
    assert camera()[2] == pytest.approx(following[2], rel=1e-3)
    ActionChains(browser).move_to_element(browser.find_element("id", "view")).click_and_hold() \
        .move_by_offset(-120, 0).release().perform()
    panned = camera()
    assert panned[0] == pytest.approx(following[0] + 120 * following[2] / browser.find_element("id", "view").rect["width"], rel=1e-2)
    assert nodes_on_screen() < len(topological_order(mlp_sample())) + 3
    body.send_keys("w")  # the whole graph: every node and layer box on screen
    camera()
    assert nodes_on_screen() == browser.execute_script("return document.querySelectorAll('#view g.node').length")
    browser.find_element("id", "follow").click()
    assert camera() == pytest.approx(following, rel=1e-6)
    body.send_keys(Keys.ARROW_RIGHT)  # the camera follows the next step
    settled(browser, 4)


def test_buttons_are_drawn_icons_not_characters(browser, tmp_path):
    open_page(browser, animate(chain()), tmp_path)
    buttons = browser.find_elements("css selector", ".controls button")
    assert len(buttons) == 9
    for button in buttons:
        icon = button.find_element("tag name", "svg").rect
        assert button.text == "" and icon["width"] >= 12 and icon["height"] >= 12, button.get_attribute("id")
        assert button.get_attribute("aria-label") and button.get_attribute("title")


def test_graphviz_and_chromium_measure_text_alike(browser, tmp_path):
    """Graphviz sizes each box around text it measured; Chromium draws that text. They must use
    fonts of the same widths: the test compares every text's width both ways."""
    loss = mlp_sample()
    loss.backward()
    diagram = nn.draw_network(nn.MLP(2, [4, 4, 1], activation="tanh", seed=0), x=[0.5, -1.0], target=0.25, loss="mse")
    widths = {}
    for drawn in (draw(loss), diagram, draw_step(loss, 3)):
        layout = json.loads(drawn.pipe(format="json"))
        for item in layout.get("objects", []) + layout.get("edges", []):
            bold = False
            for op in item.get("_ldraw_", []):
                if op["op"] == "t":
                    bold = bool(op["fontchar"] & 1)
                elif op["op"] == "T":
                    widths[(op["text"], bold)] = op["width"]
        page = tmp_path / "drawing.html"
        svg = drawn.pipe(format="svg", encoding="utf-8")
        page.write_text(f"<!DOCTYPE html><html><body>{svg[svg.index('<svg'):]}</body></html>", encoding="utf-8")
        browser.get(page.as_uri())
        drawn_widths = browser.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('svg text'), function (t) {"
            "  return [t.textContent, t.getAttribute('font-weight') === 'bold', t.getComputedTextLength()]; });")
        compared = [(text, widths[(text, bold)], width) for text, bold, width in drawn_widths if (text, bold) in widths]
        assert len(compared) > 0.9 * len(drawn_widths)
        # Graphviz's widths are hinted and rounded to whole points: up to 5% apart (a font of
        # other widths, such as DejaVu Sans for Liberation Sans, is 10 to 15% apart).
        apart = [(text, measured, round(width, 2)) for text, measured, width in compared
                 if abs(width - measured) > max(1.5, 0.05 * measured)]
        assert apart == []
    # And the font Chromium draws with is the stack's first, where it is installed (as make test does).
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})
    document = browser.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    text = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": document, "selector": "svg g.node text"})["nodeId"]
    families = {font["familyName"] for font in browser.execute_cdp_cmd("CSS.getPlatformFontsForNode",
                                                                        {"nodeId": text})["fonts"]}
    installed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout \
        if shutil.which("fc-list") else ""
    if "Liberation Sans" in installed:
        assert families == {"Liberation Sans"}


# -- hostile labels ----------------------------------------------------------------------
HOSTILE = "<!--<script>"


def hostile_graph():
    """Labels and an op name that would end or reopen the page's script if written into it as they are."""
    shout = Op("</script><!--<script>", _double, _double_rule)
    x = Value(0.5, HOSTILE)
    y = shout(x) * Value(3.0, "</script>")
    y.label = "y " + HOSTILE
    return y


def _double(x):
    return 2.0 * x


def _double_rule(x, out):
    return (2.0,)


def _data(page: str) -> str:
    """The player's data as the page carries it, in its JSON script element."""
    (data,) = re.findall(r'<script type="application/json" id="player-data">(.*?)</script>', page, re.S)
    return data


def test_no_label_or_op_name_reaches_the_script_as_markup():
    player = animate(hostile_graph())
    assert any(HOSTILE in caption for caption in player.captions)
    data = _data(player.html())
    # Every "<" of the text is written \u003c, so nothing in it can end or reopen the script.
    assert "<" not in data and "\\u003c!--\\u003cscript>" in data
    assert json.loads(data)["captions"] == player.captions


def test_a_lone_surrogate_in_a_label_is_shown_as_its_escape_in_the_page_and_in_jupyter(tmp_path):
    # draw and the GIF write it as \ud800 already; the page and the notebook frame must too.
    x = Value(0.5, "x\ud800")
    y = (x * 2.0).tanh()
    y.label = "y\udfff"
    player = animate(y)
    page = player.save(tmp_path / "p.html").read_text(encoding="utf-8")
    data = page_data(page)  # the pictures and the captions, as the page's script reads them
    assert any("x\\ud800" in part for part in data["parts"]) and any("y\\udfff" in c for c in data["captions"])
    assert "x\\\\ud800" in _data(page)  # in the JSON, the backslash itself is escaped
    shown = json.dumps(player.notebook_outputs(), ensure_ascii=False).encode("utf-8")  # what Jupyter stores
    assert b"y\\\\udfff" in shown


def test_hostile_labels_leave_the_page_playing_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    player = animate(hostile_graph())
    body = open_page(browser, player, tmp_path)
    caption = browser.find_element("id", "caption")
    body.send_keys(Keys.ARROW_RIGHT)
    settled(browser, 1)
    assert caption.text == player.captions[1]
    assert HOSTILE in caption.text or HOSTILE in player.captions[0]
    assert console_errors(browser) == []
