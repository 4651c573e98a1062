"""A mini-batch's mean loss as ONE node, for training speed.

``nn.losses.cross_entropy`` on a batch of B samples builds 2B + 1 nodes (a ``logsumexp`` and
a subtraction per sample, then the mean). Here the whole mean is one ``autograd.Op`` node
with an edge to every logit, and each edge carries the seeds' result directly:

    d loss / d z[s][j] = (softmax(z[s])[j] - onehot(c[s])[j]) / B

``binary_cross_entropy`` likewise: one node, an edge per logit carrying
``(sigmoid(x) - y) / B``. The values are the ``nn.losses`` ones (the same float operations,
so the same bits); gradients agree to rounding. Both work under
``autograd.grad(create_graph=True)``, where the derivatives are rebuilt as graphs.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from autograd import Op, Value, ops, scalar

from .losses import _class_index

__all__ = ["binary_cross_entropy", "cross_entropy"]


def _softmax(row: Sequence) -> list:
    # Floats in the forward pass; Values when grad(create_graph=True) asks for a graph.
    return ops.softmax(row) if isinstance(row[0], Value) else scalar.softmax(list(row))


def _rows(logits, where: str) -> list[list]:
    rows = [list(row) for row in logits]
    if not rows:
        raise ValueError(f"{where}: the batch is empty")
    k = len(rows[0])
    if k < 2 or any(len(row) != k for row in rows):
        raise ValueError(f"{where}: every sample needs the same number (>= 2) of logits, "
                         f"got lengths {sorted({len(row) for row in rows})}")
    return rows


def cross_entropy(logits: Sequence[Sequence], classes: Sequence[int]) -> Value:
    """Mean over the batch of ``-log softmax(logits[s])[classes[s]]``, as one node.

    Same value as ``nn.losses.cross_entropy(logits, classes)``.
    """
    where = "batch_loss.cross_entropy"
    rows = _rows(logits, where)
    if len(classes) != len(rows):
        raise ValueError(f"{where}: {len(rows)} rows of logits but {len(classes)} class indices")
    k, n = len(rows[0]), len(rows)
    cs = [_class_index(c, k, where) for c in classes]
    starts = range(0, n * k, k)
    inv_n = 1.0 / n

    def forward(*z):
        return builtins.sum([scalar.logsumexp(z[i : i + k]) - z[i + c] for i, c in zip(starts, cs)]) / n

    def derivative(*args):
        local = []
        for i, c in zip(starts, cs):
            probs = _softmax(args[i : i + k])
            local.extend((p - 1.0 if j == c else p) * inv_n for j, p in enumerate(probs))
        return local

    return Op("cross_entropy", forward, derivative)(*[z for row in rows for z in row])


def binary_cross_entropy(logits: Sequence, labels: Sequence[float]) -> Value:
    """Mean over the batch of ``softplus(x) - y x`` (the loss of ``sigmoid(x)`` against a label
    ``y`` in [0, 1]), as one node. Same value as ``nn.losses.binary_cross_entropy``."""
    where = "batch_loss.binary_cross_entropy"
    xs = list(logits)
    if not xs:
        raise ValueError(f"{where}: the batch is empty")
    if len(labels) != len(xs):
        raise ValueError(f"{where}: {len(xs)} logits but {len(labels)} labels")
    ys = [float(y) for y in labels]
    bad = [i for i, y in enumerate(ys) if not 0.0 <= y <= 1.0]
    if bad:
        raise ValueError(f"{where}: labels must lie in [0, 1], got {ys[bad[0]]!r} at index {bad[0]}")
    n = len(xs)
    inv_n = 1.0 / n

    def forward(*x):
        return builtins.sum([scalar.softplus(xi) - yi * xi for xi, yi in zip(x, ys)]) / n

    def derivative(*args):
        return [(scalar.sigmoid(xi) - yi) * inv_n for xi, yi in zip(args, ys)]

    return Op("binary_cross_entropy", forward, derivative)(*xs)
