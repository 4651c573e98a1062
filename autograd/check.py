"""Check analytic derivatives against central differences, in float64."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from .backprop import _call_scalar_function, grad, hessian
from .modes import no_grad
from .value import Value, _as_float


def _points(inputs: Iterable) -> list[float]:
    return [x.data if isinstance(x, Value) else _as_float(x, f"inputs[{i}]") for i, x in enumerate(inputs)]


def _check_arguments(f, eps, atol, rtol) -> None:
    """Refuse bad arguments before any work: ``eps`` must be a positive finite step and the
    tolerances finite and non-negative."""
    if not callable(f):
        raise TypeError(f"f must be a function of Values returning a Value, got {type(f).__name__}")
    for name, x, low_ok in (("eps", eps, False), ("atol", atol, True), ("rtol", rtol, True)):
        x = _as_float(x, name)
        if not (math.isfinite(x) and (x > 0.0 or (low_ok and x == 0.0))):
            expected = "a finite number >= 0" if low_ok else "a finite number > 0 (the finite-difference step)"
            raise ValueError(f"{name} must be {expected}, got {x!r}")


def _central_difference(g: Callable[[list[float]], float], xs: list[float], i: int, eps: float) -> float:
    up, down = list(xs), list(xs)
    up[i] += eps
    down[i] -= eps
    return (g(up) - g(down)) / (2.0 * eps)


def _compare(what: str, pairs: list[tuple[str, float, float]], atol: float, rtol: float) -> bool:
    bad = [
        f"  {name}: analytic {a!r}, numerical {n!r}"
        for name, a, n in pairs
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if bad:
        raise AssertionError(f"{what} mismatch (atol={atol}, rtol={rtol}):\n" + "\n".join(bad))
    return True


def gradcheck(f: Callable[..., Value], inputs: Iterable, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Compare ``grad(f(*inputs))`` with central differences ``(f(x+eps) - f(x-eps)) / 2eps``.

    ``f`` takes one Value per input and returns a Value. Returns True, or raises
    ``AssertionError`` listing each mismatching input with both numbers.
    """
    _check_arguments(f, eps, atol, rtol)
    xs = _points(inputs)
    leaves = [Value(x) for x in xs]
    analytic = grad(_call_scalar_function(f, leaves), leaves)

    def f_at(point: list[float]) -> float:
        with no_grad():
            return _call_scalar_function(f, [Value(p) for p in point]).data

    pairs = [(f"d/d inputs[{i}]", analytic[i], _central_difference(f_at, xs, i, eps)) for i in range(len(xs))]
    return _compare("gradient", pairs, atol, rtol)


def gradgradcheck(f: Callable[..., Value], inputs: Iterable, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Compare second derivatives (``hessian``, through ``create_graph``) with central
    differences of the analytic first derivative."""
    _check_arguments(f, eps, atol, rtol)
    xs = _points(inputs)
    second = hessian(f, xs)

    def first_at(j: int) -> Callable[[list[float]], float]:
        def g(point: list[float]) -> float:
            leaves = [Value(p) for p in point]
            return grad(_call_scalar_function(f, leaves), leaves)[j]

        return g

    pairs = [
        (f"d2/d inputs[{i}] d inputs[{j}]", second[j][i], _central_difference(first_at(j), xs, i, eps))
        for j in range(len(xs))
        for i in range(len(xs))
    ]
    return _compare("second derivative", pairs, atol, rtol)
