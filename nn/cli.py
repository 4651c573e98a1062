"""``python -m nn``: train an MLP, score it on held-out data, and write what it learned.

Data: a generated 2-D set of ``nn.data``, or the 8x8 handwritten digits (ten classes, or
``--task two-vs-rest``: the seeds' "2 or not 2"). A stratified test set is held out
(``--test-fraction``, 0 for none) and scored after every epoch.

Writes into ``--out``: ``metrics.json``, ``model.json`` (``nn.load`` reads it back),
``loss.png`` (training and test loss and accuracy per epoch), ``confusion_matrix.png``,
``decision_boundary.png`` (2-D sets) or ``test_images.png`` (digits), and ``network.svg``
(the network on one test sample, ``a`` and ``δ = dL/dz`` on each unit, drawn by
``nn.draw_network``). ``--record training.html`` also writes the training player
(``nn.training_view``): a frame every ``--record-every`` epochs, scrubbed like the backprop
player; ``--record training.gif`` an animation of the same frames.

Every flag, and ``--out``, is checked before training. The files are written into a new
folder beside ``--out`` and replace the old folder only once all are written, so ``--out``
always holds the files of one whole run.
"""

from __future__ import annotations

import argparse
import glob
import inspect
import json
import math
import os
import secrets
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import graphviz

from autograd.optional import require_numpy

from . import data, plots
from .io import save
from .layers import ACTIVATIONS, MAX_PARAMETERS, MLP, parameter_count
from .network import draw_network
from .torch_bridge import require_torch, save_torch
from .recording import kept_epochs
from .training_view import MAX_PAGE_BYTES, page_bytes
from .optim import SGD, Adam, Optimizer
from .train import ENGINES, LOSSES, History, evaluate, fit, predict, sample_losses, targets_for

np = require_numpy("the nn command line")

# Per dataset: its size and classes, the loss that suits its class count, the hidden layers,
# and enough epochs (of mini-batches of 32, Adam at lr 0.01) to fit it: moons reaches 1.000
# for seeds 0-7. Digits: tanh reached a held-out accuracy of 0.958 or more for each of the
# seeds 0-19 in 10 epochs (relu: 0.947 at worst), 0.994 or more for two-vs-rest.
_TWO_D = {"hidden": [16, 16], "activation": "relu"}
DATASET_DEFAULTS = {
    "moons": {"samples": 100, "classes": 2, "loss": "hinge", "epochs": 100, **_TWO_D},
    "circles": {"samples": 100, "classes": 2, "loss": "hinge", "epochs": 100, **_TWO_D},
    "xor": {"samples": 100, "classes": 2, "loss": "hinge", "epochs": 100, **_TWO_D},
    "spirals": {"samples": 300, "classes": 3, "loss": "cross_entropy", "epochs": 60, **_TWO_D},
    "blobs": {"samples": 150, "classes": 3, "loss": "cross_entropy", "epochs": 100, **_TWO_D},
    "digits": {"samples": 1797, "classes": 10, "loss": "cross_entropy", "epochs": 10, "hidden": [32],
               "activation": "tanh"},
}
_MULTICLASS = ("spirals", "blobs")
# --task for digits: its classes and default loss.
TASKS = {"ten-class": (10, "cross_entropy"), "two-vs-rest": (2, "binary_cross_entropy")}
# Every file a run may write: --out may hold these (an earlier run's), and --torch-out's *.pt,
# and nothing else.
OUTPUT_FILES = frozenset({"metrics.json", "model.json", "loss.png", "confusion_matrix.png", "decision_boundary.png",
                          "test_images.png", "network.svg", "network.gv"})
RECORD_SUFFIXES = (".html", ".gif")  # --record's player or animation: an earlier run's may be in --out
LR_MAX = 10.0
# Sizes are checked against these before any data or model is made, so a typo (--hidden
# 1000000000) is refused at once instead of ending in MemoryError minutes later.
SAMPLES_MAX = 1_000_000
CLASSES_MAX = 100  # the confusion matrix writes a count in each of its classes² cells
EPOCHS_MAX = 1_000_000
STEP_EDGES_MAX = 10_000_000  # a training step's graph, a few hundred MB
NOISE_MAX = 10.0  # the points lie within about 2 of the origin: more noise only buries them


def _noise_defaults() -> str:
    return ", ".join(f"{inspect.signature(make).parameters['noise'].default:g} {name}"
                     for name, make in data.DATASETS.items())


def _dataset_default(key: str, show=str, among=tuple(DATASET_DEFAULTS)) -> str:
    """'100; 300 for spirals, ...': the moons default, then the datasets that differ."""
    base = DATASET_DEFAULTS["moons"][key]
    others = [f"{show(DATASET_DEFAULTS[name][key])} for {name}" for name in among
              if DATASET_DEFAULTS[name][key] != base]
    return f"{show(base)}; " + ", ".join(others) if others else show(base)


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train an MLP on a 2-D toy set or on handwritten digits; hold out a test set; write "
                    "metrics, the model, plots and the network on one test sample.",
    )
    datasets = [*data.DATASETS, "digits"]
    p.add_argument("--dataset", choices=datasets, default="moons",
                   help="generated 2-D points, or the 1,797 8x8 handwritten digits (default: moons)")
    p.add_argument("--task", choices=list(TASKS),
                   help="digits only: ten-class (softmax + cross-entropy over 0-9) or two-vs-rest (is it a 2? "
                        "one sigmoid output + binary cross-entropy) (default: ten-class)")
    p.add_argument("--samples", type=int,
                   help=f"points to generate, 2-D sets only, at most {SAMPLES_MAX:,} (--samples) "
                        f"(default: {_dataset_default('samples', among=data.DATASETS)})")
    p.add_argument("--classes", type=int, help=f"classes of spirals and blobs, 2 to {CLASSES_MAX} (default: 3)")
    p.add_argument("--noise", type=float,
                   help=f"std of the noise on the points, 2-D sets only, in [0, {NOISE_MAX:g}] "
                        f"(default: {_noise_defaults()})")
    p.add_argument("--test-fraction", type=float, default=0.2,
                   help="share of the data held out as a stratified test set; 0 holds out nothing (default: 0.2)")
    p.add_argument("--hidden", type=int, nargs="+", metavar="N",
                   help=f"hidden layer sizes; the model may have at most {MAX_PARAMETERS:,} parameters "
                        f"(default: {_dataset_default('hidden', lambda h: ' '.join(map(str, h)))})")
    p.add_argument("--activation", choices=list(ACTIVATIONS),
                   help=f"activation of the hidden layers (default: {_dataset_default('activation')})")
    p.add_argument("--loss", choices=list(LOSSES),
                   help="the loss to train on (default: hinge for two classes, cross_entropy for more; "
                        "binary_cross_entropy for digits two-vs-rest)")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                   help="Adam, or SGD with --momentum (default: adam)")
    p.add_argument("--lr", type=float, default=0.01, help=f"learning rate, in (0, {LR_MAX:g}] (default: 0.01)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum, in [0, 1) (default: 0.9)")
    p.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay, in [0, 1] (default: 0)")
    p.add_argument("--epochs", type=int, help=f"passes over the training set, 1 to {EPOCHS_MAX:,} "
                                              f"(default: {_dataset_default('epochs')})")
    p.add_argument("--batch-size", type=int, default=32,
                   help="samples per mini-batch; 0 trains on the full batch, as nn.fit's batch_size=None; "
                        f"a step's graph may have at most {STEP_EDGES_MAX:,} edges, about two per parameter and "
                        "sample (default: 32)")
    p.add_argument("--engine", choices=list(ENGINES), default="scalar",
                   help="scalar: every sample through the Values of the graph, one node at a time; tape: the "
                        "graph traced once and replayed over each batch with numpy (autograd.trace), the same "
                        "numbers up to rounding, many times faster. The drawing uses Values either way "
                        "(default: scalar)")
    p.add_argument("--seed", type=int, default=0,
                   help="an int >= 0 seeding the data, the split, the initial weights and the shuffling (default: 0)")
    p.add_argument("--out", default="out",
                   help="output folder, made if missing; if it exists it may hold only an earlier run's files, "
                        "which this run replaces together: the new folder is renamed into its place, so it must be "
                        "not a mount point or the working directory (name a folder inside them) (default: out)")
    p.add_argument("--torch-out", nargs="?", const="model.pt", metavar="NAME.pt",
                   help="also write the trained model as a PyTorch state dict into --out, for "
                        "nn.to_torch(model).load_state_dict(torch.load(...)); needs torch (default: model.pt when "
                        "given without a name)")
    p.add_argument("--record", metavar="NAME.html",
                   help="also write the training player into --out: every unit's map, the weights, the data and "
                        "the curves at each frame kept (NAME.gif: the same frames as an animation) (default: none)")
    p.add_argument("--record-every", type=int, metavar="K",
                   help="with --record: keep a frame every K epochs, and the first and last (default: a twentieth "
                        "of the epochs, at least 1)")
    p.add_argument("--quiet", action="store_true", help="no progress output, only the summary line")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the dataset's defaults filled in and every flag checked; a bad
    flag exits with status 2 and a message naming it."""
    p = _build_parser()
    args = p.parse_args(argv)
    defaults = DATASET_DEFAULTS[args.dataset]
    digits = args.dataset == "digits"
    for flag in ("samples", "noise"):
        if digits and getattr(args, flag) is not None:
            p.error(f"--{flag} applies to the generated 2-D sets; digits has its 1,797 images as they are")
    if args.classes is not None and args.dataset not in _MULTICLASS:
        p.error(f"--classes applies to {' and '.join(_MULTICLASS)}; {args.dataset} has {defaults['classes']} "
                "classes" + (" (or 2 with --task two-vs-rest)" if digits else ""))
    if args.task is not None and not digits:
        p.error(f"--task applies to digits; {args.dataset} has its own classes")
    if digits:
        args.task = args.task or "ten-class"
        args.classes, task_loss = TASKS[args.task]
        args.loss = args.loss or task_loss
    args.samples = defaults["samples"] if args.samples is None else args.samples
    args.classes = defaults["classes"] if args.classes is None else args.classes
    args.loss = args.loss or defaults["loss"]
    args.hidden = defaults["hidden"] if args.hidden is None else args.hidden
    args.activation = args.activation or defaults["activation"]
    args.epochs = defaults["epochs"] if args.epochs is None else args.epochs
    _check_numbers(p, args)
    if args.loss in ("hinge", "binary_cross_entropy") and args.classes > 2:
        p.error(f"--loss {args.loss} separates two classes; {args.dataset} has {args.classes}")
    _check_sizes(p, args)
    if args.torch_out is not None:
        if Path(args.torch_out).name != args.torch_out or not args.torch_out.endswith(".pt") or args.torch_out == ".pt":
            p.error(f"--torch-out must be a file name ending in .pt (written into --out), got {args.torch_out!r}")
        try:
            require_torch("--torch-out")
        except ImportError as missing:
            p.error(str(missing))
    _check_record(p, args, features=64 if digits else 2)
    args.out = _check_out(p, args.out)
    return args


def _check_record(p: argparse.ArgumentParser, args: argparse.Namespace, features: int) -> None:
    """``--record`` and ``--record-every``, and the player's size, checked before training."""
    if args.record is None:
        if args.record_every is not None:
            p.error("--record-every applies with --record NAME.html (the player it keeps frames for)")
        return
    if Path(args.record).name != args.record or Path(args.record).suffix.lower() not in RECORD_SUFFIXES:
        p.error(f"--record must be a file name ending in .html or .gif (written into --out), got {args.record!r}")
    every = max(1, args.epochs // 20) if args.record_every is None else args.record_every
    if every < 1:
        p.error(f"--record-every must be at least 1, got {every}")
    args.record_every = every
    frames = len(kept_epochs(args.epochs, every))
    config = {"nin": features, "nouts": [*args.hidden, output_size(args.loss, args.classes)]}
    samples = 1797 if args.dataset == "digits" else args.samples
    held = frames if args.record.lower().endswith(".html") and features == 2 else 0  # a pass a frame
    size = page_bytes(frames, config, samples, held)
    if size > MAX_PAGE_BYTES:
        fits = max(1, MAX_PAGE_BYTES * frames // size - 2)  # frames that fit, the first and last among them
        p.error(f"--record {args.record}: {frames} frames (one every {every} epochs) make a page of about "
                f"{size / 1e6:.0f} MB, more than {MAX_PAGE_BYTES / 1e6:.0f} MB; choose a larger --record-every, "
                f"such as {max(-(-args.epochs // fits), every + 1)}")


def _check_numbers(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    def require(ok: bool, flag: str, expected: str) -> None:
        if not ok:
            p.error(f"--{flag} must be {expected}, got {getattr(args, flag.replace('-', '_'))!r}")

    require(1 <= args.epochs <= EPOCHS_MAX, "epochs", f"from 1 to {EPOCHS_MAX:,}")
    require(min(args.hidden) >= 1, "hidden", "sizes of at least 1")
    require(args.batch_size >= 0, "batch-size", ">= 0 (0 means the full batch)")
    require(args.seed >= 0, "seed", "an int >= 0")
    require(2 <= args.classes <= CLASSES_MAX, "classes", f"from 2 to {CLASSES_MAX}")
    require(args.classes <= args.samples <= SAMPLES_MAX, "samples",
            f"from the number of classes ({args.classes}) to {SAMPLES_MAX:,}")
    # Finite and in range: inf or an absurd rate would only show up as a nan loss later.
    require(0.0 < args.lr <= LR_MAX, "lr", f"in (0, {LR_MAX:g}]")
    require(0.0 <= args.momentum < 1.0, "momentum", "in [0, 1)")
    require(0.0 <= args.weight_decay <= 1.0, "weight-decay", "in [0, 1]")
    require(args.noise is None or 0.0 <= args.noise <= NOISE_MAX, "noise",
            f"in [0, {NOISE_MAX:g}] (the points lie within about 2 of the origin)")
    require(0.0 <= args.test_fraction < 1.0, "test-fraction", "in [0, 1) (0 holds out nothing)")


def _check_sizes(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse a model or a training step too large to build, from the flags alone."""
    digits = args.dataset == "digits"
    samples = data.DIGITS_SAMPLES if digits else args.samples
    features = data.DIGIT_SHAPE[0] * data.DIGIT_SHAPE[1] if digits else 2
    sizes = [features, *args.hidden, output_size(args.loss, args.classes)]
    parameters = parameter_count(sizes)
    if parameters > MAX_PARAMETERS:
        p.error(f"--hidden {' '.join(map(str, args.hidden))} makes a model of {parameters:,} parameters, "
                f"more than the limit of {MAX_PARAMETERS:,}")
    # Each unit's dot node has an edge per weight, per input and to its bias, and one more
    # leads on from it (its activation, or the loss).
    per_sample = sum(nout * (2 * nin + 2) for nin, nout in zip(sizes, sizes[1:]))
    batch = args.batch_size or round(samples * (1.0 - args.test_fraction))
    if batch * per_sample > STEP_EDGES_MAX:
        which = f" (the full batch of {batch:,} samples)" if args.batch_size == 0 else ""
        p.error(f"--batch-size {args.batch_size}{which}: a step through {parameters:,} parameters records about "
                f"{batch * per_sample:,} edges, more than the limit of {STEP_EDGES_MAX:,}; use a smaller "
                f"--batch-size (at most {max(1, STEP_EDGES_MAX // per_sample):,}) or --hidden")


def _check_out(p: argparse.ArgumentParser, text: str) -> Path:
    """``--out`` as a Path, if a folder can be made or replaced there; exits otherwise."""
    if not text.strip():
        p.error(f"--out must name a folder, got {text!r}")
    out = Path(text)
    _finish_an_interrupted_swap(_real(out))
    if out.exists() and not out.is_dir():
        p.error(f"--out {text} is a file, not a folder")
    here = _real(Path.cwd())
    if _real(out) in (here, *here.parents):
        p.error(f"--out {text} is the working directory or holds it, which a run would replace; "
                "name a folder inside it")
    if os.path.ismount(_real(out)):
        # Renaming it aside fails (EBUSY), and only after training.
        p.error(f"--out {text} is a mount point, which a run cannot replace; name a folder inside it")
    foreign = _foreign_files(out)
    if foreign:
        p.error(foreign)
    return out


def _foreign_files(out: Path) -> str:
    """'' if ``out`` is missing or holds only files a run writes, else a message naming the others."""
    if not out.is_dir():
        return ""
    foreign = sorted(entry.name for entry in out.iterdir()
                     if entry.name not in OUTPUT_FILES and not entry.name.endswith((".pt", *RECORD_SUFFIXES)))
    if not foreign:
        return ""
    shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
    return (f"--out {out} holds files this program did not write ({shown}); "
            "choose a new or empty folder so they are not replaced")


def _exit(message: str, status: int = 2) -> None:
    print(f"python -m nn: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def make_dataset(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(X, y, class names)`` from the dataset flags; records the noise used in ``args.noise``."""
    if args.dataset == "digits":
        X, y = data.load_digits()
        if args.task == "two-vs-rest":
            return X, (y == 2).astype(np.int64), ["not 2", "2"]
        return X, y, [str(c) for c in range(10)]
    generator = data.DATASETS[args.dataset]
    if args.noise is None:
        args.noise = inspect.signature(generator).parameters["noise"].default
    kwargs = {"n_samples": args.samples, "seed": args.seed, "noise": args.noise}
    if args.dataset in _MULTICLASS:
        kwargs["n_classes"] = args.classes
    X, y = generator(**kwargs)
    return X, y, [f"class {c}" for c in range(args.classes)]


def split(args: argparse.Namespace, X: np.ndarray, y: np.ndarray) -> tuple:
    """``(X_train, X_test, y_train, y_test)``; the test parts are None with ``--test-fraction 0``."""
    if args.test_fraction == 0.0:
        return X, None, y, None
    try:
        return data.train_test_split(X, y, args.test_fraction, seed=args.seed)
    except ValueError as problem:
        _exit(f"--test-fraction {args.test_fraction:g}: {problem}")


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
            line = (f"epoch {epoch + 1:>4}/{epochs}  loss {history.loss[-1]:.4g}  "
                    f"accuracy {history.accuracy[-1]:.3f}")
            if history.val_loss:
                line += f"  test loss {history.val_loss[-1]:.4g}  test accuracy {history.val_accuracy[-1]:.3f}"
            print(line, flush=True)

    return report


def hardest(model: MLP, X: np.ndarray, y: np.ndarray, loss: str, engine: str = "scalar") -> int:
    """The index of the sample with the largest loss (the first of equals): its picture shows
    the most of what backpropagation sends."""
    return int(np.argmax(sample_losses(model, X, y, loss, engine)))


def draw_sample(model: MLP, x: np.ndarray, label: int, args, names: list[str], where: str, path: Path) -> Path:
    """Draw the network on one sample with ``nn.draw_network``: ``a`` and ``δ = dL/dz`` on each
    unit for this sample's loss, the weights on the connections; return the path written.
    Without Graphviz's ``dot`` program the picture is written as DOT text (``.gv``) instead."""
    nout = output_size(args.loss, args.classes)
    (target,) = targets_for(args.loss, np.array([label]), nout)
    caption = f"{where}, class {names[label]}, through the trained network, {args.loss} loss:"
    diagram = draw_network(model, x=x, target=target, loss=args.loss, caption=caption)
    try:
        path.write_bytes(diagram.pipe(format="svg"))
    except graphviz.ExecutableNotFound as missing:
        # Training worked; keep the picture as DOT text and say how to get it drawn.
        path = path.with_suffix(".gv")
        path.write_text(diagram.source, encoding="utf-8")
        print(f"{missing}\nwrote the DOT source to {path} instead", file=sys.stderr)
    return path


# -- writing --out as one piece -------------------------------------------------------------
def _real(out: Path) -> Path:
    # The folder itself, not a symlink to it, and a real name even for "." or "a/..".
    return Path(os.path.realpath(out))


def make_staging_folder(out: Path) -> Path:
    """A new, empty folder beside ``out`` for this run's files; exits if none can be made."""
    out = _real(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir()
    except OSError as problem:
        _exit(f"--out {out}: cannot write there: {problem.strerror or problem}")
    if out.is_dir():
        shutil.copymode(out, staging)
    return staging


def publish(staging: Path, out: Path) -> None:
    """Put the finished ``staging`` folder in the place of ``out``, and drop the old one.

    The old folder is renamed aside (``.out.previous-*``) before the new one takes its place.
    Interrupted between the two renames, the old folder is put back; killed there, the next
    run puts it back before anything else (``_finish_an_interrupted_swap``).
    """
    out = _real(out)
    if not out.exists():
        os.rename(staging, out)
        return
    foreign = _foreign_files(out)  # checked before training too; a file may have appeared since
    if foreign:
        _exit(foreign + "; nothing was written")
    previous = staging.with_name(staging.name.replace(".partial-", ".previous-"))
    os.rename(out, previous)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(previous, out)
        raise
    shutil.rmtree(previous)


def _finish_an_interrupted_swap(out: Path) -> None:
    """Where a run was killed while replacing ``out`` (see ``publish``): put the last run's
    folder back if ``out`` is missing; if the new one took its place, drop the old."""
    for aside in sorted(out.parent.glob(f".{glob.escape(out.name)}.previous-*")):
        if out.exists():
            shutil.rmtree(aside)
        else:
            os.rename(aside, out)
            print(f"python -m nn: put back {out}, the last run's files, from {aside.name} "
                  "(a run was stopped while replacing it)", file=sys.stderr)


@contextmanager
def _stopped_cleanly_by_sigterm(out: Path):
    """SIGTERM (``kill``, a container stopping) ends the run as Ctrl-C does: by an exception,
    so the half-written folder is removed and ``out`` is left as it was."""
    if threading.current_thread() is not threading.main_thread():  # only it can catch signals
        yield
        return

    def stop(signum, frame):
        _exit(f"terminated (SIGTERM); nothing was written to {out}", status=128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """``matrix[true, predicted]``: how often each class was taken for each."""
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def write_outputs(folder: Path, args, model: MLP, history: History, parts: tuple, names: list[str],
                  scores: dict) -> dict[str, str]:
    """Every output file of the run into ``folder``; returns ``{role: file name}``."""
    X_train, X_test, y_train, y_test = parts
    held_out = X_test is not None
    X_eval, y_eval = (X_test, y_test) if held_out else (X_train, y_train)
    on = "test set" if held_out else "training set (no test set)"
    threshold = 0.5 if args.loss == "mse" else 0.0
    predicted = predict(model, X_eval, threshold, args.engine)
    files = {"model": "model.json", "loss_plot": "loss.png", "confusion_matrix": "confusion_matrix.png"}
    save(model, folder / files["model"])
    if args.torch_out is not None:
        files["torch_model"] = args.torch_out
        save_torch(model, folder / args.torch_out)
    plots.history(history, args.loss, folder / files["loss_plot"])
    matrix = confusion(y_eval, predicted, len(names))
    scores["confusion_matrix"] = {"on": on, "labels": names, "counts": matrix.tolist()}
    plots.confusion_matrix(matrix, names, f"{args.dataset}: {on}, accuracy {np.mean(predicted == y_eval):.3f}",
                           folder / files["confusion_matrix"])
    if args.dataset == "digits":
        files["images"] = "test_images.png"
        mistakes = int(np.sum(predicted != y_eval))
        plots.image_grid(X_eval.reshape(-1, *data.DIGIT_SHAPE), y_eval, predicted, names,
                         f"{mistakes} of {len(y_eval)} images of the {on} misclassified (first, in red)",
                         folder / files["images"])
    else:
        files["decision_boundary"] = "decision_boundary.png"
        title = (f"{args.dataset}: {args.loss}, hidden {args.hidden} {args.activation}, "
                 f"{on.split(' (')[0]} accuracy {np.mean(predicted == y_eval):.3f}")
        plots.decision_boundary(model, X_train, y_train, X_test, y_test, args.loss, title,
                                folder / files["decision_boundary"])
    worst = hardest(model, X_eval, y_eval, args.loss, args.engine)
    where = f"Sample {worst} of the {on}, the one with the largest loss"
    files["network"] = draw_sample(model, X_eval[worst], int(y_eval[worst]), args, names, where,
                                   folder / "network.svg").name
    if args.record is not None:
        files["recording"] = history.recording.save(folder / args.record).name
    files["metrics"] = "metrics.json"
    return files


def _refuse_divergence(args, losses: list[tuple[str, float | None]]) -> None:
    """Stop the run, writing nothing, at the first loss (with what it was) that is not finite."""
    for what, loss in losses:
        if loss is not None and not math.isfinite(loss):
            _exit(f"training diverged: {what}; try a smaller --lr than {args.lr:g}. "
                  f"Nothing was written to {args.out}", status=1)


def _summary(args, scores: dict, history: History, files: dict) -> str:
    name = args.dataset if args.dataset != "digits" else f"digits {args.task}"
    if scores["test_accuracy"] is None:
        accuracy = f"train accuracy {scores['train_accuracy']:.3f} (no test set)"
        losses = f"{scores['train_loss']:.4g} on the training set"
    else:
        accuracy = f"test accuracy {scores['test_accuracy']:.3f}, train accuracy {scores['train_accuracy']:.3f}"
        losses = f"{scores['test_loss']:.4g} on the test set, {scores['train_loss']:.4g} on the training set"
    return (f"{name}: {accuracy} after {args.epochs} epochs in {history.seconds:.1f} s. "
            f"{args.loss} loss of the trained model: {losses} (the last epoch's mean over its batches, "
            f"taken while training, was {history.loss[-1]:.4g}). Wrote {', '.join(files.values())} to {args.out}/")


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m nn`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = parse_args(argv)
    started = time.perf_counter()
    X, y, names = make_dataset(args)
    parts = split(args, X, y)
    X_train, X_test, y_train, y_test = parts
    nout = output_size(args.loss, args.classes)
    model = MLP(X.shape[1], [*args.hidden, nout], activation=args.activation, seed=args.seed)
    optimizer = make_optimizer(args, model)
    batch_size = args.batch_size or None
    with _stopped_cleanly_by_sigterm(args.out):
        staging = make_staging_folder(args.out)  # before training: an unwritable --out fails now
        try:
            tty = sys.stderr.isatty()
            if not args.quiet:
                test = f", {len(y_test)} held out" if X_test is not None else ", none held out"
                print(f"training {model} on {args.dataset} ({len(y_train)} samples{test}, {args.classes} classes) "
                      f"with {args.loss} loss and {args.optimizer}", flush=True)
            history = fit(model, X_train, y_train, loss=args.loss, optimizer=optimizer, epochs=args.epochs,
                          batch_size=batch_size, seed=args.seed,
                          validation=None if X_test is None else (X_test, y_test),
                          progress=tty and not args.quiet,
                          callback=None if tty or args.quiet else _progress_lines(args.epochs),
                          record=None if args.record is None else args.record_every, engine=args.engine)
            _refuse_divergence(args, [(f"the loss was {v} in epoch {e}", v) for e, v in enumerate(history.loss, 1)])
            train_loss, train_accuracy = evaluate(model, X_train, y_train, args.loss, args.engine)
            test_loss, test_accuracy = (None, None) if X_test is None else evaluate(model, X_test, y_test, args.loss,
                                                                                    args.engine)
            # Each epoch's mean loss may be finite while the trained model's is not (the last
            # update overflowed): what is saved and reported must be finite too.
            _refuse_divergence(args, [(f"the trained model's loss on the training set is {train_loss}", train_loss),
                                      (f"the trained model's loss on the test set is {test_loss}", test_loss),
                                      *((f"the test loss was {v} in epoch {e}", v)
                                        for e, v in enumerate(history.val_loss, 1))])
            scores = {"train_accuracy": train_accuracy, "test_accuracy": test_accuracy,
                      "train_loss": train_loss, "test_loss": test_loss}
            files = write_outputs(staging, args, model, history, parts, names, scores)
            metrics = {
                "dataset": args.dataset, "task": args.task, "samples": len(y), "features": X.shape[1],
                "classes": args.classes, "noise": args.noise, "test_fraction": args.test_fraction,
                "train_samples": len(y_train), "test_samples": 0 if y_test is None else len(y_test),
                "hidden": args.hidden, "activation": args.activation, "loss": args.loss,
                "optimizer": args.optimizer, "lr": args.lr,
                "momentum": args.momentum if args.optimizer == "sgd" else None,
                "weight_decay": args.weight_decay, "epochs": args.epochs, "batch_size": batch_size,
                "engine": args.engine,
                "seed": args.seed, "parameters": len(model.parameters()),
                **scores,
                "seconds": history.seconds, "total_seconds": time.perf_counter() - started,
                "history": {"loss": history.loss, "accuracy": history.accuracy,
                            "test_loss": history.val_loss, "test_accuracy": history.val_accuracy},
                "files": files,
            }
            # Strict JSON: a number that is not finite has no JSON form, and raises here.
            (staging / files["metrics"]).write_text(json.dumps(metrics, indent=1, allow_nan=False) + "\n",
                                                    encoding="utf-8")
            publish(staging, args.out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already unless the run failed
    print(_summary(args, scores, history, files), flush=True)
    return 0
