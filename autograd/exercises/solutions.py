"""A right answer and a typical wrong one for each task, used when ``CHAINRULE_FILL_ANSWERS``
is set: an executed notebook checks that its grader passes the one and refuses the other,
then carries on with the right one.

The functions import what they use inside their bodies: a notebook's unwritten function
takes over their code (``grading._become``), and runs it among the notebook's names.
"""

from __future__ import annotations

import math


class Value:
    """The micrograd lecture's design: each op's output keeps a closure that sends its
    gradient to its inputs, and its inputs as ``parents``, so ``topological_order`` below
    orders it. New nodes are made with ``type(self)``, so the methods work unchanged on a
    notebook's class that takes them over."""

    def __init__(self, data, parents=()):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self._backward = lambda: None

    def _lift(self, x):
        return x if hasattr(x, "_backward") else type(self)(x)

    def __add__(self, other):
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = type(self)(self.data ** k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def _unary(self, y, local):
        out = type(self)(y, (self,))

        def _backward():
            self.grad += local(out) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda out: 1 - out.data ** 2)

    def exp(self):
        return self._unary(math.exp(self.data), lambda out: out.data)

    def relu(self):
        return self._unary(max(self.data, 0.0), lambda out: float(out.data > 0))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other):
        return self._lift(other) * self ** -1

    def backward(self):
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            node._backward()


def topological_order(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return order


def backward(root):
    from autograd import topological_order

    order = topological_order(root)
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad


class MLP:
    def __init__(self, nin, nouts):
        import random

        from autograd import Value

        rng = random.Random(0)
        sizes = [nin] + list(nouts)
        self.layers = [[([Value(rng.uniform(-1, 1)) for _ in range(a)], Value(0.0)) for _ in range(b)]
                       for a, b in zip(sizes, sizes[1:])]

    def __call__(self, x):
        a = list(x)
        for k, layer in enumerate(self.layers):
            zs = [sum((w * ai for w, ai in zip(ws, a)), b) for ws, b in layer]
            a = zs if k == len(self.layers) - 1 else [z.tanh() for z in zs]
        return a[0] if len(a) == 1 else a

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in ws + [b]]


def sgd_step(model, xs, ys, lr):
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    errors = [(model(x) - y) ** 2 for x, y in zip(xs, ys)]
    loss = sum(errors) / len(errors)
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return loss.data


def layer_backward(W, b, A, Delta):
    return Delta.T @ A, Delta.sum(axis=0), Delta @ W


def _order_by_levels(root):
    """Breadth-first from the output, reversed: not topological where paths differ in length."""
    order, seen, queue = [], {root}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order[::-1]


def _backward_assigning(root):
    from autograd import topological_order

    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad = local * node.grad


class _TanhFromInput(Value):
    def tanh(self):
        return self._unary(math.tanh(self.data), lambda out: 1 - self.data ** 2)


class _MLPTanhOut(MLP):
    def __call__(self, x):
        out = MLP.__call__(self, x)
        return out.tanh() if not isinstance(out, list) else [o.tanh() for o in out]


def _sgd_step_no_zero_grad(model, xs, ys, lr):
    errors = [(model(x) - y) ** 2 for x, y in zip(xs, ys)]
    loss = sum(errors) / len(errors)
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def _layer_backward_mean(W, b, A, Delta):
    n = len(A)
    return Delta.T @ A / n, Delta.sum(axis=0) / n, Delta @ W


RIGHT = {"value": Value, "topological_order": topological_order, "backward": backward, "mlp": MLP,
         "sgd_step": sgd_step, "layer_backward": layer_backward}

# (a wrong answer, words its hint must contain)
WRONG = {
    "value": (_TanhFromInput, "tanh' computed from the input"),
    "topological_order": (_order_by_levels, "not topological"),
    "backward": (_backward_assigning, "assigning instead of accumulating"),
    "mlp": (_MLPTanhOut, "an activation on the last layer"),
    "sgd_step": (_sgd_step_no_zero_grad, "a forgotten zero_grad"),
    "layer_backward": (_layer_backward_mean, "divided by the batch size"),
}
