"""Scalar math with IEEE-754 results, like PyTorch, and never a Python math exception.

Python's ``math`` raises where IEEE arithmetic returns inf or nan (``math.exp(1000)``,
``1.0 / 0.0``, ``math.log(0.0)``, ``(-8.0) ** (1/3)`` is even complex). Every function here
returns what a float64 tensor would instead.

Each function also accepts a ``Value`` and then calls the matching ``Value`` method. That
lets one derivative formula (``autograd.value``'s primitive table) run on floats in the
forward pass and on Values when ``autograd.grad(create_graph=True)`` needs the derivative
as a graph of its own.
"""

from __future__ import annotations

import math

inf = math.inf
nan = math.nan


def _is_float(x) -> bool:
    return isinstance(x, (float, int))


def value_of(x) -> float:
    """The float inside ``x``: rules compare data, not graph nodes, to pick a branch."""
    return x if _is_float(x) else x.data


def _is_odd_integer(x: float) -> bool:
    return math.isfinite(x) and x == math.floor(x) and math.fmod(x, 2.0) != 0.0


def div(a, b):
    """``a / b``; division by zero gives +-inf or nan as IEEE says."""
    if not (_is_float(a) and _is_float(b)):
        return a / b
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return nan
        # The sign of a zero divisor matters: 1/-0.0 is -inf.
        return math.copysign(inf, a) * math.copysign(1.0, b)


def pow(a, b):
    """``a ** b`` as C's ``pow``: a negative base with a non-integer exponent is nan."""
    if not (_is_float(a) and _is_float(b)):
        return a**b
    a, b = float(a), float(b)
    try:
        result = a**b
    except ZeroDivisionError:  # 0.0 ** negative
        return math.copysign(inf, a) if _is_odd_integer(b) else inf
    except OverflowError:
        if a < 0.0 and not b.is_integer():  # Python overflowed computing a complex power
            return nan
        return -inf if (a < 0.0 and _is_odd_integer(b)) else inf
    return nan if isinstance(result, complex) else result


def exp(x):
    if not _is_float(x):
        return x.exp()
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x):
    if not _is_float(x):
        return x.log()
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan  # negative or nan


def sqrt(x):
    if not _is_float(x):
        return x.sqrt()
    return math.sqrt(x) if x >= 0.0 else nan


def tanh(x):
    return math.tanh(x) if _is_float(x) else x.tanh()


def sigmoid(x):
    """1 / (1 + e^-x), written so neither branch overflows at +-1000."""
    if not _is_float(x):
        return x.sigmoid()
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return nan
    e = exp(x)  # may underflow to 0.0, which is the right limit
    return e / (1.0 + e)


def softplus(x):
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exact for large |x|, no overflow."""
    if not _is_float(x):
        return x.softplus()
    if x != x:
        return nan
    if x == inf:
        return inf
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sin(x):
    if not _is_float(x):
        return x.sin()
    return math.sin(x) if math.isfinite(x) else nan


def cos(x):
    if not _is_float(x):
        return x.cos()
    return math.cos(x) if math.isfinite(x) else nan


def logsumexp(xs: list[float]) -> float:
    """log(sum(exp(x))) shifted by the maximum, so +-1000 neither overflows nor underflows."""
    m = max(xs)
    if m != m or any(x != x for x in xs):
        return nan
    if math.isinf(m):
        # All -inf gives -inf; any +inf gives +inf (the shift would make inf - inf = nan).
        return m
    return m + math.log(sum([math.exp(x - m) for x in xs]))


def _shifted(xs: list[float]) -> list[float]:
    # x - max(x) is exact enough at any scale, unlike x - logsumexp(x), whose rounding
    # (an ulp of a large logsumexp) would show in every softmax output.
    m = max(xs)
    return [x - m for x in xs]


def softmax(xs: list[float]) -> list[float]:
    """exp(x_i) / sum_j exp(x_j), shifted by the maximum: correct to a few ulps at any scale.

    Every exponent is <= 0 (or nan), so nothing overflows; any nan or +inf makes all nan.
    """
    e = [math.exp(d) for d in _shifted(xs)]
    total = sum(e)
    return [v / total for v in e]


def log_softmax(xs: list[float]) -> list[float]:
    """x_i - logsumexp(x), computed as (x_i - max) - log(sum_j exp(x_j - max))."""
    shifted = _shifted(xs)
    log_total = math.log(sum([math.exp(d) for d in shifted]))
    return [d - log_total for d in shifted]
