"""Training loop, evaluation and prediction for classifiers on ``nn.data``-style arrays.

``y`` always holds class labels ``0 .. k-1`` (as ``nn.data`` returns them); each loss gets
its own targets from them:

=========================  =======================  =================================
loss                       model outputs            targets / prediction
=========================  =======================  =================================
``"hinge"``                one score                -1/+1; class 1 when score > 0
``"binary_cross_entropy"`` one logit                0/1; class 1 when logit > 0
``"cross_entropy"``        k logits                 class index; argmax
``"mse"``                  one output, or k         0/1 (class 1 when output > 0.5),
                                                    or one-hot rows (argmax)
=========================  =======================  =================================
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from autograd import Value, no_grad

from . import losses
from .data import signed_labels
from .module import Module
from .optim import Adam, Optimizer

__all__ = ["LOSSES", "History", "evaluate", "fit", "predict"]

LOSSES = ("hinge", "binary_cross_entropy", "cross_entropy", "mse")

# The decision threshold on a single output, per loss.
_THRESHOLD = {"hinge": 0.0, "binary_cross_entropy": 0.0, "mse": 0.5}


@dataclass
class History:
    """Per-epoch training loss and accuracy (means over the epoch's batches, as Keras reports
    them: each batch counted before its update), and the wall-clock time of ``fit``."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _check_data(X, y, model: Module) -> tuple[list[tuple], np.ndarray, int]:
    """Rows of X as tuples of floats, the labels, and the model's number of outputs."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"X must be a 2-D numeric array (samples x features), got shape {X.shape} of {X.dtype}")
    if y.shape != (len(X),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D int array of {len(X)} class labels, got shape {y.shape} of {y.dtype}")
    if len(X) == 0:
        raise ValueError("X is empty")
    rows = [tuple(r) for r in X.astype(np.float64).tolist()]
    with no_grad():
        probe = model(rows[0])
    nout = 1 if isinstance(probe, Value) else len(probe)
    return rows, y, nout


def _targets(loss: str, y: np.ndarray, nout: int) -> list:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")
    k = 2 if nout == 1 else nout
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"labels must be class indices in [0, {k}) for a model with {nout} outputs, "
                         f"got labels from {y.min()} to {y.max()}")
    if loss in ("hinge", "binary_cross_entropy") and nout != 1:
        raise ValueError(f"loss {loss!r} needs a model with one output, this one has {nout}")
    if loss == "cross_entropy" and nout == 1:
        raise ValueError("loss 'cross_entropy' needs a model with one output per class (>= 2), this one has 1")
    if loss == "hinge":
        return signed_labels(y).tolist()
    if loss == "cross_entropy":
        return y.tolist()
    if nout == 1:
        return y.astype(np.float64).tolist()
    return np.eye(nout)[y].tolist()


def _classify(output, threshold: float) -> int:
    """The class a model output stands for: a threshold on one output, else the argmax."""
    if isinstance(output, Value):
        return int(output.data > threshold)
    scores = [v.data for v in output]
    return scores.index(max(scores))


def fit(model: Module, X, y, *, loss: str = "hinge", optimizer: Optimizer | None = None,
        epochs: int = 100, batch_size: int | None = None, shuffle: bool = True, seed=None,
        progress: bool | None = None,
        callback: Callable[[int, History], None] | None = None) -> History:
    """Train ``model`` on ``(X, y)`` and return the per-epoch ``History``.

    ``optimizer`` defaults to ``Adam(model.parameters(), lr=0.01)``. ``batch_size=None``
    trains on the full batch; otherwise each epoch visits mini-batches of that size, in an
    order shuffled by ``seed`` when ``shuffle``. ``progress`` shows a tqdm bar (``None``:
    only when stderr is a terminal). ``callback(epoch, history)`` runs after every epoch.
    """
    rows, y, nout = _check_data(X, y, model)
    targets = _targets(loss, y, nout)
    loss_fn = getattr(losses, loss)
    threshold = _THRESHOLD.get(loss, 0.0)
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=0.01)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    n = len(rows)
    if batch_size is None:
        batch_size = n
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    rng = np.random.default_rng(seed)
    labels = y.tolist()
    show = sys.stderr.isatty() if progress is None else bool(progress)
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not show, dynamic_ncols=True)
    for epoch in bar:
        order = rng.permutation(n).tolist() if shuffle and batch_size < n else range(n)
        total, correct = 0.0, 0
        for first in range(0, n, batch_size):
            batch = order[first : first + batch_size]
            outputs = [model(rows[i]) for i in batch]
            batch_loss = loss_fn(outputs, [targets[i] for i in batch])
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            total += batch_loss.data * len(batch)
            correct += sum(_classify(o, threshold) == labels[i] for o, i in zip(outputs, batch))
        history.loss.append(total / n)
        history.accuracy.append(correct / n)
        bar.set_postfix(loss=f"{history.loss[-1]:.4f}", acc=f"{history.accuracy[-1]:.3f}", refresh=False)
        if callback is not None:
            callback(epoch, history)
    bar.close()
    history.seconds = time.perf_counter() - start
    return history


def evaluate(model: Module, X, y, loss: str = "hinge") -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``(X, y)``, computed under ``no_grad``."""
    rows, y, nout = _check_data(X, y, model)
    targets = _targets(loss, y, nout)
    with no_grad():
        outputs = [model(r) for r in rows]
        value = getattr(losses, loss)(outputs, targets).data
    threshold = _THRESHOLD.get(loss, 0.0)
    correct = sum(_classify(o, threshold) == label for o, label in zip(outputs, y.tolist()))
    return value, correct / len(rows)


def predict(model: Module, X, threshold: float = 0.0) -> np.ndarray:
    """Class labels for the rows of ``X`` under ``no_grad``: ``output > threshold`` for a
    one-output model (0.0 for scores and logits, 0.5 for an mse-trained output), else argmax."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (samples x features), got shape {X.shape}")
    with no_grad():
        return np.array([_classify(model(r), threshold) for r in X.tolist()], dtype=np.int64)
