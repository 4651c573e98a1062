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

Cross-entropy and binary cross-entropy are computed as ONE node per batch
(``nn.batch_loss``): the same values as ``nn.losses``, in a fraction of the nodes.

``engine="tape"`` traces the model and the loss of one sample once (``autograd.trace``) and
replays them over each batch with numpy: the same formulas, so the same numbers up to
rounding, many times faster. Each sample's target is then an input of the traced loss (a
class as its one-hot row, for cross-entropy), and the model is checked to build the same
graph for the first samples (``Tape.verify``): a model whose graph depends on its input's
values cannot be traced.

Without numpy (in the browser, through Pyodide) ``fit``, ``evaluate`` and ``predict`` take
``X`` as a list of rows and ``y`` as a list of ints (as ``nn.data`` then returns them), shuffle
with ``nn.pcg64`` and give the same numbers; ``engine="tape"`` and ``record`` need numpy.
Without tqdm, ``fit`` shows no progress bar.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

from autograd import Value, no_grad, trace
from autograd.optional import is_ndarray, numpy_or_none, require_numpy

from . import batch_loss, losses
from .data import default_rng
from .layers import MLP, Layer, Neuron
from .module import Module
from .optim import Adam, Optimizer
from .recording import Recording, check_record

__all__ = ["ENGINES", "LOSSES", "History", "evaluate", "fit", "predict", "sample_losses"]

np = numpy_or_none()
try:
    from tqdm import tqdm
except ImportError:  # no progress bar then
    tqdm = None

LOSSES = ("hinge", "binary_cross_entropy", "cross_entropy", "mse")
ENGINES = ("scalar", "tape")
# How many samples a traced model is checked on (its graph must not depend on their values),
# unless it is one of nn's own modules, whose graphs never do.
VERIFIED_SAMPLES = 16
_STRAIGHT_LINE = (MLP, Layer, Neuron)

# The decision threshold on a single output, per loss.
_THRESHOLD = {"hinge": 0.0, "binary_cross_entropy": 0.0, "mse": 0.5}
# The mean loss over a batch, per loss: one node for the cross-entropies.
_MEAN_LOSS = {"hinge": losses.hinge, "binary_cross_entropy": batch_loss.binary_cross_entropy,
              "cross_entropy": batch_loss.cross_entropy, "mse": losses.mse}


@dataclass
class History:
    """Per-epoch results of ``fit`` and its wall-clock time.

    ``loss`` and ``accuracy`` are means over the epoch's batches, as Keras reports them: each
    batch counted before its update. ``val_loss`` and ``val_accuracy`` are computed on the
    ``validation`` data after the epoch (empty without it).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0
    recording: Recording | None = None


def _check_data(X, y, model: Module, name: str = "") -> tuple[list[tuple], "np.ndarray | list[int]", int]:
    """Rows of X as tuples of floats, the labels (a list without numpy), and the model's
    number of outputs."""
    if np is None:
        rows, y = _check_lists(X, y, name)
    else:
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or not np.issubdtype(X.dtype, np.number):
            raise ValueError(f"X{name} must be a 2-D numeric array (samples x features), "
                             f"got shape {X.shape} of {X.dtype}")
        if y.shape != (len(X),) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y{name} must be a 1-D int array of {len(X)} class labels, "
                             f"got shape {y.shape} of {y.dtype}")
        if len(X) == 0:
            raise ValueError(f"X{name} is empty")
        rows = [tuple(r) for r in X.astype(np.float64).tolist()]
    with no_grad():
        probe = model(rows[0])
    nout = 1 if isinstance(probe, Value) else len(probe)
    return rows, y, nout


def _rows(X, name: str = "") -> list[tuple]:
    """X as tuples of floats where numpy is missing: X must be a list of equally long rows of numbers."""
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(f"X{name} must be a list of rows of numbers, got {type(X).__name__}")
    rows = [tuple(r) for r in X]
    if not rows:
        raise ValueError(f"X{name} is empty")
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width or not all(isinstance(v, Real) and not isinstance(v, bool) for v in r):
            raise ValueError(f"X{name} must be rows of {width} numbers (samples x features), got row {i}: {r!r}")
    return [tuple(float(v) for v in r) for r in rows]


def _check_lists(X, y, name: str) -> tuple[list[tuple], list[int]]:
    """``_check_data``'s checks where numpy is missing: X as ``_rows`` takes it, y a list of
    int labels, one per row."""
    rows = _rows(X, name)
    labels = list(y)
    if len(labels) != len(rows) or not all(isinstance(c, Integral) and not isinstance(c, bool) for c in labels):
        raise ValueError(f"y{name} must be a list of {len(rows)} int class labels, got {len(labels)} items "
                         f"of types {sorted({type(c).__name__ for c in labels})}")
    return rows, [int(c) for c in labels]


def _as_list(a) -> list:
    """A numpy array or a sequence as a list of Python numbers."""
    return a.tolist() if is_ndarray(a) else list(a)


def targets_for(loss: str, y, nout: int) -> list:
    """The targets ``loss`` trains on, from class labels ``y`` (see the table above)."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")
    k = 2 if nout == 1 else nout
    labels = _as_list(y)
    if min(labels) < 0 or max(labels) >= k:
        raise ValueError(f"labels must be class indices in [0, {k}) for a model with {nout} outputs, "
                         f"got labels from {min(labels)} to {max(labels)}")
    if loss in ("hinge", "binary_cross_entropy") and nout != 1:
        raise ValueError(f"loss {loss!r} needs a model with one output, this one has {nout}")
    if loss == "cross_entropy" and nout == 1:
        raise ValueError("loss 'cross_entropy' needs a model with one output per class (>= 2), this one has 1")
    # the same numbers as numpy's where(y == 1, 1.0, -1.0), astype(float64) and eye(nout)[y]
    if loss == "hinge":
        return [1.0 if c == 1 else -1.0 for c in labels]
    if loss == "cross_entropy":
        return labels
    if nout == 1:
        return [float(c) for c in labels]
    return [[1.0 if j == c else 0.0 for j in range(nout)] for c in labels]


def _classify(output, threshold: float) -> int:
    """The class a model output stands for: a threshold on one output, else the argmax."""
    if isinstance(output, Value):
        return int(output.data > threshold)
    scores = [v.data for v in output]
    return scores.index(max(scores))


def _classify_rows(scores, threshold: float):
    """``_classify`` for a batch of outputs from the tape, ``(B, outputs)``."""
    if scores.shape[1] == 1:
        return (scores[:, 0] > threshold).astype(np.int64)
    return scores.argmax(axis=1)


def _check_engine(engine) -> None:
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, got {engine!r}")
    if engine == "tape":
        require_numpy('engine="tape" (the batched replay)')


def _tape_targets(loss: str, y, nout: int):
    """The targets as a batch input of the traced loss: a class as its one-hot row for
    cross-entropy, else ``targets_for``'s numbers."""
    if loss == "cross_entropy":
        targets_for(loss, y, nout)  # checks the labels
        return np.eye(nout)[y]
    return np.asarray(targets_for(loss, y, nout), dtype=np.float64)


def _trace_loss(model: Module, loss: str, rows: list[tuple], targets):
    """The tape of one sample's ``[loss, *outputs]``, checked on the first samples."""
    loss_of = getattr(losses, loss)

    def sample(x, target):
        out = model(x)
        return [loss_of(out, target), *_as_outputs(out)]

    tape = trace(sample, rows[0], targets[0])
    if type(model) not in _STRAIGHT_LINE:
        tape.verify(np.asarray(rows[:VERIFIED_SAMPLES]), targets[:VERIFIED_SAMPLES])
    return tape


class _Scorer:
    """Loss and accuracy of a model on fixed data, under ``no_grad`` or on the tape (checked
    once, scored often)."""

    def __init__(self, model: Module, X, y, loss: str, name: str = "", engine: str = "scalar"):
        self.rows, y, nout = _check_data(X, y, model, name)
        self.targets = targets_for(loss, y, nout)
        self.labels = y
        self.loss, self.model = loss, model
        self.threshold = _THRESHOLD.get(loss, 0.0)
        self.tape = None
        if engine == "tape":
            self.batch = np.asarray(self.rows), _tape_targets(loss, y, nout)
            self.tape = _trace_loss(model, loss, self.rows, self.batch[1])

    def __call__(self) -> tuple[float, float]:
        if self.tape is not None:
            out = self.tape.forward(*self.batch)
            return float(out[:, 0].mean()), float(np.mean(_classify_rows(out[:, 1:], self.threshold) == self.labels))
        with no_grad():
            outputs = [self.model(r) for r in self.rows]
            value = _MEAN_LOSS[self.loss](outputs, self.targets).data
        correct = sum(_classify(o, self.threshold) == label for o, label in zip(outputs, _as_list(self.labels)))
        return value, correct / len(self.rows)

    def sample_losses(self):
        """Each sample's own loss (a list without numpy)."""
        if self.tape is not None:
            return self.tape.forward(*self.batch)[:, 0].copy()
        mean_loss = _MEAN_LOSS[self.loss]
        with no_grad():
            values = [mean_loss([self.model(r)], [t]).data for r, t in zip(self.rows, self.targets)]
        return values if np is None else np.array(values)


def _check_fit_arguments(optimizer, epochs, batch_size, callback, validation, engine) -> None:
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nn.optim optimizer such as Adam(model.parameters(), lr=0.01), "
                        f"got {type(optimizer).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 0):
        raise ValueError(f"batch_size must be an int >= 1, or None or 0 for the full batch, got {batch_size!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable as callback(epoch, history), got {type(callback).__name__}")
    if validation is not None and (not isinstance(validation, (tuple, list)) or len(validation) != 2):
        raise TypeError(f"validation must be a pair (X_val, y_val), got {type(validation).__name__}")
    _check_engine(engine)


def fit(model: Module, X, y, *, loss: str = "hinge", optimizer: Optimizer | None = None,
        epochs: int = 100, batch_size: int | None = None, shuffle: bool = True, seed=None,
        validation: tuple | None = None, progress: bool | None = None,
        callback: Callable[[int, History], None] | None = None, engine: str = "scalar",
        record: int | None = None, watch: bool = False) -> History:
    """Train ``model`` on ``(X, y)`` and return the per-epoch ``History``.

    ``optimizer`` defaults to ``Adam(model.parameters(), lr=0.01)``. ``batch_size=None`` (or
    0, as the command line's ``--batch-size 0``) trains on the full batch; otherwise each
    epoch visits mini-batches of that size, in an order shuffled by ``seed`` when
    ``shuffle``. ``validation=(X_val, y_val)`` is scored after every epoch (``val_loss``,
    ``val_accuracy``). ``progress`` shows a tqdm bar (``None``: only when stderr is a
    terminal; never without tqdm). ``callback(epoch, history)`` runs after every epoch. ``engine="tape"`` trains
    on the traced graph, replayed over each batch with numpy (see the module docstring).
    Every argument is checked before the first epoch.

    ``record=k`` keeps a frame (``nn.recording.Frame``: the state, the scores, each unit's
    map over the plane) before the first epoch, after every k-th and after the last, in
    ``history.recording``. ``watch=True`` (with ``record``) also shows the frames in Jupyter
    as they come, in one output updated in place, drawing only as often as keeps the drawing
    under a tenth of the training time (``nn.training_view.LiveView``).
    """
    _check_fit_arguments(optimizer, epochs, batch_size, callback, validation, engine)
    check_record(record, watch, model)
    rows, y, nout = _check_data(X, y, model)
    targets = targets_for(loss, y, nout)
    validate = None if validation is None else _Scorer(model, *validation, loss, name="_val", engine=engine)
    threshold = _THRESHOLD.get(loss, 0.0)
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=0.01)
    if engine == "tape":
        step = _TapeSteps(model, loss, rows, _tape_targets(loss, y, nout), optimizer, threshold)
    else:
        step = _scalar_step(model, _MEAN_LOSS[loss], rows, targets, optimizer, threshold)
    n = len(rows)
    batch_size = batch_size or n
    rng = default_rng(seed)
    labels = _as_list(y)
    show = sys.stderr.isatty() if progress is None else bool(progress)
    history = History()
    start = time.perf_counter()
    live = None
    if record is not None:
        history.recording = Recording(model, X, y, validation, loss, threshold, record, epochs)
        if watch:
            from .training_view import LiveView  # drawing is loaded only when asked for

            live = LiveView(history.recording, start)
        _keep_frame(history, model, 0, live)
    bar = _progress(epochs, show)
    for epoch in bar:
        order = _as_list(rng.permutation(n)) if shuffle and batch_size < n else range(n)
        total, correct = 0.0, 0
        for first in range(0, n, batch_size):
            batch = order[first : first + batch_size]
            batch_loss, classes = step(batch)
            total += batch_loss * len(batch)
            correct += sum(c == labels[i] for c, i in zip(classes, batch))
        if engine == "tape":
            step.sync()
        history.loss.append(total / n)
        history.accuracy.append(correct / n)
        shown = {"loss": f"{history.loss[-1]:.4f}", "acc": f"{history.accuracy[-1]:.3f}"}
        if validate is not None:
            val_loss, val_accuracy = validate()
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
            shown.update(val_loss=f"{val_loss:.4f}", val_acc=f"{val_accuracy:.3f}")
        bar.set_postfix(shown, refresh=False)
        if history.recording is not None and history.recording.due(epoch + 1):
            _keep_frame(history, model, epoch + 1, live)
        if callback is not None:
            callback(epoch, history)
    bar.close()
    if live is not None:
        live.finish()
    history.seconds = time.perf_counter() - start
    return history


class _NoBar:
    """What ``fit`` needs of a tqdm bar, showing nothing: where tqdm is missing."""

    def __init__(self, epochs: int):
        self.epochs = epochs

    def __iter__(self):
        return iter(range(self.epochs))

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(epochs: int, show: bool):
    if tqdm is None:
        return _NoBar(epochs)
    return tqdm(range(epochs), desc="fit", unit="epoch", disable=not show, dynamic_ncols=True)


def _keep_frame(history: History, model: Module, epoch: int, live) -> None:
    history.recording.capture(model, epoch, history)
    if live is not None:
        live.offer()


def _scalar_step(model: Module, mean_loss, rows: list[tuple], targets: list, optimizer: Optimizer, threshold: float):
    """One training step on the batch's sample indices: ``(mean loss, predicted classes)``."""

    def step(batch: list[int]) -> tuple[float, list[int]]:
        outputs = [model(rows[i]) for i in batch]
        batch_loss = mean_loss(outputs, [targets[i] for i in batch])
        optimizer.zero_grad()
        batch_loss.backward()
        optimizer.step()
        return batch_loss.data, [_classify(o, threshold) for o in outputs]

    return step


class _TapeSteps:
    """``_scalar_step`` on the tape: one forward and one backward over the whole batch.

    Within an epoch the parameters live in arrays, the tape's and the optimizer's (its
    ``update`` is ``step`` on arrays); ``sync`` puts them back into the Values, with the last
    batch's gradient in ``.grad`` as ``zero_grad`` and ``backward`` leave it, before the
    epoch is scored. The same numbers as reading and writing the Values at every step,
    without a loop over every parameter several times a step. An optimizer with a ``step``
    of its own gets the Values at every step."""

    def __init__(self, model: Module, loss: str, rows: list[tuple], targets, optimizer: Optimizer,
                 threshold: float):
        self.tape = _trace_loss(model, loss, rows, targets)
        self.X, self.targets, self.optimizer, self.threshold = np.asarray(rows), targets, optimizer, threshold
        self.in_arrays = type(optimizer).step is Optimizer.step
        position = {p: i for i, p in enumerate(self.tape.parameters)}
        # where each parameter the tape reads is, in the optimizer's list and in the tape's
        pairs = np.array([(i, position[p]) for i, p in enumerate(optimizer.params) if p in position],
                         dtype=np.intp).reshape(-1, 2)
        self.mine, self.tapes = pairs[:, 0], pairs[:, 1]
        self.data = self.weights = self.grad = None

    def __call__(self, batch: list[int]) -> tuple[float, list[int]]:
        tape, optimizer = self.tape, self.optimizer
        if not self.in_arrays:
            out = tape.forward(self.X[batch], self.targets[batch])
            optimizer.zero_grad()
            tape.backward(output=0, reduction="mean")
            optimizer.step()
        else:
            if self.data is None:  # the Values, as the epoch (or a callback) left them
                self.data = np.array([p.data for p in optimizer.params], dtype=np.float64)
                self.weights = np.array([p.data for p in tape.parameters], dtype=np.float64)
            out = tape.forward(self.X[batch], self.targets[batch], parameters=self.weights)
            self.grad = np.zeros(len(optimizer.params))
            self.grad[self.mine] = tape.gradient(output=0, reduction="mean")[self.tapes]
            self.data = optimizer.update(self.data, self.grad)
            self.weights[self.tapes] = self.data[self.mine]
        return float(out[:, 0].mean()), _classify_rows(out[:, 1:], self.threshold).tolist()

    def sync(self) -> None:
        if self.data is None:
            return
        for p, value, g in zip(self.optimizer.params, self.data.tolist(), (0.0 + self.grad).tolist()):
            p.data, p.grad = value, g
        self.data = None


def evaluate(model: Module, X, y, loss: str = "hinge", engine: str = "scalar") -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``(X, y)``, computed under ``no_grad``, or on
    the tape with ``engine="tape"`` (one pass over all of ``X``)."""
    _check_engine(engine)
    return _Scorer(model, X, y, loss, engine=engine)()


def sample_losses(model: Module, X, y, loss: str = "hinge", engine: str = "scalar"):
    """Each sample's own loss, as ``evaluate`` computes it for that sample alone."""
    _check_engine(engine)
    return _Scorer(model, X, y, loss, engine=engine).sample_losses()


def predict(model: Module, X, threshold: float = 0.0, engine: str = "scalar"):
    """Class labels for the rows of ``X`` under ``no_grad`` (or on the tape, ``engine="tape"``):
    ``output > threshold`` for a one-output model (0.0 for scores and logits, 0.5 for an
    mse-trained output), else argmax. An int64 array; a list of ints without numpy."""
    _check_engine(engine)
    if np is None:
        with no_grad():
            return [_classify(model(r), threshold) for r in _rows(X)]
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (samples x features), got shape {X.shape}")
    if engine == "tape":
        tape = trace(lambda x: _as_outputs(model(x)), X[0])
        if type(model) not in _STRAIGHT_LINE:
            tape.verify(X[:VERIFIED_SAMPLES])
        return _classify_rows(tape.forward(X).reshape(len(X), -1), threshold)
    with no_grad():
        return np.array([_classify(model(r), threshold) for r in X.tolist()], dtype=np.int64)


def _as_outputs(out) -> list[Value]:
    return [out] if isinstance(out, Value) else list(out)
