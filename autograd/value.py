"""The ``Value`` node and its primitive ops.

Every scalar is a node of an influence diagram. A node computed from others keeps

* ``parents``: the Values it was computed from, one entry per edge (``a*a`` has two), and
* ``local_grads``: ``d self / d parent`` for each edge, as floats, recorded in the forward pass.

Backpropagation (``autograd.backprop``) then needs nothing but
``parent.grad += local_grad * node.grad`` over a reverse topological order.

Each primitive is an ``Op``: a forward formula on floats beside its local derivatives. The
derivative formula is written once and serves twice: the forward pass calls it with floats
to record ``local_grads``; ``autograd.grad(create_graph=True)`` calls it with Values to get
each derivative as a graph that can be differentiated again.
"""

from __future__ import annotations

import numbers
from functools import lru_cache

from . import scalar


class _Mode:
    """Process-wide switches set by ``no_grad()`` and ``detect_anomaly()``."""

    recording = True
    anomaly = False


class Op:
    """A scalar primitive: ``forward(*floats) -> float`` and ``derivative(*inputs, out)``.

    ``derivative`` returns one local derivative per input. It receives floats during the
    forward pass and Values under ``grad(create_graph=True)``, so write it with arithmetic
    operators and ``autograd.scalar`` functions (``exp``, ``log``, ``div``, ...), which work
    on both. A user-defined op gives both ``forward`` and ``derivative``.

    The ops built into ``Value`` and ``ops`` compute their forward pass inline (the hot
    path), so their ``Op`` only names them and carries the graph-mode derivative. Those with
    ``derivative=None`` are piecewise linear (``+``, ``relu``, ``max``...): the floats they
    record are exact near the point, and the derivative of those floats is zero.

    An ``Op`` is callable on Values or numbers, so a user-defined op behaves like a built-in::

        softsign = Op("softsign", lambda x: x / (1 + abs(x)),
                      lambda x, out: (1 / (1 + abs(x)) ** 2,), formula="1/(1 + |x|)²")

    ``formula`` (optional) is the local derivative as text, one per input or one for all,
    shown on the edges by ``draw(..., edge_labels="formula")``.
        y = softsign(Value(0.5))
    """

    __slots__ = ("name", "forward", "derivative", "formula")

    def __init__(self, name: str, forward=None, derivative=None, formula: str | tuple[str, ...] | None = None):
        if not isinstance(name, str):
            raise TypeError(f"Op name must be a str, got {type(name).__name__}")
        texts = (formula,) if isinstance(formula, str) else formula
        if formula is not None and not (isinstance(texts, tuple) and all(isinstance(t, str) for t in texts)):
            raise TypeError(f"Op formula must be a str or a tuple of str (one per input), got {type(formula).__name__}")
        self.name = name
        self.forward = forward
        self.derivative = derivative
        self.formula = formula  # how drawings write the local derivatives (edge_labels="formula")

    def __call__(self, *args) -> Value:
        if self.forward is None or self.derivative is None:
            raise TypeError(
                f"op {self.name!r} has no forward and derivative to call: an Op needs both "
                "(the built-in ones are used through Value's operators and methods)"
            )
        inputs = tuple(_lift_or_raise(a, self.name) for a in args)
        xs = [v.data for v in inputs]
        out = float(self.forward(*xs))
        local = tuple(float(g) for g in self.derivative(*xs, out))
        if len(local) != len(inputs):
            raise ValueError(
                f"derivative of {self.name!r} returned {len(local)} values, "
                f"expected one per input ({len(inputs)})"
            )
        return _node(out, inputs, local, self)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


class Value:
    """A scalar in the graph: ``data``, ``grad`` and the edges it was computed through."""

    __slots__ = ("data", "grad", "label")
    # A leaf has no edges. Saying so once, here, instead of in three slots of every leaf
    # saves 24 bytes a leaf (constants in `x * 2.0` are leaves too). Op outputs are
    # `_OpNode`s, which add the three slots.
    parents: tuple = ()
    local_grads: tuple = ()
    _fn: Op | None = None
    # numpy scalars on the left of an operator defer to our reflected methods
    # instead of wrapping the Value in an object array.
    __array_ufunc__ = None

    def __init__(self, data, label: str = ""):
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label

    @property
    def op(self) -> str:
        """Short name of the op that made this node; ``""`` for leaves."""
        return self._fn.name if self._fn is not None else ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        name = "Value" if type(self) is _OpNode else type(self).__name__
        return f"{name}(data={self.data!r}, grad={self.grad!r}{label})"

    # -- arithmetic --------------------------------------------------------------------
    def __add__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(self.data + other.data, (self, other), _ONE_ONE, _ADD)

    def __radd__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(other.data + self.data, (other, self), _ONE_ONE, _ADD)

    def __sub__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(self.data - other.data, (self, other), _ONE_MINUS_ONE, _SUB)

    def __rsub__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(other.data - self.data, (other, self), _ONE_MINUS_ONE, _SUB)

    def __mul__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        # The local derivatives of a*b are (b, a): _MUL's rule, inlined on the hot path.
        return _node(self.data * other.data, (self, other), (other.data, self.data), _MUL)

    def __rmul__(self, other):
        other = _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(other.data * self.data, (other, self), (self.data, other.data), _MUL)

    def __truediv__(self, other):
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(_DIV, other, self)

    def __pow__(self, other):
        if isinstance(other, Value):
            return _binary(_POW, self, other)
        try:
            exponent = _as_float(other, "exponent")
        except TypeError:
            return NotImplemented
        # A number exponent is part of the op (as in micrograd and torch.pow(Tensor, Scalar)):
        # it gets no edge, so d/d(exponent) = x**e * log(x), nan for x < 0, never appears.
        return _apply1(_power_op(exponent), self)

    def __rpow__(self, other):
        return _binary(_POW, other, self)

    def __neg__(self):
        return _node(-self.data, (self,), _MINUS_ONE, _NEG)

    def __pos__(self):
        return self

    def __abs__(self):
        x = self.data
        # sign(x), with abs'(0) = 0 as in PyTorch.
        return _node(abs(x), (self,), (float((x > 0.0) - (x < 0.0)),), _ABS)

    # -- functions ---------------------------------------------------------------------
    def exp(self):
        return _apply1(_EXP, self)

    def log(self):
        return _apply1(_LOG, self)

    def sqrt(self):
        return _apply1(_SQRT, self)

    def tanh(self):
        return _apply1(_TANH, self)

    def sigmoid(self):
        return _apply1(_SIGMOID, self)

    def softplus(self):
        return _apply1(_SOFTPLUS, self)

    def sin(self):
        return _apply1(_SIN, self)

    def cos(self):
        return _apply1(_COS, self)

    def relu(self):
        x = self.data
        # relu(nan) = nan and relu'(nan) = 1, as in PyTorch (its mask is "not x <= 0").
        # relu'(0) = 0 (PyTorch's choice of subgradient).
        if x > 0.0 or x != x:
            return _node(x, (self,), _ONE, _RELU)
        return _node(0.0, (self,), _ZERO, _RELU)

    def leaky_relu(self, negative_slope: float = 0.01):
        slope = _as_float(negative_slope, "negative_slope")
        x = self.data
        # leaky_relu'(0) = negative_slope, as in PyTorch.
        if x > 0.0:
            return _node(x, (self,), _ONE, _LEAKY_RELU)
        return _node(x * slope, (self,), (slope,), _LEAKY_RELU)

    # -- graph -------------------------------------------------------------------------
    def backward(self) -> None:
        """Backpropagate from this node; see ``autograd.backprop.backward``."""
        from .backprop import backward

        backward(self)

    def detach(self) -> Value:
        """A new leaf with the same data: the graph behind ``self`` is cut off."""
        return Value(self.data, self.label)


class Parameter(Value):
    """A leaf that is trained. Same behaviour as ``Value``; drawings colour it as a parameter."""

    __slots__ = ()


class _OpNode(Value):
    """A Value made by an op: a leaf plus its edges. Users only ever see it as a Value."""

    __slots__ = ("parents", "local_grads", "_fn")


# -- building nodes ----------------------------------------------------------------------
_new = object.__new__


def _node(data: float, parents: tuple, local_grads: tuple, fn: Op) -> Value:
    """Make an op's output node. Under ``no_grad()`` it is a plain leaf."""
    if _Mode.recording:
        out = _new(_OpNode)
        out.parents = parents
        out.local_grads = local_grads
        out._fn = fn
    else:
        out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _Mode.anomaly:
        _check_forward(out, parents, fn)
    return out


def _apply1(op: Op, x: Value) -> Value:
    d = x.data
    out = op.forward(d)
    return _node(out, (x,), op.derivative(d, out), op)


def _binary(op: Op, a, b):
    a, b = _lift(a), _lift(b)
    if a is NotImplemented or b is NotImplemented:
        return NotImplemented
    x, y = a.data, b.data
    out = op.forward(x, y)
    return _node(out, (a, b), op.derivative(x, y, out), op)


def _check_forward(out: Value, parents: tuple, fn: Op) -> None:
    d = out.data
    if d != d or d in (scalar.inf, -scalar.inf):
        inputs = ", ".join(repr(p.data) for p in parents)
        raise FloatingPointError(f"op {fn.name!r} produced {d!r} from inputs ({inputs})")


# -- converting inputs -------------------------------------------------------------------
def _is_number(x) -> bool:
    # bool is an int in Python, but True * Value is almost always a bug.
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_float(x, name: str = "data") -> float:
    if type(x) is float:
        return x
    if not _is_number(x):
        raise TypeError(f"{name} must be a real number (int or float), got {type(x).__name__}")
    try:
        return float(x)
    except OverflowError:  # an int too large for a float64
        return scalar.inf if x > 0 else -scalar.inf


def _lift(x):
    """A Value as is; a number as a constant leaf; anything else NotImplemented."""
    if isinstance(x, Value):
        return x
    if _is_number(x):
        return Value(x)
    return NotImplemented


def _lift_or_raise(x, where: str) -> Value:
    v = _lift(x)
    if v is NotImplemented:
        raise TypeError(f"{where} expects Values or numbers, got {type(x).__name__}")
    return v


# -- the primitive table -----------------------------------------------------------------
_value_of = scalar.value_of
_ONE, _ZERO, _MINUS_ONE = (1.0,), (0.0,), (-1.0,)
_ONE_ONE, _ONE_MINUS_ONE = (1.0, 1.0), (1.0, -1.0)

# Ops whose forward pass is written inline in the Value methods above (the hot path)
# name only what they need here: their graph-mode derivative, if it is not constant.
_ADD = Op("+")
_SUB = Op("-")
_NEG = Op("neg")
_ABS = Op("abs")
_RELU = Op("relu")
_LEAKY_RELU = Op("leaky_relu")
_MUL = Op("*", derivative=lambda a, b, out: (b, a))
_DIV = Op("/", scalar.div, lambda a, b, out: (scalar.div(1.0, b), -scalar.div(out, b)))


def _pow_rule(a, b, out):
    # PyTorch's limits where the plain formula is 0 * inf = nan:
    # d/da = 0 when b == 0, and d/db = 0 when a == 0 and b >= 0.
    # The first is needed only where b * a**(b-1) fails (a == 0 or nan): elsewhere the
    # formula is 0 too, and its own derivative d2/da db = 1/a stays right under create_graph.
    a_data, b_data = _value_of(a), _value_of(b)
    a_fails = a_data == 0.0 or a_data != a_data
    da = 0.0 if (b_data == 0.0 and a_fails) else b * scalar.pow(a, b - 1.0)
    db = 0.0 if (a_data == 0.0 and b_data >= 0.0) else out * scalar.log(a)
    return da, db


_POW = Op("**", scalar.pow, _pow_rule)


@lru_cache(maxsize=256)
def _power_op(e: float) -> Op:
    def rule(x, out):
        return (0.0 if e == 0.0 else e * scalar.pow(x, e - 1.0),)

    return Op(f"**{e:g}", lambda x: scalar.pow(x, e), rule)


_EXP = Op("exp", scalar.exp, lambda x, out: (out,))
_LOG = Op("log", scalar.log, lambda x, out: (scalar.div(1.0, x),))
_SQRT = Op("sqrt", scalar.sqrt, lambda x, out: (scalar.div(0.5, out),))
_TANH = Op("tanh", scalar.tanh, lambda x, out: (1.0 - out * out,))
_SIGMOID = Op("sigmoid", scalar.sigmoid, lambda x, out: (out * (1.0 - out),))
_SOFTPLUS = Op("softplus", scalar.softplus, lambda x, out: (scalar.sigmoid(x),))
_SIN = Op("sin", scalar.sin, lambda x, out: (scalar.cos(x),))
_COS = Op("cos", scalar.cos, lambda x, out: (-scalar.sin(x),))
