"""The seeds' layer-wise backpropagation in matrix form: numpy only, no Values.

For layer ``i`` with weights ``W_i`` (``nout x nin``) and biases ``b_i``::

    forward:   z_i = W_i a_{i-1} + b_i          a_i = g(z_i)          a_0 = x
    backward:  dz_L = dL/da_L * g'(z_L)          (softmax(a_L) - onehot(c) for cross-entropy
                                                 on linear outputs: the seeds' result)
               dW_i = dz_i a_{i-1}^T             db_i = dz_i
               da_{i-1} = W_i^T dz_i             dz_{i-1} = da_{i-1} * g'(z_{i-1})

It computes the same numbers as the scalar engine (the tests hold them to 1e-10): two views
of one chain rule. Kinks use the engine's conventions: relu'(0) = 0, leaky_relu'(0) = slope,
relu'(nan) = 1.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import scalar
from autograd.optional import require_numpy

from .layers import LEAKY_RELU_SLOPE, MLP

__all__ = ["forward", "gradients", "layer_outputs", "sample_losses", "weights"]

np = require_numpy("nn.matrix")

Array = np.ndarray


# name -> (g(z), g'(z) from z and a = g(z)): the engine's local derivatives, vectorised.
_ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: np.where(z <= 0, 0.0, 1.0)),
    "leaky_relu": (lambda z: np.where(z > 0, z, LEAKY_RELU_SLOPE * z),
                   lambda z, a: np.where(z > 0, 1.0, LEAKY_RELU_SLOPE)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "sigmoid": (scalar.sigmoid, lambda z, a: a * (1.0 - a)),  # neither branch's exp overflows
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def weights(model: MLP) -> list[tuple[Array, Array]]:
    """``[(W, b), ...]`` per layer: ``W[j, k]`` is weight ``k`` of neuron ``j`` (``nout x nin``)."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an nn.MLP, got {type(model).__name__}")
    return [
        (np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
        for layer in model.layers
    ]


def _activations(model: MLP) -> list[str]:
    return [layer.activation for layer in model.layers]


def layer_outputs(model: MLP, X) -> list[Array]:
    """Every layer's activations for a batch: ``[a_1, ..., a_L]``, ``a_i`` of shape
    ``(n, nout_i)`` for ``X`` of shape ``(n, nin)``; column ``j`` of ``a_i`` is unit
    ``L{i-1}.n{j}`` (``nn``'s name for it)."""
    A = np.asarray(X, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] != model.nin:
        raise ValueError(f"X must have shape (n, {model.nin}), got {A.shape}")
    outputs = []
    for (W, b), name in zip(weights(model), _activations(model)):
        A = _ACTIVATIONS[name][0](A @ W.T + b)
        outputs.append(A)
    return outputs


def forward(model: MLP, X) -> Array:
    """The model's outputs for a batch, ``X`` of shape ``(n, nin)`` -> ``(n, nout)``."""
    return layer_outputs(model, X)[-1]


def sample_losses(loss: str, outputs, y) -> Array:
    """The loss of each sample, from a batch's outputs ``(n, nout)`` and class labels ``y``,
    with ``nn.fit``'s targets for each loss (``nn.train``'s table): what ``nn.losses`` gives
    one sample at a time, here for the whole batch in numpy."""
    out = np.asarray(outputs, dtype=np.float64)
    y = np.asarray(y)
    if out.ndim != 2 or y.shape != (len(out),):
        raise ValueError(f"outputs must be (n, nout) and y n labels, got shapes {out.shape} and {y.shape}")
    if loss == "hinge":
        return np.maximum(1.0 - (2.0 * y - 1.0) * out[:, 0], 0.0)
    if loss == "binary_cross_entropy":  # softplus(x) - y x, softplus as autograd.scalar writes it
        x = out[:, 0]
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))) - y * x
    if loss == "cross_entropy":  # logsumexp(z) - z[c], shifted by the largest logit
        top = out.max(axis=1)
        return top + np.log(np.exp(out - top[:, None]).sum(axis=1)) - out[np.arange(len(y)), y]
    if loss == "mse":  # 0/1 targets on one output, one-hot rows on several
        targets = y[:, None].astype(np.float64) if out.shape[1] == 1 else np.eye(out.shape[1])[y]
        return ((out - targets) ** 2).mean(axis=1)
    raise ValueError(f"loss must be 'hinge', 'binary_cross_entropy', 'cross_entropy' or 'mse', got {loss!r}")


def _output_gradient(loss: str, a: Array, target) -> Array:
    """dL/da_L for one sample."""
    if loss == "mse":
        t = np.asarray(target, dtype=np.float64).reshape(-1)
        if t.shape != a.shape:
            raise ValueError(f"mse target must have {a.size} values, got {t.size}")
        return 2.0 * (a - t) / a.size  # L = mean((a - t)^2)
    if loss == "cross_entropy":
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
            raise TypeError(f"cross_entropy target must be a class index (int), got {type(target).__name__}")
        if not 0 <= target < a.size:
            raise ValueError(f"cross_entropy target must be in [0, {a.size}), got {target}")
        p = np.exp(a - a.max())
        p /= p.sum()
        p[target] -= 1.0  # softmax(a) - onehot(target)
        return p
    raise ValueError(f"loss must be 'mse' or 'cross_entropy', got {loss!r}")


def gradients(model: MLP, x, target, loss: str = "mse") -> list[tuple[Array, Array]]:
    """``[(dW, db), ...]`` per layer of ``loss(model(x), target)`` by the seeds' algorithm.

    ``x`` is one sample (``nin`` numbers); ``target`` is the output vector (or number) for
    ``"mse"`` (the mean over outputs, PyTorch's convention), a class index for
    ``"cross_entropy"`` (``-log softmax(outputs)[target]``). ``dW.shape == (nout, nin)``.
    """
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    params = weights(model)
    if a.size != model.nin:
        raise ValueError(f"x must have {model.nin} values, got {a.size}")
    # Forward pass, storing what the backward pass needs (the seeds: "store the forward pass").
    inputs, zs, outs = [], [], []
    for (W, b), name in zip(params, _activations(model)):
        inputs.append(a)
        z = W @ a + b
        a = _ACTIVATIONS[name][0](z)
        zs.append(z)
        outs.append(a)
    names = _activations(model)
    dz = _output_gradient(loss, a, target) * _ACTIVATIONS[names[-1]][1](zs[-1], outs[-1])
    grads = []
    for i in reversed(range(len(params))):
        grads.append((np.outer(dz, inputs[i]), dz))
        if i > 0:
            da = params[i][0].T @ dz
            dz = da * _ACTIVATIONS[names[i - 1]][1](zs[i - 1], outs[i - 1])
    return grads[::-1]
