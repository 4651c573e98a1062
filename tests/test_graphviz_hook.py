"""Every Graphviz run through ``autograd.render.set_graphviz``, and the plain drawing where no
process can be started (the browser, through Pyodide). The oracle is the real ``dot``."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import nn
from autograd import Value, animate, draw
from autograd import render as rendering
from autograd.render import NoProcessesError, graphviz_run, set_graphviz, using_graphviz

START = subprocess.Popen


def real_dot(calls: list):
    """A set_graphviz function that runs the real Graphviz, as a page's viz.js would run it."""

    def run(source: str, format: str, engine: str) -> bytes:
        calls.append((format, engine))
        done = START(["dot", f"-K{engine}", f"-T{format}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return done.communicate(source.encode("utf-8"))[0]

    return run


@pytest.fixture
def model():
    return nn.MLP(2, [3, 2, 1], seed=0)


def drawings(model):
    """The drawings nn makes with layer groups: the network view and an MLP's graph."""
    return {"draw_network": lambda: nn.draw_network(model, [0.5, -1.0]),
            "draw(mlp output)": lambda: draw(model([0.5, -1.0]))}


@pytest.mark.parametrize("which", ["draw_network", "draw(mlp output)"])
def test_a_function_running_dot_draws_what_the_programs_draw(model, which):
    make = drawings(model)[which]
    normal = make()
    calls = []
    with using_graphviz(real_dot(calls)):
        hooked = make()
        svg = hooked.pipe(format="svg")
        bundle = hooked._repr_mimebundle_()
    assert svg == normal.pipe(format="svg")
    assert bundle["image/svg+xml"] == normal._repr_mimebundle_()["image/svg+xml"]
    assert bundle["image/png"] == normal._repr_mimebundle_()["image/png"]
    assert hooked.source == normal.source  # the layout read back through the function is the same
    # laid out by dot (the MLP's graph), then drawn pinned (nop2 is neato -n2)
    expected = {("svg", "nop2"), ("png", "nop2")} | ({("json", "dot")} if which == "draw(mlp output)" else set())
    assert set(calls) == expected
    assert graphviz_run() is None  # the with block put the programs back


def test_png_and_render_go_through_the_function(model, tmp_path):
    diagram = draw(model([0.5, -1.0]))
    calls = []
    with using_graphviz(real_dot(calls)):
        png = diagram.png()
        written = diagram.render(outfile=tmp_path / "hooked.svg")
    assert png == diagram.png()
    assert written == str(tmp_path / "hooked.svg")
    diagram.render(outfile=tmp_path / "normal.svg")
    assert (tmp_path / "hooked.svg").read_bytes() == (tmp_path / "normal.svg").read_bytes()
    assert (tmp_path / "hooked.gv").read_text() == (tmp_path / "normal.gv").read_text()
    assert ("png", "nop2") in calls and ("svg", "nop2") in calls


def test_a_player_draws_its_frames_through_the_function():
    x = Value(0.5, "x")
    y = (x * x + x).tanh()
    player = animate(y)
    calls = []
    with using_graphviz(real_dot(calls)):
        hooked = animate(y).svgs()
    assert hooked == player.svgs()
    assert len(calls) == 1 + len(player)  # one layout, then each frame


def test_the_function_may_return_text_and_must_return_bytes_or_text():
    diagram = draw(Value(2.0) * 3.0)
    svg = diagram.pipe(format="svg")
    with using_graphviz(lambda source, format, engine: real_dot([])(source, format, engine).decode("utf-8")):
        assert diagram.pipe(format="svg") == svg
        assert diagram.pipe(format="svg", encoding="utf-8") == svg.decode("utf-8")
    with using_graphviz(lambda source, format, engine: None):
        with pytest.raises(TypeError, match="must return bytes .or str., got NoneType"):
            diagram.pipe(format="svg")
    with pytest.raises(TypeError, match="set_graphviz takes a function run.source, format, engine. -> bytes, or None, got str"):
        set_graphviz("dot")
    with using_graphviz(real_dot([])), pytest.raises(TypeError, match="takes format and encoding only"):
        diagram.pipe("svg", renderer="cairo")


@pytest.fixture
def no_processes(monkeypatch):
    """This Python cannot start processes, as in Pyodide."""

    def refuse(*args, **kwargs):
        raise OSError(138, "emscripten does not support processes")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(rendering, "_warned", type(rendering._warned)())  # the warning not yet given


def test_without_processes_a_grouped_picture_is_drawn_plainly_with_one_warning(model, no_processes):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = draw(model([0.5, -1.0]))
        again = draw(model([0.5, -1.0]))
    assert [w.category for w in caught] == [RuntimeWarning]
    message = str(caught[0].message)
    assert "drawn plainly" in message and "cannot start processes" in message and "set_graphviz" in message
    assert plain.source == again.source and not plain.pinned
    # the layer groups as Graphviz clusters, each with its caption
    assert plain.source.count("subgraph cluster_") == 3
    assert "L0: 3 " in plain.source and "L2: 1 " in plain.source
    with pytest.raises(NoProcessesError, match="cannot start processes") as refused:
        plain.pipe(format="svg")
    assert isinstance(refused.value, OSError) and refused.value.errno == 138


def test_the_plain_drawing_is_valid_dot_with_its_boxes(model, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(138, "emscripten does not support processes")

    monkeypatch.setattr(rendering, "_warned", type(rendering._warned)())
    monkeypatch.setattr(subprocess, "Popen", refuse)
    with pytest.warns(RuntimeWarning, match="drawn plainly"):
        plain = draw(model([0.5, -1.0]))
    monkeypatch.setattr(subprocess, "Popen", START)
    svg = plain.pipe(format="svg", encoding="utf-8")
    assert svg.count('class="cluster"') == 3 and "L1: 2 " in svg


def test_without_processes_the_network_view_builds_and_rendering_says_why_not(model, no_processes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fixed positions: nothing to lay out, nothing to warn about
        diagram = nn.draw_network(model, [0.5, -1.0])
    assert diagram.pinned and "pos=" in diagram.source
    with pytest.raises(NoProcessesError, match="set_graphviz"):
        diagram._repr_mimebundle_()


@pytest.mark.parametrize("which", ["draw_network", "draw(mlp output)"])
def test_without_processes_the_function_draws_as_on_the_desktop(model, which, monkeypatch):
    make = drawings(model)[which]
    svg = make().pipe(format="svg")

    def refuse(*args, **kwargs):
        raise OSError(138, "emscripten does not support processes")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with using_graphviz(real_dot([])):
            assert make().pipe(format="svg") == svg


def test_png_without_pillow_says_so_and_the_bundle_keeps_the_svg(monkeypatch):
    diagram = draw(Value(2.0) * 3.0)
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL fails, as in the browser
    with pytest.raises(ModuleNotFoundError, match="Diagram.png makes PNG images with Pillow.*pip install pillow"):
        diagram.png()
    bundle = diagram._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and bundle["image/svg+xml"].startswith("<?xml")
