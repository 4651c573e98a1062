"""How numbers and nodes are written, the same way in every picture and every text.

Drawings, step captions, ``explain_paths`` and ``Path`` reprs all call ``format_number``,
so a gradient of 1.15e-11 never reads as 0 in one place and as 1e-11 in another.
"""

from __future__ import annotations

from .value import Value

DEFAULT_PRECISION = 4
_MAX_PRECISION = 17  # enough digits to write any float64 exactly


def check_precision(precision) -> int:
    """``precision`` as a number of significant digits, 1 to 17, or a clear error."""
    if isinstance(precision, bool) or not isinstance(precision, int):
        raise TypeError(f"precision must be an int (significant digits), got {type(precision).__name__}")
    if not 1 <= precision <= _MAX_PRECISION:
        raise ValueError(f"precision must be from 1 to {_MAX_PRECISION} significant digits, got {precision}")
    return precision


def format_number(x: float, precision: int = DEFAULT_PRECISION) -> str:
    """``x`` with ``precision`` significant digits, as short as it can be written.

    Plain decimals from 0.001 up to 100,000; scientific notation outside that range, so
    small gradients keep their digits: ``1.15e-11``, ``2.5e5``. Trailing zeros are dropped
    (``1``, ``-3.25``), zero is ``0`` whatever its sign, and inf and nan read as such.
    """
    precision = check_precision(precision)
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        return "0"
    # Round first, then choose the notation from the rounded exponent, so 99999.99 becomes
    # 1e5 rather than "100000".
    mantissa, exponent = f"{x:.{precision - 1}e}".split("e")
    power = int(exponent)
    if power < -3 or power >= 5:
        return f"{_strip_zeros(mantissa)}e{power}"
    decimals = max(precision - 1 - power, 0)
    return _strip_zeros(f"{x:.{decimals}f}")


def _strip_zeros(digits: str) -> str:
    return digits.rstrip("0").rstrip(".") if "." in digits else digits


def constants(order: list[Value], root: Value) -> set[Value]:
    """The number leaves of a graph (``order``, as ``topological_order`` gives it) that are
    written inside the node they feed instead of drawn and named on their own: unlabelled,
    not a Parameter, and fed only into ops of one or two inputs (``2 * x``, ``1 - y``). The
    inputs of a wide op (a ``dot``) are its inputs, numbers or not."""
    wide = set()
    for node in order:
        if len(node.parents) > 2:
            wide.update(node.parents)
    return {node for node in order
            if not node.parents and not node.label and type(node) is Value and node is not root and node not in wide}


def node_name(node: Value, precision: int = DEFAULT_PRECISION) -> str:
    """How texts name a node: its label, else its op in angle brackets, else the constant."""
    if node.label:
        return node.label
    if node.op:
        return f"<{node.op}>"
    return f"<const {format_number(node.data, precision)}>"
