"""The ``Value`` node and its primitive ops.

Every scalar is a node of an influence diagram. A node computed from others keeps

* ``parents``: the Values it was computed from, one entry per edge (``a*a`` has two), and
* ``local_grads``: ``d self / d parent`` for each edge, as floats, recorded in the forward pass.

Backpropagation (``autograd.backprop``) then needs nothing but
``parent.grad += local_grad * node.grad`` over a reverse topological order. An input an op
did not use (relu's off side, the inputs ``max`` did not pick) gets the local derivative
``MASKED``, a 0.0 that sends nothing back even when the gradient is inf or nan
(``autograd.backprop.contribution``), as PyTorch masks.

Each primitive is an ``Op``: a forward formula beside its local derivatives. Each formula is
written once and serves three times: the forward pass calls it with floats to record
``local_grads``; ``autograd.grad(create_graph=True)`` calls the derivative with Values to
get each derivative as a graph that can be differentiated again; ``autograd.tape`` calls
both with numpy arrays to replay a recorded graph over a batch.
"""

from __future__ import annotations

import numbers
import threading
from functools import lru_cache, wraps

from . import scalar


class _ModeState(threading.local):
    """This thread's switches, set by ``no_grad()`` and ``detect_anomaly()`` (``autograd.modes``).

    Per thread, as PyTorch's grad mode: a thread starts with these class defaults.
    """

    recording = True
    anomaly = False


_Mode = _ModeState()


class _Switched:
    """How many ``no_grad``/``detect_anomaly`` blocks are open, in all threads together.

    While it is 0 every thread has the defaults, so the hot path (``_node``) reads this one
    class attribute instead of the slower thread-local state.
    """

    blocks = 0


# The local derivative of an input an op did not use (relu at x <= 0, ...): a 0.0 that masks,
# told apart by identity. It is defined beside the formulas that return it (autograd.scalar).
MASKED = scalar.MASKED


class _Overflowed(float):
    """A local derivative ``1/x`` that overflowed to +-inf though ``x`` is finite and not 0
    (log at ``x = 5e-324``, the numerator's edge of a division by it): the true derivative
    is finite, so a zero gradient sends 0 through it (0 times it), as PyTorch, which divides
    the gradient by ``x``, sends ``0 / x = 0``, where ``0.0 * inf`` would be nan. Any other
    gradient meets the inf (``contribution`` multiplies: ``1e-10 * inf`` is inf)."""

    __slots__ = ()

    def __mul__(self, other):
        return 0.0 if other == 0.0 else float(self) * other

    __rmul__ = __mul__


def _reciprocal(x):
    """``1/x`` as a local derivative: an ``_Overflowed`` inf where it overflows (above)."""
    q = scalar.div(1.0, x)
    if type(q) is float and q - q != 0.0 and x != 0.0 and x == x:  # inf from a finite x
        return _Overflowed(q)
    return q


class Op:
    """A scalar primitive: ``forward(*floats) -> float`` and ``derivative(*inputs, out)``.

    ``derivative`` returns one local derivative per input. It receives floats during the
    forward pass and Values under ``grad(create_graph=True)``, so write it with arithmetic
    operators and ``autograd.scalar`` functions (``exp``, ``log``, ``div``, ...), which work
    on both. A user-defined op gives both ``forward`` and ``derivative``.

    Written with arithmetic and ``autograd.scalar`` (whose ``where`` and ``mask`` make a
    choice per element), both formulas also run on numpy arrays, so ``autograd.trace`` can
    replay the op over a batch. The ops built into ``Value`` and ``ops`` carry both formulas
    too, and compute them inline on floats (the hot path). A piecewise linear op (``+``,
    ``relu``, ``max``...) returns constants from its derivative: the floats it records are
    exact near the point, and their derivative is zero.

    An ``Op`` is callable on Values or numbers, so a user-defined op behaves like a built-in::

        softsign = Op("softsign", lambda x: x / (1 + abs(x)),
                      lambda x, out: (1 / (1 + abs(x)) ** 2,), formula="1/(1 + |x|)²")
        y = softsign(Value(0.5))

    ``formula`` (optional) is the local derivative as text, one per input or one for all,
    shown on the edges by ``draw(..., edge_labels="formula")``.
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
        out = _as_float(self.forward(*xs), f"forward of op {self.name!r}: its result")
        local = self.derivative(*xs, out)
        if isinstance(local, (str, bytes)) or not hasattr(local, "__len__") or len(local) != len(inputs):
            got = f"{len(local)} values" if hasattr(local, "__len__") else f"a {type(local).__name__}"
            raise ValueError(
                f"derivative of {self.name!r} returned {got}, expected one per input ({len(inputs)})"
            )
        where = f"derivative of op {self.name!r}: each local derivative"
        local = tuple(_as_float(g, where) for g in local)  # a float (MASKED too) is kept as is
        return _node(out, inputs, local, self)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __deepcopy__(self, memo) -> Op:
        return self  # a pair of formulas, never changed: copies of a graph share it


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
        # relu'(0) = 0 (PyTorch's choice of subgradient), and relu(-0.0) = -0.0 as in PyTorch.
        if x > 0.0 or x != x:
            return _node(x, (self,), _ONE, _RELU)
        return _node(x if x == 0.0 else 0.0, (self,), _UNUSED, _RELU)

    def leaky_relu(self, negative_slope: float = 0.01):
        slope = _as_float(negative_slope, "negative_slope")
        op = _leaky_relu_op(slope)
        x = self.data
        # leaky_relu'(0) = negative_slope, as in PyTorch.
        if x > 0.0:
            return _node(x, (self,), _ONE, op)
        return _node(x * slope, (self,), (slope,), op)

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
    if _Switched.blocks and not _Mode.recording:
        out = _new(Value)
    else:
        out = _new(_OpNode)
        out.parents = parents
        out.local_grads = local_grads
        out._fn = fn
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _Switched.blocks and _Mode.anomaly:
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
_ONE, _UNUSED, _MINUS_ONE = (1.0,), (MASKED,), (-1.0,)
_ONE_ONE, _ONE_MINUS_ONE = (1.0, 1.0), (1.0, -1.0)

# The Value methods above compute these inline on floats (the hot path); the formulas here
# are the same ones, for graphs of derivatives and for arrays (autograd.tape).
_ADD = Op("+", lambda a, b: a + b, lambda a, b, out: _ONE_ONE)
_SUB = Op("-", lambda a, b: a - b, lambda a, b, out: _ONE_MINUS_ONE)
_NEG = Op("neg", lambda x: -x, lambda x, out: _MINUS_ONE)
_MUL = Op("*", lambda a, b: a * b, lambda a, b, out: (b, a))
_DIV = Op("/", scalar.div, lambda a, b, out: (_reciprocal(b), -scalar.div(out, b)))


def _sign(x):
    # sign(x), with abs'(0) = 0 as in PyTorch (and 0 at nan).
    d = _value_of(x)
    return scalar.where(d > 0.0, 1.0, scalar.where(d < 0.0, -1.0, 0.0))


_ABS = Op("abs", abs, lambda x, out: (_sign(x),))


def _relu_rule(x, out):
    # relu'(nan) = 1, as in PyTorch (its mask is "not x <= 0"); relu'(0) = 0.
    d = _value_of(x)
    return (scalar.mask((d > 0.0) | (d != d)),)


_RELU = Op("relu", lambda x: scalar.where(x < 0.0, 0.0, x), _relu_rule)  # relu(-0.0) is -0.0


class _NumberOp(Op):
    """An op with a number of its own, fixed when it is made: ``x ** e`` keeps its exponent,
    ``leaky_relu`` its negative slope. One op per number, from a small cache (``make``);
    pickles write the number."""

    __slots__ = ("number", "make")


def _number_op(make):
    """``make(number) -> (name, forward, derivative)`` as a cached maker of ``_NumberOp``s."""

    @lru_cache(maxsize=256)
    @wraps(make)  # so pickle finds the maker by its module name
    def cached(number: float) -> Op:
        op = _NumberOp(*make(number))
        op.number, op.make = number, cached
        return op

    return cached


@_number_op
def _leaky_relu_op(slope: float):
    # leaky_relu'(0) = negative_slope, as in PyTorch.
    return ("leaky_relu", lambda x: scalar.where(x > 0.0, x, x * slope),
            lambda x, out: (scalar.where(_value_of(x) > 0.0, 1.0, slope),))


_MASK = Op("mask")


def _masked(derivative: Value) -> Value:
    """``MASKED`` as a graph: a local derivative of 0 that masks, with an edge of 1 to
    ``derivative``, whose graph gives the next derivatives (see ``_masked_product``)."""
    return _node(0.0, (derivative,), _ONE, _MASK)


def _masked_product(mask: Value, g) -> Value:
    """What an edge whose graph-mode local derivative is ``_masked`` sends back: 0.0
    whatever ``g`` is, as a product node, so the next derivatives still flow to the mask."""
    g = _lift(g)
    return _node(0.0, (mask, g), (g.data, MASKED), _MUL)


def _pow_rule(a, b, out):
    # PyTorch's values where the plain formula would be 0 * inf = nan: d/da = 0 when b == 0,
    # a mask (a**0 is 1 for every a), and d/db = 0 when a == 0 and b >= 0, a plain factor
    # (PyTorch multiplies the gradient by it: an inf gradient gives nan).
    a_data, b_data = _value_of(a), _value_of(b)
    if isinstance(a, Value):
        return _pow_graph_rule(a, b, out, a_data, b_data)
    da = scalar.mask(b_data != 0.0, b * scalar.pow(a, b - 1.0))
    db = scalar.where((a_data == 0.0) & (b_data >= 0.0), 0.0, out * scalar.log(a))
    return da, db


def _pow_graph_rule(a: Value, b: Value, out: Value, a_data: float, b_data: float):
    """The derivatives of ``a**b`` as graphs, for ``grad(create_graph=True)``.

    The masks above give the first derivatives, and ``_masked`` keeps a graph behind each
    for the second. At ``a == 0``, ``0 <= b <= 1`` the formulas meet ``0 * inf``, so the
    second derivatives are their limits as ``a -> 0+``, stored on the edges of two nodes:
    the Hessian is the true, symmetric one (at (0, 1): [[0, -inf], [-inf, 0]]).
    """
    if a_data == 0.0 and 0.0 <= b_data <= 1.0:
        second = _pow_second_derivatives_at_zero_base(b_data)
    elif a_data != 0.0 and abs(scalar.div(1.0, a_data)) == scalar.inf:
        # So small a base that 1/a overflows: the graph of out * log(a) would give
        # d2/da db as a**b * inf, so the second derivatives are computed here, as floats.
        second = _pow_second_derivatives(a_data, b_data)
    else:
        second = None
    if second is not None:
        daa, dab, dbb = second
        da = _node(b_data * scalar.pow(a_data, b_data - 1.0), (a, b), (daa, dab), _POW_DA)
        db_data = 0.0 if a_data == 0.0 else out.data * scalar.log(a_data)
        db = _node(db_data, (a, b), (dab, dbb), _POW_DB)
        return (_masked(da) if b_data == 0.0 else da), db
    if b_data == 0.0:
        # a**0 is 1 for every a, but d2/da db = 1/a is not 0: the mask keeps its graph
        # (at a nan base, so that d2/da db is nan as d2/db da is).
        return _masked(b * scalar.pow(a, b - 1.0)), out * scalar.log(a)
    db = 0.0 if (a_data == 0.0 and b_data >= 0.0) else out * scalar.log(a)
    return b * scalar.pow(a, b - 1.0), db


def _pow_second_derivatives_at_zero_base(b: float) -> tuple[float, float, float]:
    """``(d2/da2, d2/da db, d2/db2)`` of ``a**b`` as ``a -> 0+``, for ``0 <= b <= 1``:
    ``b(b-1) a**(b-2)``, ``a**(b-1) (1 + b log a)`` and ``a**b log(a)**2``."""
    if b == 0.0:
        return 0.0, scalar.inf, scalar.inf
    if b == 1.0:
        return 0.0, -scalar.inf, 0.0
    return -scalar.inf, -scalar.inf, 0.0


def _pow_second_derivatives(a: float, b: float) -> tuple[float, float, float]:
    """``(d2/da2, d2/da db, d2/db2)`` of ``a**b`` at a base ``a`` not 0: ``b(b-1) a**(b-2)``,
    ``a**(b-1) (1 + b log a)`` and ``a**b log(a)**2``, each as one float formula."""
    daa = 0.0 if b in (0.0, 1.0) else b * (b - 1.0) * scalar.pow(a, b - 2.0)
    log_a = scalar.log(a)  # nan for a negative base, as d/db is
    return daa, scalar.pow(a, b - 1.0) * (1.0 + b * log_a), scalar.pow(a, b) * log_a * log_a


def _second_derivatives_as_graphs(a: Value, b: Value, out: Value) -> tuple:
    """The limits on the edges of ``out`` as nodes whose own derivatives are nan: third
    derivatives at those points are infinite or undefined, and are not invented."""
    return tuple(_node(d, (a, b), (scalar.nan, scalar.nan), _NO_DERIVATIVE) for d in out.local_grads)


_POW_DA = Op("d(a**b)/da", derivative=_second_derivatives_as_graphs)
_POW_DB = Op("d(a**b)/db", derivative=_second_derivatives_as_graphs)
_NO_DERIVATIVE = Op("no derivative")
_POW = Op("**", scalar.pow, _pow_rule)


@_number_op
def _power_op(e: float):
    # ``x ** e`` for a number ``e``: x**0 is 1 for every x, so its base is masked.
    return (f"**{e:g}", lambda x: scalar.pow(x, e),
            lambda x, out: (MASKED if e == 0.0 else e * scalar.pow(x, e - 1.0),))


_EXP = Op("exp", scalar.exp, lambda x, out: (out,))
_LOG = Op("log", scalar.log, lambda x, out: (_reciprocal(x),))
_SQRT = Op("sqrt", scalar.sqrt, lambda x, out: (scalar.div(0.5, out),))
_TANH = Op("tanh", scalar.tanh, lambda x, out: (1.0 - out * out,))
_SIGMOID = Op("sigmoid", scalar.sigmoid, lambda x, out: (out * (1.0 - out),))
_SOFTPLUS = Op("softplus", scalar.softplus, lambda x, out: (scalar.sigmoid(x),))
_SIN = Op("sin", scalar.sin, lambda x, out: (scalar.cos(x),))
_COS = Op("cos", scalar.cos, lambda x, out: (-scalar.sin(x),))
