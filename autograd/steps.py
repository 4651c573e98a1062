"""Backpropagation one node at a time, so a notebook can watch the chain rule work.

``backward_steps(root)`` performs exactly ``autograd.backward(root)``: the same topological
order, the same float operations in the same sequence, so the grads it leaves are
bit-identical. It only pauses after each node has sent its gradient to its parents and
says what it sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .backprop import _check_contribution, topological_order
from .value import Value, _Mode

# Nodes whose grad a paused backward_steps pass has not finished, one set per pass under
# way: drawings show those grads as partial sums. A pass removes its set when it finishes
# or is closed.
_passes_under_way: dict[int, set[Value]] = {}


def _pending_grads() -> set[Value]:
    """Every node whose gradient some paused ``backward_steps`` pass is still summing."""
    return set().union(*_passes_under_way.values())


def _name(node: Value) -> str:
    """How texts name a node: its label, else its op in angle brackets, else the constant."""
    if node.label:
        return node.label
    if node.op:
        return f"<{node.op}>"
    return f"<const {node.data:.6g}>"


@dataclass(frozen=True)
class Contribution:
    """What one edge sent backwards: ``parent.grad += local_grad * node.grad``."""

    parent: Value
    local_grad: float
    amount: float

    def __repr__(self) -> str:
        return f"<{_name(self.parent)}.grad += {self.amount:.6g} (local derivative {self.local_grad:.6g})>"


@dataclass(frozen=True)
class Step:
    """One node of the backward pass, just after it sent its gradient to its parents.

    ``number`` counts from 1 (the root) to ``total``; ``grad`` is the node's final
    gradient; ``contributions`` has one entry per edge to a parent (empty for a leaf).
    """

    number: int
    total: int
    node: Value
    grad: float
    contributions: tuple[Contribution, ...]

    def __repr__(self) -> str:
        sent = "".join(f"; {line}" for line in self._sent(aligned=False))
        return f"<Step {self.number}/{self.total}: {_name(self.node)}{self._kind()}, grad {self.grad:.6g}{sent}>"

    def __str__(self) -> str:
        head = f"Step {self.number} of {self.total}: {_name(self.node)}{self._kind()} has its final grad {self.grad:.6g}"
        if not self.contributions:
            return head + "; a leaf sends nothing back"
        lines = self._sent(aligned=True)
        return "\n".join([head + " and sends local derivative * grad to its parents:", *lines])

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        # IPython shows the multi-line form as a notebook cell's output.
        printer.text(str(self))

    def _kind(self) -> str:
        node = self.node
        if not node.op:
            return " (leaf)"
        return f" [{node.op}]" if node.label else ""  # unlabelled: the name already is the op

    def _sent(self, aligned: bool) -> list[str]:
        names = [f"{_name(c.parent)}.grad" for c in self.contributions]
        width, indent = (max(map(len, names), default=0), "  ") if aligned else (0, "")
        return [
            f"{indent}{name:<{width}} += {c.local_grad:.6g} * {self.grad:.6g} = {c.amount:.6g}"
            for name, c in zip(names, self.contributions)
        ]


def backward_steps(root: Value) -> Iterator[Step]:
    """Perform ``autograd.backward(root)`` one node at a time, yielding a ``Step`` after each.

    Nodes come in reverse topological order (the root first). While the pass is paused,
    every node already yielded holds its final gradient and every other node holds the sum
    of what it has been sent so far (``autograd.draw`` shows those grads as partial).
    Leaves accumulate across passes as with ``backward``: the grad a leaf held before is
    added when the leaf is reached, or when the pass is closed early (``break`` out of the
    loop, ``.close()``), so nothing accumulated earlier is lost. Exhausting the generator
    leaves every grad bit-identical to ``root.backward()``. Under ``detect_anomaly()`` the
    step whose contribution is nan or inf raises ``FloatingPointError``, as ``backward`` does.
    """
    return _steps(root, topological_order(root))


def _steps(root: Value, order: list[Value]) -> Iterator[Step]:
    # The same operations as autograd.backward, in the same order: the sum for each node
    # starts from zero and a leaf's earlier grad is added once all of this pass's
    # contributions are in (by the time a leaf is reached, none are left to come).
    earlier = {node: node.grad for node in order if not node.parents}
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    check = _Mode.anomaly
    pending = set(order)
    _passes_under_way[id(pending)] = pending
    try:
        total = len(order)
        for number, node in enumerate(reversed(order), 1):
            g = node.grad
            sent = []
            for parent, local in zip(node.parents, node.local_grads):
                amount = local * g
                if check:
                    _check_contribution(node, local, g, amount)
                parent.grad += amount
                sent.append(Contribution(parent, local, amount))
            if not node.parents:
                node.grad += earlier.pop(node)
            pending.discard(node)
            yield Step(number, total, node, node.grad, tuple(sent))
    finally:
        for leaf, grad_before in earlier.items():
            leaf.grad += grad_before
        del _passes_under_way[id(pending)]
