"""The neuron-level picture of a network, as the lecture notes draw it.

Units are circles in columns (the inputs, then each layer), every unit joined to every
unit of the next column. Given a sample, each unit shows its activation ``a`` and
``δ = dL/dz``; each connection carries its weight (or ``dL/dw``), coloured by sign and as
wide as it is large. It is built as an ``autograd.picture.Picture`` with a fixed layout and
drawn by ``autograd.render``, like every other drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from autograd import Player, format_number, grad
from autograd.picture import Edge, Group, Node, Picture
from autograd.render import Diagram, group_width, render
from autograd.text import check_precision

from . import losses as loss_functions
from .layers import MLP, as_inputs, input_names

SHOWS = ("weight", "grad")
POSITIVE, NEGATIVE, _ZERO = "#2563eb", "#ea580c", "#9ca3af"  # also the training view's
_WIDTHS = (0.4, 4.0)  # pen widths of the smallest and the largest connection
_CHAR = 5.6  # points per character of 10-point text, generous
_LABEL_HEIGHT = 12.0
_GAP = 120.0  # points between two column boxes: where the connections' numbers go
_PLACES = (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.35, 0.65, 0.2, 0.8)  # along a connection, middle first
_CLEAR = 4.0  # points between a connection's text and any other connection
_COMPACT = 24  # units in a column beyond which each unit shows one number only
_MIN_DIAMETER = 30.0
_SHOWN_INPUTS = 8  # inputs written out in the caption


def draw_network(model: MLP, x=None, target=None, loss: str | Callable | None = None, *, show: str = "weight",
                 max_labels: int = 60, precision: int = 4, legend: bool = True, caption: str | None = None) -> Diagram:
    """Draw ``model`` as units in columns with their connections (the seeds' picture).

    * Without ``x``: the architecture, each connection labelled with its weight and each
      unit with its bias.
    * With ``x`` (one sample): the forward pass; each unit shows its activation ``a``.
    * With ``x``, ``target`` and ``loss`` (a name such as ``"mse"`` or a function of
      ``nn.losses``): also the backward pass; each unit shows ``δ = dL/dz`` under ``a``, and
      ``show="grad"`` labels the connections with ``dL/dw`` instead of ``w``. The gradients are
      computed with ``autograd.grad``: no ``.grad`` of the model changes.

    Connections are blue where positive, orange where negative, and as wide as their size
    relative to the largest. With more than ``max_labels`` connections their numbers are left
    out (a big network stays readable); every unit and connection has a tooltip with the full
    numbers either way. ``caption`` is a first line for the text under the picture (which
    sample it is, say), above the description of what is shown.
    """
    run = _checked_pass(model, x, target, loss, show, max_labels, precision, legend, caption)
    return render(_Builder(model, run, show, max_labels, precision, legend, caption).picture())


def animate_network(model: MLP, x, target, loss: str | Callable, *, max_labels: int = 60, precision: int = 4,
                    caption: str | None = None) -> Player:
    """The seeds' layer-wise backward pass of one sample, a layer a step, in ``autograd``'s player.

    Step 0 is the forward pass: ``a`` on every unit, no ``δ`` yet, the connections grey.
    Step 1 gives the output layer's ``δ = dL/dz`` (from the loss), and each connection into
    it ``dL/dw = δ a`` (``a`` of the unit it comes from); each later step goes one layer back:
    ``δ = (Wᵀ δ_next) ⊙ g'(z)``, and the ``dL/dw`` into that layer. The last step is
    ``draw_network(model, x, target, loss, show="grad")``. Arguments as ``draw_network``'s;
    ``caption`` (which sample it is) starts every step's text.
    """
    return Player(_step_pictures(model, x, target, loss, max_labels, precision, caption),
                  f"the backward pass of one sample through {model!r}, a layer a step")


def _step_pictures(model: MLP, x, target, loss, max_labels: int, precision: int, caption: str | None) -> list:
    """``animate_network``'s pictures, one a step."""
    if target is None:
        raise ValueError("animate_network steps through a backward pass: give x, target and loss")
    run = _checked_pass(model, x, target, loss, "grad", max_labels, precision, True, caption)
    depth = len(model.layers)
    texts = [f"Step 0 of {depth}: the forward pass, a = g(z) with z = w·a + b on every unit, then the loss. "
             f"No δ yet."]
    for step in range(1, depth + 1):
        k = depth - step
        if step == 1:
            how = "straight from the loss"
        else:
            how = f"the δ of L{k + 1} sent back along the weights, times g'(z): δ = (Wᵀ δ) ⊙ g'(z)"
        texts.append(f"Step {step} of {depth}: layer L{k}'s δ = dL/dz, {how}; and each connection into it "
                     f"gets dL/dw = δ · a (a of the unit it comes from).")
    prefix = "" if caption is None else caption + "\n"
    return [_Builder(model, run, "grad", max_labels, precision, True, prefix + text, known=step).picture()
            for step, text in enumerate(texts)]


def _checked_pass(model, x, target, loss, show, max_labels, precision, legend, caption) -> _Pass:
    """Every argument of ``draw_network`` checked, and the sample's pass computed."""
    if type(model) is not MLP:
        raise TypeError(f"model must be an nn.MLP, got {type(model).__name__}")
    if show not in SHOWS:
        raise ValueError(f"show must be 'weight' or 'grad', got {show!r}")
    if isinstance(max_labels, bool) or not isinstance(max_labels, int) or max_labels < 0:
        raise ValueError(f"max_labels must be an int >= 0, got {max_labels!r}")
    check_precision(precision)
    if not isinstance(legend, bool):
        raise TypeError(f"legend must be a bool, got {type(legend).__name__}")
    if caption is not None and not isinstance(caption, str):
        raise TypeError(f"caption must be a str, got {type(caption).__name__}")
    if (target is None) != (loss is None):
        raise ValueError("target and loss go together: give both (to show δ = dL/dz) or neither")
    if x is None and target is not None:
        raise ValueError("a target needs a sample: give x too")
    if show == "grad" and target is None:
        raise ValueError("show='grad' needs x, target and loss, to compute dL/dw")
    loss_fn = _loss_function(loss) if loss is not None else None
    return _Pass(model, x, target, loss_fn)


def _loss_function(loss) -> Callable:
    names = {name: getattr(loss_functions, name) for name in ("mse", "hinge", "binary_cross_entropy", "cross_entropy")}
    if isinstance(loss, str):
        if loss not in names:
            raise ValueError(f"loss must be one of {sorted(names)} or one of their functions, got {loss!r}")
        return names[loss]
    if loss not in names.values():
        raise TypeError(f"loss must be a loss name or a function of nn.losses, got {loss!r}")
    return loss


class _Pass:
    """One sample's forward pass (and backward pass, with a loss), kept as numbers."""

    def __init__(self, model: MLP, x, target, loss_fn):
        self.inputs, self.z, self.a = None, [], []
        self.delta: list[list[float]] = []
        self.dw: dict = {}
        self.loss_value = None
        self.loss_name = loss_fn.__name__ if loss_fn else ""
        if x is None:
            return
        xs = as_inputs(x, model.nin, "draw_network", input_names(model.nin))
        self.inputs = [v.data for v in xs]
        zs_nodes, acts = [], xs
        for layer in model.layers:
            outs = layer.forward(acts)
            zs = [out if out.op == "dot" else out.parents[0] for out in outs]
            zs_nodes.append(zs)
            self.z.append([z.data for z in zs])
            self.a.append([out.data for out in outs])
            acts = outs
        self.output = acts[0] if len(acts) == 1 else acts
        if loss_fn is None:
            return
        value = loss_fn(self.output, target)
        self.loss_value = value.data
        params = model.parameters()
        flat = [z for zs in zs_nodes for z in zs]
        found = grad(value, flat + params)
        k = 0
        for zs in zs_nodes:
            self.delta.append(list(found[k : k + len(zs)]))
            k += len(zs)
        self.dw = dict(zip(params, found[k:]))


class _Builder:
    """The picture of ``run``; ``known`` (stepping a backward pass) is how many layers, from
    the output back, have their δ and dL/dw worked out so far; None shows them all."""

    def __init__(self, model: MLP, run: _Pass, show: str, max_labels: int, precision: int, legend: bool,
                 caption: str | None, known: int | None = None):
        self.model, self.run, self.show = model, run, show
        self.max_labels, self.legend, self.caption = max_labels, legend, caption
        self.precision, self.known = precision, known

    def knows(self, k: int) -> bool:
        """Whether layer ``k``'s δ (and the dL/dw into it) is worked out in this picture."""
        return self.known is None or k >= len(self.model.layers) - self.known

    def num(self, x: float) -> str:
        return format_number(x, self.precision)

    def picture(self) -> Picture:
        model = self.model
        columns = [model.nin] + [layer.nout for layer in model.layers]
        starts = [sum(columns[:c]) for c in range(len(columns))]

        def by_column(lines):
            per_column = [lines[start : start + n] for start, n in zip(starts, columns)]
            # A tall column (64 pixels) shows one number per unit (the rest are in the
            # tooltips), in small circles; every other column shows all of its lines.
            return [[unit[-1:] if c == 0 else unit[:1] for unit in units] if len(units) > _COMPACT else units
                    for c, units in enumerate(per_column)]

        per_column = by_column(self.unit_lines())
        # Sized for every number, so the steps of a pass share one layout.
        diameters = [max(_MIN_DIAMETER, max(len(t) for unit in units for t in unit) * _CHAR + 12.0,
                         max(len(unit) for unit in units) * 13.0 + 8.0)
                     for units in by_column(self.unit_lines(sizing=True))]
        groups = tuple(Group(f"c{c}", self.column_caption(c)) for c in range(len(columns)))
        widths = [group_width(d, g.caption) for d, g in zip(diameters, groups)]
        heights = [n * (d + 14.0) for n, d in zip(columns, diameters)]
        # Room between the column boxes for the connections' numbers; and very tall columns
        # further apart, so their connections fan out instead of running almost vertically.
        gap_x = max(widths) + _GAP
        if max(columns) > _COMPACT:
            gap_x = max(gap_x, 0.4 * max(heights))
        nodes, keys = [], {}
        for c, (units, d) in enumerate(zip(per_column, diameters)):
            n = len(units)
            role = "input" if c == 0 else ("output" if c == len(columns) - 1 else "intermediate")
            stepped = self.known is not None and c > 0
            current = frozenset({"current"}) if stepped and c - 1 == len(model.layers) - self.known else frozenset()
            for i, text in enumerate(units):
                key = keys[(c, i)] = f"u{starts[c] + i}"
                y = ((n - 1) / 2 - i) * (d + 14.0)  # each column centred on the same line, n0 on top
                faint = frozenset(j for j, line in enumerate(text) if line == "δ ?")
                nodes.append(Node(key, tuple(text), role, current, tooltip=self.unit_tooltip(c, i), group=f"c{c}",
                                  shape="circle", faint=faint, position=(c * gap_x, y), size=(d, d)))
        # Where each column's box will be drawn, so no number sits on its edge.
        boxes = {c * gap_x: w / 2 + 2.0 for c, w in enumerate(widths)}
        edges = self.connections(keys, nodes, boxes)
        legend = self.key() if self.legend else ()
        text = self.text() if self.caption is None else f"{self.caption}\n{self.text()}"
        return Picture(tuple(nodes), tuple(edges), groups, text, legend)

    # -- units -----------------------------------------------------------------------------
    def unit_lines(self, sizing: bool = False) -> list[list[str]]:
        """Each unit's lines; ``sizing``: with every δ, as the last step of a pass shows them."""
        run, out = self.run, []
        for i in range(self.model.nin):
            out.append([f"x{i}"] + ([self.num(run.inputs[i])] if run.inputs is not None else []))
        for k, layer in enumerate(self.model.layers):
            for j, neuron in enumerate(layer.neurons):
                lines = []
                if run.inputs is not None:
                    lines.append(f"a {self.num(run.a[k][j])}")
                if run.delta:
                    lines.append(f"δ {self.num(run.delta[k][j])}" if sizing or self.knows(k) else "δ ?")
                lines.append(f"b {self.num(neuron.b.data)}")
                out.append(lines)
        return out

    def unit_tooltip(self, c: int, i: int) -> str:
        run = self.run
        if c == 0:
            return f"input x{i}" + (f" = {run.inputs[i]!r}" if run.inputs is not None else "")
        neuron = self.model.layers[c - 1].neurons[i]
        name = neuron.b.label[:-1].rstrip(".")
        lines = [f"{name} ({self.model.layers[c - 1].activation})", f"b = {neuron.b.data!r}"]
        if run.inputs is not None:
            lines += [f"z = {run.z[c - 1][i]!r}", f"a = {run.a[c - 1][i]!r}"]
        if run.delta and self.knows(c - 1):
            lines += [f"δ = dL/dz = {run.delta[c - 1][i]!r}", f"dL/db = {run.dw[neuron.b]!r}"]
        return "\n".join(lines)

    def column_caption(self, c: int) -> str:
        if c == 0:
            return f"inputs: {self.model.nin}"
        layer = self.model.layers[c - 1]
        return f"L{c - 1}: {layer.nout} {layer.activation} unit{'' if layer.nout == 1 else 's'}"

    # -- connections -----------------------------------------------------------------------
    def connections(self, keys: dict, nodes: list[Node], columns: dict[float, float]) -> list[Edge]:
        values = []
        for k, layer in enumerate(self.model.layers):
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    # None: a dL/dw the pass has not reached yet
                    shown = w.data if self.show == "weight" else self.run.dw[w] if self.knows(k) else None
                    values.append((k, i, j, w, shown))
        largest = max((abs(v) for *_, v in values if v is not None and math.isfinite(v)), default=0.0)
        labelled = len(values) <= self.max_labels
        where = {n.key: n.position for n in nodes}
        lines = [(where[keys[(k, i)]], where[keys[(k + 1, j)]]) for k, i, j, _, _ in values]
        placed: list[tuple[float, float, float, float]] = []
        edges = []
        for index, (k, i, j, w, shown) in enumerate(values):
            tail, head = keys[(k, i)], keys[(k + 1, j)]
            if shown is None:
                edges.append(Edge(tail, head, tooltip=f"{w.label} = {w.data!r}\ndL/d{w.label}: not yet",
                                  emphasis=frozenset({"pending"})))
                continue
            text = self.num(shown) if labelled else ""
            at = 0.5
            if text:
                at, box = _place_label(lines, index, len(text) * _CHAR + 6.0, placed, where, nodes, columns)
                if box is None:
                    text = ""
                else:
                    placed.append(box)
            edges.append(Edge(tail, head, text, self.edge_tooltip(w, k), color=connection_colour(shown),
                              width=connection_width(shown, largest), label_at=at))
        return edges

    def edge_tooltip(self, w, k: int) -> str:
        text = f"{w.label} = {w.data!r}"
        if self.run.dw and self.knows(k):
            text += f"\ndL/d{w.label} = {self.run.dw[w]!r}"
        return text

    # -- words -----------------------------------------------------------------------------
    def text(self) -> str:
        run = self.run
        if run.inputs is None:
            return "The network's parameters: the weight on each connection, the bias b on each unit."
        shown = [self.num(v) for v in run.inputs[:_SHOWN_INPUTS]]
        more = len(run.inputs) - len(shown)
        sample = "x = (" + ", ".join(shown) + (f", ... {more} more" if more else "") + ")"
        what = "a = activation" + (", δ = dL/dz" if run.delta else "")
        if run.loss_value is not None:
            sample += f", {run.loss_name} loss {self.num(run.loss_value)}"
        shown = "the weights w" if self.show == "weight" else "dL/dw"
        if self.known is not None and self.known < len(self.model.layers):
            what, shown = what + " (δ ? not yet)", shown + " (grey: not yet)"
        return f"One sample, {sample}. Units: {what}, b = bias. Connections: {shown}."

    def key(self) -> tuple[tuple[str, str], ...]:
        what = "weight w" if self.show == "weight" else "dL/dw"
        later = "; grey dotted: not worked out yet" if self.known is not None else ""
        return (("input", "input"), ("intermediate", "hidden unit"), ("output", "output unit"),
                ("edge", f"connection: {what}, blue > 0, orange < 0, width ∝ size{later}"))


def connection_colour(value: float) -> str:
    """Blue for a positive number, orange for a negative one, grey for 0."""
    if value > 0:
        return POSITIVE
    if value < 0:
        return NEGATIVE
    return _ZERO


def connection_width(value: float, largest: float) -> float:
    """The pen width of a connection carrying ``value``: in proportion to ``largest``."""
    thin, thick = _WIDTHS
    if not math.isfinite(value):
        return thick
    return round(thin + (thick - thin) * (abs(value) / largest if largest else 0.0), 3)


def _place_label(lines: Sequence, index: int, width: float, placed: list, where: dict, nodes: list[Node],
                 columns: dict[float, float]):
    """Where along connection ``index`` its text fits: no other text, unit, connection or
    column box edge inside its box (``columns``: each column's centre and half width).
    Returns the fraction along the line and the box, or (0.5, None)."""
    (tx, ty), (hx, hy) = lines[index]
    radius = max(n.size[0] for n in nodes) / 2 + 2.0
    best = None
    for at in _PLACES:
        cx, cy = tx + at * (hx - tx), ty + at * (hy - ty)
        box = (cx - width / 2, cy - _LABEL_HEIGHT / 2, cx + width / 2, cy + _LABEL_HEIGHT / 2)
        if any(_boxes_meet(box, other) for other in placed) or any(_box_near_point(box, p, radius) for p in where.values()):
            continue
        if any(box[0] < x + half and x - half < box[2] for x, half in columns.items()):
            continue  # on a column box's edge
        clearance = min((_segment_to_box(a, b, box) for k, (a, b) in enumerate(lines) if k != index), default=math.inf)
        if clearance >= _CLEAR:
            return at, box  # the first place, nearest the middle, with room around it
        if clearance > 1.0 and (best is None or clearance > best[0]):
            best = (clearance, at, box)
    return (best[1], best[2]) if best else (0.5, None)


def _boxes_meet(a, b, pad: float = 2.0) -> bool:
    return a[0] - pad < b[2] and b[0] - pad < a[2] and a[1] - pad < b[3] and b[1] - pad < a[3]


def _box_near_point(box, point, radius: float) -> bool:
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return math.hypot(dx, dy) < radius


def _segment_to_box(a, b, box) -> float:
    """Distance from the segment a-b to the box (0 when it enters it), by sampling."""
    best = math.inf
    for k in range(33):
        t = k / 32
        x, y = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
        dx = max(box[0] - x, 0.0, x - box[2])
        dy = max(box[1] - y, 0.0, y - box[3])
        best = min(best, math.hypot(dx, dy))
    return best
