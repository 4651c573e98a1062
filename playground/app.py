"""What the playground page runs in the browser, through Pyodide: chainrule itself, imported
like any user imports it, with Graphviz routed to viz.js (Graphviz compiled to WebAssembly).

The page's worker calls these functions with plain arguments and gets JSON text back:

* ``run(code)``: run a few lines of Python, differentiate the Value they end with, and
  return ``draw``'s SVG, the named variables' data and grads, or the error and its line;
* ``player()``: ``autograd.animate``'s player page for the last graph run;
* ``explain(name)``: every path from a named variable to the output, with its product;
* ``train_start(...)``, ``train_steps(...)``: a toy MLP of ``nn`` learning, step by step.

It also runs in CPython (the tests do, with Graphviz's ``dot``), so the page and the
desktop give the same numbers for the same code.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import math
import random
import sys
import time
import traceback

import autograd
from autograd import Parameter, Value, animate, draw, explain_paths, ops, paths
from autograd.text import format_number

CODE = "<playground>"  # the file name the editor's code runs under, so its lines are found


def use_graphviz(render) -> None:
    """Draw through ``render(source, engine, format) -> str`` (viz.js in the page): every
    Graphviz run of chainrule goes through ``autograd.render.set_graphviz``."""
    from autograd.render import set_graphviz

    set_graphviz(lambda source, format, engine: viz(render, source, engine, format))


def viz(render, source: str, engine: str, fmt: str) -> str:
    """``render``'s output, as the ``dot`` program would print it: viz.js writes the line breaks
    inside JSON strings (a node's tooltip) as they are, which strict JSON refuses."""
    out = str(render(source, engine, fmt))
    if fmt == "json":
        out = json.dumps(json.loads(out, strict=False))
    return out


# -- the expression ----------------------------------------------------------------------
class _Last:
    """The graph of the last successful run: its output and named variables."""

    root: Value | None = None
    names: dict[str, Value] = {}
    space: dict | None = None  # the namespace the code ran in, released before the next run


def _namespace() -> dict:
    return {"__name__": "__playground__", "Value": Value, "Parameter": Parameter, "ops": ops,
            "math": math, "autograd": autograd}


def _error(exc: BaseException) -> dict:
    """The exception's last line, as Python prints it, and the editor's line it came from."""
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == CODE:
        line = exc.lineno
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == CODE:
            line = frame.lineno
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if isinstance(exc, SyntaxError):  # its own lines repeat the code and a caret: keep the message
        message = f"{type(exc).__name__}: {exc.msg}"
    return {"ok": False, "error": message, "line": line}


def execute(code: str, space: dict | None = None) -> tuple[Value, dict[str, Value]]:
    """Run ``code`` (in ``space``, a fresh namespace if none); return its output Value and
    every top-level name bound to a Value.

    The output is the Value that the code's last assignment names, wherever it is (``L = d * f``
    at the end, or inside a final ``if`` or ``for``), or a last expression (``d * f``), as a
    notebook shows its last line. Names label their Values, unless a label was given.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, got {type(code).__name__}")
    tree = ast.parse(code, CODE)
    body = tree.body
    if body and isinstance(body[-1], ast.Expr):  # a last expression is the output, as in a notebook
        body[-1] = ast.copy_location(ast.Assign([ast.Name("_", ast.Store())], body[-1].value), body[-1])
        ast.fix_missing_locations(tree)
    if space is None:
        space = _namespace()
    exec(compile(tree, CODE, "exec"), space)
    names = {k: v for k, v in space.items() if isinstance(v, Value) and not k.startswith("__")}
    for name, value in names.items():
        if not value.label and name != "_":
            value.label = name
    # Every name the code assigns, in the order of the text: the last one bound to a Value is
    # the output (a loop's own variable counts too, but an assignment after it on its line wins).
    assigned = sorted((node.lineno, node.col_offset, node.id) for node in ast.walk(tree)
                      if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store))
    root = next((space[name] for *_, name in reversed(assigned) if isinstance(space.get(name), Value)), None)
    if root is None:
        raise ValueError("the code made no Value to differentiate: end it with one, e.g. L = a * b")
    names.pop("_", None)
    return root, names


def release(space: dict | None) -> None:
    """Let go of a run's graph one node at a time. Dropped whole, a chain thousands of nodes
    deep is freed by a recursion as deep as the chain, which overflows the browser's stack
    (Pyodide stops for good): so each node's edges are cut first, in an order found without
    recursion, and then every node is freed on its own."""
    if not space:
        return
    roots = []
    for value in list(space.values()):
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple, set)) else (value,)
        roots.extend(v for v in items if isinstance(v, Value))
    known: set = set()
    nodes = [node for root in roots for node in autograd.topological_order(root, known=known)]
    for node in nodes:
        if getattr(node, "parents", None):
            node.parents = ()
            node.local_grads = ()
    space.clear()


OUTPUT_LIMIT = 20_000  # characters of printed output shown; the rest is counted


class _Printed(io.StringIO):
    """What the code prints, up to OUTPUT_LIMIT characters (the rest is only counted)."""

    def __init__(self):
        super().__init__()
        self.dropped = 0

    def write(self, text: str) -> int:
        room = OUTPUT_LIMIT - self.tell()
        if room < len(text):
            self.dropped += len(text) - max(room, 0)
            text = text[:max(room, 0)]
        super().write(text)
        return len(text)

    def text(self) -> str:
        more = f"\n... and {self.dropped:,} more characters" if self.dropped else ""
        return self.getvalue() + more


def run(code: str) -> str:
    """Run ``code``, backpropagate from its output (unless the code did), and draw the graph.
    What the code prints comes back too, as ``output``."""
    _Last.root, _Last.names = None, {}
    release(_Last.space)  # the last run's graph, before anything new is made
    _Last.space = space = _namespace()
    printed = _Printed()
    try:
        with contextlib.redirect_stdout(printed):
            root, names = execute(code, space)
        if root.grad == 0.0:  # the code did not call backward() itself
            root.backward()
        svg = draw(root).pipe(format="svg", encoding="utf-8")
    except BaseException as exc:  # noqa: BLE001 (every error is the learner's to read, exit() too)
        return json.dumps({**_error(exc), "output": printed.text()})
    _Last.root, _Last.names = root, names
    variables = [{"name": name, "data": _number(v.data), "grad": _number(v.grad), "text": repr(v.grad),
                  "data_text": repr(v.data), "data_shown": _shown(v.data), "grad_shown": _shown(v.grad)}
                 for name, v in names.items()]
    return json.dumps({"ok": True, "svg": svg[svg.index("<svg"):], "root": root.label or "output",
                       "variables": variables, "nodes": len(autograd.topological_order(root)),
                       "output": printed.text()})


def _shown(x: float) -> str:
    """A number as the drawings write it (``autograd.text.format_number``), so that the table
    and the paths read as the graph does; tooltips give ``repr``."""
    return format_number(x)


def _number(x: float):
    """A float for JSON: inf and nan as their names (JSON has no such numbers)."""
    return x if math.isfinite(x) else repr(x)


# -- stepping and paths --------------------------------------------------------------------
def player() -> str:
    """The page of ``autograd.animate(root)``: the HTML player's own frames and captions."""
    if _Last.root is None:
        return json.dumps({"ok": False, "error": "run an expression first"})
    try:
        made = animate(_Last.root)
        return json.dumps({"ok": True, "html": made.html(), "captions": made.captions})
    except Exception as exc:  # noqa: BLE001
        return json.dumps(_error(exc))


MAX_PATHS = 200  # paths listed at most: their number grows exponentially with depth


def explain(name: str) -> str:
    """Every path from the variable ``name`` to the output, its product, and their sum."""
    if _Last.root is None:
        return json.dumps({"ok": False, "error": "run an expression first"})
    if name not in _Last.names:
        return json.dumps({"ok": False, "error": f"no variable named {name!r}; the variables are "
                                                 f"{', '.join(_Last.names) or 'none'}"})
    wrt, root = _Last.names[name], _Last.root
    count = autograd.count_paths(root, wrt)
    if count > MAX_PATHS:  # the engine's own message says to pass max_paths, which the page cannot
        return json.dumps({"ok": False, "error": f"{count:,} paths lead from {name} to the output, more than the "
                                                 f"{MAX_PATHS} this page lists: choose a variable nearer the output"})
    try:
        found = paths(root, wrt, max_paths=MAX_PATHS)
        text = explain_paths(root, wrt, max_paths=MAX_PATHS)
    except Exception as exc:  # noqa: BLE001
        return json.dumps(_error(exc))
    (by_backprop,) = autograd.grad(root, [wrt])
    total = math.fsum(p.product for p in found)
    return json.dumps({"ok": True, "text": text, "grad": _number(by_backprop), "grad_shown": _shown(by_backprop),
                       "sum": _number(total), "sum_shown": _shown(total),
                       "paths": [{"route": p.route(), "product": _number(p.product), "product_shown": _shown(p.product),
                                  "edges": [_number(e) for e in p.edges], "edges_shown": [_shown(e) for e in p.edges]}
                                 for p in found]})


# -- training a toy MLP ------------------------------------------------------------------------
DATASETS = ("moons", "circles", "xor", "spirals")
GRID = 20  # the decision boundary is drawn from a GRID x GRID map of the model's classes


class Trainer:
    """A toy MLP of ``nn`` learning a 2-D dataset of ``nn.data``, one SGD step at a time.

    The model is ``nn.MLP(2, [*hidden, k])`` (k classes, a linear last layer), the loss
    ``nn.batch_loss.cross_entropy``, the optimizer ``nn.SGD``. Each epoch visits the samples
    in an order shuffled by ``random.Random(seed)``, in batches of ``batch_size`` (the last
    may be smaller). The same arguments give the same weights in CPython and in the page.
    """

    def __init__(self, dataset: str = "moons", hidden=(8, 8), activation: str = "tanh", lr: float = 0.1,
                 batch_size: int = 16, seed: int = 0, samples: int = 200):
        from nn import MLP, SGD, data

        if dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")
        hidden = list(hidden)
        if len(hidden) > 4 or any(isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 32 for h in hidden):
            raise ValueError(f"hidden must be up to 4 layer sizes from 1 to 32, got {hidden!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        make = {"moons": data.make_moons, "circles": data.make_circles, "xor": data.make_xor,
                "spirals": data.make_spirals}[dataset]
        X, y = make(n_samples=samples, seed=seed)
        self.rows = [tuple(float(v) for v in row) for row in X]
        self.classes = [int(c) for c in y]
        self.k = max(self.classes) + 1
        self.model = MLP(2, [*hidden, self.k], activation=activation, seed=seed)
        self.optimizer = SGD(self.model.parameters(), lr=lr)
        self.batch_size = batch_size
        self.shuffle = random.Random(seed)
        self.order: list[int] = []
        self.steps = 0
        self.epoch = 0
        self.losses: list[float] = []

    def step(self) -> float:
        """One SGD step on the next batch; returns its loss (before the step)."""
        from nn import batch_loss

        if not self.order:
            self.order = list(range(len(self.rows)))
            self.shuffle.shuffle(self.order)
            self.epoch += 1
        batch, self.order = self.order[: self.batch_size], self.order[self.batch_size :]
        outputs = [self.model(self.rows[i]) for i in batch]
        loss = batch_loss.cross_entropy(outputs, [self.classes[i] for i in batch])
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self.losses.append(loss.data)
        return loss.data

    def weights(self) -> list[float]:
        return [p.data for p in self.model.parameters()]

    def _scores(self, point) -> list[float]:
        out = self.model(point)
        return [v.data for v in (out if isinstance(out, list) else [out])]

    def view(self, new_losses: list[float]) -> dict:
        """What the page draws: the class map over the plane, the points, the loss, the network."""
        from nn import draw_network

        xs = [r[0] for r in self.rows]
        ys = [r[1] for r in self.rows]
        pad_x, pad_y = 0.15 * (max(xs) - min(xs)), 0.15 * (max(ys) - min(ys))
        box = (min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y)
        grid = []
        with autograd.no_grad():
            for j in range(GRID):
                y = box[3] - (j + 0.5) * (box[3] - box[2]) / GRID
                for i in range(GRID):
                    x = box[0] + (i + 0.5) * (box[1] - box[0]) / GRID
                    scores = self._scores((x, y))
                    top = max(scores)
                    total = sum(math.exp(s - top) for s in scores)
                    best = scores.index(top)
                    grid.append([best, round(1.0 / total, 3)])  # the class and its softmax probability
            right = sum(self._argmax(self._scores(r)) == c for r, c in zip(self.rows, self.classes))
        svg = draw_network(self.model, legend=False).pipe(format="svg", encoding="utf-8")
        return {"ok": True, "steps": self.steps, "epoch": self.epoch, "new_losses": new_losses,
                "accuracy": right / len(self.rows), "grid": grid, "size": GRID, "box": box, "k": self.k,
                "points": [[r[0], r[1], c] for r, c in zip(self.rows, self.classes)],
                "network": svg[svg.index("<svg"):]}

    @staticmethod
    def _argmax(scores: list[float]) -> int:
        return scores.index(max(scores))


class _Training:
    trainer: Trainer | None = None


def train_start(options: str) -> str:
    """A new ``Trainer`` from the page's options (JSON); returns its first view."""
    try:
        given = json.loads(options)
        given.pop("run", None)
        _Training.trainer = Trainer(**given)
        return json.dumps(_Training.trainer.view([]))
    except Exception as exc:  # noqa: BLE001
        _Training.trainer = None
        return json.dumps({"ok": False, "error": "".join(traceback.format_exception_only(type(exc), exc)).strip()})


def train_for(milliseconds: float) -> str:
    """Train for about ``milliseconds``, then return the view (at least one step is taken)."""
    trainer = _Training.trainer
    if trainer is None:
        return json.dumps({"ok": False, "error": "start training first"})
    first = len(trainer.losses)
    deadline = time.perf_counter() + milliseconds / 1000
    try:
        trainer.step()
        while time.perf_counter() < deadline:
            trainer.step()
        if not math.isfinite(trainer.losses[-1]):
            raise FloatingPointError(f"the loss is {trainer.losses[-1]} at step {trainer.steps}: "
                                     "the learning rate is too large")
    except Exception as exc:  # noqa: BLE001
        return json.dumps({"ok": False, "error": "".join(traceback.format_exception_only(type(exc), exc)).strip()})
    return json.dumps(trainer.view(trainer.losses[first:]))


def train_steps(steps: int) -> str:
    """Take exactly ``steps`` steps and return every parameter's value (what the tests compare)."""
    trainer = _Training.trainer
    if trainer is None:
        return json.dumps({"ok": False, "error": "start training first"})
    for _ in range(steps):
        trainer.step()
    return json.dumps({"ok": True, "steps": trainer.steps, "weights": trainer.weights(),
                       "losses": trainer.losses})


if __name__ == "__main__":  # run a file as the page would, with Graphviz's dot
    print(run(open(sys.argv[1], encoding="utf-8").read()))
