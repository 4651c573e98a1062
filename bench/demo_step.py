"""micrograd's demo training step on one engine, in this process only; prints JSON.

    python bench/demo_step.py {chainrule,chainrule-unnamed,tape,micrograd,torch,torch-batched} --steps 20

"tape" is chainrule's graph traced once (autograd.trace) and replayed over the 100 points
as one batch; "torch-batched" is PyTorch with the points and each layer's weights as
tensors, the anchor for the tape.

The step is micrograd's own demo: 100 moons points, MLP(2, [16, 16, 1]), max-margin loss
plus 1e-4 L2, full-batch SGD with micrograd's learning-rate schedule (1.0 falling linearly
to 0.1). Every engine starts from the weights micrograd draws for ``seed`` and is fed the
same Python floats. ``bench/run.py`` runs this script once per engine and round, so no
engine's garbage is collected while another is timed, and checks that the losses agree.

Prints ``{"engine": ..., "seconds": [one per step], "losses": [one per step]}``.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time

import numpy as np

import nn
from autograd import ops, trace

REG = 1e-4
# "chainrule-unnamed" is chainrule with the names nn gives a network's nodes (L0.n1.z, x0, ...)
# switched off: the two side by side are what naming costs.
ENGINES = ("chainrule", "chainrule-unnamed", "tape", "micrograd", "torch", "torch-batched")


def schedule(k: int, steps: int) -> float:
    """micrograd's demo learning rate: 1.0 decaying linearly to 0.1."""
    return 1.0 - 0.9 * k / steps


def moons(seed: int) -> tuple[list[list[float]], list[float]]:
    """The demo's data as Python floats: 100 points and their -1/+1 labels."""
    X, y01 = nn.data.make_moons(100, noise=0.1, seed=seed)
    return X.tolist(), [2.0 * v - 1.0 for v in y01.tolist()]


def micrograd_model(seed: int):
    import micrograd.nn as mg_nn

    random.seed(seed)  # micrograd initialises from the global random state
    return mg_nn.MLP(2, [16, 16, 1])


def weights_of(mg_model) -> list:
    """micrograd's weights, layer by layer: ([w rows], [biases])."""
    return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
            for layer in mg_model.layers]


def micrograd_trainer(X, y, mg_model):
    from micrograd.engine import Value

    def step(lr):
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(mg_model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + REG * sum(p * p for p in mg_model.parameters())
        mg_model.zero_grad()
        total.backward()
        for p in mg_model.parameters():
            p.data -= lr * p.grad
        return total.data

    return step


def chainrule_model(weights) -> nn.MLP:
    model = nn.MLP(2, [16, 16, 1])
    for layer, (rows, biases) in zip(model.layers, weights):
        for neuron, row, b in zip(layer.neurons, rows, biases):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = b
    return model


def chainrule_trainer(X, y, weights, named: bool = True):
    model = chainrule_model(weights)
    if not named:
        for layer in model.layers:
            layer._names = ((), ())  # no label stores on z and a
        model._input_names = ("",) * model.nin  # inputs lifted without a name
    params = model.parameters()
    optimizer = nn.optim.SGD(params, lr=1.0)

    def step(lr):
        scores = [model(row) for row in X]
        total = nn.losses.hinge(scores, y) + REG * ops.sum([p * p for p in params])
        optimizer.zero_grad()
        total.backward()
        optimizer.lr = lr
        optimizer.step()
        return total.data

    return step


def tape_trainer(X, y, weights):
    """The same step on the tape: one sample's loss traced once, the batch's mean replayed.

    Each sample's loss carries the L2 term (as nn.losses.l2, one dot node), so the batch's
    mean is the mean hinge loss plus the term, as on the other engines."""
    model = chainrule_model(weights)
    params = model.parameters()
    optimizer = nn.optim.SGD(params, lr=1.0)
    tape = trace(lambda x, label: nn.losses.hinge(model(x), label) + REG * nn.losses.l2(params), X[0], y[0])
    X, y = np.array(X), np.array(y)

    def step(lr):
        out = tape.forward(X, y)
        optimizer.zero_grad()
        tape.backward(reduction="mean")
        optimizer.lr = lr
        optimizer.step()
        return float(out.mean())

    return step


def torch_batched_trainer(X, y, weights):
    """The network as PyTorch would be written for speed: a tensor per layer, the batch at once."""
    import torch

    layers = [(torch.tensor(rows, dtype=torch.float64, requires_grad=True),
               torch.tensor(biases, dtype=torch.float64, requires_grad=True)) for rows, biases in weights]
    params = [p for layer in layers for p in layer]
    X, y = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

    def step(lr):
        h = X
        for i, (W, b) in enumerate(layers):
            h = h @ W.T + b
            h = h if i == len(layers) - 1 else torch.relu(h)
        total = torch.relu(1 - y * h[:, 0]).mean() + REG * sum((p * p).sum() for p in params)
        return _torch_sgd(total, params, lr)

    return step


def torch_trainer(X, y, weights):
    """The network with every scalar a 0-d tensor: what a user might write instead."""
    import torch

    layers = [([[torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in row] for row in rows],
               [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in biases])
              for rows, biases in weights]
    params = [p for rows, biases in layers for ps in (*rows, biases) for p in ps]

    def forward(row):
        h = [torch.tensor(v, dtype=torch.float64) for v in row]
        for i, (rows, biases) in enumerate(layers):
            z = [sum((wi * xi for wi, xi in zip(ws, h)), b) for ws, b in zip(rows, biases)]
            h = z if i == len(layers) - 1 else [torch.relu(v) for v in z]
        return h[0]

    def step(lr):
        scores = [forward(row) for row in X]
        losses = [torch.relu(1 + -yi * si) for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + REG * sum(p * p for p in params)
        return _torch_sgd(total, params, lr)

    return step


def _torch_sgd(total, params: list, lr: float) -> float:
    """Backpropagate ``total`` and move every parameter down its gradient (plain SGD)."""
    import torch

    for p in params:
        p.grad = None
    total.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return total.item()


def run(engine: str, steps: int, seed: int) -> dict:
    X, y = moons(seed)
    mg_model = micrograd_model(seed)
    if engine == "micrograd":
        step = micrograd_trainer(X, y, mg_model)
    else:
        weights = weights_of(mg_model)
        del mg_model
        trainers = {"torch": torch_trainer, "torch-batched": torch_batched_trainer, "tape": tape_trainer}
        if engine in trainers:
            step = trainers[engine](X, y, weights)
        else:
            step = chainrule_trainer(X, y, weights, named=engine == "chainrule")
    seconds, losses = [], []
    gc.collect()  # start from a clean heap, as a fresh training script would
    for k in range(steps):
        lr = schedule(k, steps)
        t0 = time.perf_counter()
        losses.append(step(lr))
        seconds.append(time.perf_counter() - t0)
    return {"engine": engine, "seconds": seconds, "losses": losses}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.engine, args.steps, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
