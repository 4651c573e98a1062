"""Graph algorithms: topological order, backpropagation, and gradients as graphs.

No recursion anywhere, so a chain of a million ops is as easy as a chain of three, and
every loop walks tuples, so the order (and the float rounding) is the same on every run.

Each edge sends ``contribution(local, g)`` back to its parent: ``local * g``, except that an
input the op did not use (local derivative ``MASKED``) gets 0.0 even from an inf or nan
gradient, as PyTorch masks it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from .value import MASKED, Value, _MASK, _masked_product, _Mode


def contribution(local: float, g: float) -> float:
    """What one edge sends back to its parent: its local derivative times the gradient ``g``
    of the node it leads to, ``local * g``, except for an input the op did not use.

    Such an input (relu at x <= 0, the inputs max and min did not pick, the base of
    ``x**0``) has the local derivative ``MASKED`` and gets 0.0 whatever ``g`` is, where
    ``0.0 * inf`` and ``0.0 * nan`` would be nan: PyTorch masks these edges the same way.
    Any other 0 is a factor and multiplies as IEEE says, as in PyTorch::

        contribution(MASKED, inf) == 0.0        # relu(-1.0).sqrt(): d/dx is 0
        math.isnan(contribution(0.0, inf))      # (x * 0.0).sqrt(): d/dx is 0 * inf = nan

    ``backward()`` multiplies directly where ``g`` is finite (``MASKED * g`` is a zero
    there too, and sums start from 0.0, so its sign cannot show) and calls this only where
    ``g`` is inf or nan. ``grad()``, ``paths()``, forward mode and any other pass that sends
    something along edges call it for every edge.
    """
    return 0.0 if local is MASKED else local * g


def topological_order(root: Value, *, known: set[Value] | None = None) -> list[Value]:
    """Every node ``root`` depends on, inputs first and ``root`` last.

    Depth-first search with an explicit stack. A node is placed after all of its parents:
    it is pushed back (``expanded``) before its parents, and placed when it is popped again,
    by which time every parent pushed above it has been placed.

    ``known``: nodes placed by earlier calls given the same set, left out with everything
    they depend on; the nodes placed now are added to it. So orders of several roots
    together place each node once, in time linear in the nodes (``autograd.pickling``).
    """
    _require_value(root, "root")
    return _order((root,), known)


def _order(roots: Sequence[Value], known: set[Value] | None = None) -> list[Value]:
    """Every node the roots depend on, each once, in the order ``topological_order`` gives
    the first root, then the nodes the next root adds, and so on (``known``: as above)."""
    order: list[Value] = []
    seen: set[Value] = set() if known is None else known
    stack: list[tuple[Value, bool]] = []
    push, pop, place, mark = stack.append, stack.pop, order.append, seen.add
    for root in roots:
        push((root, False))
        while stack:
            node, expanded = pop()
            if expanded:
                place(node)
                continue
            if node in seen:
                continue
            mark(node)
            push((node, True))
            # Reversed, so the first interior parent is searched first. Leaves are placed as
            # they are met, so a node's leaf inputs come right to left, before its interior
            # inputs: a*b + c gives c, b, a, a*b, a*b + c.
            for parent in reversed(node.parents):
                if parent not in seen:
                    if parent.parents:
                        push((parent, False))
                    else:  # a leaf depends on nothing: place it now, skipping a round trip
                        mark(parent)
                        place(parent)
    return order


# One backward pass at a time, in all threads: two passes over graphs that share nodes
# would otherwise add into each other's sums.
_one_pass_at_a_time = threading.RLock()


def backward(root: Value) -> None:
    """Set every ``.grad`` in ``root``'s graph to ``d root / d node``.

    Leaves accumulate across calls, as in PyTorch (call twice, get twice the gradient);
    every interior node holds this call's gradient, so the graph can be drawn afterwards.
    Calls from several threads run one after another, so leaves they share accumulate
    exactly what sequential calls give. A call is all or nothing: if it is interrupted at
    any instruction (``FloatingPointError`` under ``detect_anomaly()``, ``KeyboardInterrupt``),
    every grad in the graph is as it was before the call.
    """
    order = topological_order(root)
    # One line: a with statement on several lines has instructions, between taking the lock
    # and the block that gives it back, where an interrupt would leave it taken.
    with _one_pass_at_a_time: _backward_all_or_nothing(root, order)  # noqa: E701


def _backward_all_or_nothing(root: Value, order: list[Value]) -> None:
    before = [node.grad for node in order]
    try:
        _backpropagate(root, order)
        # This call's gradients are summed apart and only then added to what the leaves
        # held, so a second call doubles every leaf grad exactly (not just up to rounding).
        for node, held in zip(order, before):
            if not node.parents:
                node.grad += held
    except BaseException:
        for node, held in zip(order, before):
            node.grad = held
        raise


def _backpropagate(root: Value, order: list[Value]) -> None:
    # Every sum starts from 0.0, here, in grad() and in autograd.steps alike, so a zero
    # gradient is +0.0 (PyTorch keeps -0.0 when every contribution is -0.0).
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    if _Mode.anomaly:
        _backward_checked(order)
        return
    for node in reversed(order):
        g = node.grad
        if g - g == 0.0:  # g is finite, so the masks multiply like any 0.0: the hot path
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * g
        else:  # g is inf or nan: the masks must send 0.0
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += contribution(local, g)


def _backward_checked(order: list[Value]) -> None:
    for node in reversed(order):
        g = node.grad
        for parent, local in zip(node.parents, node.local_grads):
            sent = contribution(local, g)
            _check_contribution(node, local, g, sent)
            parent.grad += sent


def _check_contribution(node: Value, local: float, g: float, sent: float) -> None:
    if sent != sent or abs(sent) == float("inf"):
        raise FloatingPointError(
            f"backward of op {node.op!r} produced {sent!r} "
            f"(local derivative {local!r} times gradient {g!r}) "
            f"from inputs ({', '.join(repr(p.data) for p in node.parents)})"
        )


def local_derivatives(node: Value, create_graph: bool = False) -> tuple:
    """``d node / d parent`` for each edge: the recorded floats, or Values when a graph is wanted."""
    rule = node._fn.derivative if node._fn is not None else None
    if not create_graph or rule is None:
        return node.local_grads
    return tuple(rule(*node.parents, node))


def grad(output: Value, inputs: Sequence[Value] | Value, create_graph: bool = False) -> tuple:
    """Gradients of ``output`` with respect to each of ``inputs``; no ``.grad`` is touched.

    * ``create_graph=False``: a tuple of floats.
    * ``create_graph=True``: a tuple of Values whose graphs lead back to the inputs, so
      ``grad`` can be applied to them again (second, third and mixed derivatives).

    An input that does not influence ``output`` gets 0.0 (``Value(0.0)`` with a graph).
    """
    _require_value(output, "output")
    inputs = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for i, x in enumerate(inputs):
        _require_value(x, f"inputs[{i}]")
    times = _times_without_ones if create_graph else contribution
    total: dict[Value, object] = {output: 1.0}
    for node in reversed(topological_order(output)):
        g = total.get(node)
        if g is None or not node.parents:
            continue
        for parent, local in zip(node.parents, local_derivatives(node, create_graph)):
            sent = times(local, g)
            # A Value sent is an op's output, which anomaly mode has checked already.
            if _Mode.anomaly and not isinstance(sent, Value):
                _check_contribution(node, local, g, sent)
            total[parent] = total[parent] + sent if parent in total else _first_term(sent)
    if not create_graph:
        return tuple(total.get(x, 0.0) for x in inputs)
    # Derivatives that came out constant (floats) become constant leaves.
    return tuple(g if isinstance(g, Value) else Value(g) for g in (total.get(x, 0.0) for x in inputs))


def _first_term(sent):
    """The start of a sum of what edges send (a gradient here, a tangent in forward mode):
    every sum starts from 0.0, as backward() and the steps sum, so a lone -0.0 gives 0.0
    everywhere alike. A Value (graph mode) is kept as it is."""
    return sent if isinstance(sent, Value) else 0.0 + sent


def _times_without_ones(local, g):
    """``contribution(local, g)`` when a graph is wanted: ``local * g``, but no node for a
    factor that is exactly 1.0 (the seed, the edges of ``+``), so the derivative's graph
    holds only the multiplications the math has. A mask sends 0.0: ``MASKED`` as a
    constant, a graph-mode mask (``_masked``) as a node whose value is 0.0."""
    if local is MASKED:
        return 0.0
    if type(g) is float and g == 1.0:
        return local
    if type(local) is float and local == 1.0:
        return g
    if getattr(local, "_fn", None) is _MASK:
        return _masked_product(local, g)
    return local * g


def hessian(f, inputs: Iterable) -> list[list[float]]:
    """Matrix of second derivatives of ``f(*inputs)``, by differentiating each gradient again."""
    xs = [Value(x.data if isinstance(x, Value) else x) for x in inputs]
    y = _call_scalar_function(f, xs)
    first = grad(y, xs, create_graph=True)
    return [list(grad(g, xs)) for g in first]


def _call_scalar_function(f, xs: list[Value]) -> Value:
    y = f(*xs)
    if not isinstance(y, Value):
        raise TypeError(f"f must return a Value, got {type(y).__name__}")
    return y


def _require_value(x, name: str) -> None:
    if not isinstance(x, Value):
        raise TypeError(f"{name} must be a Value, got {type(x).__name__}")
