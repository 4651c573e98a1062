"""nn.losses: values and gradients by hand, stability at +-1000, batching, bad inputs, PyTorch."""

import math

import numpy as np
import pytest

from autograd import Value, gradcheck
from nn import losses


def values(*xs):
    return [Value(x) for x in xs]


# -- mse -----------------------------------------------------------------------------------
def test_mse_single_and_batch_by_hand():
    p = Value(2.5)
    loss = losses.mse(p, 1.0)
    loss.backward()
    assert loss.data == 2.25 and p.grad == 3.0  # (p - t)^2, d/dp = 2 (p - t)

    ps = values(1.0, -2.0, 0.5)
    loss = losses.mse(ps, np.array([0.0, 1.0, 0.5]))
    loss.backward()
    assert loss.data == pytest.approx((1 + 9 + 0) / 3, rel=1e-15)
    assert [p.grad for p in ps] == pytest.approx([2 / 3, -2.0, 0.0], rel=1e-15)  # 2 (p - t) / n


def test_mse_of_vector_outputs_is_the_mean_over_every_element():
    rows = [values(1.0, 2.0), values(3.0, 5.0)]
    loss = losses.mse(rows, [[0.0, 0.0], [3.0, 3.0]])
    assert loss.data == pytest.approx((1 + 4 + 0 + 4) / 4, rel=1e-15)
    loss.backward()
    assert rows[1][1].grad == pytest.approx(2 * 2 / 4, rel=1e-15)


def test_mse_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"mse: pred has 2 items but target has 3"):
        losses.mse(values(1.0, 2.0), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"mse: pred\[1\] has 2 items but target\[1\] has 1"):
        losses.mse([values(1.0, 2.0), values(1.0, 2.0)], [[1.0, 2.0], [1.0]])
    with pytest.raises(ValueError, match=r"pred\[0\] is a scalar but target\[0\] is list"):
        losses.mse(values(1.0), [[1.0]])
    with pytest.raises(TypeError, match="target must be a number, a Value or a sequence, got str"):
        losses.mse(values(1.0), "a")
    # A list of predictions against one number: the shapes differ (the number is fine).
    with pytest.raises(ValueError, match=r"mse: pred is a list of 2 but target is a single number: give one target per prediction"):
        losses.mse(values(1.0, 2.0), 5)
    with pytest.raises(ValueError, match=r"hinge: pred\[1\] is a list of 2 but target\[1\] is a single number"):
        losses.hinge([values(1.0, 2.0), values(1.0, 2.0)], [[1, -1], 1])
    with pytest.raises(ValueError, match="pred is empty"):
        losses.mse([], [])


# -- hinge ---------------------------------------------------------------------------------
def test_hinge_by_hand():
    scores = values(0.3, -2.0, 1.5, -0.2)
    labels = [1, -1, -1, -1.0]
    loss = losses.hinge(scores, labels)
    # max(0, 1 - y s): 0.7, 0 (margin met), 2.5, 0.8
    assert loss.data == pytest.approx((0.7 + 0.0 + 2.5 + 0.8) / 4, rel=1e-15)
    loss.backward()
    assert [s.grad for s in scores] == [-0.25, 0.0, 0.25, 0.25]  # -y/n where the margin is violated


def test_hinge_rejects_zero_one_labels_and_points_to_signed_labels():
    with pytest.raises(ValueError, match=r"labels must be -1 or \+1, got 0 at index 1 .*signed_labels"):
        losses.hinge(values(0.1, 0.2), [1, 0])


# -- binary cross-entropy -----------------------------------------------------------------
@pytest.mark.parametrize("x, y", [(0.7, 1.0), (-1.3, 0.0), (2.0, 0.25), (0.0, 1.0)])
def test_binary_cross_entropy_by_hand(x, y):
    logit = Value(x)
    loss = losses.binary_cross_entropy(logit, y)
    loss.backward()
    p = 1 / (1 + math.exp(-x))
    assert loss.data == pytest.approx(-(y * math.log(p) + (1 - y) * math.log(1 - p)), rel=1e-14)
    assert logit.grad == pytest.approx(p - y, rel=1e-14, abs=1e-16)  # sigmoid(x) - y


@pytest.mark.parametrize(
    "x, y, value, grad",
    [(1000.0, 1.0, 0.0, 0.0), (1000.0, 0.0, 1000.0, 1.0), (-1000.0, 0.0, 0.0, 0.0), (-1000.0, 1.0, 1000.0, -1.0)],
)
def test_binary_cross_entropy_is_exact_at_plus_minus_1000(x, y, value, grad):
    logit = Value(x)
    loss = losses.binary_cross_entropy(logit, y)
    loss.backward()
    assert loss.data == value and logit.grad == grad


def test_binary_cross_entropy_batch_is_a_mean_and_checks_labels():
    logits = values(0.5, -0.5)
    loss = losses.binary_cross_entropy(logits, [1, 0])
    assert loss.data == pytest.approx(math.log1p(math.exp(-0.5)), rel=1e-15)  # both terms equal
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\], got 2 at index 1"):
        losses.binary_cross_entropy(logits, [1, 2])


# -- cross-entropy -------------------------------------------------------------------------
def softmax(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return [v / sum(e) for v in e]


def test_cross_entropy_value_and_gradient_softmax_minus_onehot():
    z = values(1.0, -0.5, 2.0)
    loss = losses.cross_entropy(z, 1)
    s = softmax([1.0, -0.5, 2.0])
    assert loss.data == pytest.approx(-math.log(s[1]), rel=1e-15)
    loss.backward()
    assert [v.grad for v in z] == pytest.approx([s[0], s[1] - 1, s[2]], rel=1e-14)


def test_cross_entropy_is_two_nodes_logsumexp_minus_the_true_logit():
    z = values(1.0, 2.0)
    loss = losses.cross_entropy(z, 0)
    assert loss.op == "-" and loss.parents[0].op == "logsumexp" and loss.parents[1] is z[0]


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_cross_entropy_is_stable_at_plus_minus_1000(big):
    z = values(big, 0.0, big - 2.0)
    loss = losses.cross_entropy(z, 2)
    loss.backward()
    if big > 0:  # log(1 + e^-2 + e^-1000) + 2
        assert loss.data == pytest.approx(math.log1p(math.exp(-2.0)) + 2.0, rel=1e-15)
        s0 = 1 / (1 + math.exp(-2.0))
        assert [v.grad for v in z] == pytest.approx([s0, 0.0, 1 - s0 - 1], rel=1e-14)
    else:  # class 2's logit is -1002 against a logit of 0: loss 1002
        assert loss.data == pytest.approx(1002.0, rel=1e-15)
        assert [v.grad for v in z] == pytest.approx([0.0, 1.0, -1.0], abs=1e-300)


def test_cross_entropy_batch_is_a_mean():
    rows = [values(1.0, 0.0), values(0.0, 3.0)]
    loss = losses.cross_entropy(rows, np.array([0, 0]))
    expected = (-math.log(softmax([1.0, 0.0])[0]) - math.log(softmax([0.0, 3.0])[0])) / 2
    assert loss.data == pytest.approx(expected, rel=1e-15)


def test_cross_entropy_bad_inputs():
    with pytest.raises(ValueError, match=r"class index must be in \[0, 3\) for 3 logits, got 3"):
        losses.cross_entropy(values(1.0, 2.0, 3.0), 3)
    with pytest.raises(TypeError, match="class index must be an int, got float"):
        losses.cross_entropy(values(1.0, 2.0), 1.0)
    with pytest.raises(TypeError, match="class index must be an int, got bool"):
        losses.cross_entropy(values(1.0, 2.0), True)
    with pytest.raises(ValueError, match="2 rows of logits but 1 class indices"):
        losses.cross_entropy([values(1.0, 2.0), values(1.0, 2.0)], [0])
    with pytest.raises(ValueError, match="logits is empty"):
        losses.cross_entropy([], 0)


def test_cross_entropy_with_class_probabilities():
    z = values(1.0, -0.5, 2.0)
    by_index = losses.cross_entropy(z, 1)
    by_index.backward()
    expected_grads = [v.grad for v in z]
    for v in z:
        v.grad = 0.0
    onehot = losses.cross_entropy(z, [0.0, 1.0, 0.0])  # a one-hot row: the same loss, the same gradient
    onehot.backward()
    assert onehot.data == by_index.data
    assert [v.grad for v in z] == pytest.approx(expected_grads, rel=1e-15)
    # soft targets: -sum_j p_j log softmax_j, as PyTorch's probability targets
    s, p = softmax([1.0, -0.5, 2.0]), [0.2, 0.5, 0.3]
    soft = losses.cross_entropy(z, p)
    assert soft.data == pytest.approx(-sum(pj * math.log(sj) for pj, sj in zip(p, s)), rel=1e-15)
    # targets may be Values (a traced loss reads them from the batch), and a batch mixes forms
    rows = [values(1.0, 0.0), values(0.0, 3.0)]
    assert losses.cross_entropy(rows, [values(1.0, 0.0), 0]).data == losses.cross_entropy(rows, [0, 0]).data


def test_cross_entropy_probabilities_are_checked():
    with pytest.raises(ValueError, match="3 logits but 2 class probabilities"):
        losses.cross_entropy(values(1.0, 2.0, 3.0), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"class probabilities must be numbers in \[0, 1\], got 1.5 at index 1"):
        losses.cross_entropy(values(1.0, 2.0), [0.0, 1.5])
    with pytest.raises(ValueError, match=r"class probabilities must be numbers in \[0, 1\], got 'a' at index 0"):
        losses.cross_entropy(values(1.0, 2.0), ["a", 1.0])


def test_targets_may_be_values_whose_data_is_checked():
    s = Value(0.3)
    assert losses.hinge(s, Value(-1.0)).data == losses.hinge(s, -1.0).data
    assert losses.binary_cross_entropy(s, Value(1.0)).data == losses.binary_cross_entropy(s, 1.0).data
    with pytest.raises(ValueError, match="hinge: labels must be -1 or \\+1, got Value"):
        losses.hinge(s, Value(0.0))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: labels must lie in \[0, 1\], got Value"):
        losses.binary_cross_entropy(s, Value(2.0))


# -- l2 and gradient checks ---------------------------------------------------------------
def test_l2_is_one_dot_node_with_gradient_2p():
    ps = values(0.5, -2.0, 3.0)
    penalty = losses.l2(ps)
    assert penalty.op == "dot" and penalty.data == 0.25 + 4.0 + 9.0
    penalty.backward()
    assert [p.grad for p in ps] == [1.0, -4.0, 6.0]


@pytest.mark.parametrize(
    "loss",
    [
        lambda a, b, c: losses.mse([a, b, c], [0.5, -1.0, 2.0]),
        lambda a, b, c: losses.hinge([a, b, c], [1, -1, 1]),
        lambda a, b, c: losses.binary_cross_entropy([a, b, c], [1.0, 0.0, 0.3]),
        lambda a, b, c: losses.cross_entropy([a, b, c], 2),
    ],
    ids=["mse", "hinge", "bce", "cross_entropy"],
)
def test_gradients_agree_with_central_differences(loss):
    # Points away from the hinge's kink; gradcheck's default tolerances suit central differences.
    assert gradcheck(loss, [0.3, 0.7, -0.4])


# -- PyTorch as an oracle ------------------------------------------------------------------
def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 3)) * 3
    classes = rng.integers(0, 3, 5)
    t = torch.tensor(logits, requires_grad=True)
    F.cross_entropy(t, torch.tensor(classes)).backward()
    rows = [[Value(v) for v in row] for row in logits]
    ours = losses.cross_entropy(rows, classes)
    ours.backward()
    assert ours.data == pytest.approx(F.cross_entropy(t, torch.tensor(classes)).item(), rel=1e-14)
    np.testing.assert_allclose([[v.grad for v in row] for row in rows], t.grad.numpy(), rtol=1e-13, atol=1e-16)

    x, y = rng.normal(size=6) * 4, rng.uniform(size=6)
    t = torch.tensor(x, requires_grad=True)
    F.binary_cross_entropy_with_logits(t, torch.tensor(y)).backward()
    xs = [Value(v) for v in x]
    ours = losses.binary_cross_entropy(xs, y)
    ours.backward()
    assert ours.data == pytest.approx(F.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y)).item(),
                                      rel=1e-14)
    np.testing.assert_allclose([v.grad for v in xs], t.grad.numpy(), rtol=1e-13, atol=1e-16)

    probabilities = rng.dirichlet(np.ones(3), size=5)
    t = torch.tensor(logits, requires_grad=True)
    F.cross_entropy(t, torch.tensor(probabilities)).backward()
    rows = [[Value(v) for v in row] for row in logits]
    ours = losses.cross_entropy(rows, probabilities)
    ours.backward()
    assert ours.data == pytest.approx(F.cross_entropy(torch.tensor(logits), torch.tensor(probabilities)).item(),
                                      rel=1e-14)
    np.testing.assert_allclose([[v.grad for v in row] for row in rows], t.grad.numpy(), rtol=1e-13, atol=1e-16)

    t = torch.tensor(x, requires_grad=True)
    F.mse_loss(t, torch.tensor(y)).backward()
    xs = [Value(v) for v in x]
    ours = losses.mse(xs, y)
    ours.backward()
    assert ours.data == pytest.approx(F.mse_loss(torch.tensor(x), torch.tensor(y)).item(), rel=1e-14)
    np.testing.assert_allclose([v.grad for v in xs], t.grad.numpy(), rtol=1e-14)
