"""The pictures ``python -m nn`` writes, as PNG files (matplotlib, no display needed).

Each function takes plain numbers (histories, arrays, label names) and a path; none trains
or evaluates a model, except ``decision_boundary``, which runs the model's numpy forward pass
(``nn.matrix.forward``) over a grid of the plane.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograd.optional import require_numpy

from .matrix import forward
from .module import Module
from .train import History

np = require_numpy("nn.plots")

_CLASS_COLORS = ["#2563eb", "#f97316", "#16a34a", "#a855f7", "#dc2626", "#0891b2", "#ca8a04", "#db2777"]
_TRAIN, _TEST, _MISTAKE = "#2563eb", "#f97316", "#dc2626"


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig, path: Path) -> None:
    # The constrained layout already fits each picture into its figure; cropping it to its
    # tight bounding box would draw it a second time, about a tenth of a digits run on the tape.
    fig.savefig(path, dpi=120)


def history(hist: History, loss: str, path: Path) -> None:
    """Loss and accuracy per epoch, training and (when there is one) test, side by side."""
    fig = _figure(9, 3.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = np.arange(1, len(hist.loss) + 1)
    ax_loss.plot(epochs, hist.loss, color=_TRAIN, lw=2, label="train: mean over the epoch's batches")
    ax_acc.plot(epochs, hist.accuracy, color=_TRAIN, lw=2, label="train: over the epoch's batches")
    if hist.val_loss:
        ax_loss.plot(epochs, hist.val_loss, color=_TEST, lw=2, label="test: after the epoch")
        ax_acc.plot(epochs, hist.val_accuracy, color=_TEST, lw=2, label="test: after the epoch")
    ax_loss.set(title=f"loss ({loss})", xlabel="epoch", ylabel="mean loss")
    ax_acc.set(title="accuracy", xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    _save(fig, path)


def decision_boundary(model: Module, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray | None,
                      y_test: np.ndarray | None, loss: str, title: str, path: Path) -> None:
    """The classes the model assigns over the plane, its boundaries, and the 2-D data:
    training points filled, test points as rings."""
    from matplotlib.colors import ListedColormap

    X_all = X_train if X_test is None else np.vstack([X_train, X_test])
    y_all = y_train if y_test is None else np.concatenate([y_train, y_test])
    k = max(int(y_all.max()) + 1, 2)
    cmap = ListedColormap([_CLASS_COLORS[i % len(_CLASS_COLORS)] for i in range(k)])
    pad = 0.25 * (X_all.max(axis=0) - X_all.min(axis=0)).max()
    (x0, y0), (x1, y1) = X_all.min(axis=0) - pad, X_all.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    # The numpy forward pass of nn.matrix computes the same outputs as the Values, much faster.
    out = forward(model, np.column_stack([gx.ravel(), gy.ravel()]))
    if out.shape[1] == 1:
        threshold = 0.5 if loss == "mse" else 0.0
        margins = [out[:, 0] - threshold]
        regions = (margins[0] > 0).astype(int)
    else:
        # Class c wins where its output beats every other one: the boundary is margin_c = 0.
        regions = out.argmax(axis=1)
        margins = [out[:, c] - np.delete(out, c, axis=1).max(axis=1) for c in range(out.shape[1])]
    width = 6.0
    fig = _figure(width, 0.6 + width * (y1 - y0) / (x1 - x0))
    ax = fig.subplots()
    ax.contourf(gx, gy, regions.reshape(gx.shape), levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.22)
    for margin in margins:  # smooth boundary lines over the pixel edges of the regions
        ax.contour(gx, gy, margin.reshape(gx.shape), levels=[0.0], colors="#111827", linewidths=1.3)
    for c in range(k):
        ax.scatter(*X_train[y_train == c].T, color=cmap(c), s=28, edgecolors="white", linewidths=0.7,
                   label=f"class {c}")
        if X_test is not None:
            ax.scatter(*X_test[y_test == c].T, facecolors="none", edgecolors=cmap(c), s=34, linewidths=1.6,
                       label=f"class {c} (test)")
    fig.legend(loc="outside lower center", ncols=k if X_test is None else 2 * k, fontsize=9, frameon=False)
    ax.set(title=title, xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    _save(fig, path)


def confusion_matrix(matrix: np.ndarray, names: Sequence[str], title: str, path: Path) -> None:
    """Counts of (true class, predicted class), the diagonal being the right answers."""
    k = len(names)
    fig = _figure(max(3.6, 1.6 + 0.55 * k), max(3.0, 1.2 + 0.5 * k))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    top = matrix.max() if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > top / 2 else "#9ca3af" if count == 0 else "#111827" if i == j else _MISTAKE
        ax.text(j, i, str(count), ha="center", va="center", fontsize=9, color=color)
    ax.set_xticks(range(k), names, rotation=0 if k <= 10 and max(map(len, names)) <= 5 else 45)
    ax.set_yticks(range(k), names)
    ax.set(title=title, xlabel="predicted", ylabel="true")
    _save(fig, path)


def image_grid(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str],
               title: str, path: Path, limit: int = 48, columns: int = 8) -> None:
    """Up to ``limit`` images, each captioned with its predicted class; the mistakes come
    first, framed and captioned in red with the true class beside the prediction.

    The images are tiles on one axes, not an axes each: laying out 48 axes took most of the
    time of a whole digits run on the tape."""
    from matplotlib.patches import Rectangle

    wrong = np.flatnonzero(y_true != y_pred)
    right = np.flatnonzero(y_true == y_pred)
    shown = np.concatenate([wrong, right])[:limit]
    rows = max(1, -(-len(shown) // columns))
    height, width = images.shape[1:3]
    # A tile is the image, a caption strip above it and a gap, in units of an image pixel.
    caption, gap = 0.3 * height, 0.15 * width
    tile_w, tile_h = width + gap, height + caption + gap
    fig = _figure(1.15 * columns, 1.3 * rows + 0.4)
    ax = fig.subplots()
    ax.set_axis_off()
    for k, i in enumerate(shown):
        left, top = (k % columns) * tile_w, (k // columns) * tile_h + caption
        ax.imshow(images[i], cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest",
                  extent=(left, left + width, top + height, top))
        mistake = y_true[i] != y_pred[i]
        ax.add_patch(Rectangle((left, top), width, height, fill=False, linewidth=2.5 if mistake else 0.8,
                               edgecolor=_MISTAKE if mistake else "#d1d5db"))
        text = f"{names[y_pred[i]]} (true {names[y_true[i]]})" if mistake else names[y_pred[i]]
        ax.text(left + width / 2, top - 0.3, text, ha="center", va="bottom", fontsize=8,
                color=_MISTAKE if mistake else "#111827")
    ax.set(xlim=(-0.2, columns * tile_w - gap + 0.2), ylim=(rows * tile_h - gap + 0.2, -0.2), aspect="equal")
    fig.suptitle(title, fontsize=10)
    _save(fig, path)
