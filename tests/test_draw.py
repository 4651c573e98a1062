"""draw(): the influence diagram as DOT source, rendered by the real `dot`."""

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import graphviz
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Parameter, Value, backward_steps, draw, draw_step, ops, paths, step_slider
from autograd.draw import GraphvizNotFoundError

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

RED = "#dc2626"
FILL = {"input": "#dbeafe", "parameter": "#fde68a", "intermediate": "#f3f4f6", "output": "#bbf7d0"}


def neuron():
    """micrograd's neuron: o = tanh(w1 x1 + w2 x2 + b) with n = 0.8814, o = 0.7071, do/dn = 0.5."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Parameter(-3.0, "w1"), Parameter(1.0, "w2")
    b = Parameter(6.8813735870195432, "b")
    n = ops.dot([w1, w2], [x1, x2], bias=b)
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n, o=o)


def nodes(g) -> dict[str, str]:
    """Node id -> its attribute text, from the DOT source."""
    return dict(re.findall(r"^\t(n\d+) \[(.*)\]$", g.source, re.M))


def edges(g) -> list[tuple[str, str, str]]:
    """(tail id, head id, attribute text) for every edge, in source order."""
    return re.findall(r"^\t(n\d+) -> (n\d+)(?: \[(.*)\])?$", g.source, re.M)


def node_id(g, label: str) -> str:
    (found,) = [i for i, attrs in nodes(g).items() if f"<B>{label}</B>" in attrs]
    return found


def svg_text(svg: str) -> list[str]:
    """The text lines of a rendered SVG (which must be well-formed XML)."""
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def run_dot(source: str) -> str:
    """Render with the real dot, failing on any error or warning it prints."""
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stderr == b"", done.stderr.decode("utf-8", "replace")
    return done.stdout.decode("utf-8")


# -- what a node shows ---------------------------------------------------------------------


def test_nodes_show_label_op_data_and_grad_with_fixed_decimals():
    o, v = neuron()
    o.backward()
    g = draw(o)
    attrs = nodes(g)
    assert "label=<<B>o</B> = tanh<BR/>data 0.7071<BR/>grad 1.0000>" in attrs[node_id(g, "o")]
    assert "label=<<B>n</B> = dot<BR/>data 0.8814<BR/>grad 0.5000>" in attrs[node_id(g, "n")]
    # dL/dx1 = w1 * 0.5, dL/dw1 = x1 * 0.5 (the seeds' forward-pass rule), dL/db = 0.5.
    assert "label=<<B>x1</B><BR/>data 2.0000<BR/>grad -1.5000>" in attrs[node_id(g, "x1")]
    assert "label=<<B>w1</B><BR/>data -3.0000<BR/>grad 1.0000>" in attrs[node_id(g, "w1")]
    assert "label=<<B>b</B><BR/>data 6.8814<BR/>grad 0.5000>" in attrs[node_id(g, "b")]
    assert len(attrs) == 7


def test_a_diagram_reads_the_same_on_every_run():
    # Notebooks store this text next to each picture: no memory address in it.
    a = Value(1.0, "a")
    assert repr(draw(a * a)) == "<autograd.draw.Diagram of 2 nodes>"


def test_precision_and_show_grad():
    o, v = neuron()
    o.backward()
    assert "label=<<B>o</B> = tanh<BR/>data 0.71<BR/>grad 1.00>" in draw(o, precision=2).source
    assert "data 0.707107<BR/>grad 1.000000>" in draw(o, precision=6).source
    assert "label=<<B>o</B> = tanh<BR/>data 1<BR/>grad 1>" in draw(o, precision=0).source
    hidden = draw(o, show_grad=False)
    assert "grad" not in hidden.source
    assert "label=<<B>x1</B><BR/>data 2.0000>" in hidden.source


def test_unusual_numbers_stay_short():
    big, bad = Value(3e300, "big"), Value(float("nan"), "bad")
    g = draw(big * bad + Value(-1e-9, "tiny"))
    assert "data 3.0000e+300" in g.source
    assert "data nan" in g.source
    assert "data -0.0000" in g.source


def test_unlabelled_nodes_show_their_op_and_constants_their_value():
    x = Value(1.5, "x")
    y = (x * 2.0).exp()
    g = draw(y)
    attrs = list(nodes(g).values())
    assert any("label=<<B>*</B><BR/>data 3.0000" in a for a in attrs)
    assert any("label=<<B>exp</B><BR/>data 20.0855" in a for a in attrs)
    # The constant 2.0 is a node of its own, with an edge into the product labelled x.
    (const,) = [i for i, a in nodes(g).items() if "label=<data 2.0000" in a]
    (into_product,) = [e for e in edges(g) if e[0] == const]
    assert into_product[2] == "label=1.5000"


# -- edges ---------------------------------------------------------------------------------


def test_edges_follow_the_data_and_carry_local_derivatives():
    o, v = neuron()
    g = draw(o)
    ids = {name: node_id(g, name) for name in v}
    labelled = {(t, h): a for t, h, a in edges(g)}
    expected = {  # d child / d parent
        ("w1", "n"): "label=2.0000",
        ("w2", "n"): "label=0.0000",
        ("x1", "n"): "label=-3.0000",
        ("x2", "n"): "label=1.0000",
        ("b", "n"): "label=1.0000",
        ("n", "o"): "label=0.5000",  # 1 - tanh(n)^2 = 1 - 1/2
    }
    assert labelled == {(ids[p], ids[c]): a for (p, c), a in expected.items()}
    assert all(a == "" for _, _, a in edges(draw(o, edge_labels=False)))


def test_a_times_a_draws_two_edges():
    a = Value(3.0, "a")
    sq = a * a
    sq.label = "sq"
    g = draw(sq)
    assert edges(g) == [(node_id(g, "a"), node_id(g, "sq"), "label=3.0000")] * 2


def test_rankdir_reaches_the_graph():
    o, _ = neuron()
    assert "rankdir=LR" in draw(o).source
    assert "rankdir=TB" in draw(o, rankdir="TB").source


# -- colours and highlights ------------------------------------------------------------------


def test_colours_by_role():
    o, v = neuron()
    g = draw(o)
    attrs = nodes(g)

    def fill(name):
        return re.search(r'fillcolor="(#\w+)"', attrs[node_id(g, name)]).group(1)

    assert fill("x1") == fill("x2") == FILL["input"]
    assert fill("w1") == fill("w2") == fill("b") == FILL["parameter"]
    assert fill("n") == FILL["intermediate"]
    assert fill("o") == FILL["output"]
    assert "penwidth=2 " in attrs[node_id(g, "o")]  # the output also has a thicker border
    assert RED not in g.source


def test_highlighting_a_node_lights_it_and_the_edges_from_its_parents():
    o, v = neuron()
    g = draw(o, highlight=[v["n"]])
    n = node_id(g, "n")
    lit = {i for i, a in nodes(g).items() if f'color="{RED}"' in a}
    assert lit == {n}
    for tail, head, attrs in edges(g):
        assert (f'color="{RED}"' in attrs) == (head == n)
    assert draw(o, highlight=v["n"]).source == g.source  # a single Value is accepted too


def test_highlighting_a_path_lights_exactly_its_edges():
    a = Value(3.0, "a")
    sq = a * a
    sq.label = "sq"
    first, second = paths(sq, a)
    g = draw(sq, highlight=[second])
    plain, lit = edges(g)
    assert RED not in plain[2]
    assert lit[2] == f'label=3.0000 color="{RED}" fontcolor="{RED}" penwidth=2.5'
    assert all(f'color="{RED}"' in attrs for attrs in nodes(g).values())


def test_highlighting_something_outside_the_graph_changes_nothing():
    o, _ = neuron()
    assert draw(o, highlight=[Value(1.0)]).source == draw(o).source


def test_same_graph_same_source():
    first, second = neuron()[0], neuron()[0]  # equal graphs made of different objects
    first.backward()
    second.backward()
    assert draw(first).source == draw(second).source == draw(first).source
    # Ids follow the topological order: inputs first, the output last.
    assert list(nodes(draw(first))) == [f"n{i}" for i in range(7)]
    assert node_id(draw(first), "o") == "n6"


# -- partial grads while stepping ------------------------------------------------------------


def test_grads_not_final_yet_are_drawn_as_partial_sums():
    o, v = neuron()
    steps = backward_steps(o)
    next(steps)  # o has sent 0.5 to n; nothing else has been reached
    g = draw(o)
    attrs = nodes(g)
    assert "grad 1.0000>" in attrs[node_id(g, "o")] and "dashed" not in attrs[node_id(g, "o")]
    assert '<FONT COLOR="#6b7280"><I>grad 0.5000 so far</I></FONT>' in attrs[node_id(g, "n")]
    assert 'style="rounded,filled,dashed"' in attrs[node_id(g, "n")]
    assert "<I>grad 0.0000 so far</I>" in attrs[node_id(g, "x1")]
    assert sum("so far" in a for a in attrs.values()) == 6
    assert "so far" not in draw(o, show_grad=False).source.replace("dashed", "")
    for _ in steps:
        pass
    assert "so far" not in draw(o).source and "dashed" not in draw(o).source


def test_draw_step_shows_the_pass_after_k_steps_and_restores_the_grads():
    o, v = neuron()
    v["x1"].grad = 10.0  # left over from an earlier pass: the pass drawn starts afresh
    before = {name: node.grad for name, node in v.items()}
    first = draw_step(o, 1)
    assert [i for i, a in nodes(first).items() if f'color="{RED}"' in a] == [node_id(first, "o")]
    assert [(t, h) for t, h, a in edges(first) if f'color="{RED}"' in a] == [(node_id(first, "n"), node_id(first, "o"))]
    assert 'label=<Step 1 of 7: o [tanh] has its final grad 1 and sends local derivative * grad to its parents:<BR ALIGN="LEFT"/>' in first.source
    assert "<I>grad 0.5000 so far</I>" in nodes(first)[node_id(first, "n")]
    last = draw_step(o, 7)
    assert "so far" not in last.source
    assert "label=<<B>x1</B><BR/>data 2.0000<BR/>grad -1.5000>" in last.source
    assert {name: node.grad for name, node in v.items()} == before
    # o, n, then the leaves in the order of n's inputs: w1, w2, x1, x2, b.
    assert "label=<Step 3 of 7: w1 (leaf) has its final grad 1; a leaf sends nothing back" in draw_step(o, 3).source
    assert "label=<Step 7 of 7: b (leaf) has its final grad 0.5; a leaf sends nothing back" in last.source
    assert "rankdir=TB" in draw_step(o, 2, rankdir="TB").source


def test_draw_step_refuses_bad_step_numbers():
    o, _ = neuron()
    with pytest.raises(ValueError, match="k must be a step number from 1 to 7, got 0"):
        draw_step(o, 0)
    with pytest.raises(ValueError, match="from 1 to 7, got 8"):
        draw_step(o, 8)
    with pytest.raises(TypeError, match="k must be an int, got str"):
        draw_step(o, "1")


def test_step_slider_with_widgets():
    pytest.importorskip("ipywidgets")
    o, _ = neuron()
    widget = step_slider(o)
    slider = widget.children[0]
    assert (slider.min, slider.max, slider.value) == (1, 7, 1)
    assert "Step 1 of 7: o [tanh]" in widget.result.source
    slider.value = 2
    assert "Step 2 of 7: n [dot]" in widget.result.source


def test_step_slider_without_widgets_shows_every_step(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    monkeypatch.setattr(IPython.display, "display", shown.append)
    o, _ = neuron()
    with pytest.warns(UserWarning, match=r"needs ipywidgets \(pip install ipywidgets\)"):
        assert step_slider(o) is None
    assert [re.search(r"Step (\d) of 7", g.source).group(1) for g in shown] == list("1234567")


# -- the real dot ------------------------------------------------------------------------------


@needs_dot
def test_dot_renders_the_neuron_to_svg():
    o, _ = neuron()
    o.backward()
    g = draw(o, highlight=[o])
    text = svg_text(g.pipe(format="svg", encoding="utf-8"))
    for line in ("o", " = tanh", "data 0.7071", "grad 1.0000", "x1", "grad -1.5000", "0.5000", "-3.0000"):
        assert line in text
    run_dot(g.source)
    run_dot(draw_step(o, 3).source)


HOSTILE = [
    'say "hi"',
    "a < b > c",
    "{record|fields}",
    "back\\slash\\",
    "\\n is not a newline",
    "two\nlines",
    "dC/dw",
    "∂L/∂θ = αβγ · Δ",
    "&amp; &lt; & ; &#9;",
    "]]><!-- -->",
    "<B>not bold</B>",
    "tab\there",
    "",
    " ",
    "emoji 🎓",
    "nul \x00 and bell \x07",
    "lone surrogate \ud800",
]


@needs_dot
@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_are_valid_dot_and_shown_as_written(label):
    x = Parameter(1.0, label)
    y = x * 2.0
    y.label = label
    g = draw(y.tanh(), highlight=[y])
    text = svg_text(run_dot(g.source))
    assert svg_text(g.pipe(format="svg", encoding="utf-8")) == text
    # What cannot be printed is shown as its Python escape; everything else as written,
    # once on x and once on y.
    shown = label.replace("\x00", "\\x00").replace("\x07", "\\x07").replace("\t", "\\t").replace("\ud800", "\\ud800")
    for line in shown.split("\n"):
        if line.strip():
            assert [t.strip() for t in text].count(line.strip()) == 2, (line, text)


@needs_dot
@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.text(max_size=30))
def test_any_label_renders(label):
    x = Value(0.5, label)
    y = (x + 1.0) * x
    y.label = label
    run_dot(draw(y).source)


# -- the size guard ------------------------------------------------------------------------------


def test_too_many_nodes_are_refused_with_how_to_draw_anyway():
    x = Value(0.1, "x")
    y = x
    for _ in range(600):
        y = y.tanh()
    with pytest.raises(ValueError, match=r"the graph has 601 nodes, more than max_nodes=500.*draw\(root, max_nodes=601\)"):
        draw(y)
    assert len(nodes(draw(y, max_nodes=601))) == 601
    with pytest.raises(ValueError, match="has 601 nodes, more than max_nodes=600"):
        draw(y, max_nodes=600)


def test_a_huge_graph_is_refused_before_any_drawing():
    y = ops.sum([Value(float(i)) for i in range(200_000)])
    with pytest.raises(ValueError, match="the graph has 200001 nodes"):
        draw(y)


# -- without Graphviz -------------------------------------------------------------------------


def test_missing_dot_building_works_and_rendering_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot (nor anything else) on PATH
    o, _ = neuron()
    g = draw(o)
    assert isinstance(g, graphviz.Digraph) and "<B>o</B>" in g.source
    for render in (
        lambda: g.pipe(format="svg"),
        lambda: g.render(outfile=tmp_path / "neuron.svg"),
        g._repr_mimebundle_,  # what Jupyter calls to show it inline
    ):
        with pytest.raises(GraphvizNotFoundError) as caught:
            render()
        message = str(caught.value)
        assert "Graphviz's `dot` program is not on PATH" in message
        assert "sudo apt-get install graphviz" in message and "brew install graphviz" in message
        assert isinstance(caught.value, graphviz.ExecutableNotFound)  # graphviz's own handlers still work


# -- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"rankdir": "XY"}, ValueError, "rankdir must be one of LR, RL, TB, BT, got 'XY'"),
        ({"precision": -1}, ValueError, "precision must be at least 0, got -1"),
        ({"precision": 2.5}, TypeError, "precision must be an int, got float"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be at least 1, got 0"),
        ({"max_nodes": True}, TypeError, "max_nodes must be an int, got bool"),
        ({"show_grad": "yes"}, TypeError, "show_grad must be a bool, got str"),
        ({"edge_labels": 1}, TypeError, "edge_labels must be a bool, got int"),
        ({"highlight": 3}, TypeError, "highlight must be an iterable of Values or Paths, got int"),
        ({"highlight": "n"}, TypeError, "highlight must be an iterable of Values or Paths, got str"),
        ({"highlight": [1.0]}, TypeError, "highlight items must be Values or Paths, got float"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    o, _ = neuron()
    with pytest.raises(error, match=re.escape(message)):
        draw(o, **kwargs)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="root must be a Value, got list"):
        draw([Value(1.0)])
