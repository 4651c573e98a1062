"""draw(): what the influence diagram shows (its Picture), and how dot lays it out."""

import base64
import io
import math
import re
import shutil
import subprocess
import tracemalloc
import xml.etree.ElementTree as ET

import graphviz
import pytest
from browser import page_data
from hypothesis import given, settings
from hypothesis import strategies as st
from layout import box_problems, geometry, label_report, overlaps

import nn
from autograd import Op, Parameter, Value, animate, draw, draw_dot, draw_step, grad, ops, paths
from autograd.draw import GraphvizNotFoundError, picture
from autograd.formulas import edge_formula
from autograd.render import FILL, MAX_PNG_PIXELS
from autograd.render import tooltip as render_tooltip
from autograd.text import node_name

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
SVG = "{http://www.w3.org/2000/svg}"


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


def mlp_loss():
    """One sample through MLP(2, [4, 4, 1]) with tanh, squared error: the network-scale case."""
    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
    loss = nn.losses.mse(model([0.5, -1.0]), 0.25)
    loss.backward()
    return loss


def softmax_divergence():
    """Notebook 3's softmax picture: the full Jacobian's nine edges, logs and a dot."""
    z = [Value(1.0, "z1"), Value(2.0, "z2"), Value(0.5, "z3")]
    y = ops.softmax(z)
    for j, yj in enumerate(y, 1):
        yj.label = f"y{j}"
    d = [Value(0.2, "d1"), Value(0.7, "d2"), Value(0.1, "d3")]
    div = -ops.dot(d, [yj.log() for yj in y])
    div.label = "Div"
    div.backward()
    return div


def three_input_neuron():
    n = nn.Neuron(3, "tanh", seed=1)
    a = n([Value(1.0, "x0"), Value(-2.0, "x1"), Value(0.5, "x2")])
    a.backward()
    return a


GRAPHS = {"MLP(2,[4,4,1])": mlp_loss, "softmax + divergence": softmax_divergence, "3-input neuron": three_input_neuron}


def shown(p, name: str):
    """The picture's node whose title starts with ``name``."""
    (found,) = [n for n in p.nodes if n.lines[0] == name or n.lines[0].startswith(name + " = ")]
    return found


def edges_into(p, node):
    return [e for e in p.edges if e.head == node.key]


# -- what a node shows ---------------------------------------------------------------------


def test_nodes_show_name_op_data_and_grad_with_significant_digits():
    o, v = neuron()
    o.backward()
    p = picture(o)
    assert shown(p, "o").lines == ("o = tanh", "data 0.7071", "grad 1")
    assert shown(p, "n").lines == ("n = dot", "data 0.8814", "grad 0.5")
    # dL/dx1 = w1 * 0.5, dL/dw1 = x1 * 0.5 (the seeds' forward-pass rule), dL/db = 0.5.
    assert shown(p, "x1").lines == ("x1", "data 2", "grad -1.5")
    assert shown(p, "w1").lines == ("w1", "data -3", "grad 1")
    assert shown(p, "b").lines == ("b", "data 6.881", "grad 0.5")
    assert len(p.nodes) == 7 and len(p.edges) == 6


def test_a_vanishing_gradient_is_not_drawn_as_zero():
    # Twelve sigmoid layers: the first weight's gradient is about 1e-11, not 0.
    x = Value(0.5, "x")
    ws = [Parameter(0.1, f"w{k}") for k in range(12)]
    a = x
    for w in ws:
        a = (a * w).sigmoid()
    a.backward()
    tiny = ws[0].grad
    assert 0 < tiny < 1e-9
    mantissa, exponent = f"{tiny:.3e}".split("e")
    expected = f"grad {mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    assert shown(picture(a), "w0").lines[-1] == expected
    assert expected in draw(a).source


def test_precision_and_show_grad():
    o, v = neuron()
    o.backward()
    assert shown(picture(o, precision=2), "o").lines == ("o = tanh", "data 0.71", "grad 1")
    assert shown(picture(o, precision=6), "o").lines[1] == "data 0.707107"
    exact = shown(picture(o, precision=17), "b").lines[1]
    assert exact == "data 6.8813735870195432" and float(exact[5:]) == v["b"].data  # 17 digits: exact
    assert shown(picture(o, precision=1), "o").lines[1] == "data 0.7"
    assert shown(picture(o, show_grad=False), "x1").lines == ("x1", "data 2")


def test_unusual_numbers_stay_short():
    big, bad, tiny = Value(3e300, "big"), Value(float("nan"), "bad"), Value(-1e-9, "tiny")
    p = picture(big * bad + tiny)
    assert shown(p, "big").lines[1] == "data 3e300"
    assert shown(p, "bad").lines[1] == "data nan"
    assert shown(p, "tiny").lines[1] == "data -1e-9"


# -- constants -----------------------------------------------------------------------------


def test_number_leaves_are_written_inside_the_node_they_feed():
    x = Value(1.5, "x")
    y = (2 * x).exp() + (1 - x)
    p = picture(y)
    titles = sorted(n.lines[0] for n in p.nodes)
    assert titles == sorted(["x", "2 * ·", "exp", "1 - ·", "+"])
    assert len(p.edges) == 5  # x into both, each on to the next: no edge from a constant
    assert "constant input 2.0" in shown(p, "2 * ·").tooltip
    # The picture changed, the math did not: the constant still has its gradient.
    two = next(c for c in y.parents[0].parents[0].parents if not c.label)
    assert grad(y, [two]) == (1.5 * math.exp(3.0),)


def test_show_constants_draws_them_as_nodes():
    x = Value(1.5, "x")
    y = x * 2.0
    p = picture(y, show_constants=True)
    assert sorted(n.lines[0] for n in p.nodes) == ["*", "2", "x"]
    (into,) = [e for e in p.edges if e.tail == shown(p, "2").key]
    assert into.label == "1.5"  # d(x * 2)/d2 = x


def test_constants_feeding_a_wide_op_stay_nodes():
    # A dot's inputs are its inputs, numbers or not: only ops of one or two inputs fold them.
    w = [Parameter(0.5, "w0"), Parameter(-1.0, "w1")]
    z = ops.dot(w, [Value(2.0), Value(3.0)])
    assert sorted(n.lines[0] for n in picture(z).nodes) == ["2", "3", "dot", "w0", "w1"]


# -- edges ---------------------------------------------------------------------------------


def test_edges_carry_local_derivatives_in_the_order_of_the_parents():
    o, v = neuron()
    p = picture(o)
    n = shown(p, "n")
    into_n = edges_into(p, n)
    names = {node.key: node.lines[0] for node in p.nodes}
    # w1, w2, x1, x2, b: d n / d w_i = x_i, d n / d x_i = w_i, d n / d b = 1.
    assert [(names[e.tail], e.label) for e in into_n] == [("w1", "2"), ("w2", "0"), ("x1", "-3"), ("x2", "1"), ("b", "1")]
    (into_o,) = edges_into(p, shown(p, "o = tanh"))
    assert into_o.label == "0.5"  # 1 - tanh(n)^2 = 1 - 1/2
    assert all(e.label == "" for e in picture(o, edge_labels=False).edges)


def test_a_times_a_draws_two_edges():
    a = Value(3.0, "a")
    sq = a * a
    sq.label = "sq"
    p = picture(sq)
    assert [(e.tail, e.head, e.label) for e in p.edges] == [(shown(p, "a").key, shown(p, "sq").key, "3")] * 2


def test_formulas_on_edges():
    o, v = neuron()
    p = picture(o, edge_labels="formula")
    into_n = [e.label for e in edges_into(p, shown(p, "n"))]
    assert into_n == ["x1", "x2", "w1", "w2", "1 (bias)"]  # dz/dw_i = x_i, dz/dx_i = w_i
    assert [e.label for e in edges_into(p, shown(p, "o"))] == ["1 - a²"]
    both = picture(o, edge_labels="both")
    assert [e.label for e in edges_into(both, shown(both, "o"))] == ["1 - a² = 0.5"]


def _formulas(node):
    return tuple(edge_formula(node, slot, node_name) for slot in range(len(node.parents)))


def test_every_built_in_op_has_its_formula():
    a, b = Value(0.5, "a"), Value(2.0, "b")
    expected = {
        a + b: ("1", "1"), a - b: ("1", "-1"), -a: ("-1",), a * b: ("b", "a"), a / b: ("1/b", "-a/b²"),
        a**b: ("b·a^(b - 1)", "a^b·ln a"), a**2: ("2x",), a**3: ("3·x^2",), a**0.5: ("0.5·x^-0.5",),
        abs(a): ("sign(x)",), a.relu(): ("1 if x > 0, else 0",), a.leaky_relu(): ("1 if x > 0, else slope",),
        a.exp(): ("e^x = a",), a.log(): ("1/x",), a.sqrt(): ("1/(2√x)",), a.tanh(): ("1 - a²",),
        a.sigmoid(): ("a(1 - a)",), a.softplus(): ("sigmoid(x)",), a.sin(): ("cos x",), a.cos(): ("-sin x",),
        ops.sum([a, b]): ("1", "1"), ops.mean([a, b, a]): ("1/3",) * 3,
        ops.dot([a, b], [b, a], bias=a): ("b", "a", "a", "b", "1 (bias)"),
        ops.max([a, b]): ("1 if the largest, else 0",) * 2, ops.min([a, b]): ("1 if the smallest, else 0",) * 2,
        ops.logsumexp([a, b]): ("softmax_0", "softmax_1"),
    }
    for node, formulas in expected.items():
        assert _formulas(node) == formulas, node.op
    y0, y1 = ops.softmax([a, b])
    assert _formulas(y0) == ("y0(1 - y0)", "-y0·y1") and _formulas(y1) == ("-y1·y0", "y1(1 - y1)")
    l0, l1 = ops.log_softmax([a, b])
    assert _formulas(l0) == ("1 - y0", "-y1") and _formulas(l1) == ("-y0", "1 - y1")


def test_formulas_agree_with_the_recorded_local_derivatives():
    # The formulas read as math: evaluate each with the node's own numbers.
    x = Value(0.7, "x")
    cases = {x.tanh(): lambda a, x: 1 - a * a, x.sigmoid(): lambda a, x: a * (1 - a), x.exp(): lambda a, x: a,
             x.log(): lambda a, x: 1 / x, x.sqrt(): lambda a, x: 1 / (2 * math.sqrt(x)), x.sin(): lambda a, x: math.cos(x),
             x.cos(): lambda a, x: -math.sin(x), x**2: lambda a, x: 2 * x}
    for node, formula in cases.items():
        assert math.isclose(formula(node.data, x.data), node.local_grads[0], rel_tol=1e-15), node.op
    z = [Value(0.3), Value(-1.2), Value(2.0)]
    ys = ops.softmax(z)
    s = [y.data for y in ys]
    for i, y in enumerate(ys):  # y_i (delta_ij - y_j)
        assert all(math.isclose(y.local_grads[j], s[i] * ((i == j) - s[j]), rel_tol=1e-14) for j in range(3))


def test_a_user_op_shows_its_own_formula():
    softsign = Op("softsign", lambda x: x / (1 + abs(x)), lambda x, out: (1 / (1 + abs(x)) ** 2,),
                  formula="1/(1 + |x|)²")
    x = Value(0.5, "x")
    p = picture(softsign(x), edge_labels="both")
    assert [e.label for e in p.edges] == ["1/(1 + |x|)² = 0.4444"]
    plain = Op("plain", lambda x: 2 * x, lambda x, out: (2.0,))
    assert [e.label for e in picture(plain(x), edge_labels="formula").edges] == ["2"]  # no formula: the value
    with pytest.raises(TypeError, match="Op formula must be a str or a tuple of str"):
        Op("bad", formula=3)


def test_flow_widths_show_dead_and_strong_paths():
    x = Value(2.0, "x")
    dead = (x * -1.0).relu()  # relu is off: nothing flows back through it
    alive = x * 3.0
    y = dead + alive
    y.backward()
    p = picture(y, edge_width="flow")
    by_head = {(e.tail, e.head): e for e in p.edges}
    relu, times3 = shown(p, "relu"), shown(p, "· * 3")
    into_relu = by_head[(shown(p, "· * -1").key, relu.key)]
    assert "dead" in into_relu.emphasis and into_relu.width == 0.6
    out_of_x = {e.head: e.width for e in p.edges if e.tail == shown(p, "x").key}
    # x -> * 3 sends 3 (the strongest flow here), x -> * -1 sends 0.
    assert out_of_x[times3.key] == 6.0 and out_of_x[shown(p, "· * -1").key] == 0.6
    assert all(e.width is None for e in picture(y).edges)


def test_flow_width_grows_with_the_flow_on_a_log_scale():
    x = Value(1.0, "x")
    parts = [x * c for c in (1e-6, 1e-3, 1.0)]
    y = ops.sum(parts)
    y.backward()
    p = picture(y, edge_width="flow")
    widths = [e.width for e in p.edges if e.tail == shown(p, "x").key]
    assert widths[0] < widths[1] < widths[2] == 6.0
    # Equal steps in log10 give equal steps in width.
    assert math.isclose(widths[1] - widths[0], widths[2] - widths[1], rel_tol=1e-12)


# -- names and layers inside networks ----------------------------------------------------


def test_a_network_is_drawn_in_layer_boxes_with_short_names():
    p = picture(mlp_loss())
    assert [(g.key, g.caption) for g in p.groups] == [
        ("L0", "L0: 4 tanh units"), ("L1", "L1: 4 tanh units"), ("L2", "L2: 1 linear unit")]
    z = next(n for n in p.nodes if n.group == "L1" and n.lines[0] == "n2.z = dot")
    assert z.tooltip.startswith("L1.n2.z")
    assert shown(p, "x0").group is None and shown(p, "loss").group is None
    assert not picture(mlp_loss(), group=False).groups


def two_two_two():
    """A 2-2-2 sigmoid network's loss, the shape of note 004's worked example."""
    model = nn.MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = nn.losses.mse(model([0.05, 0.1]), [0.01, 0.99])
    loss.backward()
    return loss


@needs_dot
@pytest.mark.parametrize("make, rankdir", [(mlp_loss, "LR"), (mlp_loss, "TB"), (two_two_two, "LR"),
                                           (two_two_two, "TB")])
def test_layer_boxes_are_apart_and_cut_no_node_and_no_caption_is_covered(make, rankdir):
    from layout import svg_geometry

    diagram = draw(make(), rankdir=rankdir)
    for g in (geometry(diagram), svg_geometry(diagram.pipe(format="svg", encoding="utf-8"))):
        assert box_problems(g) == []
        assert len([k for k in g.boxes if k.startswith("group ")]) in (2, 3)


@needs_dot
def test_layer_boxes_hold_their_nodes_and_nothing_else():
    g = geometry(draw(mlp_loss()))
    p = picture(mlp_loss())
    boxes = {key[len("group "):]: box for key, box in g.boxes.items() if key.startswith("group ")}
    assert sorted(boxes) == ["L0", "L1", "L2"]
    for node in p.nodes:
        x, y = g.centre(node.key)
        inside = {k for k, (l, b, r, t) in boxes.items() if l <= x <= r and b <= y <= t}
        assert inside == ({node.group} if node.group else set()), node.lines[0]
    lefts = sorted(boxes.values())
    assert all(a[2] < b[0] for a, b in zip(lefts, lefts[1:]))  # side by side, apart


# -- readability measured on dot's layout -------------------------------------------------


@needs_dot
@pytest.mark.parametrize("name", list(GRAPHS))
def test_every_label_sits_on_its_own_edge_and_nothing_overlaps(name):
    diagram = draw(GRAPHS[name]())
    g = geometry(diagram)
    report = label_report(g)
    edges_with_text = sum(1 for e in picture(GRAPHS[name]()).edges if e.label)
    assert report["labels"] == edges_with_text > 0
    assert report["misattributed"] == [] and report["touched"] == []
    assert overlaps(g, ignore=[k for k in g.boxes if k.startswith("group ")]) == []


@needs_dot
@pytest.mark.parametrize("name", list(GRAPHS))
def test_inputs_are_drawn_in_the_order_of_parents(name):
    root = GRAPHS[name]()
    p = picture(root)
    g = geometry(draw(root))
    role = {n.key: n.role for n in p.nodes}
    checked = 0
    for node in p.nodes:
        into = [(i, e) for i, e in enumerate(p.edges) if e.head == node.key]
        # The labels in front of a node, top to bottom, in the order of its inputs.
        ys = [g.centre(f"e{i}")[1] for i, _ in into]
        assert ys == sorted(ys, reverse=True) and len(set(ys)) == len(ys), node.lines[0]
        # Inputs of one kind that share a column: the first above (x0 above x1, w0 above w1).
        tails = list(dict.fromkeys(e.tail for _, e in into))
        for a in range(len(tails)):
            for b in range(a + 1, len(tails)):
                ta, tb = tails[a], tails[b]
                same_kind = (role[ta] == "parameter") == (role[tb] == "parameter")
                if same_kind and abs(g.centre(ta)[0] - g.centre(tb)[0]) < 1.0:
                    assert g.centre(ta)[1] > g.centre(tb)[1], (node.lines[0], ta, tb)
                    checked += 1
    assert checked > 0


@needs_dot
def test_top_to_bottom_keeps_the_order_left_to_right():
    o, _ = neuron()
    p = picture(o, rankdir="TB")
    g = geometry(draw(o, rankdir="TB"))
    into = [i for i, e in enumerate(p.edges) if e.head == shown(p, "n").key]
    xs = [g.centre(f"e{i}")[0] for i in into]
    assert xs == sorted(xs)


# -- colours, key, highlights --------------------------------------------------------------


def test_roles_and_the_key():
    o, v = neuron()
    p = picture(o)
    assert {shown(p, name).role for name in ("x1", "x2")} == {"input"}
    assert {shown(p, name).role for name in ("w1", "w2", "b")} == {"parameter"}
    assert shown(p, "n").role == "intermediate" and shown(p, "o").role == "output"
    assert p.legend == (("input", "input"), ("parameter", "parameter"), ("intermediate", "computed"),
                        ("output", "output"), ("edge", "edge label = d child / d parent"))
    assert picture(o, legend=False).legend == ()


@needs_dot
def test_the_key_is_drawn_under_the_picture():
    o, _ = neuron()
    texts = _svg_texts(draw(o))
    for words in ("input", "parameter", "computed", "output", "edge label = d child / d parent"):
        assert words in texts
    assert "edge label = d child / d parent" not in _svg_texts(draw(o, legend=False))


def test_highlighting_a_node_lights_it_and_the_edges_from_its_parents():
    o, v = neuron()
    p = picture(o, highlight=[v["n"]])
    n = shown(p, "n")
    assert [node.key for node in p.nodes if "current" in node.emphasis] == [n.key]
    assert all(("highlight" in e.emphasis) == (e.head == n.key) for e in p.edges)
    assert picture(o, highlight=v["n"]) == p  # a single Value is accepted too
    assert ("current", "red: this step / highlighted") in p.legend


def test_highlighting_a_path_lights_exactly_its_edges():
    a = Value(3.0, "a")
    sq = a * a
    sq.label = "sq"
    first, second = paths(sq, a)
    p = picture(sq, highlight=[second])
    assert ["highlight" in e.emphasis for e in p.edges] == [False, True]


def test_highlighting_something_outside_the_graph_changes_nothing():
    o, _ = neuron()
    assert draw(o, highlight=[Value(1.0)]).source == draw(o).source


def test_same_graph_same_source():
    first, second = neuron()[0], neuron()[0]  # equal graphs made of different objects
    first.backward()
    second.backward()
    assert draw(first).source == draw(second).source == draw(first).source
    assert draw(mlp_loss()).source == draw(mlp_loss()).source  # the laid-out, pinned kind too
    assert draw_dot(first).source == draw(first).source


# -- rendered by the real dot ------------------------------------------------------------


def _svg_texts(diagram) -> list[str]:
    root = ET.fromstring(diagram.pipe(format="svg", encoding="utf-8"))
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@needs_dot
def test_dot_renders_the_neuron_with_every_number():
    o, _ = neuron()
    o.backward()
    texts = _svg_texts(draw(o, highlight=[o]))
    for line in ("o = tanh", "data 0.7071", "grad 1", "x1", "grad -1.5", "0.5", "-3"):
        assert line in texts, line


@needs_dot
@pytest.mark.parametrize("make", [lambda: neuron()[0], mlp_loss, lambda: nn.draw_network(
    nn.MLP(2, [3, 1], seed=0), x=[0.5, -1.0])], ids=["plain", "pinned, with layer boxes", "draw_network"])
def test_jupyter_gets_the_svg_and_the_same_picture_as_a_png(make):
    """JupyterLab draws no SVG in an untrusted notebook (every downloaded one): a PNG of the same
    picture, as large on screen, goes beside it; a very large picture at fewer dots an inch."""
    from PIL import Image

    made = make()
    diagram = made if isinstance(made, graphviz.Digraph) else draw(made)
    bundle = diagram._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png"}
    width, height = (float(v) for v in re.search(r'viewBox="0.00 0.00 ([\d.]+) ([\d.]+)"', bundle["image/svg+xml"]).groups())
    # A point of SVG is 96/72 pixels in a browser: the PNG has as many, up to MAX_PNG_PIXELS.
    scale = min(96 / 72, math.sqrt(MAX_PNG_PIXELS / (width * height)))
    with Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))) as png:
        assert png.format == "PNG" and png.mode == "P"
        assert png.size == pytest.approx((width * scale, height * scale), abs=2)
        assert png.width * png.height <= MAX_PNG_PIXELS * 1.01
        colours = {colour for _, colour in png.convert("RGB").getcolors(1 << 16)}
    fills = {tuple(bytes.fromhex(f[1:])) for f in FILL.values() if f'fill="{f}"' in bundle["image/svg+xml"]}
    assert (255, 255, 255) in colours and fills and fills <= colours  # the ground and the roles' fills, exactly
    assert min(sum(c) for c in colours) < 100  # black text, anti-aliased
    assert diagram._repr_mimebundle_(include={"image/png"}).keys() == {"image/png"}
    assert diagram._repr_mimebundle_(exclude={"image/png"}).keys() == {"image/svg+xml"}


@needs_dot
def test_every_node_and_edge_has_a_tooltip_with_full_precision():
    o, v = neuron()
    o.backward()
    root = ET.fromstring(draw(o).pipe(format="svg", encoding="utf-8"))
    xlink = "{http://www.w3.org/1999/xlink}title"
    tips = [a.get(xlink) for a in root.iter(f"{SVG}a") if a.get(xlink)]
    p = picture(o)
    # One per node, one per edge text, one per edge segment (into and out of its text).
    assert len(tips) == len(p.nodes) + 3 * len(p.edges)
    assert any(f"data = {v['b'].data!r}" in t and f"grad = {v['b'].grad!r}" in t for t in tips)
    assert any(t.startswith(f"d n / d w1 = {v['x1'].data!r}") for t in tips)


def run_dot(source: str) -> str:
    """Render with the real dot, failing on any error or warning it prints."""
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stderr == b"", done.stderr.decode("utf-8", "replace")
    return done.stdout.decode("utf-8")


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
    texts = [t.strip() for t in _svg_texts(g)]
    run_dot(g.source)
    shown_text = label.replace("\x00", "\\x00").replace("\x07", "\\x07").replace("\t", "\\t").replace("\ud800", "\\ud800")
    lines = [line.strip() for line in shown_text.split("\n") if line.strip()]
    for i, line in enumerate(lines):
        # Once on x, once on y (whose last line also carries its op).
        if i < len(lines) - 1:
            assert texts.count(line) == 2, (line, texts)
        else:
            assert line in texts and f"{line} = · * 2" in texts, (line, texts)


@needs_dot
@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.text(max_size=30))
def test_any_label_renders(label):
    x = Value(0.5, label)
    y = (x + 1.0) * x
    y.label = label
    run_dot(draw(y).source)


def _triple(x):
    return 3.0 * x


def _triple_rule(x, out):
    return (3.0,)


def _titles(svg: str) -> list[str]:
    """Every tooltip of an SVG drawing (dot writes them as xlink:title)."""
    root = ET.fromstring(svg)
    return [v for e in root.iter() for k, v in e.attrib.items() if k.endswith("}title")]


LONG_LABELS = {
    "17,000 letters": "L" * 17_000,
    "3,300 ampersands": "&" * 3_300,  # &amp; in an HTML label: 16,500 bytes
    "2,000 lines": "line\n" * 2_000,
    "5,000 quotes and backslashes": '"\\' * 5_000,
}


@needs_dot
@pytest.mark.parametrize("label", LONG_LABELS.values(), ids=LONG_LABELS.keys())
def test_labels_too_long_for_dot_are_shortened_visibly_with_the_text_in_the_tooltip(label):
    # dot refuses a string of more than 16,384 bytes: a bare BrokenPipeError or
    # CalledProcessError came out of draw, animate and draw_network.
    x = Parameter(1.0, label)
    y = Op(label[:5], _triple, _triple_rule, formula=label)(x) * x
    y.label = label
    svg = run_dot(draw(y, edge_labels="both").source)
    texts = [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]
    shortened = [t for t in texts if t.endswith("…") or re.fullmatch(r"… \d+ more lines", t)]
    assert len(shortened) >= 3 and all(len(t) <= 240 for t in texts)  # x, y and the formula on the edge
    tips = _titles(svg)
    # The tooltips keep the text, as much of it as dot takes (a hundred lines: dot's time
    # grows with the square of a tooltip's lines), and say how long it was.
    kept = label[:5_000] if "\n" not in label else label[:400]
    assert any(kept in t for t in tips)
    assert all(len(t.encode("utf-8")) < 16_384 and t.count("\n") < 100 for t in tips)
    assert any(t.endswith((" characters in all)", " lines in all)")) for t in tips) == (len(label) > 8_000)
    step = draw_step(y, 1)
    run_dot(step.source)  # the caption names x three times
    assert "more lines" in step.source or "…" in step.source
    assert len(page_data(animate(y).html())["frames"]) == 3


@needs_dot
def test_a_long_caption_on_the_network_view_is_shortened():
    model = nn.MLP(2, [2, 1], seed=0)
    svg = nn.draw_network(model, x=[0.5, -1.0], caption="C" * 17_000).pipe(format="svg").decode("utf-8")
    assert "C" * 200 in svg and "C" * 300 not in svg


def test_a_tooltip_that_fits_is_kept_whole():
    label = "abc" * 3_000  # 9,000 characters
    x = Value(1.0, label)
    (node,) = picture(x).nodes
    assert label in render_tooltip(node.tooltip)


# -- the size guard -----------------------------------------------------------------------


def test_too_many_nodes_are_refused_with_how_to_draw_anyway():
    x = Value(0.1, "x")
    y = x
    for _ in range(600):
        y = y.tanh()
    with pytest.raises(ValueError, match=r"the graph has 601 nodes, more than max_nodes=500.*draw\(root, max_nodes=601\)"):
        draw(y)
    assert len(picture(y, max_nodes=601).nodes) == 601
    with pytest.raises(ValueError, match="has 601 nodes, more than max_nodes=600"):
        draw(y, max_nodes=600)


# -- without Graphviz ---------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: neuron()[0], mlp_loss], ids=["plain", "with layer boxes"])
def test_missing_dot_building_works_and_rendering_says_how_to_install(make, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot (nor anything else) on PATH
    g = draw(make())
    assert isinstance(g, graphviz.Digraph) and "<B>" in g.source
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


# -- bad arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"rankdir": "XY"}, ValueError, "rankdir must be one of LR, RL, TB, BT, got 'XY'"),
        ({"precision": 0}, ValueError, "precision must be from 1 to 17 significant digits, got 0"),
        ({"precision": 10**9}, ValueError, "precision must be from 1 to 17 significant digits, got 1000000000"),
        ({"precision": 2.5}, TypeError, "precision must be an int (significant digits), got float"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be at least 1, got 0"),
        ({"max_nodes": True}, TypeError, "max_nodes must be an int, got bool"),
        ({"show_grad": "yes"}, TypeError, "show_grad must be a bool, got str"),
        ({"legend": None}, TypeError, "legend must be a bool, got NoneType"),
        ({"show_constants": 1}, TypeError, "show_constants must be a bool, got int"),
        ({"group": "yes"}, TypeError, "group must be a bool or None, got str"),
        ({"edge_labels": 1}, TypeError, "edge_labels must be a str or a bool, got int"),
        ({"edge_labels": "values"}, ValueError, "edge_labels must be one of 'value', 'formula', 'both' or False"),
        ({"edge_width": "wide"}, ValueError, "edge_width must be None or 'flow', got 'wide'"),
        ({"highlight": 3}, TypeError, "highlight must be an iterable of Values or Paths, got int"),
        ({"highlight": "n"}, TypeError, "highlight must be an iterable of Values or Paths, got str"),
        ({"highlight": [1.0]}, TypeError, "highlight items must be Values or Paths, got float"),
        ({"step": 3}, TypeError, "step must be a Step from backward_steps or forward_steps, got int"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    o, _ = neuron()
    with pytest.raises(error, match=re.escape(message)):
        draw(o, **kwargs)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="root must be a Value, got list"):
        draw([Value(1.0)])


@pytest.mark.parametrize("drawing", [
    lambda y: draw(y),
    lambda y: draw_step(y, 1),
    lambda y: draw_step(y, 1, direction="forward"),
    lambda y: animate(y),
], ids=["draw", "draw_step", "draw_step forward", "animate"])
def test_a_huge_graph_is_refused_before_the_work(drawing):
    # The report: draw_step on a 2,000,000-node graph spent 8 s and 480 MB before max_nodes
    # refused it. Counting stops a little past the limit, so refusing takes no more memory
    # than a graph that is drawn (here 200,000 nodes, against 500).
    x = Value(0.1, "x")
    y = x
    for _ in range(50_000):
        y = y + 1.0
    y = ops.sum([y, *(Value(float(i)) for i in range(100_000))])  # and a node of 100,001 inputs
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"the graph has more than (5000 nodes, more than max_nodes=500|"
                                             r"10000 nodes, more than max_frame_nodes=10000)"):
            drawing(y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
