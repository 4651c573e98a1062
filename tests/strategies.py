"""Hypothesis strategies for random expression graphs, shared by the tests.

An ``Expression`` is a straight-line program over a few leaves: each step applies one op of
``catalog.CASES`` to earlier nodes. Any earlier node can be an operand, and the same node
can be an operand twice (``a*a``, ``dot([a, b], [a, a])``), so subexpressions are shared.
The output is the sum of the sinks (nodes no step uses), so every node matters.

One program builds a Value graph (``expr(*leaves)``, a function ready for ``gradcheck``)
and the same function in sympy (``expr.sympy(symbols)``), an independent oracle.

Usage::

    @given(expressions())
    def test_something(expr):
        leaves = [Value(x) for x in expr.points]
        y = expr(*leaves)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy
from hypothesis import assume
from hypothesis import strategies as st

from autograd import Value, no_grad, ops
from catalog import CASES, OPS, OpCase

# Node values stay within +-BOUND, so no step overflows and finite differences keep their
# accuracy; a step that would leave it is not taken.
BOUND = 1e3


@dataclass(frozen=True)
class Expression:
    """A random DAG: leaf values and steps ``(op case name, operand node indices)``.

    Nodes are numbered leaves first, then one per step in order.
    """

    points: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def __call__(self, *leaves):
        """The output Value of this program run on ``leaves`` (one Value per leaf)."""
        sinks = self._sinks(leaves, symbolic=False)
        return sinks[0] if len(sinks) == 1 else ops.sum(sinks)

    def sympy(self, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
        """The same function as a sympy expression of ``symbols`` (one per leaf)."""
        return sympy.Add(*self._sinks(symbols, symbolic=True))

    @property
    def op_names(self) -> set[str]:
        return {name for name, _ in self.steps}

    def __str__(self) -> str:
        lines = [f"v{i} = {x!r}" for i, x in enumerate(self.points)]
        n = len(self.points)
        for k, (name, operands) in enumerate(self.steps):
            lines.append(f"v{n + k} = {name}({', '.join(f'v{i}' for i in operands)})")
        return "\n".join(lines)

    def _sinks(self, leaves: Sequence, symbolic: bool) -> list:
        """Run the program on ``leaves``; the nodes no step uses."""
        if len(leaves) != len(self.points):
            raise ValueError(f"expected {len(self.points)} leaves, got {len(leaves)}")
        nodes = list(leaves)
        used = set()
        for name, operands in self.steps:
            case = OPS[name]
            build = case.symbolic if symbolic else case.build
            nodes.append(build(*(nodes[i] for i in operands)))
            used.update(operands)
        return [node for i, node in enumerate(nodes) if i not in used]


def _draw_operands(draw, case: OpCase, count: int, values: list[float], pool: Sequence[int]):
    chosen: list[int] = []
    for _ in range(count):
        prefix = tuple(values[i] for i in chosen)
        allowed = [i for i in pool if case.accepts(prefix, values[i])]
        if not allowed:
            return None
        chosen.append(draw(st.sampled_from(allowed)))
    return tuple(chosen)


@st.composite
def leaf_points(draw, min_leaves: int = 2, max_leaves: int = 3) -> tuple[float, ...]:
    """Distinct leaf values with magnitudes in [0.25, 2] (multiples of 1/64, exact in
    binary), the first one positive, so every op has an operand inside its domain."""
    n = draw(st.integers(min_leaves, max_leaves))
    steps = draw(st.lists(st.integers(16, 128), min_size=n, max_size=n, unique=True))
    signs = [1.0] + draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=n - 1, max_size=n - 1))
    return tuple(s * k / 64 for s, k in zip(signs, steps))


@st.composite
def expressions(draw, min_leaves: int = 2, max_leaves: int = 3, max_steps: int = 6,
                every_op: bool = False) -> Expression:
    """A random ``Expression``. With ``every_op`` its steps use every op of the catalog
    once, in a random order; otherwise 1 to ``max_steps`` ops drawn with repetition.

    Operands are drawn among the nodes an op accepts (domain, kinks, ties); if none fits,
    among the leaves, where every op finds operands."""
    points = draw(leaf_points(min_leaves, max_leaves))
    if every_op:
        names = draw(st.permutations([case.name for case in CASES]))
    else:
        names = draw(st.lists(st.sampled_from([case.name for case in CASES]), min_size=1, max_size=max_steps))
    with no_grad():
        nodes = [Value(x) for x in points]
        steps = []
        for name in names:
            case = OPS[name]
            count = case.operand_count(draw(st.integers(2, len(points))))
            values = [node.data for node in nodes]
            for pool in (range(len(nodes)), range(len(points))):
                operands = _draw_operands(draw, case, count, values, pool)
                if operands is None:
                    continue
                out = case.build(*(nodes[i] for i in operands))
                if abs(out.data) <= BOUND:
                    nodes.append(out)
                    steps.append((name, operands))
                    break
    assume(steps)
    return Expression(points, tuple(steps))
