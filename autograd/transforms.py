"""Derivatives of whole functions, as in ``torch.func`` and JAX: ``jvp``, ``vjp``,
``jacobian``, ``hvp``, ``value_and_grad``, and what a Jacobian costs each way.

``f`` takes one Value per argument. Arguments given as numbers become new leaves; Values are
used as they are, so f's graph is built on them and transforms nest (a ``jvp`` inside a
``vjp``). The arguments must be independent: no Value twice, none computed from another.
Forward mode is ``autograd.forward``; reverse mode is ``autograd.grad``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from functools import partial

from . import ops
from .backprop import _call_scalar_function, grad, topological_order
from .forward import _as_value, _joint_order, _push, _require_bool, _tangent_number
from .value import Value, _is_number

_MODES = ("auto", "forward", "reverse")


def jvp(f: Callable, primals: Iterable, tangents: Iterable, create_graph: bool = False) -> tuple:
    """``(f(*primals), J @ tangents)``: f's value and its derivative along ``tangents``.

    One forward pass: the tangents flow from the arguments to the output along the recorded
    local derivatives (see ``forward_tangents``). ``primals`` and ``tangents`` hold one
    number (or Value) per argument of f. If f returns a list of Values the derivative is a
    list too, one per output. With ``create_graph=True`` derivatives are Values with a graph
    leading back to the primals (and to tangents given as Values), so they can be
    differentiated again.
    """
    _require_callable(f)
    _require_bool(create_graph)
    xs = _arguments(primals, "primals")
    ts = _numbers(tangents, "tangents", per=("primal", len(xs)), keep_values=create_graph)
    value = f(*xs)
    outputs = _outputs(value)
    tangent, _ = _push(_joint_order(outputs), dict(zip(xs, ts)), create_graph)
    derivatives = [tangent.get(y, 0.0) for y in outputs]
    if create_graph:
        derivatives = [_as_value(d) for d in derivatives]
    return value, derivatives[0] if isinstance(value, Value) else derivatives


def vjp(f: Callable, primals: Iterable, cotangent=1.0) -> tuple:
    """``(f(*primals), cotangent @ J)``: f's value and the gradient of ``cotangent · f``.

    One backward pass. If f returns a Value, ``cotangent`` is a number; if it returns a list
    of Values, a sequence with one number per output. The gradients are a tuple of floats,
    one per primal.
    """
    _require_callable(f)
    xs = _arguments(primals, "primals")
    single = isinstance(cotangent, Value) or _is_number(cotangent)
    if single:
        weights = [_tangent_number(cotangent, "cotangent", False)]
    elif _is_sequence(cotangent):
        weights = _numbers(cotangent, "cotangent")
    else:
        raise TypeError(
            "cotangent must be a number (when f returns a Value) or a sequence of numbers "
            f"(when f returns a list), got {type(cotangent).__name__}"
        )
    value = f(*xs)
    outputs = _outputs(value)
    if single != isinstance(value, Value) or len(weights) != len(outputs):
        got = "a number" if single else f"{len(weights)} numbers"
        raise ValueError(f"cotangent must hold one number per output of f ({len(outputs)}), got {got}")
    # One backward pass from sum_i cotangent_i * output_i: each output receives its weight.
    return value, grad(ops.dot(weights, outputs), xs)


def jacobian(f: Callable, inputs: Iterable, mode: str = "auto") -> list[list[float]]:
    """The matrix ``d output_i / d input_j`` of f at ``inputs``, as a list of rows.

    f returns a Value (one row) or a list of Values (one row each). ``mode="forward"``
    makes one forward pass per input (a column each), ``"reverse"`` one backward pass per
    output (a row each); ``"auto"`` picks forward when there are fewer inputs than outputs.
    """
    _require_callable(f)
    _require_mode(mode)
    xs = _arguments(inputs, "inputs")
    outputs = _outputs(f(*xs))
    if _pick(mode, xs, outputs) == "reverse":
        return [list(grad(y, xs)) for y in outputs]
    columns = [column for column, _ in _forward_passes(xs, outputs)]
    return [list(row) for row in zip(*columns)]


def count_multiplications(f: Callable, inputs: Iterable, mode: str = "auto") -> int:
    """How many edge multiplications ``jacobian(f, inputs, mode)`` performs.

    Forward mode: one pass per input, one multiplication per edge whose parent the input
    reaches. Reverse mode: one pass per output, one multiplication per edge of the output's
    graph (``grad`` sends a gradient along every edge between the output and its leaves).
    """
    _require_callable(f)
    _require_mode(mode)
    xs = _arguments(inputs, "inputs")
    outputs = _outputs(f(*xs))
    if _pick(mode, xs, outputs) == "reverse":
        return sum(len(node.parents) for y in outputs for node in topological_order(y))
    return sum(multiplications for _, multiplications in _forward_passes(xs, outputs))


def hvp(f: Callable, x: Iterable, v: Iterable) -> list[float]:
    """``H @ v`` for the Hessian H of the scalar function f at ``x``, without forming H.

    Forward-over-reverse: one backward pass builds f's gradient as a graph
    (``grad(create_graph=True)``), and one forward pass along ``v`` over that graph gives
    the gradient's derivative in the direction ``v``.
    """
    _require_callable(f)
    xs = _arguments(x, "x")
    vs = _numbers(v, "v", per=("entry of x", len(xs)))

    def gradient(*leaves):
        return list(grad(_call_scalar_function(f, leaves), leaves, create_graph=True))

    return jvp(gradient, xs, vs)[1]


def value_and_grad(f: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """A function that returns ``(f(*args), gradient)``, as ``jax.value_and_grad``.

    f returns a Value. The gradient is taken with respect to the positional argument
    ``argnums`` (a float), or to each of a tuple of them (a tuple of floats). Other
    arguments, and keyword arguments, are passed to f unchanged.
    """
    _require_callable(f)
    positions = _positions(argnums)
    one = not isinstance(argnums, tuple)

    def value_and_grad_f(*args, **kwargs):
        if max(positions) >= len(args):
            raise ValueError(
                f"argnums={argnums!r} asks for argument {max(positions)}, "
                f"but f was called with {len(args)} positional arguments"
            )
        names = [f"argument {i}" for i in positions]
        xs = [_argument(args[i], name) for i, name in zip(positions, names)]
        _require_independent(xs, names)
        args = list(args)
        for i, x in zip(positions, xs):
            args[i] = x
        value = _call_scalar_function(partial(f, **kwargs), args)
        grads = grad(value, xs)
        return value, grads[0] if one else grads

    return value_and_grad_f


# -- the two ways --------------------------------------------------------------------------
def _pick(mode: str, xs: list, outputs: list) -> str:
    if mode != "auto":
        return mode
    return "forward" if len(xs) < len(outputs) else "reverse"


def _forward_passes(xs: list[Value], outputs: list[Value]) -> Iterator[tuple[list[float], int]]:
    """One forward pass per input: a column of the Jacobian and its multiplications."""
    order = _joint_order(outputs)
    for x in xs:
        tangent, multiplications = _push(order, {x: 1.0})
        yield [tangent.get(y, 0.0) for y in outputs], multiplications


# -- checking what the user passed --------------------------------------------------------
def _require_callable(f) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")


def _require_mode(mode) -> None:
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a str ('auto', 'forward' or 'reverse'), got {type(mode).__name__}")
    if mode not in _MODES:
        raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")


def _positions(argnums) -> tuple[int, ...]:
    positions = (argnums,) if _is_int(argnums) else argnums
    if not isinstance(positions, tuple) or not all(map(_is_int, positions)):
        raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    if not positions:
        raise ValueError("argnums must name at least one argument, got ()")
    if min(positions) < 0:
        raise ValueError(f"argnums must be >= 0, got {argnums!r}")
    if len(set(positions)) != len(positions):
        raise ValueError(f"argnums must name each argument once, got {argnums!r}")
    return tuple(int(i) for i in positions)


def _is_int(i) -> bool:
    return isinstance(i, numbers.Integral) and not isinstance(i, bool)


def _is_sequence(values) -> bool:
    # A set or a dict has no order to pair its entries with f's arguments.
    return isinstance(values, Iterable) and not isinstance(values, (Value, str, bytes, Mapping, Set))


def _sequence(values, name: str) -> tuple:
    if not _is_sequence(values):
        raise TypeError(f"{name} must be a sequence (a list or tuple), got {type(values).__name__}")
    return tuple(values)


def _argument(x, name: str) -> Value:
    if isinstance(x, Value):
        return x
    if not _is_number(x):
        raise TypeError(f"{name} must be a number or a Value, got {type(x).__name__}")
    return Value(x)


def _arguments(values, name: str) -> list[Value]:
    items = _sequence(values, name)
    if not items:
        raise ValueError(f"{name} must hold at least one argument of f, got an empty sequence")
    names = [f"{name}[{i}]" for i in range(len(items))]
    xs = [_argument(x, n) for x, n in zip(items, names)]
    _require_independent(xs, names)
    return xs


def _require_independent(xs: list[Value], names: list[str]) -> None:
    """Each argument its own node, none computed from another: otherwise moving one would
    move the other, and the derivatives would not be those of f."""
    where: dict[Value, int] = {}
    for i, x in enumerate(xs):
        if x in where:
            raise ValueError(f"{names[i]} is the same Value as {names[where[x]]}: pass each argument once")
        where[x] = i
    for i, x in enumerate(xs):
        if x.parents:
            for node in topological_order(x):
                j = where.get(node)
                if j is not None and j != i:
                    raise ValueError(
                        f"{names[i]} is computed from {names[j]}: arguments must be independent "
                        "(numbers, or Values none of which depends on another)"
                    )


def _numbers(values, name: str, per: tuple[str, int] | None = None, keep_values: bool = False) -> list:
    """Numbers (or Values), one ``per`` (what, how many) when given."""
    items = _sequence(values, name)
    if per is not None and len(items) != per[1]:
        raise ValueError(f"{name} must hold one number per {per[0]} ({per[1]}), got {len(items)}")
    return [_tangent_number(t, f"{name}[{i}]", keep_values) for i, t in enumerate(items)]


def _outputs(value) -> list[Value]:
    """f's outputs as a list: a Value, or a non-empty list or tuple of Values."""
    if isinstance(value, Value):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"f must return a Value or a list of Values, got {type(value).__name__}")
    if not value:
        raise ValueError("f returned an empty list: it must return a Value or a non-empty list of Values")
    for i, y in enumerate(value):
        if not isinstance(y, Value):
            raise TypeError(f"f must return Values, but its output [{i}] is a {type(y).__name__}")
    return list(value)
