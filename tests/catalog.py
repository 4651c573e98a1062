"""Every differentiable op of the engine beside its sympy twin, its domain and sample points.

The tests run each op on Values and compare with sympy's exact symbolic derivatives; the
random expression graphs of ``strategies`` draw their steps from the same table. A case
builds one op node from its operands (numbers on the left or right are part of the case:
``"1.5/x"``); ``accepts`` says whether an operand may come next after the ones already
chosen, keeping inputs inside the op's domain and away from its kinks and ties, where
finite differences and symbolic derivatives do not apply.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from autograd import Value, ops

# Distance kept from kinks (relu/abs at 0) and ties (max/min); well above what a central
# difference step of 1e-6 can move a node.
KINK = 1e-2


def exact(x: float) -> sympy.Rational:
    """The float's exact binary value as a sympy number (``Rational(0.1)`` is not 1/10)."""
    return sympy.Rational(x)


def evaluate(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], point: Sequence[float]) -> float:
    """``expr`` at ``point`` to 30 significant digits, rounded to the nearest float."""
    return float(expr.subs(dict(zip(symbols, map(exact, point)))).evalf(30))


def _anything(prefix: tuple, x: float) -> bool:
    return True


def _positive(prefix: tuple, x: float) -> bool:
    return x > 0.1


def _nonzero(prefix: tuple, x: float) -> bool:
    return abs(x) > 0.1


def _off_kink(prefix: tuple, x: float) -> bool:
    return abs(x) > KINK


def _no_tie(prefix: tuple, x: float) -> bool:
    return all(abs(x - p) > KINK for p in prefix)


def _nonzero_divisor(prefix: tuple, x: float) -> bool:
    return len(prefix) == 0 or abs(x) > 0.1


def _positive_base_small_exponent(prefix: tuple, x: float) -> bool:
    return x > 0.1 if not prefix else abs(x) <= 3.0


def _exp_no_overflow(prefix: tuple, x: float) -> bool:
    return x < 6.0


@dataclass(frozen=True)
class OpCase:
    """One op as the tests see it.

    ``build`` makes the node from Values, ``symbolic`` the same function from sympy
    expressions. ``width`` says how many operands an n-ary op with ``width`` inputs takes
    (``dot`` takes weights and inputs); it is ``None`` for unary and binary ops, whose
    operand count is ``arity``.
    """

    name: str
    op: str
    arity: int
    build: Callable
    symbolic: Callable
    accepts: Callable[[tuple, float], bool] = _anything
    width: Callable[[int], int] | None = None

    def operand_count(self, width: int) -> int:
        return self.arity if self.width is None else self.width(width)


def _middle(xs: Sequence):
    return xs[len(xs) // 2]


def _split_dot(args: Sequence, bias: bool):
    n = (len(args) - bias) // 2
    return args[:n], args[n : 2 * n], (args[-1] if bias else None)


def _sympy_dot(args: Sequence, bias: bool):
    ws, xs, b = _split_dot(args, bias)
    return sympy.Add(*(w * x for w, x in zip(ws, xs))) + (b if bias else 0)


def _sympy_softmax(xs: Sequence) -> list:
    total = sympy.Add(*(sympy.exp(x) for x in xs))
    return [sympy.exp(x) / total for x in xs]


def _sympy_logsumexp(xs: Sequence):
    return sympy.log(sympy.Add(*(sympy.exp(x) for x in xs)))


def _unary(name: str, op: str, build, symbolic, accepts=_anything) -> OpCase:
    return OpCase(name, op, 1, build, symbolic, accepts)


def _binary(name: str, op: str, build, symbolic, accepts=_anything) -> OpCase:
    return OpCase(name, op, 2, build, symbolic, accepts)


def _nary(name: str, build, symbolic, accepts=_anything, width=lambda w: w, op: str | None = None) -> OpCase:
    return OpCase(name, op or name, 0, lambda *a: build(a), lambda *a: symbolic(a), accepts, width)


_SLOPE = 0.1

CASES: tuple[OpCase, ...] = (
    _unary("neg", "neg", lambda x: -x, lambda x: -x),
    _unary("abs", "abs", abs, sympy.Abs, _off_kink),
    _unary("exp", "exp", Value.exp, sympy.exp, _exp_no_overflow),
    _unary("log", "log", Value.log, sympy.log, _positive),
    _unary("sqrt", "sqrt", Value.sqrt, sympy.sqrt, _positive),
    _unary("tanh", "tanh", Value.tanh, sympy.tanh),
    _unary("sigmoid", "sigmoid", Value.sigmoid, lambda x: 1 / (1 + sympy.exp(-x))),
    _unary("relu", "relu", Value.relu, lambda x: sympy.Max(0, x), _off_kink),
    _unary(
        "leaky_relu", "leaky_relu", lambda x: x.leaky_relu(_SLOPE),
        lambda x: sympy.Piecewise((x, x > 0), (exact(_SLOPE) * x, True)), _off_kink,
    ),
    _unary("softplus", "softplus", Value.softplus, lambda x: sympy.log(1 + sympy.exp(x))),
    _unary("sin", "sin", Value.sin, sympy.sin),
    _unary("cos", "cos", Value.cos, sympy.cos),
    _unary("x**2", "**2", lambda x: x**2, lambda x: x**2),
    _unary("x**3", "**3", lambda x: x**3, lambda x: x**3),
    _unary("x**-1", "**-1", lambda x: x**-1, lambda x: x**-1, _nonzero),
    _unary("x**0.5", "**0.5", lambda x: x**0.5, lambda x: x ** sympy.Rational(1, 2), _positive),
    _unary("x**-1.5", "**-1.5", lambda x: x**-1.5, lambda x: x ** sympy.Rational(-3, 2), _positive),
    _unary("1.5+x", "+", lambda x: 1.5 + x, lambda x: sympy.Rational(3, 2) + x),
    _unary("1.5-x", "-", lambda x: 1.5 - x, lambda x: sympy.Rational(3, 2) - x),
    _unary("1.5*x", "*", lambda x: 1.5 * x, lambda x: sympy.Rational(3, 2) * x),
    _unary("1.5/x", "/", lambda x: 1.5 / x, lambda x: sympy.Rational(3, 2) / x, _nonzero),
    _unary("1.5**x", "**", lambda x: 1.5**x, lambda x: sympy.Rational(3, 2) ** x),
    _unary("x-1.5", "-", lambda x: x - 1.5, lambda x: x - sympy.Rational(3, 2)),
    _unary("x/1.5", "/", lambda x: x / 1.5, lambda x: x / sympy.Rational(3, 2)),
    _binary("+", "+", lambda x, y: x + y, lambda x, y: x + y),
    _binary("-", "-", lambda x, y: x - y, lambda x, y: x - y),
    _binary("*", "*", lambda x, y: x * y, lambda x, y: x * y),
    _binary("/", "/", lambda x, y: x / y, lambda x, y: x / y, _nonzero_divisor),
    _binary("**", "**", lambda x, y: x**y, lambda x, y: x**y, _positive_base_small_exponent),
    _nary("sum", ops.sum, lambda xs: sympy.Add(*xs)),
    _nary("mean", ops.mean, lambda xs: sympy.Add(*xs) / len(xs)),
    _nary("dot", lambda a: ops.dot(*_split_dot(a, False)[:2]), lambda a: _sympy_dot(a, False),
          width=lambda w: 2 * w),
    _nary("dot+bias", lambda a: ops.dot(*_split_dot(a, True)), lambda a: _sympy_dot(a, True),
          width=lambda w: 2 * w + 1, op="dot"),
    _nary("max", ops.max, lambda xs: sympy.Max(*xs), _no_tie),
    _nary("min", ops.min, lambda xs: sympy.Min(*xs), _no_tie),
    _nary("logsumexp", ops.logsumexp, _sympy_logsumexp),
    _nary("softmax", lambda xs: _middle(ops.softmax(xs)), lambda xs: _middle(_sympy_softmax(xs))),
    _nary(
        "log_softmax", lambda xs: _middle(ops.log_softmax(xs)),
        lambda xs: _middle(xs) - _sympy_logsumexp(xs),
    ),
)

OPS: dict[str, OpCase] = {case.name: case for case in CASES}

_CANDIDATES = (-1.7, -0.6, 0.45, 1.3, 2.2)


def sample_points(case: OpCase, width: int = 3) -> list[tuple[float, ...]]:
    """A few points inside ``case``'s domain, with every operand distinct, for per-op tests."""
    count = case.operand_count(width)
    points = []
    for shift in range(len(_CANDIDATES)):
        rotated = _CANDIDATES[shift:] + _CANDIDATES[:shift]
        point = tuple(itertools.islice(itertools.cycle(rotated), count))
        if count > len(_CANDIDATES):  # dot: repeat the values, scaled so no two are equal
            point = tuple(x * (1 + 0.1 * (i // len(_CANDIDATES))) for i, x in enumerate(point))
        if all(case.accepts(point[:i], x) for i, x in enumerate(point)):
            points.append(point)
    return points
