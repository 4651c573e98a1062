"""chainrule's benchmark: the same work on this engine, on micrograd 0.1.0 and on PyTorch scalars.

Run with `make bench`. Prints the machine, a Markdown table, and writes the numbers as JSON
(--json, default out/bench.json).

1. micrograd's demo step (bench/demo_step.py) on each engine, each run in a fresh process
   of its own: --rounds rounds of --steps steps, the engines taking turns in a rotating
   order, all fed the same Python floats from micrograd's weights. The loss curves must
   agree to 1e-9 (checked). Medians over every step, the spread of the rounds' medians, and
   the first and last steps (micrograd's steps slow down as its garbage piles up). The
   engines: chainrule (named and unnamed nodes), chainrule's tape, micrograd, PyTorch with
   0-d tensors, and PyTorch with batched tensors (the tape's anchor).
2. The default `python -m nn --dataset digits` runs, ten classes and two vs rest, with
   --engine scalar and --engine tape, each in a fresh process, --digits-rounds rounds taking
   turns: the whole command's wall-clock and CPU seconds, training seconds and held-out
   accuracy.
3. A 1,000,000-op chain: forward and backward; bytes per op (tracemalloc) on both engines,
   with the chain's constant a Value and a float.
4. A 1,000,000-input ops.sum, a 1,000-input softmax, and cross-entropy over 1,000 logits.
5. no_grad inference against graph-building forward.
6. Where a step goes, for the demo step and for one mini-batch of the digits run: forward,
   topological order, backward loop, optimizer, and the share spent in Python's cyclic GC;
   on the tape: trace, forward, backward, optimizer.
7. The tape's memory for one digits batch (tracemalloc's peak over forward and backward) at
   several batch sizes, per node and sample.
8. What recording costs on make demo's run (bench/record_cost.py, fresh processes): keeping
   a frame while training, drawing a frame of the player page, the page's bytes per frame;
   and, in a Jupyter kernel when nbclient is installed (the test extra), watch=True's share
   of the training time.

Ratios depend on the CPU (micrograd's share of garbage collection most of all): compare
engines on one machine, never figures from two.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

import nn
from autograd import Value, no_grad, ops, topological_order, trace

try:
    import micrograd.engine as mg_engine
except ImportError:  # the bench extra is missing
    mg_engine = None

try:
    import torch
except ImportError:
    torch = None

HERE = Path(__file__).resolve().parent
REG = 1e-4


# -- 1. the demo step, each engine in fresh processes -------------------------------------
def _spawn(args: list[str]) -> str:
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=HERE.parent)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def demo_step(engines: list[str], rounds: int, steps: int, seed: int) -> dict:
    runs = {engine: [] for engine in engines}
    for r in range(rounds):
        order = engines[r % len(engines):] + engines[: r % len(engines)]  # who goes first rotates
        for engine in order:
            out = _spawn([str(HERE / "demo_step.py"), engine, "--steps", str(steps), "--seed", str(seed)])
            runs[engine].append(json.loads(out))
            print(f"  round {r + 1}/{rounds}: {engine} {1e3 * statistics.median(runs[engine][-1]['seconds']):.1f} ms "
                  "a step", flush=True)
    reference = runs["chainrule"][0]["losses"]
    worst = max(abs(a - b) for engine in engines for run in runs[engine] for a, b in zip(reference, run["losses"]))
    if not worst <= 1e-9:
        raise SystemExit(f"loss curves differ across engines or runs by {worst:.3g} (> 1e-9)")
    result = {"rounds": rounds, "steps": steps, "max_loss_difference": worst, "final_loss": reference[-1]}
    head = min(5, steps)
    for engine in engines:
        per_round = [statistics.median(run["seconds"]) for run in runs[engine]]
        result[engine] = {
            "median_s": statistics.median([s for run in runs[engine] for s in run["seconds"]]),
            "round_medians_s": per_round,
            "first_steps_s": statistics.median([s for run in runs[engine] for s in run["seconds"][:head]]),
            "last_steps_s": statistics.median([s for run in runs[engine] for s in run["seconds"][-head:]]),
        }
    ours = result["chainrule"]
    for engine in engines:
        if engine != "chainrule":
            ratios = [a / b for a, b in zip(result[engine]["round_medians_s"], ours["round_medians_s"])]
            result[engine]["ratio"] = result[engine]["median_s"] / ours["median_s"]
            result[engine]["ratio_range"] = [min(ratios), max(ratios)]
    return result


# -- 2. the default digits runs, on both engines ------------------------------------------
def _timed_command(args: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of a command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    _spawn(args)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def digits_runs(rounds: int) -> dict:
    results = {}
    engines = ["scalar", "tape"]
    for task in ("ten-class", "two-vs-rest"):
        runs = {engine: [] for engine in engines}
        for r in range(rounds):
            for engine in engines[r % 2:] + engines[: r % 2]:  # who goes first alternates
                with tempfile.TemporaryDirectory() as folder:
                    out = Path(folder) / "out"
                    wall, cpu = _timed_command(["-m", "nn", "--dataset", "digits", "--task", task, "--engine",
                                                engine, "--quiet", "--out", str(out)])
                    metrics = json.loads((out / "metrics.json").read_text())
                runs[engine].append({"wall_s": wall, "cpu_s": cpu, "seconds": metrics["seconds"],
                                     "test_accuracy": metrics["test_accuracy"], "epochs": metrics["epochs"]})
                print(f"  digits {task} --engine {engine}: {wall:.2f} s the whole command ({cpu:.2f} s CPU), "
                      f"training {metrics['seconds']:.2f} s, test accuracy {metrics['test_accuracy']:.3f}", flush=True)
        results[task] = {engine: {key: statistics.median([run[key] for run in engine_runs]) for key in engine_runs[0]}
                         for engine, engine_runs in runs.items()}
        results[task]["runs"] = runs
    return results


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
    weights = [math.cos(i) for i in range(1000)]

    def softmax():  # every output's Jacobian row is read once: a million entries
        ops.dot(weights, ops.softmax(logits)).backward()

    def cross_entropy():
        nn.losses.cross_entropy(logits, 3).backward()

    return {"sum_1e6_s": median_time(big_sum, repeats),
            "softmax_1000_s": median_time(softmax, repeats),
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


# -- 6. where a step goes ------------------------------------------------------------------
def step_parts(make_loss, model: nn.Module, optimizer: nn.optim.Optimizer, repeats: int) -> dict:
    """One training step cut into its parts: forward (with the loss), the topological order,
    the backward loop that follows it, the optimizer's update, and the share of the whole
    step spent in the cyclic GC (the step with the collector on against off)."""
    def step():
        model.zero_grad()
        make_loss().backward()
        optimizer.step()

    total = make_loss()
    fwd = median_time(make_loss, repeats)
    order = median_time(lambda: topological_order(total), repeats)
    bwd = median_time(total.backward, repeats)  # topological order + the loop
    update = median_time(optimizer.step, repeats)
    with_gc = median_time(step, repeats)
    gc.disable()
    try:
        without_gc = median_time(step, repeats)
    finally:
        gc.enable()
    return {"forward_s": fwd, "topological_order_s": order, "backward_loop_s": bwd - order,
            "optimizer_s": update, "step_s": with_gc, "gc_share": 1.0 - without_gc / with_gc,
            "nodes": len(topological_order(total))}


def demo_step_parts(repeats: int, seed: int) -> dict:
    X, y01 = nn.data.make_moons(100, noise=0.1, seed=seed)
    rows, labels = X.tolist(), [2.0 * v - 1.0 for v in y01.tolist()]
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    params = model.parameters()

    def loss():
        scores = [model(row) for row in rows]
        return nn.losses.hinge(scores, labels) + REG * ops.sum([p * p for p in params])

    return step_parts(loss, model, nn.optim.SGD(params, lr=0.01), repeats)


def _digits_tape(batch: int):
    """The default digits model's loss on one sample (its class as a one-hot row), traced, and
    a batch of its inputs."""
    X, y = nn.data.load_digits()
    model = nn.MLP(64, [32, 10], activation="tanh", seed=0)
    targets = np.eye(10)[y]
    start = time.perf_counter()
    tape = trace(lambda x, target: nn.losses.cross_entropy(model(x), target), X[0], targets[0])
    return tape, model, time.perf_counter() - start, (X[:batch], targets[:batch])


def tape_step_parts(repeats: int) -> dict:
    """One digits mini-batch (32 images) on the tape: forward, backward, Adam's update."""
    tape, model, traced, batch = _digits_tape(32)
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    forward = median_time(lambda: tape.forward(*batch), repeats)
    backward = median_time(lambda: tape.backward(reduction="mean"), repeats)
    return {"trace_s": traced, "forward_s": forward, "backward_s": backward,
            "optimizer_s": median_time(optimizer.step, repeats), "nodes": len(tape.nodes)}


def tape_memory(sizes=(32, 256, 1438)) -> dict:
    """tracemalloc's peak over one forward and backward, per batch size: what the tape holds
    for a batch is a value and a gradient per row (an input or a node) and sample."""
    X, _ = nn.data.load_digits()
    results = {}
    for size in sizes:
        tape, _, _, batch = _digits_tape(size)
        batch = (np.resize(batch[0], (size, 64)), np.resize(batch[1], (size, 10)))
        tape.forward(*batch)  # the first pass allocates nothing the later ones would not
        gc.collect()
        tracemalloc.start()
        tape.forward(*batch)
        tape.backward(reduction="mean")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # a row of values and one of gradients per input and per node computed (not the leaves)
        rows = sum(len(a) if isinstance(a, tuple) else 1 for a in tape.inputs) + sum(1 for v in tape.nodes
                                                                                    if v.parents)
        results[size] = {"peak_bytes": peak, "rows": rows, "bytes_per_row_and_sample": peak / (rows * size)}
    return results


def digits_step_parts(repeats: int) -> dict:
    """One mini-batch (32 images) of the default digits run: MLP(64, [32, 10]) with tanh."""
    X, y = nn.data.load_digits()
    rows, labels = X[:32].tolist(), y[:32].tolist()
    model = nn.MLP(64, [32, 10], activation="tanh", seed=0)

    def loss():
        return nn.batch_loss.cross_entropy([model(row) for row in rows], labels)

    return step_parts(loss, model, nn.Adam(model.parameters(), lr=0.01), repeats)


# -- 7. recording make demo's run ----------------------------------------------------------
def recording_costs(repeats: int) -> dict:
    result = json.loads(_spawn([str(HERE / "record_cost.py"), "--repeats", str(repeats)]))
    try:
        import nbclient  # noqa: F401  (the test extra: a Jupyter kernel to watch in)
    except ImportError:
        result["watch"] = None
    else:
        result["watch"] = json.loads(_spawn([str(HERE / "record_cost.py"), "--repeats", str(repeats), "--watch"]))
    return result


def recording_table(r: dict) -> str:
    runs = r["runs"]

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    frames = runs[0]["frames"]
    lines = [
        f"| recording make demo's run (`python -m nn --record training.html`: {frames} frames, one every 5 "
        f"epochs), medians of {len(runs)} | |",
        "|---|---|",
        f"| training without recording / with record=5 (separate runs: the difference is mostly noise) | "
        f"{median('plain_s'):.2f} s / {median('recorded_s'):.2f} s |",
        f"| keeping the frames while training (state, scores, 35 maps of 32 x 32): a frame, and all {frames} as a "
        f"share of the training | "
        f"{1e3 * median('keeping_s') / frames:.1f} ms a frame, "
        f"{100 * statistics.median(run['keeping_s'] / run['recorded_s'] for run in runs):.1f}% |",
        f"| drawing the page: a frame, with / without its backward pass | "
        f"{1e3 * median('page_s') / frames:.0f} ms / {1e3 * median('page_without_passes_s') / frames:.0f} ms a frame |",
        f"| the page's size: a frame, with / without its backward pass | "
        f"{median('page_bytes') / frames / 1e3:.0f} KB / {median('page_without_passes_bytes') / frames / 1e3:.0f} KB "
        f"a frame ({median('page_bytes') / 1e6:.1f} MB in all) |",
    ]
    watch = r["watch"]
    if watch is None:
        lines.append("| watch=True in Jupyter | not measured: needs nbclient (the test extra) |")
    else:
        share = [w["drawing_s"] / (w["watched_s"] - w["drawing_s"]) for w in watch["runs"]]
        lines.append(
            f"| watch=True in a Jupyter kernel: training with record=5 / with watch too; drawing's share of the "
            f"training | {statistics.median(w['recorded_s'] for w in watch['runs']):.2f} s / "
            f"{statistics.median(w['watched_s'] for w in watch['runs']):.2f} s; "
            f"{100 * statistics.median(share):.1f}% (at most {100 * max(share):.1f}%) |")
    return "\n".join(lines)


# -- report ------------------------------------------------------------------------------
def _ms(seconds: float) -> str:
    ms = 1e3 * seconds
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 1 else f"{ms:.2f}"


def _median_and_range(e: dict) -> str:
    return f"{_ms(e['median_s'])} ms ({_ms(min(e['round_medians_s']))}-{_ms(max(e['round_medians_s']))})"


def _engine_cell(d: dict, name: str) -> str:
    if name not in d:
        return "not installed"
    e = d[name]
    cell = _median_and_range(e)
    if "ratio" in e:
        cell += f", {e['ratio']:.0f}x slower ({e['ratio_range'][0]:.0f}x-{e['ratio_range'][1]:.0f}x)"
    return cell


def _parts_row(name: str, p: dict) -> str:
    parts = " / ".join(f"{1e3 * p[key]:.{1 if p[key] >= 1e-3 else 2}f}"
                       for key in ("forward_s", "topological_order_s", "backward_loop_s", "optimizer_s"))
    return (f"| {name} by parts: forward + loss / topological order / backward loop / optimizer "
            f"| {parts} ms ({p['nodes']:,} nodes), {100 * p['gc_share']:.0f}% in the cyclic GC | | |")


def _tape_parts_row(p: dict) -> str:
    return (f"| digits mini-batch of 32 on the tape by parts: trace (once) / forward / backward / Adam "
            f"| {1e3 * p['trace_s']:.0f} / {1e3 * p['forward_s']:.2f} / {1e3 * p['backward_s']:.2f} / "
            f"{1e3 * p['optimizer_s']:.2f} ms ({p['nodes']:,} nodes) | | |")


def _tape_memory_row(m: dict) -> str:
    sizes = list(m)
    peaks = " / ".join(f"{m[b]['peak_bytes'] / 1e6:.2f} MB" for b in sizes)
    per = " / ".join(f"{m[b]['bytes_per_row_and_sample']:.0f}" for b in sizes)
    return (f"| tape memory for one digits batch, forward + backward (tracemalloc's peak), batch of "
            f"{' / '.join(map(str, sizes))} | {peaks}: {per} bytes per row ({m[sizes[0]]['rows']} inputs and "
            f"nodes) and sample | | |")


def table(r: dict) -> str:
    d = r["demo_step"]
    growth = {name: d[name]["last_steps_s"] / d[name]["first_steps_s"] for name in ("chainrule", "micrograd")}
    lines = [
        "| work | chainrule | micrograd 0.1.0 | PyTorch 0-d tensors |",
        "|---|---|---|---|",
        f"| demo training step (moons 100, MLP(2,[16,16,1])): median (range of the rounds' medians) "
        f"| {_engine_cell(d, 'chainrule')} | {_engine_cell(d, 'micrograd')} | {_engine_cell(d, 'torch')} |",
        f"| demo step: last {min(5, d['steps'])} steps against the first {min(5, d['steps'])} "
        f"| {growth['chainrule']:.2f}x | {growth['micrograd']:.2f}x | |",
    ]
    named, unnamed = d["chainrule"], d["chainrule-unnamed"]
    lines.append(f"| naming the nodes nn computes (L0.n1.z, x0, ...): demo step named / unnamed "
                 f"| {_ms(named['median_s'])} / {_ms(unnamed['median_s'])} ms "
                 f"({100 * (named['median_s'] / unnamed['median_s'] - 1):+.1f}%) | | |")
    tape = d["tape"]
    batched = d.get("torch-batched")
    anchor = "not installed" if batched is None else (
        f"{_median_and_range(batched)}; the tape takes {tape['median_s'] / batched['median_s']:.2f}x its time")
    lines.append(f"| demo step on the tape, the 100 points as one batch; PyTorch with batched tensors "
                 f"| {_median_and_range(tape)}, {named['median_s'] / tape['median_s']:.0f}x faster than "
                 f"the scalar step | | {anchor} |")
    for task, g in r["digits"].items():
        scalar, tape = g["scalar"], g["tape"]
        lines.append(f"| `python -m nn --dataset digits --task {task}` ({scalar['epochs']:g} epochs), the whole command: "
                     f"--engine scalar / --engine tape "
                     f"| {scalar['wall_s']:.1f} s / {tape['wall_s']:.2f} s: {scalar['wall_s'] / tape['wall_s']:.1f}x "
                     f"(CPU {scalar['cpu_s']:.1f} s / {tape['cpu_s']:.2f} s: {scalar['cpu_s'] / tape['cpu_s']:.1f}x); "
                     f"training {scalar['seconds']:.1f} s / {tape['seconds']:.2f} s; held-out accuracy "
                     f"{scalar['test_accuracy']:.3f} / {tape['test_accuracy']:.3f} | | |")
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
        f"| softmax of 1,000 logits (1,000 nodes of 1,000 edges), forward + backward of a weighted sum "
        f"| {1e3 * r['wide']['softmax_1000_s']:.0f} ms | | |",
        f"| cross-entropy of 1,000 logits, forward + backward | "
        f"{1e3 * r['wide']['cross_entropy_1000_s']:.1f} ms | | |",
        _parts_row("demo step", r["parts"]["demo"]),
        _parts_row("digits mini-batch of 32", r["parts"]["digits"]),
        _tape_parts_row(r["parts"]["tape"]),
        _tape_memory_row(r["tape_memory"]),
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
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{cpu}, {os.cpu_count()} cores{load}, Python {platform.python_version()}, {platform.system()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the demo step per engine (default 3)")
    parser.add_argument("--steps", type=int, default=20, help="demo steps per round (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the engine-only work (default 5)")
    parser.add_argument("--digits-rounds", type=int, default=2,
                        help="rounds of the digits commands per engine and task (default 2)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--json", type=Path, default=Path("out/bench.json"))
    args = parser.parse_args(argv)
    if mg_engine is None:
        raise SystemExit("micrograd is not installed: run `make bench` (it installs the bench extra)")
    results = {"machine": machine(), "torch": torch.__version__ if torch else None,
               "command": " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])])}
    print(f"machine: {results['machine']}", flush=True)
    engines = ["chainrule", "chainrule-unnamed", "tape", "micrograd"] + (["torch", "torch-batched"] if torch else [])
    results["demo_step"] = demo_step(engines, args.rounds, args.steps, args.seed)
    print(f"demo step: losses agree to {results['demo_step']['max_loss_difference']:.1e}", flush=True)
    results["digits"] = digits_runs(args.digits_rounds)
    results["chain"] = long_chain(1_000_000, max(1, args.repeats // 2))
    results["memory"] = memory(200_000)
    results["micrograd_chain"] = micrograd_chain_backward(20_000)
    results["wide"] = wide_ops(args.repeats)
    results["inference"] = inference(args.repeats, args.seed)
    results["parts"] = {"demo": demo_step_parts(3 * args.repeats, args.seed),
                        "digits": digits_step_parts(3 * args.repeats),
                        "tape": tape_step_parts(100 * args.repeats)}
    results["tape_memory"] = tape_memory()
    results["recording"] = recording_costs(args.repeats // 2 + 1)
    results["machine_after"] = machine()
    print()
    print(table(results))
    print()
    print(recording_table(results["recording"]))
    print(f"\nmachine at the end: {results['machine_after']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
