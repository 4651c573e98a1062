"""Drawings of the derivative graph: the seeds' influence diagram.

Every node shows its name, op, data and grad; every edge points the way data flows and
carries the local derivative ``d child / d parent`` recorded in the forward pass, so
``d root / d x`` can be read off the picture as the sum, over the paths from ``x``, of the
products of the edge labels. ``draw_step`` shows a pass paused after a step.

``picture`` decides what is shown (an ``autograd.picture.Picture``); ``autograd.render``
draws it. Numbers are written by ``autograd.text.format_number`` everywhere.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .backprop import _require_value, topological_order
from .formulas import edge_formula
from .forward import forward_tangents
from .paths import Path
from .picture import Edge, Group, Node, Picture
from .render import Diagram, GraphvizNotFoundError, legend_text, render
from .steps import BackwardState, ForwardStep, Step, backward_steps_apart, check_leaves, forward_steps
from .text import check_precision, constants, format_number, node_name
from .value import Parameter, Value

__all__ = ["Diagram", "GraphvizNotFoundError", "draw", "draw_dot", "draw_step", "picture"]

RANKDIRS = ("LR", "RL", "TB", "BT")
MAX_NODES = 500  # dot takes long to lay out more, and nobody reads them
EDGE_LABELS = ("value", "formula", "both")
EDGE_WIDTHS = (None, "flow")
_LAYER = re.compile(r"^(L\d+)\.")
_UNIT = re.compile(r"^(L\d+)\.(n\d+)\.(\w+)$")
_FLOW_WIDTHS = (0.6, 6.0)  # pen widths of the weakest and the strongest flow drawn
_FLOW_DECADES = 8.0  # flows more than this many powers of ten below the strongest draw thinnest
# Which way an arrow on the page points, for each rankdir: along an edge (tail to head), and against it.
_TOWARDS_HEAD = {"LR": "→", "RL": "←", "TB": "↓", "BT": "↑"}
_TOWARDS_TAIL = {"LR": "←", "RL": "→", "TB": "↑", "BT": "↓"}


@dataclass(frozen=True)
class _Options:
    rankdir: str
    show_grad: bool
    edge_labels: str | None
    edge_width: str | None
    group: bool | None
    show_constants: bool
    legend: bool
    precision: int


def draw(root: Value, **options) -> Diagram:
    """Draw the graph ``root`` was computed from, as an influence diagram.

    * Nodes show name, op, ``data`` and ``grad`` with ``precision`` significant digits
      (1 to 17). Fill colour by role: blue for inputs, amber for ``Parameter``\\ s, grey for
      computed nodes, green for the output ``root``. A key under the picture says so
      (``legend=False`` leaves it out).
    * Each edge points from an input to the node computed from it, through its label:
      ``edge_labels="value"`` (the local derivative ``d child / d parent``), ``"formula"``
      (the same as the notes write it: ``1 - a²`` for tanh, the other factor for ``*``),
      ``"both"``, or ``False`` (no labels). The labels in front of a node come in the order of
      its ``.parents``. ``a*a`` has two edges.
    * ``edge_width="flow"``: each edge's width grows with what backprop sends along it,
      ``|local derivative x child's grad|`` on a log scale; edges that send exactly 0 are
      dotted, so dead and vanishing paths show at a glance.
    * Unlabelled number leaves (the 2 in ``2 * x``) are written inside the node they feed
      (``2 * ·``) unless ``show_constants=True``; only the picture changes.
    * ``group``: box each layer of a network (nodes labelled ``L0.…``, as ``nn`` names them),
      captioned ``L0: 4 tanh units``. ``None`` groups when such labels are there.
    * ``highlight``: Values (drawn in red, with the edges from their parents) and ``Path``\\ s
      from ``autograd.paths`` (their nodes and exactly their edges).
    * ``step``: a ``Step`` from ``backward_steps`` or ``forward_steps``: draw the pass as it
      stands after that step (see ``draw_step``).
    * ``tangents``: forward mode, e.g. ``{x: 1.0}``: each node shows its tangent
      ``d node / dx`` (instead of its grad) and each edge ``× local derivative → what it
      sends``, the local derivative times its input's tangent (``autograd.forward_tangents``).
    * Every node and edge has a tooltip with the full-precision numbers (hover in SVG).
    * A graph with more than ``max_nodes`` nodes is refused with ``ValueError`` before any
      work (``dot`` can take very long on it); pass a larger ``max_nodes`` to draw it anyway.

    The same graph always gives the same DOT source. Returns a ``graphviz.Digraph``, which
    Jupyter shows inline; rendering needs Graphviz's ``dot`` program.
    """
    return render(picture(root, **options))


draw_dot = draw  # the name micrograd's lecture uses


def draw_step(root: Value, k: int, *, direction: str = "backward", leaves: bool = False, **options) -> Diagram:
    """Draw ``root``'s graph as a pass stands after step ``k``.

    ``direction="backward"``: step 0 is the forward pass done with the root seeded, step k
    the k-th node to send its gradient (``backward_steps(root, leaves)``). The pass is
    computed apart from the graph, from the grads its leaves hold now, and changes no
    grad. Complete grads are solid, grads still being summed dashed with how many of
    their contributions have arrived; the step's node is red and its edges say what they
    sent, with an arrow back towards the input (``-0.14 ← × 0.5``). ``direction="forward"``:
    step k has the first k op nodes computed (``forward_steps``) and the rest greyed out. The
    step's text is the caption. ``options`` go to ``draw``.
    """
    if direction not in ("backward", "forward"):
        raise ValueError(f"direction must be 'backward' or 'forward', got {direction!r}")
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    check_leaves(leaves)
    refuse_large(root, options.get("max_nodes", MAX_NODES))
    order = topological_order(root)
    total = sum(1 for node in order if node.parents or (leaves and direction == "backward"))
    if not 0 <= k <= total:
        raise ValueError(f"k must be a step number from 0 to {total}, got {k}")
    if direction == "forward":
        for step in forward_steps(root):
            if step.number == k:
                return draw(root, step=step, **options)
    for step in backward_steps_apart(root, order, leaves):
        if step.number == k:
            return draw(root, step=step, **options)
    raise AssertionError("unreachable: k was checked against the number of steps")


def picture(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    edge_labels: str | bool = "value",
    edge_width: str | None = None,
    highlight: Iterable = (),
    group: bool | None = None,
    show_constants: bool = False,
    legend: bool = True,
    max_nodes: int = MAX_NODES,
    precision: int = 4,
    step: Step | ForwardStep | None = None,
    tangents: Mapping | None = None,
) -> Picture:
    """What ``draw`` shows, as a ``Picture`` (same arguments), before anything is rendered."""
    options = _check_options(rankdir, show_grad, edge_labels, edge_width, group, show_constants, legend, precision)
    refuse_large(root, max_nodes)
    order = topological_order(root)
    state = _check_step(step, root)
    lit_nodes, lit_edges = _highlighted(highlight)
    if tangents is not None and isinstance(step, Step):
        raise ValueError("tangents go with forward steps (forward_steps(root, tangents)), not a backward step")
    if isinstance(step, ForwardStep) and step._tangents is not None:
        tangents = step._tangents
    elif tangents is not None:
        tangents = forward_tangents(root, tangents)
    return _Builder(root, order, options, state, step, lit_nodes, lit_edges, tangents).picture()


# draw takes exactly picture's options; say so to help() and editors.
draw.__signature__ = inspect.signature(picture).replace(return_annotation=Diagram)


class _Builder:
    """Builds one Picture; a class only so the many inputs are not passed to every helper."""

    def __init__(self, root, order, options: _Options, state, step, lit_nodes, lit_edges, tangents):
        self.root, self.options, self.state, self.step = root, options, state, step
        self.tangents = tangents  # every node's tangent (forward mode), or None
        self.lit_nodes, self.lit_edges = lit_nodes, lit_edges
        self.folded = set() if options.show_constants else constants(order, root)
        self.drawn = [node for node in order if node not in self.folded]
        self.keys = {node: f"n{i}" for i, node in enumerate(self.drawn)}
        self.layer = _layers(self.drawn) if options.group is not False else {}
        self.forward = isinstance(step, ForwardStep)
        self.sent = {c.slot: c for c in step.contributions} if isinstance(step, Step) else {}

    def num(self, x: float) -> str:
        return format_number(x, self.options.precision)

    def picture(self) -> Picture:
        nodes = tuple(self.node(node) for node in self.drawn)
        edges = tuple(self.edges())
        groups = _captions(self.drawn, self.layer)
        caption = self.step.describe(self.options.precision) if self.step is not None else ""
        legend = self.legend(nodes, edges) if self.options.legend else ()
        return Picture(nodes, edges, groups, caption, legend, self.options.rankdir)

    # -- nodes ---------------------------------------------------------------------------
    def node(self, node: Value) -> Node:
        lines, faint = [self.title(node)], set()
        pending = self.forward and not self.step.computed(node)
        if pending:
            faint.add(len(lines))
            lines.append("not computed yet")
        elif node.parents or node.label:  # an unlabelled leaf's title is its number already
            lines.append(f"data {self.num(node.data)}")
        if self.tangents is not None and not pending:
            lines.append(f"tangent {self.num(self.tangents.get(node, 0.0))}")
        emphasis = set()
        if self.options.show_grad and not self.forward and self.tangents is None:
            grad_lines, incomplete = self.grad_lines(node)
            if incomplete:
                emphasis.add("incomplete")
                faint.update(range(len(lines), len(lines) + len(grad_lines)))
            lines.extend(grad_lines)
        if pending:
            emphasis.add("pending")
        if node in self.lit_nodes or (self.step is not None and node is self.step.node):
            emphasis.add("current")
        return Node(self.keys[node], tuple(lines), _role(node, self.root), frozenset(emphasis),
                    self.tooltip(node), self.layer.get(node), faint=frozenset(faint))

    def title(self, node: Value) -> str:
        name = node.label
        if name and node in self.layer:
            name = name[len(self.layer[node]) + 1:]  # the box says which layer
        if not node.parents:
            return name or self.num(node.data)
        expression = _expression(node, self.folded, self.num)
        return f"{name} = {expression}" if name else expression

    def grad_lines(self, node: Value) -> tuple[list[str], bool]:
        """The node's gradient as text, and whether it is still being summed."""
        state = self.state
        if state is None:
            return [f"grad {self.num(node.grad)}"], False
        this_pass = state.grads.get(node, 0.0)
        if not state.complete(node):
            got, n = state.received.get(node, 0), state.expected.get(node, 0)
            return [f"grad {self.num(this_pass)} so far", f"{got} of {n} received"], True
        held = state.held.get(node, 0.0)
        if held != 0.0 and node is not self.root:
            return [f"grad {self.num(this_pass)} this pass", f"+ {self.num(held)} held = {self.num(this_pass + held)}"], False
        return [f"grad {self.num(this_pass)}"], False

    def tooltip(self, node: Value) -> str:
        lines = [node.label or node_name(node), f"op: {node.op or 'leaf'}", f"data = {node.data!r}"]
        if self.tangents is not None:
            lines.append(f"tangent = {self.tangents.get(node, 0.0)!r}")
        elif self.state is not None:
            lines.append(f"grad this pass so far = {self.state.grads.get(node, 0.0)!r}")
        elif not self.forward:
            lines.append(f"grad = {node.grad!r}")
        folded = [p for p in node.parents if p in self.folded]
        lines.extend(f"constant input {p.data!r}" for p in folded)
        return "\n".join(lines)

    # -- edges ---------------------------------------------------------------------------
    def edges(self) -> Iterable[Edge]:
        flows = self.flows() if self.options.edge_width == "flow" else {}
        widths = _flow_widths(flows)
        for child in self.drawn:
            has_parameter = any(isinstance(p, Parameter) for p in child.parents)
            for slot, (parent, local) in enumerate(zip(child.parents, child.local_grads)):
                if parent in self.folded:
                    continue
                emphasis = set()
                label = self.edge_label(child, slot, local)
                if (child, slot) in self.lit_edges:
                    emphasis.add("highlight")
                if self.forward and not self.step.computed(child):
                    emphasis.add("pending")
                    label = ""
                elif self.tangents is not None:
                    label = self.sending(self.num(local), self.num(local * self.tangents.get(parent, 0.0)))
                    if child is getattr(self.step, "node", None):
                        emphasis.add("current")
                elif child is getattr(self.step, "node", None):
                    emphasis.add("current")
                    if slot in self.sent:
                        label = self.sending(self.num(local), self.num(self.sent[slot].amount), backward=True)
                if flows and flows[(child, slot)] == 0.0:
                    emphasis.add("dead")
                # A network's parameters get a column of their own, beside their neuron.
                span = 2 if self.layer and has_parameter and not isinstance(parent, Parameter) else 1
                yield Edge(self.keys[parent], self.keys[child], label, self.edge_tooltip(child, slot, local),
                           frozenset(emphasis), widths.get((child, slot)), span=span)

    def sending(self, local: str, amount: str, backward: bool = False) -> str:
        """What an edge sends, with an arrow the way it travels on the page: along the edge
        forwards (``× 0.5 → -0.14``, left to right), against it backwards (``-0.14 ← × 0.5``:
        the child's grad times 0.5 goes back to the parent). The amount sits on the side it
        travels to. Top to bottom, where labels sit side by side, on two lines, so they stay
        narrow."""
        arrow = (_TOWARDS_TAIL if backward else _TOWARDS_HEAD)[self.options.rankdir]
        gap = "\n" if self.options.rankdir in ("TB", "BT") else " "
        if arrow in "→↓":
            return f"× {local}{gap}{arrow} {amount}"
        if gap == " ":
            return f"{amount} {arrow} × {local}"
        return f"{arrow} {amount}{gap}× {local}"

    def edge_label(self, child: Value, slot: int, local: float) -> str:
        mode = self.options.edge_labels
        if mode is None:
            return ""
        value = self.num(local)
        if mode == "value":
            return value
        formula = edge_formula(child, slot, self.name)
        if formula is None or formula == value:
            return value
        return formula if mode == "formula" else f"{formula} = {value}"

    def name(self, node: Value) -> str:
        if node in self.folded or (not node.parents and not node.label):
            return self.num(node.data)
        return node_name(node)

    def edge_tooltip(self, child: Value, slot: int, local: float) -> str:
        parent = child.parents[slot]
        text = f"d {node_name(child)} / d {node_name(parent)} = {local!r}"
        formula = edge_formula(child, slot, self.name)
        if formula:
            text += f" ({formula})"
        if slot in self.sent and child is self.step.node:
            text += f"\nsends {local!r} × {self.step.grad!r} = {self.sent[slot].amount!r}"
        return text

    def flows(self) -> dict[tuple[Value, int], float]:
        """What each edge sends: |local derivative x the child's grad| backwards, or
        |local derivative x the parent's tangent| in forward mode."""
        grads = self.state.grads if self.state is not None else None

        def carried(child: Value, slot: int) -> float:
            if self.tangents is not None:
                return self.tangents.get(child.parents[slot], 0.0)
            return grads.get(child, 0.0) if grads is not None else child.grad

        return {
            (child, slot): abs(local * carried(child, slot))
            for child in self.drawn
            for slot, local in enumerate(child.local_grads)
            if child.parents[slot] not in self.folded
        }

    # -- the key -------------------------------------------------------------------------
    def legend(self, nodes: tuple[Node, ...], edges: tuple[Edge, ...]) -> tuple[tuple[str, str], ...]:
        roles = {n.role for n in nodes}
        words = {"input": "input", "parameter": "parameter", "intermediate": "computed", "output": "output"}
        entries = [(role, words[role]) for role in ("input", "parameter", "intermediate", "output") if role in roles]
        shown = set().union(*(n.emphasis for n in nodes), *(e.emphasis for e in edges))
        for kind in ("current", "incomplete", "pending"):
            if kind in shown or (kind == "current" and "highlight" in shown):
                entries.append((kind, legend_text(kind)))
        entries.append(("edge", self.edge_key(shown)))
        return tuple(entries)

    def edge_key(self, shown: set[str]) -> str:
        if self.tangents is not None:
            sends = self.sending("local derivative", "what forward mode sends").replace("\n", " ")
            return f"edge label = {sends} (it times the input's tangent)"
        if self.forward:
            return "edge label = local derivative d child / d parent, recorded as the child is computed"
        parts = []
        if self.options.edge_labels is not None:
            parts.append("edge label = d child / d parent" + (" (formula)" if self.options.edge_labels != "value" else ""))
        if self.sent:
            sends = self.sending("local derivative", "what it sends back", backward=True).replace("\n", " ")
            parts.append(f"red: {sends}")
        if self.options.edge_width == "flow":
            parts.append("width = |what backprop sends| (log scale), dotted = 0")
        return "; ".join(parts) or "edges point the way data flows"


# -- helpers -----------------------------------------------------------------------------
def _check_options(rankdir, show_grad, edge_labels, edge_width, group, show_constants, legend,
                   precision) -> _Options:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    for name, flag in (("show_grad", show_grad), ("show_constants", show_constants), ("legend", legend)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    if group is not None and not isinstance(group, bool):
        raise TypeError(f"group must be a bool or None, got {type(group).__name__}")
    if not isinstance(edge_labels, (str, bool)):
        raise TypeError(f"edge_labels must be a str or a bool, got {type(edge_labels).__name__}")
    if edge_labels is True:
        edge_labels = "value"
    elif edge_labels is False:
        edge_labels = None
    elif edge_labels not in EDGE_LABELS:
        raise ValueError(f"edge_labels must be one of {', '.join(map(repr, EDGE_LABELS))} or False, got {edge_labels!r}")
    if edge_width not in EDGE_WIDTHS:
        raise ValueError(f"edge_width must be None or 'flow', got {edge_width!r}")
    return _Options(rankdir, show_grad, edge_labels, edge_width, group, show_constants, legend,
                    check_precision(precision))


def refuse_large(root: Value, max_nodes) -> None:
    """Refuse a graph of more than ``max_nodes`` nodes, counting no further than ten times
    that: a huge graph is refused for less work than a graph that is drawn."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f"max_nodes must be an int, got {type(max_nodes).__name__}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    n = count_nodes(root, 10 * max_nodes)
    if n > max_nodes:
        size, larger = (n, n) if n <= 10 * max_nodes else (f"more than {10 * max_nodes}", "len(topological_order(root))")
        raise ValueError(
            f"the graph has {size} nodes, more than max_nodes={max_nodes}, and dot may take very long to "
            f"lay it out. Draw it anyway with draw(root, max_nodes={larger}), or draw a smaller part of it "
            f"(e.g. one neuron's output)"
        )


def count_nodes(root: Value, at_most: int) -> int:
    """How many nodes ``root``'s graph has, or ``at_most + 1`` if it has more: the walk
    stops there."""
    _require_value(root, "root")
    seen, stack = {root}, [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                if len(seen) > at_most:
                    return len(seen)
                seen.add(parent)
                stack.append(parent)
    return len(seen)


def _check_step(step, root: Value) -> BackwardState | None:
    if step is None or isinstance(step, ForwardStep):
        if isinstance(step, ForwardStep) and step.node is not None and step.node not in topological_order(root):
            raise ValueError("step belongs to another graph: its node is not in root's graph")
        return None
    if not isinstance(step, Step):
        raise TypeError(f"step must be a Step from backward_steps or forward_steps, got {type(step).__name__}")
    state = step.state()
    if state.root is not root:
        raise ValueError("step belongs to a backward pass from another root")
    return state


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


def _expression(node: Value, folded: set[Value], num) -> str:
    """The node's op with its folded constants in place: ``2 * ·``, ``1 - ·``, ``exp(2)``."""
    args = [num(p.data) if p in folded else "·" for p in node.parents]
    op = node.op
    if all(a == "·" for a in args):
        return op
    if len(args) == 2 and op in ("+", "-", "*", "/", "**"):
        return f"{args[0]} {op} {args[1]}"
    if op.startswith("**"):
        return f"({args[0]}){op}"
    return f"{op}({', '.join(args)})"


def _layers(drawn: list[Value]) -> dict[Value, str]:
    """Each node labelled ``L<k>.…`` (as ``nn`` labels a network's nodes) and its layer."""
    return {node: m.group(1) for node in drawn if (m := _LAYER.match(node.label))}


def _captions(drawn: list[Value], layer: Mapping[Value, str]) -> tuple[Group, ...]:
    """``L0: 4 tanh units`` for each layer, from the labels of its neurons' nodes."""
    units: dict[str, set[str]] = {}
    activations: dict[str, set[str]] = {}
    for node in drawn:
        m = _UNIT.match(node.label)
        if m and node in layer:
            units.setdefault(m.group(1), set()).add(m.group(2))
            if m.group(3) == "a" and node.op:
                activations.setdefault(m.group(1), set()).add(node.op)
    groups = []
    for key in dict.fromkeys(layer.values()):
        n = len(units.get(key, ()))
        acts = activations.get(key, set())
        kind = next(iter(acts)) if len(acts) == 1 else ("linear" if not acts else "mixed")
        groups.append(Group(key, f"{key}: {n} {kind} unit{'' if n == 1 else 's'}" if n else key))
    return tuple(sorted(groups, key=lambda g: int(g.key[1:])))


def _flow_widths(flows: Mapping) -> dict:
    """Pen widths from flows on a log scale: the strongest flow thickest, zero thinnest."""
    logs = [math.log10(f) for f in flows.values() if 0.0 < f < math.inf]
    if not flows:
        return {}
    hi = max(logs, default=0.0)
    lo = max(min(logs, default=hi), hi - _FLOW_DECADES)
    thin, thick = _FLOW_WIDTHS
    widths = {}
    for key, f in flows.items():
        if f == 0.0:
            widths[key] = thin
        elif not f < math.inf:  # inf or nan: as strong as can be drawn
            widths[key] = thick
        elif hi == lo:
            widths[key] = (thin + thick) / 2
        else:
            widths[key] = round(thin + (thick - thin) * max(0.0, math.log10(f) - lo) / (hi - lo), 6)
    return widths
