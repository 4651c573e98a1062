"""N-ary ops: each is ONE node with an edge to every input.

A neuron's pre-activation ``z = w1*x1 + ... + wn*xn + b`` is a single ``dot`` node, as in
the seeds' diagrams, not a chain of 2n binary nodes. ``softmax`` and ``log_softmax`` are
vector activations: every output is a node whose edges to all inputs carry its full
Jacobian row, a ``JacobianRow`` that computes its entries when they are read, so n outputs
store O(n) numbers, not n*n.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from itertools import chain, islice
from operator import attrgetter, gt, lt, mul

from . import scalar
from .value import MASKED, Op, Parameter, Value, _lift_or_raise, _node, _OpNode

# Each op's formulas, for graphs of derivatives and for arrays (autograd.tape); the functions
# below compute the same on floats, inline.
_SUM = Op("sum", lambda *xs: builtins.sum(xs), lambda *args: (1.0,) * (len(args) - 1))
_MEAN = Op("mean", lambda *xs: builtins.sum(xs) / len(xs),
           lambda *args: (1.0 / (len(args) - 1),) * (len(args) - 1))


_VALUE_TYPES = frozenset({Value, Parameter, _OpNode})
_TUPLE = frozenset({tuple})
_data = attrgetter("data")


def _ordered(values, where: str, what: str = "a sequence of Values or numbers") -> tuple:
    """``values`` as a tuple, refusing what is not an ordered collection of items."""
    if type(values) is tuple:
        return values
    if type(values) is list:
        return tuple(values)
    if isinstance(values, (Value, str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{where} expects {what}, got {type(values).__name__}")
    if isinstance(values, (Set, Mapping)):
        # A set has no defined order, and iterating a dict gives its keys: both are mistakes.
        raise TypeError(f"{where} expects {what} in a defined order, got a {type(values).__name__}")
    return tuple(values)


def _inputs(values: Iterable, where: str) -> tuple[Value, ...]:
    xs = _ordered(values, where)
    # Fast path (a neuron's weights and activations): everything is already a Value.
    if _VALUE_TYPES.issuperset(map(type, xs)):
        return xs
    return tuple(_lift_or_raise(v, where) for v in xs)


def _nonempty(values: Iterable, where: str) -> tuple[Value, ...]:
    xs = _inputs(values, where)
    if not xs:
        raise ValueError(f"{where} needs at least one value, got an empty sequence")
    return xs


def sum(values: Iterable) -> Value:
    """One node, ``d sum / d x_i = 1`` on every edge; ``sum([])`` is ``Value(0.0)``."""
    xs = _inputs(values, "sum")
    if not xs:
        return Value(0.0)
    return _node(builtins.sum([x.data for x in xs]), xs, (1.0,) * len(xs), _SUM)


def mean(values: Iterable) -> Value:
    """One node, ``1/n`` on every edge. An empty mean raises ``ValueError``."""
    xs = _nonempty(values, "mean")
    n = len(xs)
    return _node(builtins.sum([x.data for x in xs]) / n, xs, (1.0 / n,) * n, _MEAN)


def _dot_op(has_bias: bool) -> Op:
    def forward(*args):
        # args = w_1..w_n, x_1..x_n, [b]: the sum starts from the bias.
        n = (len(args) - has_bias) // 2
        return builtins.sum(map(mul, args[:n], args[n : 2 * n]), *args[2 * n :])

    def rule(*args):
        # args = w_1..w_n, x_1..x_n, [b], out: d z/d w_i = x_i, d z/d x_i = w_i, d z/d b = 1.
        n = (len(args) - 1 - has_bias) // 2
        ws, xs = args[:n], args[n : 2 * n]
        return xs + ws + ((1.0,) if has_bias else ())

    return Op("dot", forward, rule)


_DOT, _DOT_BIAS = _dot_op(False), _dot_op(True)


def dot(weights: Sequence, inputs: Sequence, bias=None) -> Value:
    """``sum_i w_i x_i (+ b)`` as one node with edges ``w_1..w_n, x_1..x_n, (b)``.

    The edge to ``w_i`` carries ``x_i`` (the seeds' forward-pass rule: dz/dw is the input on
    that weight), the edge to ``x_i`` carries ``w_i`` and the edge to ``b`` carries 1.
    """
    biases = None if bias is None else (_lift_or_raise(bias, "dot bias"),)
    return affine([weights], inputs, biases)[0]


def affine(weights: Sequence[Sequence], inputs: Sequence, biases: Sequence | None = None) -> list[Value]:
    """A layer's pre-activations: ``[dot(w_k, inputs, b_k) for each row w_k]``, one node each.

    Same nodes as calling ``dot`` per row; the inputs are checked and read once for all rows.
    """
    xs = _inputs(inputs, "affine inputs")
    xd = tuple(map(_data, xs))
    rows = _ordered(weights, "affine weights", "a sequence of rows")
    # Fast path (a layer's weights stored as tuples of Parameters): one C-level type check
    # over all rows at once instead of one per row.
    if not (_TUPLE.issuperset(map(type, rows)) and _VALUE_TYPES.issuperset(map(type, chain.from_iterable(rows)))):
        rows = [_inputs(row, "dot weights") for row in rows]
    n = len(xs)
    for ws in rows:
        if len(ws) != n:
            raise ValueError(f"dot needs as many weights as inputs, got {len(ws)} weights and {n} inputs")
    # map() with C-level callables below: this loop is the hot path of every neuron.
    if biases is None:
        return [_node(builtins.sum(map(mul, wd, xd)), ws + xs, xd + wd, _DOT)
                for ws, wd in zip(rows, [tuple(map(_data, ws)) for ws in rows])]
    bs = _inputs(biases, "affine biases")
    if len(bs) != len(rows):
        raise ValueError(f"affine needs one bias per row, got {len(bs)} biases for {len(rows)} rows")
    return [_node(builtins.sum(map(mul, wd, xd), b.data), (*ws, *xs, b), (*xd, *wd, 1.0), _DOT_BIAS)
            for ws, wd, b in zip(rows, [tuple(map(_data, ws)) for ws in rows], bs)]


def _first_extreme(xs: Sequence, better) -> tuple:
    """``(index, value)`` of the first extreme of ``xs`` (floats, or arrays: per element).

    The whole gradient goes to the first extreme input (the seeds' rule for max: 1 for the
    largest, 0 for the rest). nan counts as extreme, so it propagates as in PyTorch.
    """
    best, top = 0, xs[0]
    for i in range(1, len(xs)):
        d = xs[i]
        picked = (top == top) & ((d != d) | better(d, top))
        best, top = scalar.where(picked, i, best), scalar.where(picked, d, top)
    return best, top


def _extreme_rule(better):
    def rule(*args):
        # The inputs not picked were not used: their edges mask (see autograd.value.MASKED).
        best, _ = _first_extreme([scalar.value_of(x) for x in args[:-1]], better)
        return tuple(scalar.mask(best == i) for i in range(len(args) - 1))

    return rule


_MAX = Op("max", lambda *xs: _first_extreme(xs, gt)[1], _extreme_rule(gt))
_MIN = Op("min", lambda *xs: _first_extreme(xs, lt)[1], _extreme_rule(lt))


def _extreme(values: Iterable, where: str, better, fn: Op) -> Value:
    xs = _nonempty(values, where)
    best, top = _first_extreme(list(map(_data, xs)), better)
    local = [MASKED] * len(xs)
    local[best] = 1.0
    return _node(top, xs, tuple(local), fn)


def max(values: Iterable) -> Value:
    """The largest input; its edge carries 1, the others 0 (``MASKED``)."""
    return _extreme(values, "max", gt, _MAX)


def min(values: Iterable) -> Value:
    """The smallest input; its edge carries 1, the others 0 (``MASKED``)."""
    return _extreme(values, "min", lt, _MIN)


def _softmax_of(xs: Sequence):
    """softmax of floats or arrays; of Values as nodes (graph mode)."""
    return softmax(xs, max_inputs=len(xs)) if isinstance(xs[0], Value) else scalar.softmax(xs)


# d lse / d x_j = softmax_j.
_LOGSUMEXP = Op("logsumexp", lambda *xs: scalar.logsumexp(xs), lambda *args: tuple(_softmax_of(args[:-1])))


def logsumexp(values: Iterable) -> Value:
    """``log(sum(exp(x_i)))``, computed stably (shifted by the maximum)."""
    xs = _nonempty(values, "logsumexp")
    xd = [x.data for x in xs]
    return _node(scalar.logsumexp(xd), xs, tuple(scalar.softmax(xd)), _LOGSUMEXP)


def _onehot(i: int, j: int) -> float:
    return 1.0 if i == j else 0.0


def _softmax_row(i: int, s: Sequence) -> tuple:
    """Row i of softmax's Jacobian: d s_i / d x_j = s_i (delta_ij - s_j)."""
    return tuple(s[i] * (_onehot(i, j) - sj) for j, sj in enumerate(s))


def _log_softmax_row(i: int, s: Sequence) -> tuple:
    """Row i of log_softmax's Jacobian: d log s_i / d x_j = delta_ij - s_j."""
    return tuple(_onehot(i, j) - sj for j, sj in enumerate(s))


class JacobianRow(Sequence):
    """Row ``output`` of softmax's (or log_softmax's) Jacobian, each entry computed when read.

    The n outputs of one softmax share its probabilities ``s``: an output stores its index,
    not n floats, so the whole vector activation is O(n) in memory. Entries are the floats
    ``_softmax_row`` and ``_log_softmax_row`` give, ``scale * (delta_ij - s_j)`` with
    ``scale = s_i`` (softmax) or none (log_softmax). It reads like a tuple: ``len``,
    indexing, iteration, equality with a tuple.
    """

    __slots__ = ("output", "_s", "_minus_s", "_scale")

    def __init__(self, output: int, s: list[float], minus_s: list[float], scale: float | None):
        self.output = output  # which output's row: not "index", which a Sequence has as a method
        self._s = s  # shared by the whole vector
        self._minus_s = minus_s  # 0.0 - s_j, shared too: the off-diagonal entries before scaling
        self._scale = scale

    def __len__(self) -> int:
        return len(self._s)

    def __iter__(self) -> Iterator[float]:
        i, off = self.output, self._minus_s
        diagonal = 1.0 - self._s[i]
        if self._scale is None:
            return chain(islice(off, i), (diagonal,), islice(off, i + 1, None))
        times = self._scale.__mul__
        return chain(map(times, islice(off, i)), (times(diagonal),), map(times, islice(off, i + 1, None)))

    def __getitem__(self, j):
        if isinstance(j, slice):
            return tuple(self)[j]
        n = len(self._s)
        if not -n <= j < n:
            raise IndexError(f"JacobianRow index {j} out of range for {n} entries")
        j %= n
        entry = 1.0 - self._s[j] if j == self.output else self._minus_s[j]
        return entry if self._scale is None else self._scale * entry

    def __eq__(self, other) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return repr(tuple(self))


# n outputs of n edges each: backward takes O(n²) time (about 2 s at 4,096 inputs), so more
# is refused unless the caller asks for it.
MAX_VECTOR_INPUTS = 4096

# Vector ops: the forward formula gives every output, and the derivative formula the row of
# the output node it is given (graph mode, and autograd.tape, pass the node: its recorded
# row says which output it is).
_SOFTMAX = Op("softmax", lambda *xs: scalar.softmax(xs),
              lambda *args: _softmax_row(args[-1].local_grads.output, _softmax_of(args[:-1])))
_LOG_SOFTMAX = Op("log_softmax", lambda *xs: scalar.log_softmax(xs),
                  lambda *args: _log_softmax_row(args[-1].local_grads.output, _log_softmax_probabilities(args[:-1])))


def _log_softmax_probabilities(xs: Sequence):
    """softmax(xs) for log_softmax's rows: exp of log_softmax on numbers (accurate, as
    log_softmax is), softmax nodes of Values."""
    return softmax(xs, max_inputs=len(xs)) if isinstance(xs[0], Value) else [scalar.exp(v) for v in scalar.log_softmax(xs)]


def _vector_activation(values: Iterable, name: str, max_inputs: int) -> list[Value]:
    if isinstance(max_inputs, bool) or not isinstance(max_inputs, int) or max_inputs < 1:
        raise ValueError(f"max_inputs must be an int of at least 1, got {max_inputs!r}")
    xs = _nonempty(values, name)
    if len(xs) > max_inputs:
        raise ValueError(f"{name} of {len(xs)} inputs records {len(xs) ** 2:,} edges (a full Jacobian row on "
                         f"each output), more than max_inputs={max_inputs} allows; pass a larger max_inputs, or "
                         "use ops.logsumexp or nn.batch_loss.cross_entropy, which record one edge per input")
    xd = [x.data for x in xs]
    op = _SOFTMAX if name == "softmax" else _LOG_SOFTMAX
    outputs = op.forward(*xd)
    s = outputs if name == "softmax" else _log_softmax_probabilities(xd)
    minus_s = [0.0 - sj for sj in s]
    scales = s if name == "softmax" else [None] * len(s)
    return [_node(outputs[i], xs, JacobianRow(i, s, minus_s, scales[i]), op) for i in range(len(xs))]


def softmax(values: Iterable, *, max_inputs: int = MAX_VECTOR_INPUTS) -> list[Value]:
    """``exp(x_i) / sum_j exp(x_j)``: n nodes, each with edges to all n inputs. More than
    ``max_inputs`` inputs are refused (``ValueError``): backward takes O(n²) time."""
    return _vector_activation(values, "softmax", max_inputs)


def log_softmax(values: Iterable, *, max_inputs: int = MAX_VECTOR_INPUTS) -> list[Value]:
    """``x_i - logsumexp(x)``, stable at +-1000: n nodes, each with edges to all n inputs.
    More than ``max_inputs`` inputs are refused, as by ``softmax``."""
    return _vector_activation(values, "log_softmax", max_inputs)
