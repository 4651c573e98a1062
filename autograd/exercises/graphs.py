"""The graphs a grader tries answers on: where the usual mistakes show.

A graph is a ``Program``: a few inputs, then steps that each apply one op to earlier
results or to a constant. The same program runs on this project's ``Value`` (the oracle) and
on a learner's class, so the two graphs match node for node. Random programs pick each
step's inputs from all earlier results, which gives skip connections (paths of unequal
length), shared subexpressions, ``a * a`` and diamonds; constants stand on both sides.
Every value stays in a range where each op is smooth and far from a kink.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ..value import Value

# How each op is written in Python, and the special method that makes it work: a learner's
# class that lacks the method fails exactly there, and the grader can say which to write.
SPELLING = {
    "add": ("a + b", "__add__"), "sub": ("a - b", "__sub__"), "mul": ("a * b", "__mul__"),
    "div": ("a / b", "__truediv__"),
    "add_const": ("a + 2", "__add__"), "sub_const": ("a - 2", "__sub__"),
    "mul_const": ("a * 2", "__mul__"), "div_const": ("a / 2", "__truediv__"),
    "const_add": ("2 + a", "__radd__"), "const_sub": ("2 - a", "__rsub__"),
    "const_mul": ("2 * a", "__rmul__"), "const_div": ("2 / a", "__rtruediv__"),
    "pow": ("a ** 3", "__pow__"), "neg": ("-a", "__neg__"),
    "tanh": ("a.tanh()", "tanh"), "exp": ("a.exp()", "exp"), "relu": ("a.relu()", "relu"),
    "sin": ("a.sin()", "sin"), "cos": ("a.cos()", "cos"), "log": ("a.log()", "log"),
    "sigmoid": ("a.sigmoid()", "sigmoid"),
}
VALUE_OPS = ("add", "sub", "mul", "div", "add_const", "sub_const", "mul_const", "div_const",
             "const_add", "const_sub", "const_mul", "const_div", "pow", "neg", "tanh", "exp", "relu")
ENGINE_OPS = VALUE_OPS + ("sin", "cos", "log", "sigmoid")
BINARY = frozenset({"add", "sub", "mul", "div"})


# Each op as a learner writes it, on ``a`` (and ``b``, or the constant ``c``); the ops not
# here are methods: ``a.tanh()``.
_WRITTEN = {
    "add": lambda a, b, c: a + b, "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b, "div": lambda a, b, c: a / b,
    "add_const": lambda a, b, c: a + c, "sub_const": lambda a, b, c: a - c,
    "mul_const": lambda a, b, c: a * c, "div_const": lambda a, b, c: a / c,
    "const_add": lambda a, b, c: c + a, "const_sub": lambda a, b, c: c - a,
    "const_mul": lambda a, b, c: c * a, "const_div": lambda a, b, c: c / a,
    "pow": lambda a, b, c: a ** c, "neg": lambda a, b, c: -a,
}


def apply(op: str, a, b=None, c: float = 0.0):
    """Op ``op`` on ``a`` (and ``b``, or the constant ``c``), written as a learner writes it."""
    written = _WRITTEN.get(op)
    return written(a, b, c) if written else getattr(a, op)()


@dataclass(frozen=True)
class Step:
    op: str
    a: int
    b: int | None = None
    c: float = 0.0

    def text(self) -> str:
        """The step in Python, with results named v0, v1, ... (``v5 = v2 * v2``)."""
        a, b, c = f"v{self.a}", f"v{self.b}", repr(self.c)
        forms = {"add": f"{a} + {b}", "sub": f"{a} - {b}", "mul": f"{a} * {b}", "div": f"{a} / {b}",
                 "add_const": f"{a} + {c}", "sub_const": f"{a} - {c}", "mul_const": f"{a} * {c}",
                 "div_const": f"{a} / {c}", "const_add": f"{c} + {a}", "const_sub": f"{c} - {a}",
                 "const_mul": f"{c} * {a}", "const_div": f"{c} / {a}", "pow": f"{a} ** {c}", "neg": f"-{a}"}
        return forms.get(self.op, f"{a}.{self.op}()")


@dataclass(frozen=True)
class Program:
    """``inputs`` leaves, then ``steps``; the last result is the output."""

    name: str
    inputs: tuple[float, ...]
    steps: tuple[Step, ...]

    def run(self, make, apply_op=apply) -> list:
        """Every result, inputs first, with leaves made by ``make(x)`` (a class, say)."""
        results = [make(x) for x in self.inputs]
        for s in self.steps:
            results.append(apply_op(s.op, results[s.a], None if s.b is None else results[s.b], s.c))
        return results

    def describe(self) -> str:
        """The program as the lines of Python it runs, for a hint that names a node."""
        head = ", ".join(f"v{i}" for i in range(len(self.inputs)))
        lines = [f"{head} = {', '.join(repr(x) for x in self.inputs)}"]
        lines += [f"v{len(self.inputs) + i} = {s.text()}" for i, s in enumerate(self.steps)]
        return "; ".join(lines)


def _float(op: str, a: float, b: float | None, c: float) -> float:
    return apply(op, Value(a), None if b is None else Value(b), c).data


def _fits(op: str, a: float, b: float | None, c: float) -> bool:
    """Whether the op is smooth at these inputs and its result stays of moderate size."""
    if op == "div" and abs(b) < 0.3 or op == "const_div" and abs(a) < 0.3:
        return False
    if op == "exp" and a > 2.5 or op == "log" and a < 0.2:
        return False
    if op == "relu" and abs(a) < 0.05:
        return False  # relu's kink: where conventions differ, no answer is tested
    if op == "pow" and (a < 0.2 and c != int(c) or abs(a) < 0.3 and c < 0):
        return False
    y = _float(op, a, b, c)
    return math.isfinite(y) and 0.01 < abs(y) < 30.0


def random_program(rng: random.Random, ops: tuple[str, ...], size: int, name: str,
                   must: str | None = None, inputs: int = 3) -> Program:
    """A program of ``size`` steps over ``inputs`` leaves, the op ``must`` among them.

    Inputs of a step are drawn from every earlier result, more often recent ones, so some
    paths to the output are long and some short; now and then a step uses one result twice.
    The last steps add earlier results into the output, so most nodes reach it.
    """
    values = [rng.choice((-1, 1)) * rng.uniform(0.4, 1.8) for _ in range(inputs)]
    steps: list[Step] = []
    todo = [must] if must else []
    for k in range(size):
        n = len(values)
        for _ in range(100):
            op = todo.pop() if todo else rng.choice(ops)
            a = max(0, n - 1 - int(rng.expovariate(0.5)))
            if k == size - 1:
                a = n - 1
            b = rng.randrange(n) if rng.random() < 0.7 else a  # a * a, a + a, now and then
            b = b if op in BINARY else None
            c = rng.choice((2.0, 3.0, -1.0, 0.5, 1.5)) if op == "pow" else rng.choice((-2.5, -0.5, 0.7, 1.5, 3.0))
            if _fits(op, values[a], None if b is None else values[b], c):
                break
            op = "tanh"  # always fits: the next try starts afresh
            b = None
            if _fits(op, values[a], None, c):
                break
        steps.append(Step(op, a, b, c))
        values.append(_float(op, values[a], None if b is None else values[b], c))
    return Program(name, tuple(values[:inputs]), tuple(steps))


def _program(name: str, inputs, *steps) -> Program:
    return Program(name, tuple(inputs), tuple(Step(*s) for s in steps))


def fixed_programs(ops: tuple[str, ...]) -> list[Program]:
    """Small graphs where one mistake each shows clearly, named for the hint."""
    found = [
        _program("a * a", [1.5], ("mul", 0, 0)),
        _program("a + a", [0.7], ("add", 0, 0)),
        # Two paths of unequal length from v1 to the output: an order that is not
        # topological (reversed breadth-first search, say) sends from v1 too early.
        _program("v1 = tanh(v0); v4 = v1 * tanh(exp(v1))", [0.8], ("tanh", 0), ("exp", 1), ("tanh", 2), ("mul", 1, 3)),
        _program("a diamond", [0.3], ("tanh", 0), ("exp", 0), ("mul", 1, 2)),
        _program("three stacked diamonds", [0.4], ("tanh", 0), ("exp", 0), ("add", 1, 2), ("tanh", 3),
                 ("exp", 3), ("mul", 4, 5), ("tanh", 6), ("mul_const", 6, 0, 0.5), ("mul", 7, 8)),
        _program("a skip connection over a chain", [0.6], ("tanh", 0), ("tanh", 1), ("tanh", 2), ("tanh", 3),
                 ("add", 4, 0)),
        _program("constants on both sides", [1.3], ("const_mul", 0, None, 2.0), ("sub_const", 1, None, 0.5),
                 ("const_sub", 2, None, 3.0), ("mul", 3, 0)),
    ]
    if "sin" in ops:
        found.append(_program("v1 = sin(v0); v4 = v1 * tanh(exp(v1))", [0.9], ("sin", 0), ("exp", 1), ("tanh", 2),
                              ("mul", 1, 3)))
    return found


def graphs_for(ops: tuple[str, ...], seed: int, count: int) -> list[Program]:
    """The fixed graphs, then ``count`` random ones, every op of ``ops`` in at least one."""
    rng = random.Random(seed)
    found = fixed_programs(ops)
    for i in range(count):
        found.append(random_program(rng, ops, rng.randint(6, 18), f"random graph {i + 1}", must=ops[i % len(ops)]))
    return found


def deep_chain(depth: int = 2000) -> Program:
    """A chain ``depth`` ops long: a recursive walk over it passes Python's recursion limit."""
    steps = [("mul_const", i, None, 0.999) if i % 2 == 0 else ("add_const", i, None, 0.001) for i in range(depth)]
    return _program(f"a chain {depth} ops deep", [0.5], *steps)
