"""A training run kept as frames: the model's state, its scores and every unit's map over the plane.

``nn.fit(model, X, y, record=k)`` keeps a ``Frame`` before the first epoch (epoch 0), after
every ``k``-th epoch, and after the last one, in ``history.recording``. Each frame holds the
model's ``state_dict()`` at that moment, the history so far, the loss and the prediction of
every training (and validation) point; for data with two features also ``grid = (xs, ys)``
and ``unit_maps``, each unit's activation at every point of that grid. All of it is computed
with the layer-wise numpy forward pass of ``nn.matrix`` (one matrix product per layer for
the whole grid), which gives what the model's own forward pass gives, to rounding.

Nothing here draws: ``nn.training_view`` turns a recording into pictures, a player page and
a GIF, and shows it live in Jupyter. Recording needs numpy; the argument checks do not.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from autograd.optional import numpy_or_none, require_numpy

from .layers import MLP

np = numpy_or_none()

__all__ = ["GRID_POINTS", "Frame", "Recording", "check_record", "kept_epochs", "unit_names"]

GRID_POINTS = 32  # grid points along each side of the plane: a unit's map is 32 x 32 activations
_PAD = 0.25  # the plane reaches this share of the data's widest span beyond the data


@dataclass(frozen=True, eq=False)
class Frame:
    """The model after ``epoch`` epochs (0: before training).

    ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy`` are the ``History`` lists up to
    this epoch (``epoch`` entries each; the validation ones empty without validation data).
    ``point_losses`` and ``predictions`` are the loss and the predicted class of each training
    point for the model in ``state`` (``val_predictions``: of each validation point, or
    None). ``grid`` and ``unit_maps`` are None unless the data has two features.
    """

    epoch: int
    state: dict
    loss: tuple[float, ...]
    accuracy: tuple[float, ...]
    val_loss: tuple[float, ...]
    val_accuracy: tuple[float, ...]
    point_losses: np.ndarray
    predictions: np.ndarray
    val_predictions: np.ndarray | None
    grid: tuple[np.ndarray, np.ndarray] | None
    unit_maps: dict[str, np.ndarray] | None


def kept_epochs(epochs: int, every: int) -> list[int]:
    """The epochs after which ``fit(..., epochs=epochs, record=every)`` keeps a frame."""
    return sorted({0, epochs, *range(every, epochs, every)})


def unit_names(config: dict) -> list[list[str]]:
    """The names ``nn`` gives an MLP's units, layer by layer: ``[["L0.n0", ...], ...]``."""
    return [[f"L{k}.n{j}" for j in range(n)] for k, n in enumerate(config["nouts"])]


def check_record(record, watch, model) -> None:
    """Refuse a bad ``record`` or ``watch`` argument of ``fit`` before any training."""
    if record is not None:
        if isinstance(record, bool) or not isinstance(record, int):
            raise TypeError(f"record must be an int (keep a frame every `record` epochs) or None, "
                            f"got {type(record).__name__}")
        if record < 1:
            raise ValueError(f"record must be an int >= 1 (keep a frame every `record` epochs), got {record}")
        if type(model) is not MLP:
            raise TypeError(f"record needs an nn.MLP (its units are what a frame maps), got {type(model).__name__}")
    if not isinstance(watch, bool):
        raise TypeError(f"watch must be a bool, got {type(watch).__name__}")
    if watch and record is None:
        raise ValueError("watch=True shows the recording as it is made: give record=k too "
                         "(record=1 keeps every epoch)")


class Recording:
    """The frames of one training run, with what is needed to draw them.

    ``frames`` (a list of ``Frame``), ``every`` (the ``record`` argument), ``epochs``,
    ``loss``, ``config`` (the model's ``config()``), the training data ``X`` and ``y`` and the
    validation data ``X_val`` and ``y_val`` (None without it), and ``seconds``: the time
    spent keeping frames, which ``History.seconds`` includes. ``model(i)`` rebuilds the
    model of frame ``i``. ``save(path)`` writes the player page (``.html``) or a GIF;
    ``player()`` gives the ``autograd.Player`` that Jupyter shows inline.
    """

    def __init__(self, model: MLP, X: np.ndarray, y: np.ndarray, validation, loss: str, threshold: float,
                 every: int, epochs: int):
        require_numpy("fit(record=...) (a recording)")
        self.every, self.epochs, self.loss, self.threshold = every, epochs, loss, threshold
        self._kept = frozenset(kept_epochs(epochs, every))
        self.config = model.config()
        self.X, self.y = np.asarray(X, dtype=np.float64), np.asarray(y)
        if validation is None:
            self.X_val = self.y_val = None
        else:
            self.X_val, self.y_val = np.asarray(validation[0], dtype=np.float64), np.asarray(validation[1])
        self.frames: list[Frame] = []
        self.seconds = 0.0
        self.grid = _plane(self.X if self.X_val is None else np.vstack([self.X, self.X_val])) \
            if self.X.shape[1] == 2 else None
        self.watch_seconds = 0.0  # time the live view took (nn.training_view adds to it)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        epochs = ", ".join(str(f.epoch) for f in self.frames[:6]) + (", ..." if len(self.frames) > 6 else "")
        return f"<nn.Recording of {len(self.frames)} frames (epochs {epochs}) of MLP{tuple(self.config.values())}>"

    def due(self, epoch: int) -> bool:
        """Whether ``fit`` keeps a frame after ``epoch`` epochs."""
        return epoch in self._kept

    def capture(self, model: MLP, epoch: int, history) -> Frame:
        """Keep the frame of ``model`` after ``epoch`` epochs, ``history`` being its ``History``."""
        start = time.perf_counter()
        with np.errstate(all="ignore"):  # a run that diverges is recorded as it is: inf and nan
            frame = self._frame(model, epoch, history)
        self.frames.append(frame)
        self.seconds += time.perf_counter() - start
        return frame

    def _frame(self, model: MLP, epoch: int, history) -> Frame:
        from .matrix import layer_outputs, sample_losses  # numpy's, loaded with the first frame

        outputs = layer_outputs(model, self.X)[-1]
        val_predictions = None if self.X_val is None else self._classes(layer_outputs(model, self.X_val)[-1])
        unit_maps = None
        if self.grid is not None:
            xs, ys = self.grid
            gx, gy = np.meshgrid(xs, ys)  # row i is ys[i]: maps are len(ys) x len(xs)
            layers = layer_outputs(model, np.column_stack([gx.ravel(), gy.ravel()]))
            unit_maps = {name: a[:, j].reshape(gx.shape)
                         for names, a in zip(unit_names(self.config), layers) for j, name in enumerate(names)}
        return Frame(epoch, model.state_dict(), tuple(history.loss), tuple(history.accuracy),
                     tuple(history.val_loss), tuple(history.val_accuracy),
                     sample_losses(self.loss, outputs, self.y), self._classes(outputs), val_predictions,
                     self.grid, unit_maps)

    def _classes(self, outputs: np.ndarray) -> np.ndarray:
        # as nn.train classifies: a threshold on one output, else the first largest
        if outputs.shape[1] == 1:
            return (outputs[:, 0] > self.threshold).astype(np.int64)
        return outputs.argmax(axis=1)

    def model(self, index: int) -> MLP:
        """A new ``MLP`` holding the state of frame ``index`` (negative counts from the end)."""
        model = MLP(**self.config)
        model.load_state_dict(self.frames[index].state)
        return model

    # -- drawing, done by nn.training_view -------------------------------------------------
    def player(self, **options):
        """The frames as an ``autograd.Player`` (see ``nn.training_view.player``)."""
        from .training_view import player

        return player(self, **options)

    def save(self, path: str | os.PathLike, **options) -> Path:
        """Write the player page (``*.html``) or a GIF (``*.gif``, one frame per frame kept);
        see ``nn.training_view.save``. Returns the path written."""
        from .training_view import save

        return save(self, path, **options)

    def _ipython_display_(self) -> None:
        self.player()._ipython_display_()  # the first frame as a picture, then the player where scripts run


def _plane(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(xs, ys)``: a square grid around the 2-D points ``X``, so the maps are not stretched."""
    low, high = X.min(axis=0), X.max(axis=0)
    span = (high - low).max()
    half = (0.5 + _PAD) * span if span > 0 else 1.0  # one point, or all in one place
    centre = (low + high) / 2
    return tuple(np.linspace(c - half, c + half, GRID_POINTS) for c in centre)
