"""The seeds' backpropagation by hand and in matrix form, against the scalar engine.

* 004: the delta rule on a chain of single-neuron layers,
  delta_k = delta_{k+1} w_{k+1} s'(z_k), dC/dw_k = delta_k a_{k-1}, w_k -= alpha delta_k a_{k-1}.
* 002: the layer-wise algorithm (nn.matrix.gradients) equals the engine's gradients.
"""

import math
import random

import numpy as np
import pytest

from autograd import Value
from nn import ACTIVATIONS, MLP, SGD, losses, matrix
from nn.layers import LEAKY_RELU_SLOPE


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# -- seed 004: the delta rule -------------------------------------------------------------
def chain(ws, bs):
    """Layers 2..K of the seed, one sigmoid neuron each: a^k = s(w_k a^{k-1} + b_k)."""
    model = MLP(1, [1] * len(ws), activation="sigmoid", output_activation="sigmoid")
    for layer, w, b in zip(model.layers, ws, bs):
        (neuron,) = layer.neurons
        neuron.w[0].data, neuron.b.data = w, b
    return model


WS, BS, X, Y = [0.8, -1.3, 2.1], [0.1, 0.4, -0.7], 0.6, 1.0


def delta_rule(ws, bs, x, y):
    """The seed's algorithm, by hand on floats: forward, storing z and a; then the deltas."""
    a, zs = [x], []
    for w, b in zip(ws, bs):
        zs.append(w * a[-1] + b)
        a.append(sigmoid(zs[-1]))
    ds = [sigmoid(z) * (1 - sigmoid(z)) for z in zs]  # s'(z^k)
    K = len(ws)
    delta = [0.0] * K
    delta[K - 1] = 2 * (a[K] - y) * ds[K - 1]  # dC/da^K s'(z^K) with C = (a^K - y)^2
    for k in reversed(range(K - 1)):
        delta[k] = delta[k + 1] * ws[k + 1] * ds[k]
    return [delta[k] * a[k] for k in range(K)], delta  # dC/dw_k = delta_k a^{k-1}; dC/db_k = delta_k


def test_delta_rule_by_hand_matches_the_engine():
    model = chain(WS, BS)
    cost = losses.mse(model([X]), Y)
    cost.backward()
    dw, db = delta_rule(WS, BS, X, Y)
    for layer, gw, gb in zip(model.layers, dw, db):
        (neuron,) = layer.neurons
        assert neuron.w[0].grad == pytest.approx(gw, rel=1e-13, abs=1e-16)
        assert neuron.b.grad == pytest.approx(gb, rel=1e-13, abs=1e-16)
    # the deltas shrink going back: every sigmoid multiplies by s'(z) <= 1/4
    assert abs(db[0]) < abs(db[1]) < abs(db[2])


def test_delta_rule_weight_update_is_one_sgd_step():
    alpha = 0.5
    model = chain(WS, BS)
    optimizer = SGD(model.parameters(), lr=alpha)
    losses.mse(model([X]), Y).backward()
    optimizer.step()
    dw, db = delta_rule(WS, BS, X, Y)
    for layer, w, b, gw, gb in zip(model.layers, WS, BS, dw, db):
        (neuron,) = layer.neurons
        assert neuron.w[0].data == pytest.approx(w - alpha * gw, rel=1e-14)
        assert neuron.b.data == pytest.approx(b - alpha * gb, rel=1e-14)


def test_delta_rule_agrees_with_central_differences():
    dw, _ = delta_rule(WS, BS, X, Y)
    h = 1e-6
    for k in range(len(WS)):
        up, down = list(WS), list(WS)
        up[k] += h
        down[k] -= h
        cost = [(chain(ws, BS)([X]).data - Y) ** 2 for ws in (up, down)]
        # central differences are accurate to O(h^2) plus rounding ~1e-10 / h
        assert (cost[0] - cost[1]) / (2 * h) == pytest.approx(dw[k], abs=1e-8)


# -- seed 002: the layer-wise algorithm in matrix form -------------------------------------
def engine_gradients(model, x, target, loss):
    model.zero_grad()
    out = model([Value(v) for v in x])
    outputs = out if isinstance(out, list) else [out]
    if loss == "mse":
        value = losses.mse(outputs, list(np.atleast_1d(target)))
    else:
        value = losses.cross_entropy(outputs, target)
    value.backward()
    return [
        (np.array([[w.grad for w in n.w] for n in layer.neurons]), np.array([n.b.grad for n in layer.neurons]))
        for layer in model.layers
    ]


def random_case(seed, activation, loss):
    rng = random.Random(seed)
    nin = rng.randint(1, 4)
    nouts = [rng.randint(1, 5) for _ in range(rng.randint(0, 2))] + [rng.randint(2, 4)]
    output_activation = rng.choice(sorted(ACTIVATIONS))
    model = MLP(nin, nouts, activation=activation, output_activation=output_activation, seed=seed)
    for p in model.parameters():  # non-zero biases, so every term of the algorithm matters
        p.data += rng.uniform(-0.5, 0.5)
    x = [rng.uniform(-2, 2) for _ in range(nin)]
    target = rng.randrange(nouts[-1]) if loss == "cross_entropy" else [rng.uniform(-1, 1) for _ in range(nouts[-1])]
    return model, x, target


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("seed", range(6))
def test_matrix_gradients_equal_scalar_engine(seed, activation, loss):
    model, x, target = random_case(seed, activation, loss)
    got = matrix.gradients(model, x, target, loss=loss)
    want = engine_gradients(model, x, target, loss)
    assert len(got) == len(model.layers)
    for (dW, db), (eW, eb), layer in zip(got, want, model.layers):
        assert dW.shape == (layer.nout, layer.nin) and db.shape == (layer.nout,)
        np.testing.assert_allclose(dW, eW, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db, eb, rtol=1e-10, atol=1e-12)


def test_cross_entropy_output_gradient_is_softmax_minus_onehot():
    # A single linear layer: dz_L = dW's rows scaled by the input 1.0, i.e. y_hat - onehot.
    model = MLP(1, [3], output_activation="linear")
    for neuron, (w, b) in zip(model.layers[0].neurons, [(0.5, 0.1), (-1.0, 0.2), (2.0, -0.3)]):
        neuron.w[0].data, neuron.b.data = w, b
    ((dW, db),) = matrix.gradients(model, [1.0], 2, loss="cross_entropy")
    z = [0.6, -0.8, 1.7]
    e = [math.exp(v) for v in z]
    y_hat = [v / sum(e) for v in e]
    np.testing.assert_allclose(db, [y_hat[0], y_hat[1], y_hat[2] - 1.0], rtol=1e-14)
    np.testing.assert_allclose(dW[:, 0], db, rtol=0, atol=0)


@pytest.mark.parametrize("activation, slope", [("relu", 0.0), ("leaky_relu", LEAKY_RELU_SLOPE)])
def test_kinks_use_the_engine_convention(activation, slope):
    model = MLP(2, [2, 1], activation=activation, seed=0)
    hidden = model.layers[0].neurons[0]
    hidden.w[0].data, hidden.w[1].data, hidden.b.data = 1.0, -1.0, 0.0  # z = x0 - x1 = 0 exactly
    x = [0.75, 0.75]
    got = matrix.gradients(model, x, [1.0])
    want = engine_gradients(model, x, [1.0], "mse")
    out_w = model.layers[1].neurons[0].w[0].data
    dz_out = want[1][1][0]
    assert got[0][1][0] == want[0][1][0] == dz_out * out_w * slope
    for (dW, db), (eW, eb) in zip(got, want):
        np.testing.assert_allclose(dW, eW, rtol=1e-12)
        np.testing.assert_allclose(db, eb, rtol=1e-12)


def test_matrix_forward_equals_scalar_forward():
    model = MLP(2, [5, 4, 3], activation="tanh", output_activation="sigmoid", seed=3)
    X = np.random.default_rng(0).normal(size=(10, 2))
    expected = [[v.data for v in model(row)] for row in X]
    np.testing.assert_allclose(matrix.forward(model, X), expected, rtol=1e-13)


def test_weights_have_shape_nout_by_nin():
    model = MLP(3, [4, 2], seed=0)
    (W0, b0), (W1, b1) = matrix.weights(model)
    assert W0.shape == (4, 3) and b0.shape == (4,) and W1.shape == (2, 4) and b1.shape == (2,)
    assert W0[2, 1] == model.layers[0].neurons[2].w[1].data


def test_matrix_bad_arguments():
    model = MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match="x must have 2 values, got 3"):
        matrix.gradients(model, [1.0, 2.0, 3.0], 0, loss="cross_entropy")
    with pytest.raises(ValueError, match="loss must be 'mse' or 'cross_entropy', got 'hinge'"):
        matrix.gradients(model, [1.0, 2.0], 0, loss="hinge")
    with pytest.raises(ValueError, match=r"cross_entropy target must be in \[0, 2\), got 2"):
        matrix.gradients(model, [1.0, 2.0], 2, loss="cross_entropy")
    with pytest.raises(ValueError, match="mse target must have 2 values, got 1"):
        matrix.gradients(model, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="model must be an nn.MLP"):
        matrix.weights(model.layers[0])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        matrix.forward(model, np.zeros((3, 3)))
