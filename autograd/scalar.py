"""Scalar math with IEEE-754 results, like PyTorch, and never a Python math exception.

Python's ``math`` raises where IEEE arithmetic returns inf or nan (``math.exp(1000)``,
``1.0 / 0.0``, ``math.log(0.0)``, ``(-8.0) ** (1/3)`` is even complex). Every function here
returns what a float64 tensor would instead.

Each function also accepts a ``Value`` and then calls the matching ``Value`` method, and a
numpy array, and then computes element by element with numpy (``autograd.tape`` replays a
graph over a batch so). That lets one formula per op (``autograd.value``'s primitive table)
run on floats in the forward pass, on Values when ``autograd.grad(create_graph=True)`` needs
the derivative as a graph of its own, and on arrays on the tape. A choice that depends on
the data is written with ``where`` and ``mask``, which choose per element on arrays.

On arrays the values are numpy's: ``exp`` and ``tanh`` may differ from ``math``'s in the
last bit, but inf, nan, signed zeros and the choices at kinks are the same. Callers on
arrays silence numpy's warnings about them (``np.errstate``), as the tape does. Without numpy
there are no arrays, and every function here computes on floats and Values alone.
"""

from __future__ import annotations

import math

from .optional import numpy_or_none

np = numpy_or_none()

inf = math.inf
nan = math.nan

# The local derivative of an input an op did not use: relu at x <= 0, the inputs max and min
# did not pick, the base of x**0 and of a**b at b = 0. It is the float 0.0, one object told
# apart by identity (``local is MASKED``), so the hot loop of backward multiplies it at C
# speed. Where the gradient arriving is inf or nan, 0.0 * g would be nan; PyTorch masks
# these edges (torch.where) and sends 0, and so does ``autograd.backprop.contribution``. A 0
# that is a factor of a product (x * 0) is a plain 0.0 and multiplies as IEEE says.
MASKED = float("0.0")


def _is_float(x) -> bool:
    return isinstance(x, (float, int))


if np is None:
    def _is_array(x) -> bool:
        return False
else:
    def _is_array(x) -> bool:
        return isinstance(x, np.ndarray)


def value_of(x):
    """The float inside ``x`` (an array stays as it is): rules compare data, not graph nodes,
    to pick a branch."""
    return x if _is_float(x) or _is_array(x) else x.data


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``: on arrays per element (``np.where``)."""
    if _is_array(condition):
        return np.where(condition, a, b)
    return a if condition else b


class Masked:
    """A local derivative on arrays that masks where the input was not used: times a
    gradient ``g`` it is ``local * g`` where ``used``, and 0.0 elsewhere even where ``g`` is
    inf or nan (``np.where``), as ``MASKED`` is on floats."""

    __slots__ = ("used", "local")

    def __init__(self, used: np.ndarray, local):
        self.used = used
        self.local = local

    def __mul__(self, g):
        return np.where(self.used, self.local * g, 0.0)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Masked(used={self.used!r}, local={self.local!r})"


def mask(used, local=1.0):
    """The local derivative of an input an op may not have used: ``local`` where ``used``
    holds, ``MASKED`` where not (a ``Masked`` on arrays)."""
    if _is_array(used):
        return Masked(used, local)
    return local if used else MASKED


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
    if _is_array(a) or _is_array(b):
        # A whole array of exponents: given one number, numpy computes x**0.5 as sqrt(x),
        # which differs from C's pow at -0.0 and -inf.
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        return np.power(a, np.array(np.broadcast_to(b, shape)))
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
    if _is_array(x):
        return np.exp(x)
    if not _is_float(x):
        return x.exp()
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x):
    if _is_array(x):
        return np.log(x)
    if not _is_float(x):
        return x.log()
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan  # negative or nan


def sqrt(x):
    if _is_array(x):
        return np.sqrt(x)
    if not _is_float(x):
        return x.sqrt()
    return math.sqrt(x) if x >= 0.0 else nan


def tanh(x):
    if _is_array(x):
        return np.tanh(x)
    return math.tanh(x) if _is_float(x) else x.tanh()


def sigmoid(x):
    """1 / (1 + e^-x), written so neither branch overflows at +-1000."""
    if _is_array(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    if not _is_float(x):
        return x.sigmoid()
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return nan
    e = exp(x)  # may underflow to 0.0, which is the right limit
    return e / (1.0 + e)


def softplus(x):
    """``log(1 + e^x) = max(x, 0) + log1p(e^-|x|)``: exact for large ``|x|``, no overflow."""
    if _is_array(x):
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    if not _is_float(x):
        return x.softplus()
    if x != x:
        return nan
    if x == inf:
        return inf
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sin(x):
    if _is_array(x):
        return np.sin(x)
    if not _is_float(x):
        return x.sin()
    return math.sin(x) if math.isfinite(x) else nan


def cos(x):
    if _is_array(x):
        return np.cos(x)
    if not _is_float(x):
        return x.cos()
    return math.cos(x) if math.isfinite(x) else nan


# -- vectors: a list of floats, or arrays stacked along axis 0 (one row per input) ----------
def _stacked(xs):
    """``xs`` as one array with an input per row, if any of it is an array; else None."""
    if _is_array(xs):
        return xs
    if any(_is_array(x) for x in xs):
        return np.stack(np.broadcast_arrays(*xs))
    return None


def logsumexp(xs):
    """log(sum(exp(x))) shifted by the maximum, so +-1000 neither overflows nor underflows."""
    stacked = _stacked(xs)
    if stacked is not None:
        m = stacked.max(axis=0)  # nan if any input is nan
        finite = np.isfinite(m)
        shift = np.where(finite, m, 0.0)
        # nan stays nan; all -inf gives -inf; any +inf gives +inf, as below.
        return np.where(finite, shift + np.log(np.exp(stacked - shift).sum(axis=0)), m)
    m = max(xs)
    if m != m or any(x != x for x in xs):
        return nan
    if math.isinf(m):
        # All -inf gives -inf; any +inf gives +inf (the shift would make inf - inf = nan).
        return m
    return m + math.log(sum([math.exp(x - m) for x in xs]))


def _shifted(xs):
    # x - max(x) is exact enough at any scale, unlike x - logsumexp(x), whose rounding
    # (an ulp of a large logsumexp) would show in every softmax output.
    stacked = _stacked(xs)
    if stacked is not None:
        return stacked - stacked.max(axis=0)
    m = max(xs)
    return [x - m for x in xs]


def softmax(xs):
    """exp(x_i) / sum_j exp(x_j), shifted by the maximum: correct to a few ulps at any scale.

    Every exponent is <= 0 (or nan), so nothing overflows; any nan or +inf makes all nan.
    """
    shifted = _shifted(xs)
    if _is_array(shifted):
        e = np.exp(shifted)
        return e / e.sum(axis=0)
    e = [math.exp(d) for d in shifted]
    total = sum(e)
    return [v / total for v in e]


def log_softmax(xs):
    """x_i - logsumexp(x), computed as (x_i - max) - log(sum_j exp(x_j - max))."""
    shifted = _shifted(xs)
    if _is_array(shifted):
        return shifted - np.log(np.exp(shifted).sum(axis=0))
    log_total = math.log(sum([math.exp(d) for d in shifted]))
    return [d - log_total for d in shifted]
