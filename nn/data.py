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
"""

from __future__ import annotations

import gzip
import math
from numbers import Real
from pathlib import Path

import numpy as np

__all__ = ["DATASETS", "DIGIT_SHAPE", "load_digits", "make_blobs", "make_circles", "make_moons", "make_spirals",
           "make_xor", "signed_labels", "train_test_split"]

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")


def _count(n, name: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
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


def _finish(parts: list[np.ndarray], noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stack the classes' points, label them by part, add noise and shuffle."""
    X = np.concatenate(parts).astype(np.float64)
    y = np.concatenate([np.full(len(p), j, dtype=np.int64) for j, p in enumerate(parts)])
    X = X + rng.normal(0.0, noise, X.shape) if noise > 0.0 else X
    order = rng.permutation(len(y))
    return X[order], y[order]


def _arc(t: np.ndarray, radius: float = 1.0) -> np.ndarray:
    return radius * np.column_stack([np.cos(t), np.sin(t)])


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's layout): the upper one is class 0."""
    n_samples, noise, rng = _count(n_samples, "n_samples", 2), _nonnegative(noise, "noise"), _rng(seed)
    n_upper, n_lower = _split(n_samples, 2)
    upper = _arc(np.linspace(0.0, math.pi, n_upper))
    lower = np.array([1.0, 0.5]) - _arc(np.linspace(0.0, math.pi, n_lower))
    return _finish([upper, lower], noise, rng)


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside a circle of radius 1 (class 0)."""
    n_samples, noise, rng = _count(n_samples, "n_samples", 2), _nonnegative(noise, "noise"), _rng(seed)
    factor = _nonnegative(factor, "factor")
    if not factor < 1.0:
        raise ValueError(f"factor must be < 1 (the inner circle's radius), got {factor!r}")
    n_outer, n_inner = _split(n_samples, 2)
    outer = _arc(np.linspace(0.0, 2 * math.pi, n_outer, endpoint=False))
    inner = _arc(np.linspace(0.0, 2 * math.pi, n_inner, endpoint=False), factor)
    return _finish([outer, inner], noise, rng)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.05,
                 turns: float = 1.0, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
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
        r = np.linspace(0.1, 1.0, m)
        parts.append(r[:, None] * _arc(2 * math.pi * (j / n_classes + turns * r)))
    return _finish(parts, noise, rng)


def make_xor(n_samples: int = 100, noise: float = 0.05, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in the square [-1, 1]^2: class 0 in the quadrants where the coordinates'
    signs agree, class 1 where they differ. The label is taken before the noise is added."""
    n_samples, noise, rng = _count(n_samples, "n_samples", 2), _nonnegative(noise, "noise"), _rng(seed)
    parts = []
    for j, m in enumerate(_split(n_samples, 2)):
        sign = rng.choice([-1.0, 1.0], m)
        parts.append(rng.uniform(0.0, 1.0, (m, 2)) * np.column_stack([sign, sign if j == 0 else -sign]))
    return _finish(parts, noise, rng)


def make_blobs(n_samples: int = 150, n_classes: int = 3, noise: float = 0.4,
               seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs of standard deviation ``noise`` around ``n_classes`` centres evenly
    spaced on a circle of radius 2 (class j at angle ``2 pi j / n_classes``)."""
    n_samples, rng = _count(n_samples, "n_samples"), _rng(seed)
    n_classes = _count(n_classes, "n_classes", 2)
    noise = _nonnegative(noise, "noise")
    if n_samples < n_classes:
        raise ValueError(f"n_samples must be at least n_classes ({n_classes}), got {n_samples}")
    centres = _arc(2 * math.pi * np.arange(n_classes) / n_classes, 2.0)
    parts = [np.repeat(centres[j : j + 1], m, axis=0) for j, m in enumerate(_split(n_samples, n_classes))]
    return _finish(parts, noise, rng)


def signed_labels(y) -> np.ndarray:
    """0/1 class labels as the -1.0/+1.0 labels ``nn.losses.hinge`` expects."""
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
    in the file's order (not shuffled); ``train_test_split`` shuffles.
    """
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
                     seed: Seed = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, X_test, y_train, y_test)``, scikit-learn's order, stratified and seeded.

    The test set has ``round(test_fraction * n)`` samples, shared among the classes in
    proportion to their sizes (each class within one sample of its exact share); which
    samples of a class go to it is drawn from ``seed``, and both parts are shuffled. The same
    ``seed`` always gives the same split.
    """
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
    classes, counts = np.unique(y, return_counts=True)
    test_parts = []
    for label, k in zip(classes, _per_class_quota(counts, n_test)):
        test_parts.append(rng.permutation(np.flatnonzero(y == label))[:k])
    is_test = np.zeros(n, dtype=bool)
    is_test[np.concatenate(test_parts)] = True
    train, test = rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))
    return X[train], X[test], y[train], y[test]


# name -> generator, for the command line.
DATASETS = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "xor": make_xor,
    "blobs": make_blobs,
}
