"""The distributed chain rule made explicit: every path from a variable to the output.

``d root / d wrt`` is the sum, over every directed path from ``wrt`` to ``root``, of the
product of the local derivatives on the path's edges. Backpropagation computes the same
sum without listing the paths (their number can grow exponentially with depth); listing
them shows where a gradient comes from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .backprop import _require_value, contribution, grad, topological_order
from .text import DEFAULT_PRECISION, check_precision, format_number, node_name
from .value import Value


@dataclass(frozen=True)
class Path:
    """One directed path from ``nodes[0]`` (the variable) to ``nodes[-1]`` (the output).

    ``edges[k]`` is the local derivative ``d nodes[k+1] / d nodes[k]``, recorded on the edge
    ``nodes[k+1].parents[edge_indices[k]]`` (``a*a`` has two edges from ``a``, hence two
    paths through it). ``product`` is the product of ``edges``, taken from the output end
    as backpropagation multiplies.
    """

    nodes: tuple[Value, ...]
    edges: tuple[float, ...]
    edge_indices: tuple[int, ...]
    product: float

    def __repr__(self) -> str:
        factors = " * ".join(map(_num, self.edges)) or "1 (empty path)"
        return f"<Path {self.route()}: {factors} = {_num(self.product)}>"

    def route(self) -> str:
        """The nodes by name, e.g. ``w -> <*> -> z -(operand 2)-> L``.

        An edge is only named by its operand number where the parent is an operand of the
        child more than once (``z*z``), the one case where nodes alone are ambiguous.
        """
        parts = [node_name(self.nodes[0])]
        for parent, child, slot in zip(self.nodes, self.nodes[1:], self.edge_indices):
            twice = sum(p is parent for p in child.parents) > 1
            arrow = f" -(operand {slot + 1})-> " if twice else " -> "
            parts.append(arrow + node_name(child))
        return "".join(parts)


def count_paths(root: Value, wrt: Value) -> int:
    """How many directed paths lead from ``wrt`` to ``root``, counted without listing them."""
    _require_value(wrt, "wrt")
    return _path_counts(topological_order(root), wrt).get(root, 0)


def paths(root: Value, wrt: Value, *, max_paths: int = 10_000, max_edges: int = 1_000_000) -> list[Path]:
    """Every directed path from ``wrt`` to ``root``, with the product of its edge derivatives.

    The products sum to ``d root / d wrt`` (``wrt.grad`` after ``root.backward()``) up to
    float rounding. Paths and their edges are counted first, so a graph with more than
    ``max_paths`` paths, or more than ``max_edges`` edges in all its paths together (the
    work of listing them), is refused with ``ValueError`` before any is built; listing
    takes time proportional to that total. ``wrt`` outside the graph has no path;
    ``wrt is root`` has one, with no edges and product 1.
    """
    _require_value(wrt, "wrt")
    for name, limit in (("max_paths", max_paths), ("max_edges", max_edges)):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"{name} must be a positive int, got {limit!r}")
    order = topological_order(root)
    counts = _path_counts(order, wrt)
    n = counts.get(root, 0)
    if n > max_paths:
        raise ValueError(
            f"there are {n} paths from wrt to root, more than max_paths={max_paths}: their "
            f"number grows exponentially with depth. Pass max_paths={n} to list them anyway, "
            f"or use count_paths(root, wrt) and backpropagation, which sums them without listing."
        )
    edges = _total_edges(order, counts)
    if edges > max_edges:
        raise ValueError(
            f"the {n} paths from wrt to root have {edges} edges in all, more than "
            f"max_edges={max_edges}: listing them would take long. Pass max_edges={edges} to "
            f"list them anyway, or use count_paths(root, wrt) and backpropagation, which sums "
            f"them without listing."
        )
    return list(_walk(root, wrt, counts)) if n else []


def explain_paths(root: Value, wrt: Value, *, max_paths: int = 100, precision: int = DEFAULT_PRECISION) -> str:
    """The distributed chain rule for ``d root / d wrt`` written out with the numbers.

    One line per path (its nodes and the product of its edge derivatives), then their sum
    beside the gradient backpropagation computes, every number with ``precision``
    significant digits. No ``.grad`` is changed.
    """
    check_precision(precision)
    found = paths(root, wrt, max_paths=max_paths)

    def num(x: float) -> str:
        return format_number(x, precision)

    d = f"d{node_name(root)}/d{node_name(wrt)}"
    (by_backprop,) = grad(root, [wrt])
    if not found:
        return f"{d} = 0: {node_name(wrt)} has no path to {node_name(root)}."
    total = sum(p.product for p in found)
    lines = [f"{d} = sum over {_plural(len(found), 'path')} of the product of the local derivatives on its edges:"]
    for i, p in enumerate(found, 1):
        lines.append(f"  path {i}: {p.route()}")
        factors = " * ".join(map(num, p.edges)) or "1 (the output itself)"
        lines.append(f"          {factors} = {num(p.product)}")
    terms = " + ".join(num(p.product) for p in found) if len(found) <= 10 else f"the {len(found)} products"
    lines.append(f"{d} = {terms} = {num(total)}   (backpropagation: {num(by_backprop)})")
    return "\n".join(lines)


def _path_counts(order: list[Value], wrt: Value) -> dict[Value, int]:
    """Number of paths from ``wrt`` to each node of ``order`` that ``wrt`` reaches."""
    counts: dict[Value, int] = {}
    for node in order:  # parents come first, so their counts are complete
        if node is wrt:
            counts[node] = 1
            continue
        n = sum(counts.get(parent, 0) for parent in node.parents)
        if n:
            counts[node] = n
    return counts


def _total_edges(order: list[Value], counts: dict[Value, int]) -> int:
    """How many edges the paths from ``wrt`` to the last node of ``order`` have in all.

    The paths into a node are those into each parent, one edge longer: a parent with
    ``counts[p]`` paths of ``edges[p]`` edges in all gives ``edges[p] + counts[p]``.
    """
    edges: dict[Value, int] = {}
    for node in order:
        if node in counts:
            edges[node] = sum(edges[p] + counts[p] for p in node.parents if p in counts)
    return edges.get(order[-1], 0)


def _walk(root: Value, wrt: Value, counts: dict[Value, int]) -> Iterator[Path]:
    """Depth-first from ``root`` back to ``wrt``, entering only nodes ``wrt`` reaches.

    Iterative (a chain of any length is fine) and in the order of each node's parents, so
    the paths always come out in the same order. The walk keeps plain lists and allocates
    nothing per step, only per path found, so its time is proportional to the paths' total
    length (objects allocated per step would make Python's garbage collector sweep the
    growing result again and again).
    """
    if root is wrt:
        yield Path((root,), (), (), 1.0)
        return
    # For each node, the slots of the parents wrt reaches, found once.
    towards = {node: [slot for slot, p in enumerate(node.parents) if p in counts] for node in counts}
    stack = [root]  # the path so far, from root back towards wrt
    tried = [0]  # per node of stack: how many of its towards-slots have been entered
    slots: list[int] = []  # slots[k]: the edge from stack[k + 1] up to stack[k]
    factors: list[float] = []  # its local derivative
    while stack:
        node, k = stack[-1], tried[-1]
        options = towards[node]
        if k == len(options):
            stack.pop()
            tried.pop()
            if slots:
                slots.pop()
                factors.pop()
            continue
        tried[-1] = k + 1
        slot = options[k]
        parent, local = node.parents[slot], node.local_grads[slot]
        if parent is wrt:
            edges = (local, *reversed(factors))
            product = 1.0
            for e in reversed(edges):  # from the output end, as backpropagation multiplies
                product = contribution(e, product)
            yield Path((wrt, *reversed(stack)), edges, (slot, *reversed(slots)), product)
            continue
        stack.append(parent)
        tried.append(0)
        slots.append(slot)
        factors.append(local)


def _num(x: float) -> str:
    return format_number(x, DEFAULT_PRECISION)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
