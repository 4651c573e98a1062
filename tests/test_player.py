"""animate(): a player of the steps that needs no kernel, tested as files and in a real browser."""

import contextlib
import json
import re
import shutil
import sys
import tempfile

import pytest

from autograd import Op, Parameter, Player, Value, animate, backward_steps, forward_steps, ops, step_slider, topological_order

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
pytestmark = needs_dot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


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
    path = animate(chain()).save(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no scripts, styles, images or fonts from anywhere else.
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', page)
    assert not re.search(r"url\(|@import|fetch\(|XMLHttpRequest", page)
    assert page.count('<div class="frame"') == 9
    assert "Step 4 of 8: z4 [dot] has all 1 of its contributions" in page


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


def test_jupyter_shows_the_page_in_a_frame_of_its_own():
    page = animate(chain())._repr_html_()
    assert page.startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;") and "</iframe>" in page


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


@contextlib.contextmanager
def browser_session():
    """Headless Chromium driven by selenium (skips the test when either is missing)."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("the player's browser test needs Chromium and its driver: "
                    "sudo apt-get install chromium chromium-driver (make test installs them)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium (the test extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1000,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    with browser_session() as driver:
        yield driver


def _visible_step(driver) -> int:
    frames = driver.find_elements("css selector", "#frames .frame")
    shown = [int(f.get_attribute("data-step")) for f in frames if f.is_displayed()]
    assert len(shown) == 1
    return shown[0]


def test_the_saved_page_plays_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    player = animate(chain())
    path = player.save(tmp_path / "steps.html")
    browser.get(path.resolve().as_uri())
    caption = browser.find_element("id", "caption")
    assert _visible_step(browser) == 0 and caption.text == player.captions[0]
    body = browser.find_element("tag name", "body")
    for _ in range(3):
        body.send_keys(Keys.ARROW_RIGHT)
    assert _visible_step(browser) == 3
    assert caption.text == player.captions[3]
    assert browser.find_element("id", "counter").text == "step 3 of 8"
    body.send_keys(Keys.ARROW_LEFT)
    assert _visible_step(browser) == 2 and caption.text == player.captions[2]
    # Play at the fastest speed: it reaches the last frame and stops there.
    Select(browser.find_element("id", "speed")).select_by_visible_text("4x")
    browser.find_element("id", "play").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element("tag name", "body").get_attribute("data-playing") == "false")
    assert _visible_step(browser) == 8 and caption.text == player.captions[8]
    assert browser.find_element("id", "slider").get_attribute("value") == "8"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []


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


def _script(page: str) -> str:
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    return script


def test_no_label_or_op_name_reaches_the_script_as_markup():
    player = animate(hostile_graph())
    assert any(HOSTILE in caption for caption in player.captions)
    script = _script(player.html())
    # Every "<" of the text is written \u003c, so nothing in it can end or reopen the script.
    assert "<" not in script and "\\u003c!--\\u003cscript>" in script
    assert [c for c in json.loads(re.search(r"var captions = (\[.*?\]);\n", script, re.S).group(1))] == player.captions


def test_a_lone_surrogate_in_a_label_is_shown_as_its_escape_in_the_page_and_in_jupyter(tmp_path):
    # draw and the GIF write it as \ud800 already; the page and the notebook frame must too.
    x = Value(0.5, "x\ud800")
    y = (x * 2.0).tanh()
    y.label = "y\udfff"
    player = animate(y)
    page = player.save(tmp_path / "p.html").read_text(encoding="utf-8")
    assert "x\\ud800" in page and "y\\udfff" in page
    assert "x\\\\ud800" in _script(page)  # in the captions' JSON, the backslash itself is escaped
    assert "y\\udfff" in player._repr_html_()


def test_hostile_labels_leave_the_page_playing_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    player = animate(hostile_graph())
    browser.get(player.save(tmp_path / "hostile.html").resolve().as_uri())
    caption = browser.find_element("id", "caption")
    browser.find_element("tag name", "body").send_keys(Keys.ARROW_RIGHT)
    assert _visible_step(browser) == 1 and caption.text == player.captions[1]
    assert HOSTILE in caption.text or HOSTILE in player.captions[0]
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []
