"""Each op's local derivatives written as the lecture notes write them, for edge labels.

``edge_formula(node, slot, name)`` is ``d node / d node.parents[slot]`` as text, with the
other operands named by ``name`` (``*`` carries the other factor, ``dot`` the input on a
weight). ``a`` stands for the node's own output, ``x`` for its input. A user-defined ``Op``
gives its own text with ``formula=``; without one there is none (the drawing shows the value).
"""

from __future__ import annotations

from collections.abc import Callable

from .value import Value

_FIXED = {
    "+": ("1", "1"),
    "-": ("1", "-1"),
    "neg": ("-1",),
    "abs": ("sign(x)",),
    "relu": ("1 if x > 0, else 0",),
    "leaky_relu": ("1 if x > 0, else slope",),
    "exp": ("e^x = a",),
    "log": ("1/x",),
    "sqrt": ("1/(2√x)",),
    "tanh": ("1 - a²",),
    "sigmoid": ("a(1 - a)",),
    "softplus": ("sigmoid(x)",),
    "sin": ("cos x",),
    "cos": ("-sin x",),
}


def edge_formula(node: Value, slot: int, name: Callable[[Value], str]) -> str | None:
    """The local derivative on edge ``slot`` of ``node`` as a formula, or None if unknown."""
    op, parents = node.op, node.parents
    if op in _FIXED:
        return _FIXED[op][slot]
    if op == "*":
        return name(parents[1 - slot])
    if op == "/":
        a, b = name(parents[0]), name(parents[1])
        return f"1/{b}" if slot == 0 else f"-{a}/{b}²"
    if op == "**":
        a, b = name(parents[0]), name(parents[1])
        return f"{b}·{a}^({b} - 1)" if slot == 0 else f"{a}^{b}·ln {a}"
    if op.startswith("**"):
        return _power_formula(op[2:])
    if op in ("sum", "mean"):
        return "1" if op == "sum" else f"1/{len(parents)}"
    if op == "dot":
        n = len(parents) // 2
        if slot >= 2 * n:
            return "1 (bias)"
        return name(parents[slot + n]) if slot < n else name(parents[slot - n])
    if op in ("max", "min"):
        return f"1 if the {'largest' if op == 'max' else 'smallest'}, else 0"
    if op == "logsumexp":
        return f"softmax_{slot}"
    if op in ("softmax", "log_softmax"):
        return _vector_formula(op, _output_index(node), slot)
    custom = getattr(node._fn, "formula", None)
    if isinstance(custom, str):
        return custom
    if isinstance(custom, tuple) and slot < len(custom):
        return custom[slot]
    return None


def _power_formula(exponent: str) -> str:
    e = float(exponent)
    if e == 0.0:
        return "0"
    if e == 1.0:
        return "1"
    if e == 2.0:
        return "2x"
    return f"{exponent}·x^{float(e - 1.0):g}"


def _output_index(node: Value) -> int:
    # The row knows which output it belongs to (ops.JacobianRow).
    return node.local_grads.output


def _vector_formula(op: str, i: int, j: int) -> str:
    if op == "softmax":
        return f"y{i}(1 - y{i})" if i == j else f"-y{i}·y{j}"
    return f"1 - y{i}" if i == j else f"-y{j}"
