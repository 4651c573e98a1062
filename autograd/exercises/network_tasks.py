"""Graders for the network a learner builds: an MLP, one step of gradient descent, and a
layer's backward pass in matrix form.

The oracles are this project's engine (the scalar graph of the same network, the same loss)
and, for each usual mistake, the same computation done that wrong way, so a difference can
be named. No grader prints the numbers a right answer gives.
"""

from __future__ import annotations

import math
import random

from ..backprop import grad
from ..value import Value
from .verdict import Mistake, attribute, call, close, number

# -- an MLP --------------------------------------------------------------------------------------

# A hidden layer as wide as the last one too: an MLP must tell its last layer by place, not size.
SHAPES = ((3, [4, 4, 1]), (2, [3, 2]), (1, [1]), (4, [5, 3, 1]), (2, [3, 3]))


def _unpack(flat: list, sizes: list[int], layout: str) -> list[list[tuple[list, object]]]:
    """The parameters as layers of (weights, bias) per neuron, read in ``layout``'s order:
    ``"wb"`` (the contract: each neuron's weights, then its bias), ``"bw"`` (bias first),
    ``"layer"`` (a layer's weights, then its biases) or ``"transposed"`` (weights by input)."""
    it = iter(flat)
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        if layout == "wb":
            layers.append([([next(it) for _ in range(nin)], next(it)) for _ in range(nout)])
        elif layout == "bw":
            layers.append([(lambda b: ([next(it) for _ in range(nin)], b))(next(it)) for _ in range(nout)])
        elif layout == "layer":
            ws = [[next(it) for _ in range(nin)] for _ in range(nout)]
            layers.append([(w, next(it)) for w in ws])
        else:  # transposed: the weights of neuron j into input i stored at [i][j]
            rows = [[next(it) for _ in range(nout)] for _ in range(nin)]
            layers.append([([rows[i][j] for i in range(nin)], next(it)) for j in range(nout)])
    return layers


def _forward(flat: list, sizes: list[int], x: list, *, hidden="tanh", last="linear", bias=True, layout="wb"):
    """The MLP of the contract (or one of its usual variations) on one sample; with Values in
    ``flat`` it builds the engine's graph, with floats it computes numbers."""
    acts = {"tanh": lambda z: z.tanh() if isinstance(z, Value) else math.tanh(z),
            "relu": lambda z: z.relu() if isinstance(z, Value) else max(z, 0.0),
            "linear": lambda z: z}
    a = list(x)
    layers = _unpack(flat, sizes, layout)
    for k, layer in enumerate(layers):
        g = acts[last if k == len(layers) - 1 else hidden]
        a = [g(sum((wi * ai for wi, ai in zip(w, a)), b if bias else 0.0)) for w, b in layer]
    return a


_MLP_MISTAKES = (
    ("an activation on the last layer: the last layer is linear (its output is z itself), so that the "
     "network can output any number; tanh belongs to the hidden layers only.", dict(last="tanh")),
    ("the hidden layers should use tanh, and yours use relu.", dict(hidden="relu")),
    ("the hidden layers have no activation: without tanh between them, layers compose into one linear map.",
     dict(hidden="linear")),
    ("a missing bias: the bias is among the parameters but is not added to w · x.", dict(bias=False)),
    ("parameters in the wrong order: list each neuron's weights, then its bias (yours puts the bias first).",
     dict(layout="bw")),
    ("parameters in the wrong order: list neuron by neuron, each neuron's weights then its bias (yours lists "
     "a whole layer's weights, then its biases).", dict(layout="layer")),
    ("transposed weights: neuron j's weights are the ones it multiplies its inputs with, listed in the order "
     "of the inputs; yours are read across neurons.", dict(layout="transposed")),
)


def grade_mlp(M, seed: int) -> tuple[str, tuple[str, ...]]:
    if not callable(M):
        raise Mistake(f"The answer should be your MLP class, and it is a {type(M).__name__}.")
    rng = random.Random(seed)
    for nin, nouts in SHAPES:
        _check_mlp(M, nin, list(nouts), rng)
    return ("Your MLP lists its parameters layer by layer, neuron by neuron, weights then bias, and gives the "
            f"engine's outputs and gradients on {len(SHAPES)} shapes with random parameters."), ()


def _check_mlp(M, nin: int, nouts: list[int], rng: random.Random) -> None:
    what = f"{getattr(M, '__name__', 'M')}({nin}, {nouts})"
    model = call(M, nin, list(nouts), doing=what)
    listed = call(attribute(model, "parameters", what), doing=f"{what}.parameters()")
    if listed is None:
        raise Mistake(f"{what}.parameters() returned None: return the list of every weight and bias.")
    params = list(listed)
    sizes = [nin] + nouts
    for p in params:
        if not isinstance(p, Value):
            raise Mistake(f"{what}.parameters() holds a {type(p).__name__}: each parameter is a Value "
                          "(autograd.Value), so that backward() can reach it.")
    if len({id(p) for p in params}) < len(params):
        raise Mistake(f"weights shared between neurons: {what}.parameters() lists the same Value more than once. "
                      "`[Neuron(nin)] * nout` (or `[Value(...)] * nin`) repeats one object; create each "
                      "neuron and each weight with its own call.")
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if len(params) == weights:
        raise Mistake(f"a missing bias: {what} has one parameter per weight and none for the biases. Each neuron "
                      "has a bias b, added to w · x.")
    if len(params) != weights + sum(nouts):
        raise Mistake(f"{what}.parameters() returned {len(params)} Values: each neuron has one weight per input "
                      "and one bias, and every layer's neurons are listed.")
    start = iter([p.data for p in params])
    for nin_, nout_ in zip(sizes, sizes[1:]):
        rows = [tuple(next(start) for _ in range(nin_ + 1))[:-1] for _ in range(nout_)]
        if nout_ > 1 and len(set(rows)) < nout_:
            raise Mistake(f"two neurons of a layer of {what} start with the same weights, the same value in "
                          "each: they would compute the same thing and get the same gradient forever. Draw each weight at random "
                          "(from one generator, not one re-seeded per neuron).")
    for p in params:
        p.data = rng.choice((-1, 1)) * rng.uniform(0.2, 1.2)  # biases too, so a lost bias shows
    values = [p.data for p in params]
    for _ in range(3):
        x = [rng.uniform(-1.5, 1.5) for _ in range(nin)]
        out = call(model, x, doing=f"{what}({[round(v, 3) for v in x]})")
        outs = _outputs(out, nouts[-1], what)
        got = [number(o, f"{what}'s output") for o in outs]
        twin = [Value(v) for v in values]
        want = _forward(twin, sizes, x)
        if not all(close(g, w.data) for g, w in zip(got, want)):
            for hint, variation in _MLP_MISTAKES:
                if all(close(g, w) for g, w in zip(got, _forward(values, sizes, x, **variation))):
                    raise Mistake(f"{hint} (found on {what})")
            raise Mistake(f"the output of {what} is wrong: each neuron computes tanh(w · x + b) in a hidden "
                          "layer and w · x + b in the last, on the previous layer's outputs.")
        if not all(isinstance(o, Value) for o in outs):
            raise Mistake(f"{what} returns numbers, not Values: build the output from the parameters' Values "
                          "(not their .data), so backward() can reach them.")
        total = outs[0] if len(outs) == 1 else sum(outs[1:], outs[0])
        mine = grad(total, params)
        right = grad(want[0] if len(want) == 1 else sum(want[1:], want[0]), twin)
        if not all(close(a, b) for a, b in zip(mine, right)):
            raise Mistake(f"the output of {what} has the right value but is not connected to every parameter: "
                          "compute with the Values themselves, never with p.data, so the gradient reaches them.")


def _outputs(out, n: int, what: str) -> list:
    if getattr(out, "shape", None) is not None:
        raise Mistake(f"{what} returns a numpy ndarray: return a Value for a single output, a list of Values for more.")
    many = isinstance(out, (list, tuple))
    if n == 1 and many:
        raise Mistake(f"{what} returns a list of {len(out)}: a single output is returned as a Value itself, "
                      "not a list of one (`return outs[0] if len(outs) == 1 else outs`).")
    if n > 1 and not many:
        raise Mistake(f"{what} returns a {type(out).__name__}: with {n} outputs, return a list of them.")
    outs = list(out) if many else [out]
    if len(outs) != n:
        raise Mistake(f"{what} returns {len(outs)} outputs: the last layer's size is the number of outputs.")
    return outs


# -- one step of gradient descent ---------------------------------------------------------------

class _Net:
    """An MLP as the "mlp" task asks for, built from given parameter values: what the
    learner's step is run on. It has ``__call__`` and ``parameters()``, and nothing else,
    as the learner's own MLP: a step that calls more would fail on that one."""

    def __init__(self, sizes: list[int], values: list[float], grads: list[float]):
        self.sizes = sizes
        self.params = [Value(v) for v in values]
        for p, g in zip(self.params, grads):
            p.grad = g  # a model fresh from an earlier backward(), as in a training loop

    def __call__(self, x):
        out = _forward(self.params, self.sizes, x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return list(self.params)


def _steps(sizes, values, grads, xs, ys, lr, count, *, zero="before", sign=-1.0, mean=True, first=False,
           after=False, rate=True):
    """``count`` steps of gradient descent done right, or done one of the usual wrong ways
    (``zero`` is when the gradients are set to 0: "before" backward, "after" the update, or never)."""
    net = _Net(sizes, values, grads)
    losses, states = [], []
    for _ in range(count):
        if zero == "before":
            for p in net.params:
                p.grad = 0.0
        batch = list(zip(xs, ys))[:1] if first else list(zip(xs, ys))
        terms = [(net(x) - y) ** 2 for x, y in batch]
        loss = sum(terms[1:], terms[0])
        loss = loss / len(batch) if mean else loss
        loss.backward()
        for p in net.params:
            p.data += sign * (lr if rate else 1.0) * p.grad
        if zero == "after":
            for p in net.params:
                p.grad = 0.0
        losses.append(_mse(net, xs, ys) if after else loss.data)
        states.append([p.data for p in net.params])
    return losses, states


def _mse(net, xs, ys) -> float:
    return sum((net(x).data - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


_SGD_MISTAKES = (
    ("a forgotten zero_grad: p.grad still holds the gradients of earlier backward() calls (the model comes "
     "from a training loop, and each of your steps leaves its own), and backward() adds to them. Set every "
     "p.grad to 0 before backward().", dict(zero="never")),
    ("a forgotten zero_grad before backward(): the gradients are set to 0 after the update, so the first "
     "step adds to whatever p.grad held before it (from an earlier backward()). Zero them before backward().",
     dict(zero="after")),
    ("gradient ascent: the step goes up the gradient (`+=`). Gradient descent subtracts: p.data -= lr * p.grad.",
     dict(sign=1.0)),
    ("a sum where the mean was asked: the loss is the mean of the squared errors over the batch, the sum "
     "divided by the number of samples.", dict(mean=False)),
    ("a first sample used instead of the batch: the loss is the mean over every (x, y) of the batch.",
     dict(first=True)),
    ("the loss returned is the one after the step: return the loss computed before updating the parameters.",
     dict(after=True)),
    ("the learning rate is not used: p.data -= lr * p.grad.", dict(rate=False)),
)


def grade_sgd_step(fn, seed: int) -> tuple[str, tuple[str, ...]]:
    if not callable(fn):
        raise Mistake(f"The answer should be your sgd_step function, and it is a {type(fn).__name__}.")
    rng = random.Random(seed)
    for sizes, n, lr in (([2, 3, 1], 5, 0.1), ([3, 4, 4, 1], 7, 0.05)):
        values = [rng.choice((-1, 1)) * rng.uniform(0.2, 1.0) for _ in range(_count(sizes))]
        grads = [rng.uniform(-1, 1) for _ in values]
        xs = [[rng.uniform(-1.5, 1.5) for _ in range(sizes[0])] for _ in range(n)]
        ys = [rng.uniform(-1, 1) for _ in range(n)]
        _check_sgd(fn, sizes, values, grads, xs, ys, lr)
    return ("Your step returns the mean squared error before the step, and moves every parameter as the "
            "engine does, step after step, on two networks."), ()


def _count(sizes: list[int]) -> int:
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def _check_sgd(fn, sizes, values, grads, xs, ys, lr, count: int = 3) -> None:
    net = _Net(sizes, values, grads)
    losses, states = [], []
    for k in range(count):
        out = call(fn, net, [list(x) for x in xs], list(ys), lr, doing=f"sgd_step (step {k + 1})",
                   hints={AttributeError: "The model has __call__ and parameters(), as the mlp task asks, and "
                                          "nothing else: set each p.grad = 0 through model.parameters()."})
        if out is None:
            raise Mistake("sgd_step returned None: return the loss (a float) computed before the step.")
        if isinstance(out, Value):
            raise Mistake("sgd_step returned the loss as a Value: return loss.data, a float. (A Value keeps "
                          "the whole graph of the batch alive, and prints as Value(...).)")
        losses.append(number(out, "what sgd_step returns"))
        states.append([p.data for p in net.params])
    want = _steps(sizes, values, grads, xs, ys, lr, count)
    if _same_run((losses, states), want):
        return
    for hint, variation in _SGD_MISTAKES:
        if _same_run((losses, states), _steps(sizes, values, grads, xs, ys, lr, count, **variation)):
            raise Mistake(hint)
    if all(close(a, b) for a, b in zip(losses, want[0])):
        raise Mistake("the losses are right and the parameters move wrongly: after backward(), move every "
                      "parameter by p.data -= lr * p.grad, once per step.")
    raise Mistake("the loss is wrong: it is the mean over the batch of (model(x) - y)², computed before the "
                  "step, after the gradients were set to 0.")


def _same_run(a, b) -> bool:
    (la, sa), (lb, sb) = a, b
    return all(close(x, y) for x, y in zip(la, lb)) and all(
        close(x, y) for s, t in zip(sa, sb) for x, y in zip(s, t))


# -- a layer's backward pass in matrix form -------------------------------------------------------

def grade_layer_backward(fn, seed: int) -> tuple[str, tuple[str, ...]]:
    import numpy as np

    if not callable(fn):
        raise Mistake(f"The answer should be your layer_backward function, and it is a {type(fn).__name__}.")
    gen = np.random.default_rng(seed)
    # Square layers too: a transposed product runs there, so it is named by its values.
    for batch, nin, nout in ((5, 3, 4), (4, 3, 3), (3, 3, 3), (1, 2, 3)):
        W = gen.uniform(-1, 1, (nout, nin))
        b = gen.uniform(-1, 1, nout)
        A = gen.uniform(-1, 1, (batch, nin))
        Delta = gen.uniform(-1, 1, (batch, nout))
        _check_layer(fn, W, b, A, Delta)
    return ("dW = Δᵀ A, db = the column sums of Δ and dA = Δ W: your three equal the scalar engine's "
            "gradients on four layers and batches, square ones included."), ()


def _engine_layer(W, b, A, Delta):
    """dL/dW, dL/db, dL/dA of L = Σ Delta ⊙ (A Wᵀ + b), by the scalar engine."""
    import numpy as np

    w = [[Value(x) for x in row] for row in W]
    bs = [Value(x) for x in b]
    a = [[Value(x) for x in row] for row in A]
    terms = [Delta[n, j] * sum((w[j][i] * a[n][i] for i in range(len(a[n]))), bs[j])
             for n in range(len(a)) for j in range(len(w))]
    L = sum(terms[1:], terms[0])
    flat = [v for row in w for v in row] + bs + [v for row in a for v in row]
    g = np.array(grad(L, flat))
    k, m = W.size, W.size + b.size
    return g[:k].reshape(W.shape), g[k:m], g[m:].reshape(A.shape)


def _check_layer(fn, W, b, A, Delta) -> None:
    import numpy as np

    batch, nin, nout = A.shape[0], A.shape[1], W.shape[0]
    where = f"(batch {batch}, nin {nin}, nout {nout})"
    out = call(fn, W.copy(), b.copy(), A.copy(), Delta.copy(), doing=f"layer_backward {where}",
               hints={ValueError: "Transposed or wrongly shaped matrices? Match the shapes: W is nout × nin, "
                                  "A and dA are batch × nin, Δ is batch × nout."})
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise Mistake("layer_backward should return three arrays, (dW, db, dA).")
    arrays = [call(np.asarray, x, doing="reading what layer_backward returns") for x in out]
    if any(np.iscomplexobj(x) or x.dtype == object for x in arrays):
        raise Mistake("layer_backward should return three numpy arrays of real numbers, (dW, db, dA).")
    try:
        dW, db, dA = (x.astype(float) for x in arrays)
    except (TypeError, ValueError):
        raise Mistake("layer_backward should return three numpy arrays of numbers, (dW, db, dA).") from None
    want = _engine_layer(W, b, A, Delta)
    shapes = [x.shape for x in (dW, db, dA)]
    if shapes != [x.shape for x in want] and sorted(shapes) == sorted(x.shape for x in want):
        raise Mistake("the three arrays come in the wrong order: return (dW, db, dA).")
    for name, got, right, of in (("dW", dW, want[0], "W"), ("db", db, want[1], "b"), ("dA", dA, want[2], "A")):
        if got.shape != right.shape:
            raise Mistake(_shape_hint(name, got.shape, right.shape, of, where))
    names = ("dW", "db", "dA")
    usual = {
        "dW": ((Delta.T @ A).T if nin == nout else None, "transposed: your dW is Aᵀ Δ, the transpose of "
               "dW = Δᵀ A, which has W's layout (row j for output unit j, column i for input i)."),
        "dA": (Delta @ W.T if nin == nout else None, "transposed: your dA is Δ Wᵀ. Each sample's Δ row goes "
               "back through W itself (Z = A Wᵀ + b, so dA = Δ W)."),
    }
    for name, got, right in zip(names, (dW, db, dA), want):
        if np.allclose(got, right, rtol=1e-9, atol=1e-12):
            continue
        first = {"dW": np.outer(Delta[0], A[0]), "db": Delta[0], "dA": None}[name]
        if name == "db" and np.allclose(got, Delta.sum(axis=1), rtol=1e-9, atol=1e-12):
            raise Mistake("db summed over the wrong axis: Delta.sum(axis=1) adds up each sample's units, and "
                          "it is wrongly shaped whenever the batch is not the layer's width. db sums each unit "
                          "over the batch, axis 0.")
        if batch > 1 and np.allclose(got, right / batch, rtol=1e-9, atol=1e-12):
            raise Mistake(f"divided by the batch size: your {name} is the batch's mean. Δ is already dL/dZ of "
                          "the loss, so each sample's part is summed over the batch, not averaged.")
        if first is not None and batch > 1 and np.allclose(got, first, rtol=1e-9, atol=1e-12):
            raise Mistake(f"a first sample used instead of the batch: {name} sums every sample's part "
                          "(Δᵀ A sums over the batch as it multiplies).")
        if np.allclose(got, -right, rtol=1e-9, atol=1e-12):
            raise Mistake(f"a wrong sign in {name}.")
        wrong, hint = usual.get(name, (None, ""))
        if wrong is not None and np.allclose(got, wrong, rtol=1e-9, atol=1e-12):
            raise Mistake(hint)
        raise Mistake(f"wrong {name} {where}. With Z = A Wᵀ + b: dW = Δᵀ A, db = the column sums of Δ, dA = Δ W.")


def _shape_hint(name: str, got: tuple, right: tuple, of: str, where: str) -> str:
    if got == right[::-1]:
        return (f"transposed: {name} has shape {got} {where}, and it must have {of}'s shape, {right}: "
                "match the shapes (rows of W are output units, rows of A are samples).")
    if name == "db" and got == ():
        return ("wrongly shaped: db is one number, the sum of all of Δ. Sum over the batch only (axis 0): "
                "one entry per output unit, the shape of b.")
    if name == "db" and got in ((1,) + right, right + (1,)):
        return f"wrongly shaped: db has shape {got}; b has shape {right} (sum over axis 0 without keepdims)."
    if name == "db":
        return (f"wrongly shaped: db has shape {got}, and b has shape {right}. Sum Δ over the batch, axis 0 "
                "(summing over axis 1 adds up the units instead).")
    return f"wrongly shaped: {name} has shape {got} {where}; it must have {of}'s shape, {right}."
