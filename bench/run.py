"""chainrule's benchmark: the same work on this engine, on micrograd 0.1.0 and on PyTorch scalars.

Run with `make bench`. Timings are medians over repeated runs; the engines' runs are
interleaved (ours, theirs, ours, theirs, ...) so drift of a shared machine cancels out of
the ratios. Prints a Markdown table and writes the numbers as JSON (--json, default
out/bench.json).

1. micrograd's demo step: moons (100 points), MLP(2, [16, 16, 1]), max-margin loss +
   1e-4 L2, full-batch SGD with micrograd's learning-rate schedule, all engines starting
   from micrograd's exact weights; the loss curves must agree to 1e-9 (checked).
2. The same step with every scalar a 0-d PyTorch tensor, when torch is installed.
3. A 1,000,000-op chain: forward and backward; bytes per op (tracemalloc) on both engines,
   with the chain's constant a Value and a float.
4. A 1,000,000-input ops.sum, a 1,000-input softmax, and cross-entropy over 1,000 logits.
5. no_grad inference against graph-building forward.
6. Where a demo step goes: forward, topological order, backward loop, garbage collection.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

import nn
from autograd import Value, no_grad, ops, topological_order

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:  # the bench extra is missing
    mg_engine = mg_nn = None

try:
    import torch
except ImportError:
    torch = None

REG = 1e-4


def schedule(k: int, steps: int) -> float:
    """micrograd's demo learning rate: 1.0 decaying linearly to 0.1."""
    return 1.0 - 0.9 * k / steps


# -- 1. micrograd's demo step, on each engine --------------------------------------------
def micrograd_trainer(X, y, seed):
    import random

    random.seed(seed)  # micrograd initialises from the global random state
    model = mg_nn.MLP(2, [16, 16, 1])

    def step(lr):
        inputs = [list(map(mg_engine.Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + REG * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        return total.data

    return model, step


def weights_of(mg_model):
    """micrograd's weights, layer by layer: ([w rows], [biases])."""
    return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
            for layer in mg_model.layers]


def chainrule_trainer(X, y, weights):
    model = nn.MLP(2, [16, 16, 1])
    for layer, (rows, biases) in zip(model.layers, weights):
        for neuron, row, b in zip(layer.neurons, rows, biases):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = b
    params = model.parameters()
    optimizer = nn.optim.SGD(params, lr=1.0)
    labels = [float(v) for v in y]

    def step(lr):
        scores = [model(row) for row in X]
        total = nn.losses.hinge(scores, labels) + REG * ops.sum([p * p for p in params])
        optimizer.zero_grad()
        total.backward()
        optimizer.lr = lr
        optimizer.step()
        return total.data

    return step


def torch_trainer(X, y, weights):
    """The network with every scalar a 0-d tensor: what a user might write instead."""
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
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return total.item()

    return step


def training_step(steps: int, seed: int) -> dict:
    X, y01 = nn.data.make_moons(100, noise=0.1, seed=seed)
    y = [2.0 * v - 1.0 for v in y01]
    mg_model, mg_step = micrograd_trainer(X, y, seed)
    weights = weights_of(mg_model)
    runners = {"chainrule": chainrule_trainer(X, y, weights), "micrograd": mg_step}
    if torch is not None:
        runners["torch"] = torch_trainer(X, y, weights)
    times = {name: [] for name in runners}
    losses = {name: [] for name in runners}
    for k in range(steps):
        lr = schedule(k, steps)
        for name, step in runners.items():
            t0 = time.perf_counter()
            losses[name].append(step(lr))
            times[name].append(time.perf_counter() - t0)
    worst = {name: max(abs(a - b) for a, b in zip(losses["chainrule"], losses[name])) for name in runners}
    for name, diff in worst.items():
        if not diff <= 1e-9:
            raise SystemExit(f"loss curves differ: chainrule vs {name} by {diff:.3g} (> 1e-9)")
    ours = statistics.median(times["chainrule"])
    result = {
        "steps": steps,
        "final_loss": losses["chainrule"][-1],
        "max_loss_difference": worst,
        "median_step_seconds": {name: statistics.median(t) for name, t in times.items()},
    }
    # Ratio of paired steps: each step k ran back to back on both engines.
    for name in runners:
        if name != "chainrule":
            result[f"{name}/chainrule"] = statistics.median(
                [a / b for a, b in zip(times[name], times["chainrule"])])
    result["ours_ms"] = 1e3 * ours
    return result


# -- 3-5. engine-only work ---------------------------------------------------------------
def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def chain(n: int):
    c = Value(1.0 + 1e-7)
    y = Value(1.0)
    for _ in range(n):
        y = y * c + c
    return y


def long_chain(n: int, repeats: int) -> dict:
    holder = {}

    def forward():
        holder["y"] = chain(n // 2)  # two ops per step: n ops in all

    def backward():
        holder["y"].backward()

    fwd = []
    bwd = []
    for _ in range(repeats):
        fwd.append(median_time(forward, 1))
        bwd.append(median_time(backward, 1))
        holder.clear()
    return {"ops": n, "forward_s": statistics.median(fwd), "backward_s": statistics.median(bwd)}


def micrograd_chain_backward(n: int) -> str:
    """What micrograd's recursive topological sort does on an n-op chain."""
    c = mg_engine.Value(1.0 + 1e-7)
    y = mg_engine.Value(1.0)
    for _ in range(n // 2):
        y = y * c + c
    try:
        y.backward()
    except RecursionError:
        return f"RecursionError at {n:,} ops"
    return "ok"


def bytes_per_op(value_type, n: int, constant: str) -> float:
    """Bytes per op while building ``y = y*c + c`` (tracemalloc), for either engine.

    ``constant="value"``: c is one Value made beforehand. ``constant="float"``: c is a Python
    float, so each use turns it into a new constant leaf (on both engines).
    """
    k = 1.0 + 1e-7
    c = value_type(k) if constant == "value" else k
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = value_type(1.0)
    for _ in range(n // 2):
        y = y * c + c
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del y
    return (after - before) / n


def memory(n: int) -> dict:
    return {f"{name}_{constant}": bytes_per_op(value_type, n, constant)
            for name, value_type in (("chainrule", Value), ("micrograd", mg_engine.Value))
            for constant in ("value", "float")}


def wide_ops(repeats: int) -> dict:
    xs = [Value(float(i % 7)) for i in range(1_000_000)]

    def big_sum():
        ops.sum(xs).backward()

    logits = [Value(math.sin(i)) for i in range(1000)]

    def cross_entropy():
        nn.losses.cross_entropy(logits, 3).backward()

    return {"sum_1e6_s": median_time(big_sum, repeats),
            "softmax_1000_s": median_time(lambda: ops.softmax(logits), repeats),
            "cross_entropy_1000_s": median_time(cross_entropy, repeats)}


def inference(repeats: int, seed: int) -> dict:
    X, _ = nn.data.make_moons(100, noise=0.1, seed=seed)
    model = nn.MLP(2, [16, 16, 1], seed=seed)

    def forward():
        return [model(row) for row in X]

    def evaluate():
        with no_grad():
            return [model(row) for row in X]

    graph = median_time(forward, repeats)
    fast = median_time(evaluate, repeats)
    return {"graph_forward_s": graph, "no_grad_forward_s": fast, "speedup": graph / fast}


def step_parts(repeats: int, seed: int) -> dict:
    """Where one demo training step goes: forward (with the loss), the topological order, the
    backward loop that follows it, and the share of the step spent in the cyclic GC."""
    X, y01 = nn.data.make_moons(100, noise=0.1, seed=seed)
    labels = [2.0 * v - 1.0 for v in y01]
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    params = model.parameters()

    def forward():
        scores = [model(row) for row in X]
        return nn.losses.hinge(scores, labels) + REG * ops.sum([p * p for p in params])

    def step():
        model.zero_grad()
        forward().backward()

    total = forward()
    fwd = median_time(forward, repeats)
    order = median_time(lambda: topological_order(total), repeats)
    bwd = median_time(total.backward, repeats)  # topological order + the loop
    with_gc = median_time(step, repeats)
    gc.disable()
    try:
        without_gc = median_time(step, repeats)
    finally:
        gc.enable()
    return {"forward_s": fwd, "topological_order_s": order, "backward_loop_s": bwd - order,
            "gc_share": 1.0 - without_gc / with_gc}


# -- report ------------------------------------------------------------------------------
def table(r: dict) -> str:
    t = r["training_step"]
    ms = {k: 1e3 * v for k, v in t["median_step_seconds"].items()}
    lines = [
        "| work | chainrule | micrograd 0.1.0 | PyTorch 0-d tensors |",
        "|---|---|---|---|",
        f"| demo training step (moons 100, MLP(2,[16,16,1])) | {ms['chainrule']:.1f} ms "
        f"| {ms['micrograd']:.0f} ms ({t['micrograd/chainrule']:.0f}x slower) | "
        + (f"{ms['torch']:.0f} ms ({t['torch/chainrule']:.0f}x slower) |" if "torch" in ms else "not installed |"),
    ]
    c = r["chain"]
    m = r["memory"]
    lines += [
        f"| 1,000,000-op chain: forward | {c['forward_s']:.2f} s | | |",
        f"| 1,000,000-op chain: backward | {c['backward_s']:.2f} s | {r['micrograd_chain']} | |",
        f"| memory per op, chain y = y*c + c, c a Value (tracemalloc) | {m['chainrule_value']:.0f} B "
        f"| {m['micrograd_value']:.0f} B | |",
        f"| memory per op, chain y = y*c + c, c a float (a new constant leaf per use) "
        f"| {m['chainrule_float']:.0f} B | {m['micrograd_float']:.0f} B | |",
        f"| ops.sum of 1,000,000 Values, forward + backward | {r['wide']['sum_1e6_s']:.2f} s | | |",
        f"| softmax of 1,000 logits (1,000 nodes of 1,000 edges) | {1e3 * r['wide']['softmax_1000_s']:.0f} ms | | |",
        f"| cross-entropy of 1,000 logits, forward + backward | "
        f"{1e3 * r['wide']['cross_entropy_1000_s']:.1f} ms | | |",
        f"| demo step by parts: forward + loss / topological order / backward loop | "
        f"{1e3 * r['parts']['forward_s']:.1f} / {1e3 * r['parts']['topological_order_s']:.1f} / "
        f"{1e3 * r['parts']['backward_loop_s']:.1f} ms | | |",
        f"| share of the demo step spent in Python's cyclic GC | {100 * r['parts']['gc_share']:.0f}% | | |",
        f"| moons forward, 100 points: graph / no_grad | {1e3 * r['inference']['graph_forward_s']:.1f} ms / "
        f"{1e3 * r['inference']['no_grad_forward_s']:.1f} ms ({r['inference']['speedup']:.1f}x) | | |",
    ]
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="paired training steps (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the engine-only work")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--json", type=Path, default=Path("out/bench.json"))
    args = parser.parse_args(argv)
    if mg_nn is None:
        raise SystemExit("micrograd is not installed: run `make bench` (it installs the bench extra)")
    results = {"machine": machine(), "torch": torch.__version__ if torch else None}
    print(f"machine: {results['machine']}", flush=True)
    results["training_step"] = training_step(args.steps, args.seed)
    print(f"training step: done, losses agree to {max(results['training_step']['max_loss_difference'].values()):.1e}", flush=True)
    results["chain"] = long_chain(1_000_000, max(1, args.repeats // 2))
    results["memory"] = memory(200_000)
    results["micrograd_chain"] = micrograd_chain_backward(20_000)
    results["wide"] = wide_ops(args.repeats)
    results["inference"] = inference(args.repeats, args.seed)
    results["parts"] = step_parts(3 * args.repeats, args.seed)
    print()
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
