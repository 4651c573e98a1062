"""nn.data: shapes, labels, seeding, the geometry of each dataset, bad arguments."""

import math

import numpy as np
import pytest

from nn import data

GENERATORS = sorted(data.DATASETS.items())


@pytest.mark.parametrize("name, make", GENERATORS)
def test_shapes_dtypes_and_labels(name, make):
    X, y = make(n_samples=61, seed=0)
    assert X.shape == (61, 2) and X.dtype == np.float64
    assert y.shape == (61,) and y.dtype == np.int64
    k = 3 if name in ("spirals", "blobs") else 2
    assert sorted(set(y.tolist())) == list(range(k))
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # classes are balanced


@pytest.mark.parametrize("name, make", GENERATORS)
def test_seeded_and_independent_of_global_numpy_state(name, make):
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=np.random.default_rng(3))
    assert np.array_equal(np.random.get_state()[1], state)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    X3, _ = make(seed=4)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name, make", GENERATORS)
def test_samples_are_shuffled(name, make):
    _, y = make(n_samples=100, seed=0)
    assert 0 < np.sum(y[1:] != y[:-1]) and not np.array_equal(y, np.sort(y))


def test_moons_without_noise_lie_on_two_half_circles():
    X, y = data.make_moons(n_samples=50, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-15)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-15)
    assert np.all(lower[:, 1] <= 0.5)


def test_circles_without_noise_have_radii_one_and_factor():
    X, y = data.make_circles(n_samples=40, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0, rtol=1e-15)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3, rtol=1e-15)


def test_spirals_without_noise_wind_out_to_radius_one():
    X, y = data.make_spirals(n_samples=90, n_classes=3, noise=0.0, turns=1.0, seed=0)
    for j in range(3):
        arm = X[y == j]
        r = np.hypot(*arm.T)
        assert r.min() == pytest.approx(0.1) and r.max() == pytest.approx(1.0)
        # the angle grows with the radius: 2 pi (j/3 + turns * r)
        angle = np.arctan2(arm[:, 1], arm[:, 0])
        expected = 2 * math.pi * (j / 3 + r)
        np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-12)


def test_xor_labels_are_the_quadrants_before_noise():
    X, y = data.make_xor(n_samples=200, noise=0.0, seed=1)
    assert np.array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int))
    assert np.all(np.abs(X) <= 1.0)


def test_blobs_gather_around_centres_on_a_circle_of_radius_two():
    X, y = data.make_blobs(n_samples=3000, n_classes=4, noise=0.2, seed=0)
    for j in range(4):
        centre = X[y == j].mean(axis=0)
        expected = 2 * np.array([math.cos(j * math.pi / 2), math.sin(j * math.pi / 2)])
        # the mean of 750 points of std 0.2 is within 4 standard errors (0.03) of the centre
        np.testing.assert_allclose(centre, expected, atol=0.03)
        assert X[y == j].std(axis=0) == pytest.approx([0.2, 0.2], rel=0.1)


def test_noise_is_gaussian_with_the_given_std():
    X, y = data.make_circles(n_samples=4000, noise=0.1, seed=5)
    # the radial part of isotropic noise of std 0.1 around radii 1 and 0.5; 4000 draws: ~1% error
    residual = np.hypot(*X.T) - np.where(y == 0, 1.0, 0.5)
    assert residual.std() == pytest.approx(0.1, rel=0.05)
    assert abs(residual.mean()) < 0.02


def test_signed_labels():
    assert data.signed_labels(np.array([0, 1, 1, 0])).tolist() == [-1.0, 1.0, 1.0, -1.0]
    with pytest.raises(ValueError, match=r"expects 0/1 labels, got values \[0, 1, 2\]"):
        data.signed_labels([0, 1, 2])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.make_moons(n_samples=1), ValueError, "n_samples must be at least 2, got 1"),
        (lambda: data.make_moons(n_samples=10.0), TypeError, "n_samples must be an int, got float"),
        (lambda: data.make_moons(noise=-0.1), ValueError, "noise must be >= 0, got -0.1"),
        (lambda: data.make_circles(factor=1.0), ValueError, "factor must be < 1"),
        (lambda: data.make_spirals(n_classes=1), ValueError, "n_classes must be at least 2, got 1"),
        (lambda: data.make_spirals(n_samples=2, n_classes=3), ValueError, r"n_samples must be at least n_classes \(3\)"),
        (lambda: data.make_blobs(seed="0"), TypeError, "seed must be an int, a numpy Generator or None, got str"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- the handwritten digits ----------------------------------------------------------------
# The UCI repository's description of the optdigits test set ("optdigits.tes", 1,797 images)
# lists how many images of each digit it holds.
UCI_TEST_SET_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_shape_range_and_labels():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == UCI_TEST_SET_COUNTS
    assert X.min() == 0.0 and X.max() == 1.0
    # pixels are counts 0..16 of on-pixels in 4x4 blocks, divided by 16
    assert np.array_equal(X * 16, np.round(X * 16))
    assert data.DIGIT_SHAPE == (8, 8)


def test_digits_rows_are_images_row_by_row():
    X, y = data.load_digits()
    # The file's first image, a 0 (the first line of sklearn's digits.csv.gz, as counts):
    # a ring with an empty middle, so its centre column is dark and its left edge is blank.
    image = X[0].reshape(data.DIGIT_SHAPE) * 16
    assert y[0] == 0
    assert image[0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert image[:, 0].tolist() == [0] * 8
    assert image[3:6, 3:5].max() <= 1  # the hole of the 0
    # on average, a 1 puts its ink in the middle columns and a 0 around them
    ones, zeros = X[y == 1].reshape(-1, 8, 8), X[y == 0].reshape(-1, 8, 8)
    assert ones[:, :, 3:5].mean() > zeros[:, :, 3:5].mean()
    assert zeros[:, :, 1].mean() > ones[:, :, 1].mean()


def test_digits_are_the_same_every_call_and_fresh_arrays():
    X1, y1 = data.load_digits()
    X2, y2 = data.load_digits()
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    X1[0, 0] = 5.0
    assert data.load_digits()[0][0, 0] == 0.0


# -- train_test_split ----------------------------------------------------------------------
def _row_ids(X):
    return sorted(map(tuple, np.asarray(X).tolist()))


def test_split_is_a_stratified_partition():
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.2, seed=0)
    assert len(y_test) == 359 and len(y_train) == 1797 - 359  # round(0.2 * 1797)
    # every image lands in exactly one part, with its own label
    assert _row_ids(np.vstack([X_train, X_test])) == _row_ids(X)
    pairs = {tuple(r) + (label,) for r, label in zip(X.tolist(), y.tolist())}
    assert {tuple(r) + (label,) for r, label in zip(X_test.tolist(), y_test.tolist())} <= pairs
    # each class is held out in proportion: within one image of 20% of its count
    share = 0.2 * np.array(UCI_TEST_SET_COUNTS)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - share) < 1)
    assert np.array_equal(np.bincount(y_train) + np.bincount(y_test), UCI_TEST_SET_COUNTS)


def test_split_is_shuffled_seeded_and_leaves_global_state_alone():
    X, y = data.make_blobs(n_samples=90, seed=0)
    y_sorted = np.sort(y)
    X_sorted = X[np.argsort(y, kind="stable")]
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    first = data.train_test_split(X_sorted, y_sorted, 0.3, seed=4)
    again = data.train_test_split(X_sorted, y_sorted, 0.3, seed=np.random.default_rng(4))
    other = data.train_test_split(X_sorted, y_sorted, 0.3, seed=5)
    assert np.array_equal(np.random.get_state()[1], state)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], other[1])
    _, _, y_train, y_test = first
    assert np.bincount(y_test).tolist() == [9, 9, 9]  # 30% of 30 per class
    assert not np.array_equal(y_train, np.sort(y_train))  # classes mixed, not in blocks


def test_split_shares_rounding_by_largest_remainder():
    # classes of 5, 3 and 2 samples, half held out: exact shares 2.5, 1.5 and 1 make a test set
    # of 5, so one of the two halves rounds up; the larger remainder is a tie, the lower label wins
    y = np.array([0] * 5 + [1] * 3 + [2] * 2)
    X = np.arange(10.0)[:, None]
    _, X_test, _, y_test = data.train_test_split(X, y, test_fraction=0.5, seed=0)
    assert np.bincount(y_test).tolist() == [3, 1, 1]
    assert np.array_equal(y[X_test[:, 0].astype(int)], y_test)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"test_fraction": 0.0}, ValueError, "test_fraction must lie strictly between 0 and 1, got 0.0"),
        ({"test_fraction": 1}, ValueError, "test_fraction must lie strictly between 0 and 1, got 1"),
        ({"test_fraction": float("nan")}, ValueError, "test_fraction must lie strictly between 0 and 1"),
        ({"test_fraction": "0.2"}, TypeError, "test_fraction must be a number, got str"),
        ({"test_fraction": 0.01}, ValueError, r"test_fraction 0.01 of 10 samples gives a test set of 0 "
                                              r"and a training set of 10"),
        ({"seed": "0"}, TypeError, "seed must be an int, a numpy Generator or None, got str"),
    ],
)
def test_split_bad_arguments(kwargs, error, message):
    X, y = data.make_moons(n_samples=10, seed=0)
    with pytest.raises(error, match=message):
        data.train_test_split(X, y, **kwargs)


def test_split_bad_shapes():
    with pytest.raises(ValueError, match=r"X must have one row per label \(10\), got shape \(9, 2\)"):
        data.train_test_split(np.zeros((9, 2)), np.zeros(10, dtype=int))
    with pytest.raises(ValueError, match=r"y must be a 1-D array of labels, got shape \(10, 1\)"):
        data.train_test_split(np.zeros((10, 2)), np.zeros((10, 1), dtype=int))
