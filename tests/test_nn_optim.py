"""nn.optim: SGD and Adam steps computed by hand, PyTorch's optimizers as an oracle, bad arguments."""

import math

import numpy as np
import pytest

from autograd import Parameter, Value
from nn import SGD, Adam


def run(optimizer_cls, grads, start=1.0, **kwargs):
    """Values of one parameter after a step per gradient in ``grads``."""
    p = Parameter(start)
    opt = optimizer_cls([p], **kwargs)
    seen = []
    for g in grads:
        opt.zero_grad()
        p.grad = g
        opt.step()
        seen.append(p.data)
    return seen


def test_sgd_plain_and_weight_decay():
    assert run(SGD, [0.5], lr=0.1) == [1.0 - 0.1 * 0.5]
    assert run(SGD, [0.5], lr=0.1, weight_decay=0.1) == [1.0 - 0.1 * (0.5 + 0.1 * 1.0)]


def test_sgd_momentum_by_hand():
    # buf_1 = g_1 = 0.5; buf_2 = 0.9 * 0.5 + 0.25 = 0.7
    assert run(SGD, [0.5, 0.25], lr=0.1, momentum=0.9) == pytest.approx([0.95, 0.95 - 0.1 * 0.7], rel=1e-15)


def test_sgd_nesterov_by_hand():
    # step 1: buf = 0.5, update g + 0.9 buf = 0.95; step 2: buf = 0.45 + 0.25 = 0.7, update 0.25 + 0.63 = 0.88
    assert run(SGD, [0.5, 0.25], lr=0.1, momentum=0.9, nesterov=True) == pytest.approx(
        [1 - 0.095, 1 - 0.095 - 0.088], rel=1e-15
    )


def test_adam_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    grads = [0.5, -1.0, 0.25]
    p, m, v, expected = 1.0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):  # Kingma & Ba's algorithm 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p -= lr * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(p)
    assert run(Adam, grads, lr=lr) == pytest.approx(expected, rel=1e-15)
    # the first step moves by lr * |g| / (|g| + eps), about lr, whatever the gradient's size
    assert run(Adam, [123.0], lr=0.1) == pytest.approx([1 - 0.1 * 123 / (123 + eps)], rel=1e-15)


def test_adam_weight_decay_is_l2_added_to_the_gradient():
    # with g = 0 the whole gradient is weight_decay * p = 0.5: the first step is still about lr
    assert run(Adam, [0.0], lr=0.1, weight_decay=0.5) == pytest.approx([1 - 0.1 * 0.5 / (0.5 + 1e-8)], rel=1e-15)
    assert run(Adam, [0.0], lr=0.1) == [1.0]


def test_zero_grad_and_lr_attribute():
    p = Parameter(1.0)
    opt = SGD([p], lr=0.5)
    p.grad = 3.0
    opt.zero_grad()
    assert p.grad == 0.0
    opt.lr = 0.25  # a schedule is an assignment
    p.grad = 1.0
    opt.step()
    assert p.data == 0.75


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: SGD(p, lr=-0.1), ValueError, r"lr must be a finite number in \[0.0, inf\), got -0.1"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a number, got str"),
        (lambda p: SGD(p, lr=0.1, momentum=-1), ValueError, "momentum must be a finite number in"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov momentum needs momentum > 0"),
        (lambda p: SGD(p, lr=0.1, weight_decay=math.nan), ValueError, "weight_decay must be a finite number in"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be a finite number in \[0.0, 1.0\), got 1.0"),
        # Non-finite hyperparameters would only show up as nan parameters after a step.
        (lambda p: SGD(p, lr=math.inf), ValueError, r"lr must be a finite number in \[0.0, inf\), got inf"),
        (lambda p: SGD(p, lr=10**400), ValueError, r"lr must be a finite number in \[0.0, inf\), got inf"),
        (lambda p: SGD(p, lr=0.1, momentum=math.inf), ValueError, "momentum must be a finite number in"),
        (lambda p: SGD(p, lr=0.1, weight_decay=math.inf), ValueError, "weight_decay must be a finite number in"),
        (lambda p: Adam(p, lr=math.inf), ValueError, "lr must be a finite number in"),
        (lambda p: Adam(p, weight_decay=-math.inf), ValueError, "weight_decay must be a finite number in"),
        # eps = 0 divides 0 by 0 for a parameter whose gradient is 0.
        (lambda p: Adam(p, eps=0), ValueError, r"eps must be a finite number in \(0.0, inf\), got 0.0"),
        (lambda p: Adam(p, eps=math.inf), ValueError, r"eps must be a finite number in \(0.0, inf\), got inf"),
        (lambda p: Adam(p, betas=0.9), TypeError, "betas must be a pair"),
        (lambda p: Adam([]), ValueError, "params is empty"),
        (lambda p: Adam([1.0]), TypeError, r"params\[0\] must be a Value, got float"),
        (lambda p: Adam(p[0]), TypeError, "params must be an iterable of Values, got Parameter"),
    ],
)
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make([Parameter(1.0)])


# -- PyTorch as an oracle ------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"lr": 0.1}),
        ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
        ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
        ("Adam", {"lr": 0.01}),
        ("Adam", {"lr": 0.2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05}),
    ],
)
def test_steps_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    start = rng.normal(size=4)
    grads = rng.normal(size=(6, 4))
    ours = [Value(float(v)) for v in start]
    opt = {"SGD": SGD, "Adam": Adam}[name](ours, **kwargs)
    theirs = torch.tensor(start, requires_grad=True)
    topt = getattr(torch.optim, name)([theirs], **kwargs)
    for g in grads:
        for p, gi in zip(ours, g):
            p.grad = float(gi)
        opt.step()
        theirs.grad = torch.tensor(g)
        topt.step()
        # PyTorch updates Adam's first moment with lerp and divides in another order:
        # the same formula rounded differently, so agreement is to ~1e-15 relative, not bits.
        np.testing.assert_allclose([p.data for p in ours], theirs.detach().numpy(), rtol=1e-13, atol=1e-15)
