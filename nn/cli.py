"""``python -m nn``: train an MLP on a generated 2-D dataset and write what it learned.

Writes into ``--out``: ``metrics.json``, ``model.json`` (``nn.load`` reads it back),
``loss.png`` (loss and accuracy per epoch), ``decision_boundary.png`` and
``neuron_graph.svg`` (one trained neuron's derivative graph on one sample, drawn by
``autograd.draw``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path

import graphviz
import numpy as np

import autograd

from . import data
from .io import save
from .layers import ACTIVATIONS, MLP
from .matrix import forward
from .optim import SGD, Adam, Optimizer
from .train import LOSSES, History, evaluate, fit

# Per dataset: its size and classes, the loss that suits its class count, and enough epochs
# (of mini-batches of 32, Adam at lr 0.01) to fit it: moons reaches 1.000 for seeds 0-7.
DATASET_DEFAULTS = {
    "moons": {"samples": 100, "classes": 2, "loss": "hinge", "epochs": 100},
    "circles": {"samples": 100, "classes": 2, "loss": "hinge", "epochs": 100},
    "xor": {"samples": 100, "classes": 2, "loss": "hinge", "epochs": 100},
    "spirals": {"samples": 300, "classes": 3, "loss": "cross_entropy", "epochs": 60},
    "blobs": {"samples": 150, "classes": 3, "loss": "cross_entropy", "epochs": 100},
}
_MULTICLASS = ("spirals", "blobs")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with each dataset's defaults filled in; bad flags exit with a message."""
    p = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train an MLP on a generated 2-D dataset; write metrics, the model, plots "
                    "and one neuron's derivative graph.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--dataset", choices=list(data.DATASETS), default="moons")
    p.add_argument("--samples", type=int, help="number of points (default: 100, 300 for spirals, 150 for blobs)")
    p.add_argument("--classes", type=int, help="classes of spirals and blobs (default 3)")
    p.add_argument("--noise", type=float, help="std of the noise on the points (default: the generator's)")
    p.add_argument("--hidden", type=int, nargs="+", default=[16, 16], metavar="N", help="hidden layer sizes")
    p.add_argument("--activation", choices=list(ACTIVATIONS), default="relu", help="hidden activation")
    p.add_argument("--loss", choices=list(LOSSES),
                   help="default: hinge for two classes (one output), cross_entropy for more")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    p.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay")
    p.add_argument("--epochs", type=int, help="default: 100, 60 for spirals")
    p.add_argument("--batch-size", type=int, default=32, help="0 trains on the full batch")
    p.add_argument("--seed", type=int, default=0, help="seeds the data, the initialisation and the shuffling")
    p.add_argument("--out", type=Path, default=Path("out"), help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress output, only the summary line")
    args = p.parse_args(argv)
    defaults = DATASET_DEFAULTS[args.dataset]
    if args.classes is not None and args.dataset not in _MULTICLASS:
        p.error(f"--classes applies to {' and '.join(_MULTICLASS)}; {args.dataset} has 2 classes")
    args.samples = defaults["samples"] if args.samples is None else args.samples
    args.classes = defaults["classes"] if args.classes is None else args.classes
    args.loss = args.loss or defaults["loss"]
    args.epochs = defaults["epochs"] if args.epochs is None else args.epochs
    if args.epochs < 1:
        p.error(f"--epochs must be at least 1, got {args.epochs}")
    if min(args.hidden) < 1:
        p.error(f"--hidden sizes must be at least 1, got {args.hidden}")
    for name in ("noise", "lr", "momentum", "weight_decay"):
        value = getattr(args, name)
        if value is not None and not value >= 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0, got {value}")
    if args.batch_size < 0:
        p.error(f"--batch-size must be >= 0 (0 means full batch), got {args.batch_size}")
    if args.classes < 2:
        p.error(f"--classes must be at least 2, got {args.classes}")
    if args.samples < args.classes:
        p.error(f"--samples must be at least the number of classes ({args.classes}), got {args.samples}")
    if args.loss in ("hinge", "binary_cross_entropy") and args.classes > 2:
        p.error(f"--loss {args.loss} separates two classes; {args.dataset} has {args.classes}")
    return args


def make_dataset(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from the dataset flags; records the noise actually used in ``args.noise``."""
    generator = data.DATASETS[args.dataset]
    if args.noise is None:
        args.noise = inspect.signature(generator).parameters["noise"].default
    kwargs = {"n_samples": args.samples, "seed": args.seed, "noise": args.noise}
    if args.dataset in _MULTICLASS:
        kwargs["n_classes"] = args.classes
    return generator(**kwargs)


def output_size(loss: str, classes: int) -> int:
    """One output (a score or logit) for two classes, except cross-entropy's one per class."""
    return classes if loss == "cross_entropy" or classes > 2 else 1


def make_optimizer(args: argparse.Namespace, model: MLP) -> Optimizer:
    """Adam or SGD (with ``--momentum``) over the model's parameters."""
    if args.optimizer == "adam":
        return Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    return SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)


def _progress_lines(epochs: int):
    """A callback printing about ten progress lines: the progress bar's stand-in off a terminal."""
    every = max(1, epochs // 10)

    def report(epoch: int, history: History) -> None:
        if (epoch + 1) % every == 0 or epoch + 1 == epochs:
            print(f"epoch {epoch + 1:>4}/{epochs}  loss {history.loss[-1]:.4f}  "
                  f"accuracy {history.accuracy[-1]:.3f}", flush=True)

    return report


def plot_history(history: History, loss: str, path: Path) -> None:
    """Loss and accuracy per epoch, side by side, as a PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = np.arange(1, len(history.loss) + 1)
    ax_loss.plot(epochs, history.loss, color="#2563eb", lw=2)
    ax_loss.set(title=f"training loss ({loss})", xlabel="epoch", ylabel="mean loss over the epoch")
    ax_acc.plot(epochs, history.accuracy, color="#16a34a", lw=2)
    ax_acc.set(title="training accuracy", xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120, bbox_inches="tight", pad_inches=0.1)


_CLASS_COLORS = ["#2563eb", "#f97316", "#16a34a", "#a855f7", "#dc2626", "#0891b2", "#ca8a04", "#db2777"]


def plot_decision_boundary(model: MLP, X: np.ndarray, y: np.ndarray, loss: str, title: str, path: Path) -> None:
    """The classes the model assigns over the plane, its boundaries, and the data, as a PNG."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    k = max(int(y.max()) + 1, 2)
    cmap = ListedColormap([_CLASS_COLORS[i % len(_CLASS_COLORS)] for i in range(k)])
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)).max()
    (x0, y0), (x1, y1) = X.min(axis=0) - pad, X.max(axis=0) + pad
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
    fig = Figure(figsize=(width, 0.6 + width * (y1 - y0) / (x1 - x0)), layout="constrained")
    ax = fig.subplots()
    ax.contourf(gx, gy, regions.reshape(gx.shape), levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.22)
    for margin in margins:  # smooth boundary lines over the pixel edges of the regions
        ax.contour(gx, gy, margin.reshape(gx.shape), levels=[0.0], colors="#111827", linewidths=1.3)
    for c in range(k):
        ax.scatter(*X[y == c].T, color=cmap(c), s=28, edgecolors="white", linewidths=0.7, label=f"class {c}")
    fig.legend(loc="outside lower center", ncols=k, fontsize=9, frameon=False)
    ax.set(title=title, xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    fig.savefig(path, dpi=120, bbox_inches="tight", pad_inches=0.1)


def draw_one_neuron(model: MLP, x: np.ndarray, path: Path) -> Path:
    """Draw the derivative graph of a first-layer neuron on sample ``x``, after its backward
    pass, into ``path``; return the path written.

    The first neuron that is active on ``x`` is drawn, so the gradients are not all zero.
    Without Graphviz's ``dot`` program the graph is written as DOT text (``.gv``) instead.
    """
    inputs = [autograd.Value(float(v), f"x{i}") for i, v in enumerate(x)]
    neurons = model.layers[0].neurons
    for neuron in neurons:
        a = neuron(inputs)
        if a.data != 0.0:
            break
    a.label = "a"
    if a.parents and a.op != "dot":
        a.parents[0].label = "z"
    model.zero_grad()  # the weights still hold the last training step's gradients
    a.backward()
    diagram = autograd.draw(a)
    try:
        path.write_bytes(diagram.pipe(format="svg"))
    except graphviz.ExecutableNotFound as missing:
        # Training worked; keep the graph as DOT text and say how to get the picture.
        path = path.with_suffix(".gv")
        path.write_text(diagram.source, encoding="utf-8")
        print(f"{missing}\nwrote the DOT source to {path} instead", file=sys.stderr)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m nn`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = parse_args(argv)
    started = time.perf_counter()
    X, y = make_dataset(args)
    nout = output_size(args.loss, args.classes)
    model = MLP(2, [*args.hidden, nout], activation=args.activation, seed=args.seed)
    optimizer = make_optimizer(args, model)
    batch_size = args.batch_size or None
    tty = sys.stderr.isatty()
    if not args.quiet:
        print(f"training {model} on {args.dataset} ({len(y)} points, {args.classes} classes) "
              f"with {args.loss} loss and {args.optimizer}", flush=True)
    history = fit(model, X, y, loss=args.loss, optimizer=optimizer, epochs=args.epochs,
                  batch_size=batch_size, seed=args.seed, progress=tty and not args.quiet,
                  callback=None if tty or args.quiet else _progress_lines(args.epochs))
    final_loss, accuracy = evaluate(model, X, y, args.loss)

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    files = {"model": "model.json", "loss_plot": "loss.png", "decision_boundary": "decision_boundary.png",
             "neuron_graph": "neuron_graph.svg", "metrics": "metrics.json"}
    save(model, out / files["model"])
    plot_history(history, args.loss, out / files["loss_plot"])
    title = f"{args.dataset}: {args.loss}, hidden {args.hidden} {args.activation}, train accuracy {accuracy:.3f}"
    plot_decision_boundary(model, X, y, args.loss, title, out / files["decision_boundary"])
    files["neuron_graph"] = draw_one_neuron(model, X[0], out / files["neuron_graph"]).name
    metrics = {
        "dataset": args.dataset, "samples": len(y), "classes": args.classes, "noise": args.noise,
        "hidden": args.hidden, "activation": args.activation, "loss": args.loss,
        "optimizer": args.optimizer, "lr": args.lr, "momentum": args.momentum if args.optimizer == "sgd" else None,
        "weight_decay": args.weight_decay, "epochs": args.epochs, "batch_size": batch_size, "seed": args.seed,
        "parameters": len(model.parameters()),
        "train_accuracy": accuracy, "final_loss": final_loss,
        "seconds": history.seconds, "total_seconds": time.perf_counter() - started,
        "history": {"loss": history.loss, "accuracy": history.accuracy},
        "files": files,
    }
    (out / files["metrics"]).write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    print(f"{args.dataset}: train accuracy {accuracy:.3f}, loss {final_loss:.4f} after {args.epochs} epochs "
          f"in {history.seconds:.1f} s; wrote {', '.join(files.values())} to {out}/", flush=True)
    return 0
