"""Loss functions built from ``autograd`` nodes.

Each takes one sample (a Value, or one sample's list of logits) or a batch (a list of
those) and returns a Value; a batch is reduced by its mean, PyTorch's default. Targets may
be numbers, lists or numpy arrays, or Values (so that a traced loss, ``autograd.trace``,
reads each sample's target from the batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral, Real

from autograd import Value, ops, scalar
from autograd.optional import is_ndarray

__all__ = ["binary_cross_entropy", "cross_entropy", "hinge", "l2", "mse"]


def _is_scalar(x) -> bool:
    return isinstance(x, Value) or (isinstance(x, Real) and not isinstance(x, bool))


def _as_list(x, name: str, where: str) -> list:
    if is_ndarray(x):
        return x.tolist()
    if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
        raise TypeError(f"{where}: {name} must be a number, a Value or a sequence, got {type(x).__name__}")
    return list(x)


def _pairs(pred, target, where: str, path: str = "") -> Iterable[tuple]:
    """``(prediction, target)`` scalar pairs of two equally nested structures."""
    if _is_scalar(pred):
        if not _is_scalar(target):
            raise ValueError(f"{where}: pred{path} is a scalar but target{path} is {type(target).__name__}")
        yield (pred if isinstance(pred, Value) else Value(pred)), target
        return
    preds = _as_list(pred, f"pred{path}", where)
    if _is_scalar(target):
        raise ValueError(
            f"{where}: pred{path} is a {type(pred).__name__} of {len(preds)} but target{path} is a single "
            f"number: give one target per prediction, in the same shape"
        )
    targets = _as_list(target, f"target{path}", where)
    if len(preds) != len(targets):
        raise ValueError(f"{where}: pred{path} has {len(preds)} items but target{path} has {len(targets)}")
    if not preds:
        raise ValueError(f"{where}: pred{path} is empty")
    for i, (p, t) in enumerate(zip(preds, targets)):
        yield from _pairs(p, t, where, f"{path}[{i}]")


def _named(loss: Value) -> Value:
    loss.label = "loss"  # so drawings, steps and paths name it
    return loss


def _reduce(terms: list[Value]) -> Value:
    # One sample is its own loss: no mean node to clutter its drawing.
    return _named(terms[0] if len(terms) == 1 else ops.mean(terms))


def mse(pred, target) -> Value:
    """Mean of ``(pred - target)**2`` over every element, as ``torch.nn.functional.mse_loss``.

    ``pred`` is a Value, a list of Values (one output per sample, or one sample's outputs)
    or a list of such lists; ``target`` has the same shape.
    """
    return _reduce([(p - t) ** 2 for p, t in _pairs(pred, target, "mse")])


def hinge(scores, labels) -> Value:
    """Mean of ``max(0, 1 - label * score)`` with labels -1 or +1 (the SVM loss of micrograd's
    demo). Use ``nn.data.signed_labels`` to turn 0/1 class labels into -1/+1."""
    pairs = list(_pairs(scores, labels, "hinge"))
    for i, (_, y) in enumerate(pairs):
        if scalar.value_of(y) not in (-1, 1):
            raise ValueError(
                f"hinge: labels must be -1 or +1, got {y!r} at index {i} "
                "(nn.data.signed_labels maps 0/1 class labels to -1/+1)"
            )
    return _reduce([(1.0 - y * s).relu() for s, y in pairs])


def binary_cross_entropy(logits, labels) -> Value:
    """Mean of ``-[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]`` from logits ``x``,
    as ``torch.nn.functional.binary_cross_entropy_with_logits``; labels (targets) lie in [0, 1].

    Written as ``softplus(x) - y x``, so it is exact and finite at x = +-1000 where the
    probability form overflows; its gradient is ``sigmoid(x) - y``.
    """
    pairs = list(_pairs(logits, labels, "binary_cross_entropy"))
    for i, (_, y) in enumerate(pairs):
        if not 0.0 <= scalar.value_of(y) <= 1.0:
            raise ValueError(f"binary_cross_entropy: labels must lie in [0, 1], got {y!r} at index {i}")
    return _reduce([x.softplus() - y * x for x, y in pairs])


def _class_index(c, k: int, where: str) -> int:
    if isinstance(c, bool) or not isinstance(c, Integral):
        raise TypeError(f"{where}: class index must be an int, got {type(c).__name__}")
    if not 0 <= c < k:
        raise ValueError(f"{where}: class index must be in [0, {k}) for {k} logits, got {c}")
    return int(c)


def _probabilities(target, k: int, where: str) -> list:
    ps = _as_list(target, "target", where)
    if len(ps) != k:
        raise ValueError(f"{where}: {k} logits but {len(ps)} class probabilities")
    for j, p in enumerate(ps):
        if not _is_scalar(p) or not 0.0 <= scalar.value_of(p) <= 1.0:
            raise ValueError(f"{where}: class probabilities must be numbers in [0, 1], got {p!r} at index {j}")
    return ps


def _one_cross_entropy(logits: Sequence, c, where: str) -> Value:
    zs = _as_list(logits, "logits", where)
    if not zs:
        raise ValueError(f"{where}: logits is empty")
    zs = [z if isinstance(z, Value) else Value(z) for z in zs]
    if (isinstance(c, Sequence) or is_ndarray(c)) and not isinstance(c, (str, bytes)):
        # -sum_j t_j log softmax(z)_j = logsumexp(z) sum(t) - t . z; with a one-hot t, the
        # value below (t . z is z_c), as a sum over the classes a traced loss can replay.
        ps = _probabilities(c, len(zs), where)
        return ops.logsumexp(zs) * ops.sum(ps) - ops.dot(ps, zs)
    # -log softmax(z)[c] = logsumexp(z) - z_c: the stable log_softmax, two nodes, and the
    # gradient with respect to z is softmax(z) - onehot(c), the seeds' result.
    return ops.logsumexp(zs) - zs[_class_index(c, len(zs), where)]


def cross_entropy(logits, class_index) -> Value:
    """``-log softmax(logits)[class_index]``, as ``torch.nn.functional.cross_entropy``.

    One sample: a list of k logits and an int, or k class probabilities (numbers or Values
    in [0, 1], one-hot say: ``-sum_j p_j log softmax(logits)_j``, PyTorch's probability
    targets). A batch: a list of such lists and a list of targets, reduced by the mean.
    """
    where = "cross_entropy"
    rows = _as_list(logits, "logits", where)
    if not rows or _is_scalar(rows[0]):
        return _named(_one_cross_entropy(rows, class_index, where))
    classes = _as_list(class_index, "class_index", where)
    if len(classes) != len(rows):
        raise ValueError(f"{where}: {len(rows)} rows of logits but {len(classes)} class indices")
    return _named(ops.mean([_one_cross_entropy(z, c, where) for z, c in zip(rows, classes)]))


def l2(parameters: Iterable[Value]) -> Value:
    """``sum(p**2)``: an L2 penalty to add to a loss, as ONE ``ops.dot(p, p)`` node.

    Adding ``alpha * l2(params)`` is ``weight_decay = 2 * alpha`` in ``nn.optim``.
    """
    ps = list(parameters)
    return ops.dot(ps, ps)
