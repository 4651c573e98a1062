"""nn.batch_loss: a batch's mean loss as one node, equal to nn.losses and to the seeds' gradient."""

import math
import random

import numpy as np
import pytest

from autograd import Value, grad, gradgradcheck
from nn import batch_loss, losses


def _batch(seed: int, n: int, k: int):
    rng = random.Random(seed)
    logits = [[Value(rng.uniform(-4.0, 4.0)) for _ in range(k)] for _ in range(n)]
    return logits, [rng.randrange(k) for _ in range(n)]


@pytest.mark.parametrize("n, k", [(1, 2), (5, 3), (32, 10)])
def test_cross_entropy_is_one_node_with_the_value_of_nn_losses(n, k):
    logits, classes = _batch(n, n, k)
    fused = batch_loss.cross_entropy(logits, classes)
    assert fused.op == "cross_entropy"
    assert fused.parents == tuple(z for row in logits for z in row)  # one edge per logit, in order
    assert fused.data == losses.cross_entropy(logits, classes).data  # the same float operations


@pytest.mark.parametrize("n, k", [(1, 2), (5, 3), (32, 10)])
def test_cross_entropy_edges_carry_softmax_minus_onehot_over_b(n, k):
    logits, classes = _batch(7 * n, n, k)
    fused = batch_loss.cross_entropy(logits, classes)
    z = np.array([[v.data for v in row] for row in logits])
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    expected = (softmax - np.eye(k)[classes]) / n  # the seeds: dL/dz = y_hat - onehot
    np.testing.assert_allclose(fused.local_grads, expected.ravel(), rtol=1e-13, atol=1e-16)
    # the value itself, computed independently: mean of -log softmax at the class
    assert fused.data == pytest.approx(-np.mean(np.log(softmax[np.arange(n), classes])), rel=1e-13)


def test_cross_entropy_gradients_equal_the_unfused_graph():
    logits, classes = _batch(3, 8, 4)
    flat = [z for row in logits for z in row]
    ours = grad(batch_loss.cross_entropy(logits, classes), flat)
    theirs = grad(losses.cross_entropy(logits, classes), flat)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-17)


def test_cross_entropy_second_derivatives():
    # grad(create_graph=True) rebuilds the edges' derivatives as softmax graphs
    classes = [2, 0]
    assert gradgradcheck(lambda *z: batch_loss.cross_entropy([z[:3], z[3:]], classes),
                         [0.3, -1.2, 2.0, 0.5, 0.1, -0.7], atol=1e-7, rtol=1e-6)


def test_binary_cross_entropy_value_edges_and_second_derivatives():
    rng = random.Random(1)
    xs = [Value(rng.uniform(-5.0, 5.0)) for _ in range(6)]
    ys = [0.0, 1.0, 1.0, 0.0, 0.25, 1.0]
    fused = batch_loss.binary_cross_entropy(xs, ys)
    assert fused.op == "binary_cross_entropy" and fused.parents == tuple(xs)
    assert fused.data == losses.binary_cross_entropy(xs, ys).data
    x = np.array([v.data for v in xs])
    p = 1 / (1 + np.exp(-x))
    assert fused.data == pytest.approx(-np.mean(ys * np.log(p) + (1 - np.array(ys)) * np.log(1 - p)), rel=1e-13)
    np.testing.assert_allclose(fused.local_grads, (p - ys) / 6, rtol=1e-13, atol=1e-17)
    assert gradgradcheck(lambda *v: batch_loss.binary_cross_entropy(v, ys[:3]), [0.4, -2.0, 1.5],
                         atol=1e-7, rtol=1e-6)


def test_extreme_logits_stay_finite():
    loss = batch_loss.cross_entropy([[Value(1000.0), Value(-1000.0)]], [1])
    assert loss.data == 2000.0 and loss.local_grads == (1.0, -1.0)
    loss = batch_loss.binary_cross_entropy([Value(-1000.0)], [1])
    assert loss.data == 1000.0 and loss.local_grads == (-1.0,)


def test_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is an optional oracle")
    F = torch.nn.functional
    logits, classes = _batch(11, 6, 5)
    t = torch.tensor([[v.data for v in row] for row in logits], dtype=torch.float64, requires_grad=True)
    F.cross_entropy(t, torch.tensor(classes)).backward()
    fused = batch_loss.cross_entropy(logits, classes)
    fused.backward()
    assert fused.data == pytest.approx(F.cross_entropy(t, torch.tensor(classes)).item(), rel=1e-14)
    np.testing.assert_allclose([[v.grad for v in row] for row in logits], t.grad.numpy(), rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: batch_loss.cross_entropy([], []), ValueError, "the batch is empty"),
        (lambda: batch_loss.cross_entropy([[1.0, 2.0], [1.0]], [0, 0]), ValueError,
         r"same number \(>= 2\) of logits, got lengths \[1, 2\]"),
        (lambda: batch_loss.cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "1 rows of logits but 2 class indices"),
        (lambda: batch_loss.cross_entropy([[1.0, 2.0]], [2]), ValueError, r"class index must be in \[0, 2\)"),
        (lambda: batch_loss.cross_entropy([[1.0, 2.0]], [0.0]), TypeError, "class index must be an int, got float"),
        (lambda: batch_loss.binary_cross_entropy([1.0], [2.0]), ValueError, "labels must lie in \\[0, 1\\], got 2.0"),
        (lambda: batch_loss.binary_cross_entropy([1.0, 2.0], [1.0]), ValueError, "2 logits but 1 labels"),
        (lambda: batch_loss.binary_cross_entropy([], []), ValueError, "the batch is empty"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_nan_label_is_rejected_not_propagated():
    with pytest.raises(ValueError, match="labels must lie in"):
        batch_loss.binary_cross_entropy([0.0], [math.nan])
