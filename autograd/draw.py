"""Graphviz drawings of the derivative graph: the seeds' influence diagram.

Every node shows its label, op, data and grad; every edge points the way data flows and
carries the local derivative ``d child / d parent`` recorded in the forward pass, so
``d root / d x`` can be read off the picture as the sum, over the paths from ``x``, of the
products of the edge labels. ``draw_step`` and ``step_slider`` show a backward pass node by
node.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable
from contextlib import contextmanager

import graphviz

from .backprop import topological_order
from .paths import Path
from .steps import _pending_grads, backward_steps
from .value import Parameter, Value

_FONT = "Helvetica"
_FILL = {  # by role: light fills so the black text stays readable
    "input": "#dbeafe",
    "parameter": "#fde68a",
    "intermediate": "#f3f4f6",
    "output": "#bbf7d0",
}
_BORDER = "#4b5563"
_EDGE = "#6b7280"
_HIGHLIGHT = "#dc2626"
_PARTIAL = "#6b7280"
_RANKDIRS = ("LR", "RL", "TB", "BT")

_INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is not on PATH, and it is what turns the graph into a picture "
    "(building the graph worked: its DOT text is in `.source`). The pip package `graphviz` "
    "alone is not enough. Install Graphviz, then restart Python: "
    "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
    "macOS `brew install graphviz`, Windows `winget install graphviz`, "
    "conda `conda install -c conda-forge graphviz`, others https://graphviz.org/download/"
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program and it is not installed."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, _INSTALL_GRAPHVIZ)


@contextmanager
def _dot_required():
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound as missing:
        raise GraphvizNotFoundError() from missing


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering says how to install Graphviz when it is missing.

    Jupyter shows it inline; ``render(outfile="graph.svg")`` writes a file.
    """

    nodes_drawn = 0

    def __repr__(self) -> str:
        # Stable text (no memory address), so stored notebook outputs do not change per run.
        return f"<autograd.draw.Diagram of {self.nodes_drawn} nodes>"

    def pipe(self, *args, **kwargs):
        with _dot_required():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with _dot_required():
            return super().render(*args, **kwargs)


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    edge_labels: bool = True,
    highlight: Iterable = (),
    max_nodes: int = 500,
    precision: int = 4,
) -> graphviz.Digraph:
    """Draw the graph ``root`` was computed from, as an influence diagram.

    * Nodes show label, op, ``data`` and ``grad`` with ``precision`` decimals. Fill colour by
      role: blue for inputs (leaves, constants included), amber for ``Parameter``\\ s, grey for
      intermediates, green for the output ``root``.
    * Edges point from each input to the node computed from it and are labelled with the
      local derivative ``d child / d parent``; ``a*a`` has two edges.
    * ``highlight``: Values (drawn in red, with the edges from their parents, i.e. the
      contributions they send backwards) and ``Path``\\ s from ``autograd.paths`` (their
      nodes and exactly their edges). Items outside the graph are ignored.
    * While a ``backward_steps`` pass is paused, grads it has not finished are drawn dashed
      and marked "so far".
    * A graph with more than ``max_nodes`` nodes is refused with ``ValueError`` (``dot`` can
      take very long on it); pass a larger ``max_nodes`` to draw it anyway.

    The same graph always gives the same DOT source. Returns a ``graphviz.Digraph``, which
    Jupyter shows inline; rendering needs Graphviz's ``dot`` program.
    """
    _check_options(rankdir, show_grad, edge_labels, max_nodes, precision)
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"the graph has {len(order)} nodes, more than max_nodes={max_nodes}, and dot may "
            f"take very long to lay it out. Draw it anyway with draw(root, max_nodes={len(order)}), "
            f"or draw a smaller part of it (e.g. one neuron's output)"
        )
    lit_nodes, lit_edges = _highlighted(highlight)
    partial = _pending_grads()
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    g = Diagram(
        graph_attr={"rankdir": rankdir, "nodesep": "0.3", "ranksep": "0.5", "bgcolor": "white"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": _FONT, "fontsize": "11",
                   "color": _BORDER, "margin": "0.12,0.05"},
        edge_attr={"fontname": _FONT, "fontsize": "10", "color": _EDGE, "fontcolor": "#374151",
                   "arrowsize": "0.7"},
    )
    for node in order:
        role = _role(node, root)
        attrs = {"fillcolor": _FILL[role], "tooltip": role}
        if role == "output":
            attrs["penwidth"] = "2"
        if show_grad and node in partial:
            attrs["style"] = "rounded,filled,dashed"
        if node in lit_nodes:
            attrs.update(color=_HIGHLIGHT, penwidth="3")
        label = _node_label(node, show_grad, node in partial, precision)
        g.node(ids[node], label=label, **attrs)
    g.nodes_drawn = len(order)
    for child in order:
        for slot, (parent, local) in enumerate(zip(child.parents, child.local_grads)):
            attrs = {"label": _number(local, precision)} if edge_labels else {}
            if (child, slot) in lit_edges:
                attrs.update(color=_HIGHLIGHT, fontcolor=_HIGHLIGHT, penwidth="2.5")
            g.edge(ids[parent], ids[child], **attrs)
    return g


def draw_step(root: Value, k: int, **options) -> graphviz.Digraph:
    """Draw ``root``'s graph as it is after ``k`` steps of a backward pass (``k`` = 1..n).

    Step 1 is the root, step n the last node. The pass starts afresh (every grad from 0, as
    after ``zero_grad``), so the picture after step n shows ``d root / d node`` everywhere.
    The step's node and the edges it just sent gradient back through are highlighted,
    unfinished grads are dashed, and the step is described under the picture. ``options``
    go to ``draw``. The grads in the graph are left exactly as they were.
    """
    order = topological_order(root)
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if not 1 <= k <= len(order):
        raise ValueError(f"k must be a step number from 1 to {len(order)}, got {k}")
    grads_before = [(node, node.grad) for node in order]
    steps = backward_steps(root)
    try:
        for node in order:
            node.grad = 0.0
        for step in steps:
            if step.number == k:
                g = draw(root, highlight=[step.node], **options)
                g.attr(label=f"<{_html_lines(str(step), align='LEFT')}>", labelloc="b", labeljust="l",
                       fontname=_FONT, fontsize="11")
                return g
    finally:
        steps.close()
        for node, grad in grads_before:
            node.grad = grad


def step_slider(root: Value, **options):
    """A notebook slider over the steps of ``root``'s backward pass (``draw_step`` at each).

    Needs ``ipywidgets``; without it, every step is displayed one below the other instead
    (and a warning says how to get the slider). ``options`` go to ``draw``.
    """
    total = len(topological_order(root))
    try:
        import ipywidgets
    except ImportError:
        from IPython.display import display

        warnings.warn(
            "step_slider needs ipywidgets (pip install ipywidgets); showing every step instead",
            stacklevel=2,
        )
        for k in range(1, total + 1):
            display(draw_step(root, k, **options))
        return None
    slider = ipywidgets.IntSlider(value=1, min=1, max=total, description="step")
    return ipywidgets.interactive(lambda step: draw_step(root, step, **options), step=slider)


def _check_options(rankdir, show_grad, edge_labels, max_nodes, precision) -> None:
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    for name, flag in (("show_grad", show_grad), ("edge_labels", edge_labels)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    for name, n, low in (("max_nodes", max_nodes, 1), ("precision", precision, 0)):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"{name} must be an int, got {type(n).__name__}")
        if n < low:
            raise ValueError(f"{name} must be at least {low}, got {n}")


def _highlighted(highlight) -> tuple[set[Value], set[tuple[Value, int]]]:
    """Nodes and edges (child, index into child.parents) to draw in red."""
    if isinstance(highlight, (Value, Path)):
        highlight = (highlight,)
    elif not isinstance(highlight, Iterable) or isinstance(highlight, str):
        raise TypeError(f"highlight must be an iterable of Values or Paths, got {type(highlight).__name__}")
    nodes: set[Value] = set()
    edges: set[tuple[Value, int]] = set()
    for item in highlight:
        if isinstance(item, Value):
            nodes.add(item)
            edges.update((item, slot) for slot in range(len(item.parents)))
        elif isinstance(item, Path):
            nodes.update(item.nodes)
            edges.update(zip(item.nodes[1:], item.edge_indices))
        else:
            raise TypeError(f"highlight items must be Values or Paths, got {type(item).__name__}")
    return nodes, edges


def _role(node: Value, root: Value) -> str:
    if node is root:
        return "output"
    if isinstance(node, Parameter):
        return "parameter"
    return "intermediate" if node.parents else "input"


def _node_label(node: Value, show_grad: bool, partial: bool, precision: int) -> str:
    lines = []
    if node.label:
        op = f" = {html.escape(node.op)}" if node.op else ""
        lines.append(f"<B>{_html_lines(node.label)}</B>{op}")
    elif node.op:
        lines.append(f"<B>{html.escape(node.op)}</B>")
    lines.append(f"data {_number(node.data, precision)}")
    if show_grad:
        grad = f"grad {_number(node.grad, precision)}"
        lines.append(f'<FONT COLOR="{_PARTIAL}"><I>{grad} so far</I></FONT>' if partial else grad)
    return "<" + "<BR/>".join(lines) + ">"


def _number(x: float, precision: int) -> str:
    # Fixed-point, as micrograd draws; huge values in exponent form so labels stay short.
    return f"{x:.{precision}e}" if abs(x) >= 1e12 else f"{x:.{precision}f}"


def _html_lines(text: str, align: str = "CENTER") -> str:
    """Any text as the body of a Graphviz HTML label: escaped, one line per line.

    Characters that cannot be shown (lone surrogates, control characters) are written as
    their Python escapes, so every label is valid UTF-8 that ``dot`` accepts.
    """
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    shown = "".join(c if c.isprintable() or c == "\n" else c.encode("unicode_escape").decode("ascii") for c in text)
    br = "<BR/>" if align == "CENTER" else f'<BR ALIGN="{align}"/>'
    body = br.join(html.escape(line, quote=False) for line in shown.split("\n"))
    return body + br if align != "CENTER" else body
