"""nn.training_view: what each frame of a recording shows, the player page and GIF, the size guard,
and the live view's budget."""

import io
import json
import re
import shutil
import sys

import numpy as np
import pytest

import nn
from autograd import format_number
from nn import MLP, data, fit, training_view
from nn.network import NEGATIVE, POSITIVE

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@pytest.fixture(scope="module")
def moons_run():
    X, y = data.make_moons(n_samples=50, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, 0.2, seed=0)
    model = MLP(2, [4, 3, 1], seed=0)
    history = fit(model, X_train, y_train, epochs=12, batch_size=10, seed=0, validation=(X_test, y_test), record=4,
                  progress=False)
    return history.recording


def decode(png: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def rgb(colour: str):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_every_unit_is_a_map_of_its_activation_with_the_largest_y_on_top(moons_run):
    picture = training_view.frame_picture(moons_run, 2)
    frame = moons_run.frames[2]
    tiles = {n.lines[0]: n for n in picture.nodes if n.image is not None and n.lines[0]}
    assert set(tiles) == {"x0", "x1", "L0.n0", "L0.n1", "L0.n2", "L0.n3", "L1.n0", "L1.n1", "L1.n2", "L2.n0"}
    scale = training_view._Scales(moons_run.frames).colour
    for name, values in frame.unit_maps.items():
        image = decode(tiles[name].image)
        assert image.size == values.shape[::-1]
        for row, col in ((0, 0), (0, -1), (-1, 0), (-1, -1), (5, 9)):
            v = values[row, col]
            r, g, b = image.getpixel((col % image.width, image.height - 1 - row % image.height))
            if abs(v) < scale / 48:  # within half a colour step of 0: white
                assert (r, g, b) == (255, 255, 255)
            elif v > 0:  # towards blue
                assert b > r, (name, row, col, v)
            else:  # towards orange
                assert r > b, (name, row, col, v)
    # the inputs' maps are the plane's coordinates: x0 grows to the right, x1 upwards
    xs, ys = frame.grid
    assert xs[0] < 0 < xs[-1] and ys[0] < 0 < ys[-1]
    x0, x1 = decode(tiles["x0"].image), decode(tiles["x1"].image)
    left, right = x0.getpixel((0, 5)), x0.getpixel((31, 5))
    top, bottom = x1.getpixel((5, 0)), x1.getpixel((5, 31))
    assert left[0] > left[2] and right[2] > right[0]  # orange on the left, blue on the right
    assert top[2] > top[0] and bottom[0] > bottom[2]  # blue at the top, orange at the bottom


def test_connections_are_coloured_by_sign_and_as_wide_as_large(moons_run):
    picture = training_view.frame_picture(moons_run, -1)
    state = moons_run.frames[-1].state
    weights = [w for k in range(3) for j in range(moons_run.config["nouts"][k])
               for w in state[f"layers.{k}.neurons.{j}.w"]]
    assert len(picture.edges) == len(weights) == 2 * 4 + 4 * 3 + 3 * 1
    for edge, w in zip(picture.edges, weights):
        assert edge.color == (POSITIVE if w > 0 else NEGATIVE) and not edge.arrow
    by_size = sorted(zip(map(abs, weights), (e.width for e in picture.edges)))
    assert [width for _, width in by_size] == sorted(width for _, width in by_size)


def test_the_points_are_on_the_output_map_and_the_mistakes_ringed(moons_run):
    for index, frame in enumerate(moons_run.frames):
        picture = training_view.frame_picture(moons_run, index)
        nodes = {n.key: n for n in picture.nodes}
        ringed = {k for k, n in nodes.items() if "highlight" in n.emphasis}
        wrong = {f"p{i}" for i in np.flatnonzero(frame.predictions != moons_run.y)} | \
                {f"t{i}" for i in np.flatnonzero(frame.val_predictions != moons_run.y_val)}
        assert ringed == wrong
        assert {k for k in nodes if re.fullmatch(r"[pt]\d+", k)} == \
               {f"p{i}" for i in range(len(moons_run.y))} | {f"t{i}" for i in range(len(moons_run.y_val))}
    # a point sits where its coordinates are on the plane's image
    plane = nodes["plane"]
    xs, ys = moons_run.frames[-1].grid
    for i, (px, py) in enumerate(moons_run.X):
        x, y = nodes[f"p{i}"].position
        assert (x - plane.position[0]) / (plane.size[0] - 2) + 0.5 == pytest.approx((px - xs[0]) / (xs[-1] - xs[0]))
        assert (y - plane.position[1]) / (plane.size[1] - 2) + 0.5 == pytest.approx((py - ys[0]) / (ys[-1] - ys[0]))
        assert nodes[f"p{i}"].fill == (POSITIVE if moons_run.y[i] == 1 else NEGATIVE)


def test_the_caption_names_the_epoch_and_the_scores_of_that_model(moons_run):
    player = training_view.player(moons_run)
    assert len(player) == len(moons_run) == 4
    assert player.captions[0].startswith("Before training (epoch 0 of 12): training set loss ")
    assert player.captions[2].startswith("After epoch 8 of 12: training set loss ")
    last = moons_run.frames[-1]
    model = moons_run.model(-1)
    loss, accuracy = nn.evaluate(model, moons_run.X, moons_run.y, "hinge")
    assert f"training set loss {format_number(loss)}, accuracy {format_number(accuracy, 3)}" in player.captions[-1]
    val_loss, val_accuracy = nn.evaluate(model, moons_run.X_val, moons_run.y_val, "hinge")
    assert f"test set loss {format_number(val_loss)}, accuracy {format_number(val_accuracy, 3)}" in player.captions[-1]
    worst = int(np.argmax(last.point_losses))
    assert f"Largest loss: training point {worst} (class {moons_run.y[worst]})" in player.captions[-1]


def held_passes(page: str) -> dict:
    return json.loads(re.search(r"var passes = (\{.*?\}), epochs = ", page).group(1))


def test_the_page_holds_each_frames_largest_loss_pass_or_the_points_asked_for(moons_run):
    import base64
    import gzip

    held = held_passes(training_view.player(moons_run).html())
    assert held.keys() == {"0", "1", "2", "3"}
    for k, frame in enumerate(moons_run.frames):
        (point,) = held[str(k)]
        assert int(point) == int(np.argmax(frame.point_losses))
    worst = str(int(np.argmax(moons_run.frames[2].point_losses)))
    page = gzip.decompress(base64.b64decode(held["2"][worst]["page"])).decode("utf-8")
    assert page == training_view.backward_player(moons_run, 2, int(worst)).html()
    assert "Training point " + worst + " (class " in page and "after epoch 8: its hinge loss" in page
    held = held_passes(training_view.player(moons_run, points=[3, 1, 3]).html())
    assert all(sorted(held[str(k)]) == ["1", "3"] for k in range(4))
    assert "var passes" not in training_view.player(moons_run, points=()).html()


@pytest.mark.parametrize("points, error, message", [
    ("12", TypeError, "points must be a list of training point indices, or None, got str"),
    (5, TypeError, "points must be a list of training point indices, or None, got int"),
    ([40], ValueError, "points must be indices of training points, from 0 to 39, got 40"),
    ([-1], ValueError, "points must be indices of training points, from 0 to 39, got -1"),
    ([True], ValueError, "points must be indices of training points, from 0 to 39, got True"),
])
def test_bad_points_are_refused(moons_run, points, error, message):
    with pytest.raises(error, match=re.escape(message)):
        training_view.player(moons_run, points=points)


def test_digits_show_weight_images_and_the_confusion_matrix():
    X, y = data.load_digits()
    model = MLP(64, [5, 10], activation="tanh", seed=0)
    recording = fit(model, X[:60], y[:60], loss="cross_entropy", epochs=1, validation=(X[60:90], y[60:90]),
                    record=1, progress=False).recording
    picture = training_view.frame_picture(recording, -1)
    nodes = {n.key: n for n in picture.nodes}
    assert [nodes[f"u{j}"].lines[0] for j in range(5)] == [f"L0.n{j}" for j in range(5)]
    assert not picture.edges and "confusion" in nodes and "plane" not in nodes
    weights = np.array(recording.frames[-1].state["layers.0.neurons.3.w"]).reshape(8, 8)
    image = decode(nodes["u3"].image)
    assert image.size == (32, 32)  # each weight a 4 x 4 block
    top, bottom = np.unravel_index(weights.argmax(), weights.shape), np.unravel_index(weights.argmin(), weights.shape)
    r, g, b = image.getpixel((int(top[1]) * 4 + 1, int(top[0]) * 4 + 1))
    assert b > r  # the largest weight is blue
    r, g, b = image.getpixel((int(bottom[1]) * 4 + 1, int(bottom[0]) * 4 + 1))
    assert r > b


def test_the_size_guard_refuses_before_any_drawing(moons_run, monkeypatch):
    def no_drawing(*args, **kwargs):
        raise AssertionError("a frame was drawn before the size was checked")

    monkeypatch.setattr(training_view, "frame_picture", no_drawing)
    size = training_view.page_bytes(len(moons_run), moons_run.config, 50, passes=4)
    assert size == 4 * (25_000 + 1_000 * 10 + 250 * 23 + 240 * 50) + 4 * 4 * 110 * (10 + 23)
    with pytest.raises(ValueError, match=re.escape(
            f"4 frames of MLP(2, [4, 3, 1]) over 50 points and 4 backward passes make a page of about 0.27 MB, "
            f"more than max_bytes=1,000: keep fewer frames (a larger record=k in nn.fit, --record-every K on the "
            f"command line), or fewer points, or pass max_bytes={size} to make it anyway")):
        moons_run.save("never.html", max_bytes=1000)
    with pytest.raises(ValueError, match=r"over 50 points make a page of about 0\.21 MB"):
        moons_run.save("never.gif", max_bytes=1000)  # a GIF holds no backward pass
    with pytest.raises(ValueError, match="max_bytes must be a positive int, got 0"):
        training_view.player(moons_run, max_bytes=0)
    with pytest.raises(TypeError, match="recording must be an nn.Recording"):
        training_view.player([1, 2])


def test_the_size_estimate_is_near_the_page_written(moons_run, tmp_path):
    page = moons_run.save(tmp_path / "training.html")
    estimate = training_view.page_bytes(len(moons_run), moons_run.config, 50, passes=len(moons_run))
    assert 0.5 < page.stat().st_size / estimate < 1.5


def test_the_gif_has_one_frame_per_recorded_frame(moons_run, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(training_view, "backward_player", None)  # a GIF holds no backward pass

    path = moons_run.save(tmp_path / "training.gif", seconds_per_frame=0.2)
    with Image.open(path) as gif:
        assert gif.n_frames == len(moons_run) == 4
        assert gif.info["duration"] == 200 and gif.width > 600


# -- live, in Jupyter ---------------------------------------------------------------------------
class FakeHandle:
    def __init__(self):
        self.shown, self.with_png = [], []

    def update(self, obj, raw=False):
        assert raw and obj["image/svg+xml"].startswith("<?xml")  # an SVG output, not HTML
        self.shown.append(obj["image/svg+xml"])
        self.with_png.append("image/png" in obj)


class Clock:
    """A perf_counter the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def in_jupyter(monkeypatch):
    IPython = pytest.importorskip("IPython")
    handle = FakeHandle()
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False, display_id=False: handle)
    return handle


def test_the_live_view_draws_within_a_tenth_of_the_training_time(moons_run, in_jupyter, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(training_view.time, "perf_counter", clock)
    real_picture = training_view.frame_picture

    def slow_picture(*args, **kwargs):  # each drawing takes 0.1 s of the fake clock
        clock.now += 0.1
        return real_picture(*args, **kwargs)

    monkeypatch.setattr(training_view, "frame_picture", slow_picture)
    recording = nn.recording.Recording.__new__(nn.recording.Recording)
    recording.__dict__.update(moons_run.__dict__, frames=[], watch_seconds=0.0)
    live = training_view.LiveView(recording, start=0.0)
    drawn = []
    for k, frame in enumerate(moons_run.frames * 15):  # 60 frames, each after 0.5 s of training
        clock.now += 0.5
        recording.frames.append(frame)
        before = len(in_jupyter.shown)
        live.offer()
        if len(in_jupyter.shown) > before:
            drawn.append(k)
            # this drawing and one more, kept in reserve for the end, within a tenth of the training
            assert live.spent + live.cost <= 0.1 * (clock.now - live.spent) + 1e-9
    # 30 s of training: a tenth is 3 s, thirty drawings, less the one kept in reserve; the
    # first once a tenth of the training covers two guessed drawings (0.3 s: after 3 s)
    assert drawn[0] == 5 and 27 <= len(drawn) <= 29
    live.finish()
    assert len(in_jupyter.shown) == len(drawn) + 1  # the last frame, at the end
    assert "After epoch 12 of 12" in in_jupyter.shown[-1] and "<svg" in in_jupyter.shown[-1]
    trained = clock.now - live.spent
    assert recording.watch_seconds == live.spent == pytest.approx(0.1 * len(in_jupyter.shown))
    assert live.spent <= 0.1 * trained


def test_watch_in_a_real_fit_updates_one_output(in_jupyter):
    X, y = data.make_moons(n_samples=20, seed=0)
    history = fit(MLP(2, [3, 1], seed=0), X, y, epochs=3, record=1, watch=True, progress=False)
    assert in_jupyter.shown and "After epoch 3 of 3" in in_jupyter.shown[-1]
    assert history.recording.watch_seconds > 0
    # the output the notebook keeps has a PNG beside the SVG (untrusted JupyterLab shows only
    # the PNG); the live updates before it, SVG alone, cost less
    assert in_jupyter.with_png[-1] and not any(in_jupyter.with_png[:-1])


def test_watch_outside_jupyter_warns_and_records(monkeypatch):
    IPython = pytest.importorskip("IPython")
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    X, y = data.make_moons(n_samples=20, seed=0)
    with pytest.warns(UserWarning, match="watch=True shows the training in Jupyter; here nothing is shown"):
        history = fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, record=1, watch=True, progress=False)
    assert len(history.recording) == 3 and history.recording.watch_seconds == 0.0


def test_no_ipywidgets_needed(in_jupyter, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    X, y = data.make_moons(n_samples=20, seed=0)
    fit(MLP(2, [3, 1], seed=0), X, y, epochs=1, record=1, watch=True, progress=False)
    assert in_jupyter.shown


# -- the page in a real browser -----------------------------------------------------------------
def test_the_page_plays_in_a_browser_and_opens_a_points_backward_pass(moons_run, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    from browser import chromium

    path = moons_run.save(tmp_path / "training.html")
    with chromium(1000, 900) as browser:
        browser.get(path.resolve().as_uri())
        slider = browser.find_element("id", "slider")
        assert (slider.get_attribute("min"), slider.get_attribute("max")) == ("0", str(len(moons_run) - 1))
        body = browser.find_element("tag name", "body")
        body.send_keys(Keys.END)
        WebDriverWait(browser, 10).until(  # the camera has stopped gliding: the points hold still
            lambda d: d.execute_script("return document.body.dataset.moving === 'false'"))
        assert browser.find_element("id", "counter").text == "frame 3 of 3"
        caption = browser.find_element("id", "caption").text
        assert caption.startswith("After epoch 12 of 12: training set loss")
        last = moons_run.frames[-1]
        worst = int(np.argmax(last.point_losses))
        button = browser.find_element("id", "backprop-open")
        assert button.text == f"Step through the backward pass of training point {worst} at epoch 12"
        # a point the page holds no pass of says how to add it
        other = next(i for i in range(len(moons_run.y)) if i != worst)
        node = browser.find_element("xpath", f"//div[@id='view']//*[name()='g'][*[name()='title']='p{other}']")
        ActionChains(browser).move_to_element(node).click().perform()
        assert f"recording.save(path, points=[{other}]) adds it" in browser.find_element("id", "backprop-note").text
        # the point with the largest loss opens its pass, stepped in the backprop player
        node = browser.find_element("xpath", f"//div[@id='view']//*[name()='g'][*[name()='title']='p{worst}']")
        assert "has-pass" in node.get_attribute("class")
        ActionChains(browser).move_to_element(node).click().perform()
        WebDriverWait(browser, 20).until(lambda d: d.find_element("tag name", "body").get_attribute("data-backprop"))
        assert browser.find_element("tag name", "body").get_attribute("data-backprop") == str(worst)
        expected = training_view.backward_player(moons_run, 3, worst)
        browser.switch_to.frame(browser.find_element("id", "backprop-frame"))
        WebDriverWait(browser, 20).until(lambda d: d.find_elements("id", "counter"))
        assert browser.find_element("id", "counter").text == "step 0 of 3"
        browser.find_element("tag name", "body").send_keys(Keys.ARROW_RIGHT)
        assert browser.find_element("id", "counter").text == "step 1 of 3"
        assert browser.find_element("id", "caption").text == expected.captions[1]
        browser.find_element("tag name", "body").send_keys(Keys.ESCAPE)  # Esc in the pass closes it
        browser.switch_to.default_content()
        assert browser.find_element("id", "backprop").get_attribute("hidden") is not None
        browser.find_element("id", "backprop-open").click()
        WebDriverWait(browser, 20).until(lambda d: d.find_element("id", "backprop").get_attribute("hidden") is None)
        body.send_keys(Keys.HOME)  # another frame closes the pass
        assert browser.find_element("id", "backprop").get_attribute("hidden") is not None
        assert browser.find_element("id", "counter").text == "frame 0 of 3"
        errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
        assert errors == []
