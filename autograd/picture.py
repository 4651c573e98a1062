"""What a picture shows, decided before anything is drawn.

Every drawing in chainrule is first built as a ``Picture``: boxes (``Node``), arrows
(``Edge``) and layer boxes (``Group``), each with its text, its role and its emphasis, and
nothing about Graphviz. ``autograd.render`` turns a Picture into a Graphviz diagram, and so
the same description serves ``draw``, each frame of the player and its GIF, and
``nn.draw_network``. Code that computes (backprop, steps, paths, forward mode) never draws;
code that draws never computes derivatives.

Roles give the fill colour: ``"input"``, ``"parameter"``, ``"intermediate"``, ``"output"``.
Emphasis words change the stroke: ``"current"`` (red, the step's node), ``"highlight"``
(red), ``"incomplete"`` (dashed: a gradient still being summed), ``"pending"`` (grey: not
computed yet), and for edges also ``"dead"`` (nothing flows through it).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("input", "parameter", "intermediate", "output")
EMPHASES = frozenset({"current", "highlight", "incomplete", "pending", "dead"})
# What the key under a picture can explain: a role's colour or an emphasis's stroke, and the
# meaning of the numbers on the edges.
LEGEND_KINDS = frozenset(ROLES) | frozenset({"current", "incomplete", "pending", "edge"})


@dataclass(frozen=True)
class Node:
    """A box (or a circle) with lines of text; ``lines[0]`` is its title, drawn bold.

    ``faint`` holds the indices of lines drawn in grey italics (a partial sum, a value not
    computed yet). ``position`` (points) fixes the node where a picture has its own layout,
    and ``size`` (width, height in points) its size there. ``fill`` and ``color`` override the
    role's fill and the border's colour (``"transparent"`` draws none). ``image`` (PNG bytes)
    makes the node a picture of that size with its lines in small print under it.
    """

    key: str
    lines: tuple[str, ...]
    role: str = "intermediate"
    emphasis: frozenset[str] = frozenset()
    tooltip: str = ""
    group: str | None = None
    shape: str = "box"
    faint: frozenset[int] = frozenset()
    position: tuple[float, float] | None = None
    size: tuple[float, float] | None = None
    fill: str | None = None
    color: str | None = None
    image: bytes | None = None


@dataclass(frozen=True)
class Edge:
    """An arrow from ``tail`` to ``head`` with its text written on it.

    ``span`` is how many columns the arrow crosses before its text at least (2 gives the
    tail a column of its own). ``width`` is the pen width in points; ``color`` overrides the
    grey. ``label_at`` is where along a fixed-layout arrow its text sits (0 tail, 1 head).
    ``arrow=False`` draws a plain line (where the direction goes without saying).
    """

    tail: str
    head: str
    label: str = ""
    tooltip: str = ""
    emphasis: frozenset[str] = frozenset()
    width: float | None = None
    color: str | None = None
    span: int = 1
    label_at: float = 0.5
    arrow: bool = True


@dataclass(frozen=True)
class Group:
    """A box around the nodes whose ``group`` is ``key``, captioned (``L0: 4 tanh units``)."""

    key: str
    caption: str


@dataclass(frozen=True)
class Picture:
    """Everything a drawing shows. ``caption`` is text under the picture (several lines
    allowed); ``legend`` lists ``(kind, text)`` entries of the key drawn beneath it."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    groups: tuple[Group, ...] = ()
    caption: str = ""
    legend: tuple[tuple[str, str], ...] = ()
    rankdir: str = "LR"

    @property
    def fixed_layout(self) -> bool:
        """True when every node has a position of its own (the network view)."""
        return bool(self.nodes) and all(n.position is not None for n in self.nodes)
