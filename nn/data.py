"""Classification datasets for small MLPs: 2-D toys, real handwritten digits, and a split.

Every generator returns ``(X, y)``: ``X`` a float64 array of shape ``(n_samples, 2)``, ``y`` an
int64 array of class labels ``0 .. k-1`` (``0``/``1`` for the two-class sets), shuffled.
``noise`` is the standard deviation of Gaussian noise added to the coordinates. ``seed`` is
an int, a ``numpy.random.Generator`` or ``None``; the global numpy state is never used.

``load_digits()`` reads the 1,797 8x8 handwritten digits shipped beside this module
(``digits.csv.gz``: the test set of the UCI "Optical Recognition of Handwritten Digits" data,
the copy scikit-learn bundles; the README gives its source and licence), so nothing is
downloaded. ``train_test_split`` holds out a stratified, seeded test set.

Losses that want other targets get them from the labels: ``signed_labels(y)`` gives the -1/+1
labels of ``nn.losses.hinge``; ``cross_entropy`` takes the class indices as they are.

Without numpy (in the browser, through Pyodide) the toy sets, ``signed_labels`` and
``train_test_split`` still work and give the same numbers: ``X`` is then a list of tuples of
floats and ``y`` a list of ints, drawn by ``nn.pcg64`` (numpy's generator in pure Python)
from an int seed or ``None``. Each toy set below computes its points twice, with numpy and
in pure Python, with the same float operations in the same order. ``load_digits`` needs numpy.
"""

from __future__ import annotations

import gzip
import math
from numbers import Integral, Real
from pathlib import Path

from autograd.optional import numpy_or_none, require_numpy

from . import pcg64

np = numpy_or_none()

__all__ = ["DATASETS", "DIGIT_SHAPE", "default_rng", "load_digits", "make_blobs", "make_circles", "make_moons",
           "make_spirals", "make_xor", "signed_labels", "train_test_split"]

def default_rng(seed=None):
    """``numpy.random.default_rng(seed)``; without numpy, its pure-Python twin
    ``nn.pcg64.Generator(seed)`` (an int seed or ``None``), which draws the same numbers."""
    if np is None:
        return pcg64.Generator(seed)
    return np.random.default_rng(seed)


def _rng(seed: int | np.random.Generator | None):
    if np is not None and isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, Integral) and not isinstance(seed, bool)):
        return default_rng(seed)
    expected = "an int or None (no numpy here)" if np is None else "an int, a numpy Generator or None"
    raise TypeError(f"seed must be {expected}, got {type(seed).__name__}")


def _count(n, name: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {n}")
    return int(n)


def _nonnegative(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    if not x >= 0.0:
        raise ValueError(f"{name} must be >= 0, got {x!r}")
    return float(x)


def _split(n: int, k: int) -> list[int]:
    """``n`` samples over ``k`` classes, as evenly as possible."""
    return [n // k + (j < n % k) for j in range(k)]


def _finish(parts: list, noise: float, rng):
    """Stack the classes' points, label them by part, add noise and shuffle."""
    X = np.concatenate(parts).astype(np.float64)
    y = np.concatenate([np.full(len(p), j, dtype=np.int64) for j, p in enumerate(parts)])
    X = X + rng.normal(0.0, noise, X.shape) if noise > 0.0 else X
    order = rng.permutation(len(y))
    return X[order], y[order]


def _arc(t, radius: float = 1.0):
    return radius * np.column_stack([np.cos(t), np.sin(t)])


# The same in pure Python, points as (x, y) tuples: the float operations numpy does.

def _py_finish(parts: list[list[tuple]], noise: float, rng: pcg64.Generator) -> tuple[list[tuple], list[int]]:
    X = [p for part in parts for p in part]
    y = [j for j, part in enumerate(parts) for _ in part]
    if noise > 0.0:
        shifts = rng.normal(0.0, noise, 2 * len(X))
        X = [(a + shifts[2 * i], b + shifts[2 * i + 1]) for i, (a, b) in enumerate(X)]
    order = rng.permutation(len(y))
    return [X[i] for i in order], [y[i] for i in order]


def _py_linspace(start: float, stop: float, num: int, endpoint: bool = True) -> list[float]:
    """``np.linspace``: ``i * step + start``, the last point ``stop`` itself."""
    div = num - 1 if endpoint else num
    delta = stop - start
    step = delta / div if div > 0 else math.nan
    if div <= 0:
        ts = [i * delta for i in range(num)]
    elif step == 0.0:
        ts = [i / div * delta for i in range(num)]
    else:
        ts = [i * step for i in range(num)]
    ts = [t + start for t in ts]
    if endpoint and num > 1:
        ts[-1] = stop
    return ts


def _py_arc(ts: list[float], radius: float = 1.0) -> list[tuple[float, float]]:
    return [(radius * math.cos(t), radius * math.sin(t)) for t in ts]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's layout): the upper one is class 0."""
    n_samples, noise, rng = _count(n_samples, "n_samples", 2), _nonnegative(noise, "noise"), _rng(seed)
    n_upper, n_lower = _split(n_samples, 2)
    if np is None:
        upper = _py_arc(_py_linspace(0.0, math.pi, n_upper))
        lower = [(1.0 - a, 0.5 - b) for a, b in _py_arc(_py_linspace(0.0, math.pi, n_lower))]
        return _py_finish([upper, lower], noise, rng)
    upper = _arc(np.linspace(0.0, math.pi, n_upper))
    lower = np.array([1.0, 0.5]) - _arc(np.linspace(0.0, math.pi, n_lower))
    return _finish([upper, lower], noise, rng)


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside a circle of radius 1 (class 0)."""
    n_samples, noise, rng = _count(n_samples, "n_samples", 2), _nonnegative(noise, "noise"), _rng(seed)
    factor = _nonnegative(factor, "factor")
    if not factor < 1.0:
        raise ValueError(f"factor must be < 1 (the inner circle's radius), got {factor!r}")
    n_outer, n_inner = _split(n_samples, 2)
    if np is None:
        outer = _py_arc(_py_linspace(0.0, 2 * math.pi, n_outer, endpoint=False))
        inner = _py_arc(_py_linspace(0.0, 2 * math.pi, n_inner, endpoint=False), factor)
        return _py_finish([outer, inner], noise, rng)
    outer = _arc(np.linspace(0.0, 2 * math.pi, n_outer, endpoint=False))
    inner = _arc(np.linspace(0.0, 2 * math.pi, n_inner, endpoint=False), factor)
    return _finish([outer, inner], noise, rng)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.05,
                 turns: float = 1.0, seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` spiral arms, one per class, from near the centre out to radius 1.

    Arm ``j`` starts at angle ``2 pi j / n_classes`` and winds ``turns`` times around.
    """
    n_samples, rng = _count(n_samples, "n_samples"), _rng(seed)
    n_classes = _count(n_classes, "n_classes", 2)
    noise, turns = _nonnegative(noise, "noise"), _nonnegative(turns, "turns")
    if n_samples < n_classes:
        raise ValueError(f"n_samples must be at least n_classes ({n_classes}), got {n_samples}")
    parts = []
    for j, m in enumerate(_split(n_samples, n_classes)):
        if np is None:
            rs = _py_linspace(0.1, 1.0, m)
            arc = _py_arc([2 * math.pi * (j / n_classes + turns * r) for r in rs])
            parts.append([(r * a, r * b) for r, (a, b) in zip(rs, arc)])
            continue
        r = np.linspace(0.1, 1.0, m)
        parts.append(r[:, None] * _arc(2 * math.pi * (j / n_classes + turns * r)))
    return _py_finish(parts, noise, rng) if np is None else _finish(parts, noise, rng)


def make_xor(n_samples: int = 100, noise: float = 0.05, seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in the square [-1, 1]^2: class 0 in the quadrants where the coordinates'
    signs agree, class 1 where they differ. The label is taken before the noise is added."""
    n_samples, noise, rng = _count(n_samples, "n_samples", 2), _nonnegative(noise, "noise"), _rng(seed)
    parts = []
    for j, m in enumerate(_split(n_samples, 2)):
        sign = rng.choice([-1.0, 1.0], m)
        if np is None:
            u = rng.uniform(0.0, 1.0, 2 * m)
            parts.append([(u[2 * i] * s, u[2 * i + 1] * (s if j == 0 else -s)) for i, s in enumerate(sign)])
            continue
        parts.append(rng.uniform(0.0, 1.0, (m, 2)) * np.column_stack([sign, sign if j == 0 else -sign]))
    return _py_finish(parts, noise, rng) if np is None else _finish(parts, noise, rng)


def make_blobs(n_samples: int = 150, n_classes: int = 3, noise: float = 0.4,
               seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs of standard deviation ``noise`` around ``n_classes`` centres evenly
    spaced on a circle of radius 2 (class j at angle ``2 pi j / n_classes``)."""
    n_samples, rng = _count(n_samples, "n_samples"), _rng(seed)
    n_classes = _count(n_classes, "n_classes", 2)
    noise = _nonnegative(noise, "noise")
    if n_samples < n_classes:
        raise ValueError(f"n_samples must be at least n_classes ({n_classes}), got {n_samples}")
    if np is None:
        centres = _py_arc([2 * math.pi * j / n_classes for j in range(n_classes)], 2.0)
        parts = [[centres[j]] * m for j, m in enumerate(_split(n_samples, n_classes))]
        return _py_finish(parts, noise, rng)
    centres = _arc(2 * math.pi * np.arange(n_classes) / n_classes, 2.0)
    parts = [np.repeat(centres[j : j + 1], m, axis=0) for j, m in enumerate(_split(n_samples, n_classes))]
    return _finish(parts, noise, rng)


def signed_labels(y):
    """0/1 class labels as the -1.0/+1.0 labels ``nn.losses.hinge`` expects (a list without numpy)."""
    if np is None:
        y = list(y)
        if not set(y) <= {0, 1}:
            raise ValueError(f"signed_labels expects 0/1 labels, got values {sorted(set(y))}")
        return [1.0 if label == 1 else -1.0 for label in y]
    y = np.asarray(y)
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError(f"signed_labels expects 0/1 labels, got values {sorted(set(np.unique(y).tolist()))}")
    return np.where(y == 1, 1.0, -1.0)


DIGIT_SHAPE = (8, 8)
_DIGITS_FILE = Path(__file__).with_name("digits.csv.gz")
DIGITS_SAMPLES = 1797


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits: ``X`` float64 of shape ``(1797, 64)``, ``y`` int64 labels 0..9.

    Each row of ``X`` is one 8x8 image, row by row (``X[i].reshape(DIGIT_SHAPE)``), its pixels
    the counts 0..16 of the original data divided by 16, so they lie in [0, 1]. The rows come
    in the file's order (not shuffled); ``train_test_split`` shuffles. Needs numpy.
    """
    np = require_numpy("nn.data.load_digits")
    with gzip.open(_DIGITS_FILE, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    width = DIGIT_SHAPE[0] * DIGIT_SHAPE[1] + 1
    if table.shape != (DIGITS_SAMPLES, width):
        raise ValueError(f"{_DIGITS_FILE} is damaged: expected {DIGITS_SAMPLES} rows of {width} integers, "
                         f"got shape {table.shape}")
    return table[:, :-1] / 16.0, table[:, -1].copy()


def _fraction(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {x!r}")
    return float(x)


def _per_class_quota(counts: np.ndarray, total: int) -> np.ndarray:
    """``total`` test places shared among classes in proportion to ``counts``: each class gets
    the floor of its share, and the places left go to the largest remainders (ties: lower label)."""
    shares = counts * (total / counts.sum())
    quota = np.floor(shares).astype(np.int64)
    by_remainder = np.argsort(-(shares - quota), kind="stable")
    quota[by_remainder[: total - quota.sum()]] += 1
    return quota


def train_test_split(X, y, test_fraction: float = 0.2,
                     seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, X_test, y_train, y_test)``, scikit-learn's order, stratified and seeded.

    The test set has ``round(test_fraction * n)`` samples, shared among the classes in
    proportion to their sizes (each class within one sample of its exact share); which
    samples of a class go to it is drawn from ``seed``, and both parts are shuffled. The same
    ``seed`` always gives the same split.
    """
    if np is None:
        if len(X) != len(y):
            raise ValueError(f"X must have one row per label ({len(y)}), got {len(X)} rows")
    else:
        X, y = np.asarray(X), np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be a 1-D array of labels, got shape {y.shape}")
        if X.ndim == 0 or len(X) != len(y):
            raise ValueError(f"X must have one row per label ({len(y)}), got shape {X.shape}")
    test_fraction, rng = _fraction(test_fraction, "test_fraction"), _rng(seed)
    n = len(y)
    n_test = math.floor(test_fraction * n + 0.5)
    if not 0 < n_test < n:
        raise ValueError(f"test_fraction {test_fraction!r} of {n} samples gives a test set of {n_test} "
                         f"and a training set of {n - n_test}: both need at least one sample")
    if np is None:
        return _py_split(list(X), list(y), n_test, rng)
    classes, counts = np.unique(y, return_counts=True)
    test_parts = []
    for label, k in zip(classes, _per_class_quota(counts, n_test)):
        test_parts.append(rng.permutation(np.flatnonzero(y == label))[:k])
    is_test = np.zeros(n, dtype=bool)
    is_test[np.concatenate(test_parts)] = True
    train, test = rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))
    return X[train], X[test], y[train], y[test]


def _py_split(X: list, y: list, n_test: int, rng: pcg64.Generator) -> tuple[list, list, list, list]:
    """``train_test_split`` in pure Python: the same quotas, draws and order."""
    classes = sorted(set(y))
    counts = [y.count(label) for label in classes]
    shares = [c * (n_test / sum(counts)) for c in counts]
    quota = [math.floor(share) for share in shares]
    by_remainder = sorted(range(len(classes)), key=lambda j: -(shares[j] - quota[j]))  # stable, as numpy's
    for j in by_remainder[: n_test - sum(quota)]:
        quota[j] += 1
    is_test = [False] * len(y)
    for label, k in zip(classes, quota):
        members = [i for i, c in enumerate(y) if c == label]
        rng.shuffle(members)
        for i in members[:k]:
            is_test[i] = True
    train, test = [i for i, t in enumerate(is_test) if not t], [i for i, t in enumerate(is_test) if t]
    rng.shuffle(train)
    rng.shuffle(test)
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


# name -> generator, for the command line.
DATASETS = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "xor": make_xor,
    "blobs": make_blobs,
}
