"""The graders of ``autograd.exercises.grade`` against a catalogue of answers learners write.

The catalogue is data: each answer is the text of a notebook cell, as a learner types it,
with the task it answers and, for a wrong one, the words that name its mistake. Every right
answer (several per task, in genuinely different styles) must pass; a recursive one must
pass with a note about recursion. Every wrong one must be refused with its mistake named in
the hint. The tests rely on no other wording of the graders.

Wrong answers are mostly a right answer with one line changed (``variant``), as a learner's
mistake is: one ``=`` for ``+=``, one missing ``reversed``.
"""

from __future__ import annotations

import math
import random
import textwrap
from dataclasses import dataclass

import numpy as np
import pytest

from autograd import Value
from autograd import grad as engine_grad
from autograd import topological_order as engine_order
from autograd.exercises import FILL, TASKS, grade
from autograd.exercises.grading import LOG

# The name each task's cell defines: what the notebook then hands to ``grade``.
DEFINES = {"value": "Value", "topological_order": "topological_order", "backward": "backward", "mlp": "MLP",
           "sgd_step": "sgd_step", "layer_backward": "layer_backward"}

# What a notebook has imported before the learner's cells.
PRELUDE = "import math\nimport random\n\nimport numpy as np\n"


@dataclass(frozen=True)
class Answer:
    """A learner's cell: ``code`` defines ``DEFINES[task]``. A wrong answer names its mistake
    with ``phrases`` (each must be in the hint, case-insensitive); a right one may be
    ``recursive`` (it passes with a note about recursion)."""

    task: str
    name: str
    code: str
    phrases: tuple[str, ...] = ()
    recursive: bool = False

    def load(self):
        namespace = {"__name__": "notebook"}
        exec(compile(PRELUDE + self.code, f"<{self.task}: {self.name}>", "exec"), namespace)
        return namespace[DEFINES[self.task]]


def cell(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


def block(text: str, indent: int) -> str:
    """A fragment of a cell, at ``indent`` spaces."""
    return textwrap.indent(cell(text), " " * indent)


def variant(base: str, *edits: tuple[str, str]) -> str:
    """``base`` with each ``(old, new)`` replaced; ``old`` must occur exactly once."""
    for old, new in edits:
        assert base.count(old) == 1, f"{old!r} occurs {base.count(old)} times"
        base = base.replace(old, new)
    return base


def right(task: str, name: str, code: str, *, recursive: bool = False) -> Answer:
    return Answer(task, name, code, recursive=recursive)


def wrong(task: str, name: str, code: str, *phrases: str) -> Answer:
    assert phrases, name
    return Answer(task, name, code, phrases)


# ================================================================================================
# value: a Value class of the learner's own
# ================================================================================================

# The micrograd lecture's design: each op's output keeps a closure that sends its gradient back.
VALUE_CLOSURES = cell('''
    class Value:
        def __init__(self, data, _children=()):
            self.data = data
            self.grad = 0
            self._backward = lambda: None
            self._prev = _children

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other))

            def _backward():
                self.grad += out.grad
                other.grad += out.grad
            out._backward = _backward
            return out

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other))

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            out._backward = _backward
            return out

        def __pow__(self, other):
            assert isinstance(other, (int, float)), "only int/float powers"
            out = Value(self.data ** other, (self,))

            def _backward():
                self.grad += other * self.data ** (other - 1) * out.grad
            out._backward = _backward
            return out

        def tanh(self):
            t = math.tanh(self.data)
            out = Value(t, (self,))

            def _backward():
                self.grad += (1 - t ** 2) * out.grad
            out._backward = _backward
            return out

        def exp(self):
            out = Value(math.exp(self.data), (self,))

            def _backward():
                self.grad += out.data * out.grad
            out._backward = _backward
            return out

        def relu(self):
            out = Value(0 if self.data < 0 else self.data, (self,))

            def _backward():
                self.grad += (out.data > 0) * out.grad
            out._backward = _backward
            return out

        def backward(self):
            topo, visited, stack = [], set(), [(self, False)]
            while stack:
                v, expanded = stack.pop()
                if expanded:
                    topo.append(v)
                elif v not in visited:
                    visited.add(v)
                    stack.append((v, True))
                    for child in v._prev:
                        stack.append((child, False))
            self.grad = 1
            for v in reversed(topo):
                v._backward()

        def __neg__(self):
            return self * -1

        def __radd__(self, other):
            return self + other

        def __sub__(self, other):
            return self + (-other)

        def __rsub__(self, other):
            return other + (-self)

        def __rmul__(self, other):
            return self * other

        def __truediv__(self, other):
            return self * other ** -1

        def __rtruediv__(self, other):
            return other * self ** -1
''')

CLOSURES_ITERATIVE_TOPO = block('''
            topo, visited, stack = [], set(), [(self, False)]
            while stack:
                v, expanded = stack.pop()
                if expanded:
                    topo.append(v)
                elif v not in visited:
                    visited.add(v)
                    stack.append((v, True))
                    for child in v._prev:
                        stack.append((child, False))
''', 8)

# micrograd exactly: a recursive build_topo (a chain 2,000 deep passes Python's recursion limit).
VALUE_CLOSURES_RECURSIVE = variant(VALUE_CLOSURES, (CLOSURES_ITERATIVE_TOPO, block('''
            topo = []
            visited = set()

            def build_topo(v):
                if v not in visited:
                    visited.add(v)
                    for child in v._prev:
                        build_topo(child)
                    topo.append(v)
            build_topo(self)
''', 8)))

# Each node keeps its parents and the local derivative of each edge; one loop backpropagates.
VALUE_LOCALS = cell('''
    class Value:
        def __init__(self, data, parents=(), local_grads=()):
            self.data = float(data)
            self.grad = 0.0
            self.parents = parents
            self.local_grads = local_grads

        @staticmethod
        def lift(x):
            return x if isinstance(x, Value) else Value(x)

        def __add__(self, other):
            other = Value.lift(other)
            return Value(self.data + other.data, (self, other), (1.0, 1.0))

        __radd__ = __add__

        def __sub__(self, other):
            other = Value.lift(other)
            return Value(self.data - other.data, (self, other), (1.0, -1.0))

        def __rsub__(self, other):
            return Value.lift(other) - self

        def __mul__(self, other):
            other = Value.lift(other)
            return Value(self.data * other.data, (self, other), (other.data, self.data))

        __rmul__ = __mul__

        def __truediv__(self, other):
            other = Value.lift(other)
            return Value(self.data / other.data, (self, other), (1 / other.data, -self.data / other.data ** 2))

        def __rtruediv__(self, other):
            return Value.lift(other) / self

        def __pow__(self, n):
            return Value(self.data ** n, (self,), (n * self.data ** (n - 1),))

        def __neg__(self):
            return Value(-self.data, (self,), (-1.0,))

        def tanh(self):
            t = math.tanh(self.data)
            return Value(t, (self,), (1 - t * t,))

        def exp(self):
            e = math.exp(self.data)
            return Value(e, (self,), (e,))

        def relu(self):
            return Value(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,))

        def backward(self):
            order, seen, stack = [], set(), [(self, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    order.append(node)
                elif node not in seen:
                    seen.add(node)
                    stack.append((node, True))
                    stack.extend((p, False) for p in node.parents)
            self.grad = 1.0
            for node in reversed(order):
                for parent, local in zip(node.parents, node.local_grads):
                    parent.grad += local * node.grad
''')

LOCALS_TOPO = block('''
            order, seen, stack = [], set(), [(self, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    order.append(node)
                elif node not in seen:
                    seen.add(node)
                    stack.append((node, True))
                    stack.extend((p, False) for p in node.parents)
''', 8)

# Sub and division written as ops of their own, and Kahn's algorithm for the order.
VALUE_LOCALS_KAHN = variant(VALUE_LOCALS, (LOCALS_TOPO, block('''
            users, found, todo = {}, {self}, [self]
            while todo:
                node = todo.pop()
                for p in node.parents:
                    users[p] = users.get(p, 0) + 1
                    if p not in found:
                        found.add(p)
                        todo.append(p)
            ready, order = [self], []
            while ready:
                node = ready.pop()
                order.append(node)
                for p in node.parents:
                    users[p] -= 1
                    if users[p] == 0:
                        ready.append(p)
            order.reverse()
''', 8)))

VALUE_RIGHT = [
    right("value", "micrograd closures, iterative topological sort", VALUE_CLOSURES),
    right("value", "parents + local_grads, one backward loop", VALUE_LOCALS),
    right("value", "parents + local_grads, Kahn's order", VALUE_LOCALS_KAHN),
    right("value", "micrograd closures, recursive build_topo", VALUE_CLOSURES_RECURSIVE, recursive=True),
]

VALUE_WRONG = [
    wrong("value", "add assigns grad", variant(VALUE_CLOSURES, (
        "            self.grad += out.grad\n            other.grad += out.grad\n",
        "            self.grad = out.grad\n            other.grad = out.grad\n")),
        "assigning instead of accumulating"),
    wrong("value", "mul assigns grad", variant(VALUE_CLOSURES, (
        "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
        "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad")),
        "assigning instead of accumulating"),
    wrong("value", "mul forgets out.grad", variant(VALUE_CLOSURES, (
        "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
        "self.grad += other.data\n            other.grad += self.data")),
        "forgetting the upstream gradient"),
    wrong("value", "locals design: backward forgets node.grad", variant(VALUE_LOCALS, (
        "parent.grad += local * node.grad", "parent.grad += local")),
        "forgetting the upstream gradient"),
    wrong("value", "mul uses its own operand", variant(VALUE_CLOSURES, (
        "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
        "self.grad += self.data * out.grad\n            other.grad += other.data * out.grad")),
        "wrong operand"),
    wrong("value", "tanh' from the input", variant(VALUE_CLOSURES, (
        "self.grad += (1 - t ** 2) * out.grad", "self.grad += (1 - self.data ** 2) * out.grad")),
        "tanh' computed from the input"),
    wrong("value", "tanh' without the square", variant(VALUE_LOCALS, ("(1 - t * t,)", "(1 - t,)")),
        "a missing factor"),
    wrong("value", "exp sends out.grad only", variant(VALUE_CLOSURES, (
        "self.grad += out.data * out.grad", "self.grad += out.grad")),
        "a missing factor"),
    wrong("value", "pow forgets the n", variant(VALUE_CLOSURES, (
        "self.grad += other * self.data ** (other - 1) * out.grad",
        "self.grad += self.data ** (other - 1) * out.grad")),
        "a missing factor"),
    wrong("value", "locals design: pow forgets the n", variant(VALUE_LOCALS, (
        "(n * self.data ** (n - 1),)", "(self.data ** (n - 1),)")), "a missing factor"),
    wrong("value", "relu passes the gradient through always", variant(VALUE_CLOSURES, (
        "self.grad += (out.data > 0) * out.grad", "self.grad += out.grad")),
        "relu's off side"),
    wrong("value", "backward does not seed the output", variant(VALUE_CLOSURES, (
        "        self.grad = 1\n", ""),
    ), "the root not seeded"),
    wrong("value", "sub with the wrong sign for b", variant(VALUE_LOCALS, ("(1.0, -1.0)", "(1.0, 1.0)")),
          "a wrong sign"),
    wrong("value", "division: d/db with the wrong sign", variant(VALUE_LOCALS, (
        "-self.data / other.data ** 2", "self.data / other.data ** 2")),
        "a wrong sign"),
    wrong("value", "no __rmul__", variant(VALUE_CLOSURES, (
        "    def __rmul__(self, other):\n        return self * other\n\n", "")),
        "__rmul__"),
    wrong("value", "no __radd__", variant(VALUE_CLOSURES, (
        "    def __radd__(self, other):\n        return self + other\n\n", "")),
        "__radd__"),
    wrong("value", "no __rsub__", variant(VALUE_LOCALS, (
        "    def __rsub__(self, other):\n        return Value.lift(other) - self\n\n", "")),
        "__rsub__"),
    wrong("value", "no __rtruediv__", variant(VALUE_LOCALS, (
        "    def __rtruediv__(self, other):\n        return Value.lift(other) / self\n\n", "")),
        "__rtruediv__"),
    wrong("value", "relu not written yet", variant(VALUE_CLOSURES, (
        "        out = Value(0 if self.data < 0 else self.data, (self,))\n",
        "        raise NotImplementedError\n        out = None\n")),
        "not answered yet"),
    wrong("value", "backward walks the order inputs first", variant(VALUE_CLOSURES, (
        "for v in reversed(topo):", "for v in topo:")),
        "not topological"),
    wrong("value", "locals design: backward walks the order inputs first", variant(VALUE_LOCALS, (
        "for node in reversed(order):", "for node in order:")), "not topological"),
    wrong("value", "backward walks breadth-first from the output", variant(VALUE_LOCALS, (LOCALS_TOPO, block('''
            order, seen, queue = [self], {self}, [self]
            while queue:
                node = queue.pop(0)
                for p in node.parents:
                    if p not in seen:
                        seen.add(p)
                        order.append(p)
                        queue.append(p)
            order.reverse()
    ''', 8))), "not topological"),
    wrong("value", "recursive build_topo without a visited set", variant(VALUE_CLOSURES, (
        CLOSURES_ITERATIVE_TOPO, block('''
            topo = []

            def build_topo(v):
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
            build_topo(self)
    ''', 8))), "a node visited twice"),
    # Found in review: a reflected operator written with the operands swapped calls itself (2 + a asks
    # a.__radd__(2), which computes 2 + a again): a runaway recursion, not a deep graph.
    wrong("value", "__radd__ returns other + self", variant(VALUE_CLOSURES, (
        "    def __radd__(self, other):\n        return self + other\n",
        "    def __radd__(self, other):\n        return other + self\n")), "__radd__"),
    wrong("value", "__rsub__ returns other - self", variant(VALUE_CLOSURES, (
        "return other + (-self)", "return other - self")), "__rsub__"),
]

# ================================================================================================
# topological_order: every node the root depends on, each after its parents
# ================================================================================================

TOPO_DFS = cell('''
    def topological_order(root):
        order, seen, stack = [], set(), [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                for parent in node.parents:
                    stack.append((parent, False))
        return order
''')

# Kahn's algorithm: count each node's consumers (one per edge), then take nodes from the output
# whose consumers are all taken; reversed, that is inputs first.
TOPO_KAHN = cell('''
    def topological_order(root):
        consumers, found, todo = {}, {root}, [root]
        while todo:
            node = todo.pop()
            for parent in node.parents:
                consumers[parent] = consumers.get(parent, 0) + 1
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        ready, order = [root], []
        while ready:
            node = ready.pop()
            order.append(node)
            for parent in node.parents:
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)
        return order[::-1]
''')

TOPO_RECURSIVE = cell('''
    def topological_order(root):
        order, visited = [], set()

        def visit(node):
            if node in visited:
                return
            visited.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)

        visit(root)
        return order
''')

TOPO_RIGHT = [
    right("topological_order", "iterative DFS with a stack", TOPO_DFS),
    right("topological_order", "Kahn's algorithm counting consumers", TOPO_KAHN),
    right("topological_order", "recursive DFS", TOPO_RECURSIVE, recursive=True),
    right("topological_order", "a generator", cell('''
        def topological_order(root):
            placed, stack = set(), [root]
            while stack:
                node = stack[-1]
                waiting = [p for p in node.parents if p not in placed]
                if waiting:
                    stack.append(waiting[0])
                else:
                    stack.pop()
                    if node not in placed:
                        placed.add(node)
                        yield node
    ''')),
]

# Found in review: a generator that recurses (``yield from``). The grader consumes it with list(), outside
# the call it guards, so the RecursionError of the deep chain must still be told as a note.
TOPO_GENERATOR_RECURSIVE = cell('''
    def topological_order(root):
        seen = set()

        def visit(node):
            if node in seen:
                return
            seen.add(node)
            for parent in node.parents:
                yield from visit(parent)
            yield node

        return visit(root)
''')

TOPO_RIGHT += [
    right("topological_order", "a recursive generator (yield from)", TOPO_GENERATOR_RECURSIVE, recursive=True),
]

TOPO_WRONG = [
    wrong("topological_order", "breadth-first from the output, reversed", cell('''
        def topological_order(root):
            order, seen, queue = [], {root}, [root]
            while queue:
                node = queue.pop(0)
                order.append(node)
                for parent in node.parents:
                    if parent not in seen:
                        seen.add(parent)
                        queue.append(parent)
            return order[::-1]
    '''), "not topological"),
    wrong("topological_order", "nodes as first seen (preorder), reversed", cell('''
        def topological_order(root):
            order, seen, stack = [], set(), [root]
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                order.append(node)
                stack.extend(node.parents)
            return order[::-1]
    '''), "not topological"),
    wrong("topological_order", "Kahn's, output first (not reversed)", variant(TOPO_KAHN, (
        "return order[::-1]", "return order")), "starts with the output"),
    wrong("topological_order", "DFS without a visited set", variant(TOPO_DFS, (
        "        elif node not in seen:\n            seen.add(node)\n            stack",
        "        else:\n            stack")), "a node visited twice"),
    wrong("topological_order", "only nodes with parents are placed", variant(TOPO_DFS, (
        "        if expanded:\n            order.append(node)",
        "        if expanded:\n            if node.parents:\n                order.append(node)")),
        "leaves missing"),
    wrong("topological_order", "the root is never placed", cell('''
        def topological_order(root):
            order, seen = [], set()

            def visit(node):
                for parent in node.parents:
                    if parent not in seen:
                        seen.add(parent)
                        visit(parent)
                        order.append(parent)

            visit(root)
            return order
    '''), "root", "missing"),
    wrong("topological_order", "Kahn's, one decrement per distinct parent", variant(TOPO_KAHN, (
        "        for parent in node.parents:\n            consumers[parent] -= 1",
        "        for parent in set(node.parents):\n            consumers[parent] -= 1")), "missing"),
    wrong("topological_order", "returns order.reverse() (None)", variant(TOPO_KAHN, (
        "return order[::-1]", "return order.reverse()")), "returned None"),
    wrong("topological_order", "forgot the return", variant(TOPO_DFS, ("    return order\n", ""),),
          "returned None"),
    wrong("topological_order", "micrograd's _prev", variant(TOPO_DFS, (
        "for parent in node.parents:", "for parent in node._prev:")), "AttributeError"),
    wrong("topological_order", "labels instead of nodes", variant(TOPO_DFS, (
        "    return order\n", "    return [node.label for node in order]\n")), "Value objects"),
    # Found in review: an error raised while the generator runs surfaces in the grader's list(), not in the call.
    wrong("topological_order", "a generator with a typo", variant(TOPO_GENERATOR_RECURSIVE, (
        "        yield node\n", "        yield nod\n")), "NameError"),
    wrong("topological_order", "not written yet", cell('''
        def topological_order(root):
            order = []
            raise NotImplementedError("TODO: visit the parents")
    '''), "not answered yet"),
]

# ================================================================================================
# backward: on this project's graph, from .parents and .local_grads
# ================================================================================================

BACKWARD_LIB = cell('''
    from autograd import topological_order


    def backward(root):
        root.grad = 1.0
        for node in reversed(topological_order(root)):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad
''')

# Its own order: a node sends once every node that uses it has sent (Kahn's, from the output).
BACKWARD_KAHN = cell('''
    def backward(root):
        uses, found, todo = {}, {root}, [root]
        while todo:
            node = todo.pop()
            for parent in node.parents:
                uses[parent] = uses.get(parent, 0) + 1
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        root.grad = 1.0
        ready = [root]
        while ready:
            node = ready.pop()
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad
                uses[parent] -= 1
                if uses[parent] == 0:
                    ready.append(parent)
''')

BACKWARD_RECURSIVE = cell('''
    def backward(root):
        topo, visited = [], set()

        def build(node):
            if node not in visited:
                visited.add(node)
                for parent in node.parents:
                    build(parent)
                topo.append(node)

        build(root)
        root.grad = 1.0
        for node in reversed(topo):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad
''')

# Gradients summed in a dict, written to .grad at the end; its own iterative DFS.
BACKWARD_DICT = cell('''
    def backward(root):
        order, seen, stack = [], set(), [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents)
        grads = {node: 0.0 for node in order}
        grads[root] = 1.0
        for node in order[::-1]:
            for parent, local in zip(node.parents, node.local_grads):
                grads[parent] += local * grads[node]
        for node, g in grads.items():
            node.grad = g
''')

BACKWARD_RIGHT = [
    right("backward", "autograd.topological_order, reversed", BACKWARD_LIB),
    right("backward", "own order: Kahn's from the output", BACKWARD_KAHN),
    right("backward", "gradients in a dict, own DFS", BACKWARD_DICT),
    right("backward", "recursive topological sort", BACKWARD_RECURSIVE, recursive=True),
]

BACKWARD_WRONG = [
    wrong("backward", "= for +=", variant(BACKWARD_LIB, (
        "parent.grad += local * node.grad", "parent.grad = local * node.grad")),
        "assigning instead of accumulating"),
    wrong("backward", "sends the local derivative only", variant(BACKWARD_LIB, (
        "parent.grad += local * node.grad", "parent.grad += local")),
        "forgetting the upstream gradient"),
    wrong("backward", "-= for +=", variant(BACKWARD_LIB, (
        "parent.grad += local * node.grad", "parent.grad -= local * node.grad")), "a wrong sign"),
    wrong("backward", "seeded with -1", variant(BACKWARD_LIB, ("root.grad = 1.0", "root.grad = -1.0")),
          "a wrong sign"),
    wrong("backward", "not seeded", variant(BACKWARD_LIB, ("    root.grad = 1.0\n", "")),
          "the root not seeded"),
    wrong("backward", "walks the order inputs first", variant(BACKWARD_LIB, (
        "for node in reversed(topological_order(root)):", "for node in topological_order(root):")),
        "not topological"),
    wrong("backward", "breadth-first from the output", cell('''
        def backward(root):
            root.grad = 1.0
            queue, seen = [root], {root}
            while queue:
                node = queue.pop(0)
                for parent, local in zip(node.parents, node.local_grads):
                    parent.grad += local * node.grad
                    if parent not in seen:
                        seen.add(parent)
                        queue.append(parent)
    '''), "not topological"),
    wrong("backward", "DFS without a visited set", variant(BACKWARD_DICT, (
        "        elif node not in seen:\n            seen.add(node)\n            stack",
        "        else:\n            stack")),
        "a node visited twice"),
    wrong("backward", "recursive DFS without a visited set", variant(BACKWARD_RECURSIVE, (
        "        if node not in visited:\n            visited.add(node)\n            for parent in node.parents:\n"
        "                build(parent)\n            topo.append(node)\n",
        "        for parent in node.parents:\n            build(parent)\n        topo.append(node)\n")),
        "a node visited twice"),
    wrong("backward", "local derivatives reversed", variant(BACKWARD_LIB, (
        "zip(node.parents, node.local_grads)", "zip(node.parents, reversed(node.local_grads))")),
        "wrong local derivative"),
    wrong("backward", "skips the leaves", variant(BACKWARD_LIB, (
        "            parent.grad += local * node.grad",
        "            if parent.parents:\n                parent.grad += local * node.grad")),
        "leaves missing"),
    wrong("backward", "seeds with a Value", variant(BACKWARD_LIB, (
        "    root.grad = 1.0", "    from autograd import Value\n    root.grad = Value(1.0)")), "float"),
    wrong("backward", "unpacks the parents as pairs", variant(BACKWARD_LIB, (
        "for parent, local in zip(node.parents, node.local_grads):", "for parent, local in node.parents:")),
        "TypeError"),
    # Found in review: freeing the graph as it goes (as PyTorch does), one line too early, so nothing is sent.
    # The grader computed its oracle on the graph after the answer had emptied it, and passed this.
    wrong("backward", "frees each node's edges before sending", variant(BACKWARD_LIB, (
        "        for parent, local in zip(node.parents, node.local_grads):\n",
        "        if node.parents:\n"
        "            node.parents, node.local_grads = (), ()  # free the graph as we go\n"
        "        for parent, local in zip(node.parents, node.local_grads):\n")), "parents"),
    # Found in review: seeding after the pass sends nothing; on a * a the hint said "leaves missing".
    wrong("backward", "seeds the root after the loop", variant(BACKWARD_LIB, ("    root.grad = 1.0\n", ""), (
        "            parent.grad += local * node.grad\n",
        "            parent.grad += local * node.grad\n    root.grad = 1.0\n")), "seed"),
    wrong("backward", "not written yet", cell('''
        def backward(root):
            root.grad = 1.0
            raise NotImplementedError
    '''), "not answered yet"),
]

# ================================================================================================
# mlp: built on autograd.Value, parameters layer by layer, neuron by neuron, weights then bias
# ================================================================================================

MLP_CLASSES = cell('''
    from autograd import Value


    class Neuron:
        def __init__(self, nin, nonlin=True):
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(0.0)
            self.nonlin = nonlin

        def __call__(self, x):
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.tanh() if self.nonlin else act

        def parameters(self):
            return self.w + [self.b]


    class Layer:
        def __init__(self, nin, nout, **kwargs):
            self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

        def __call__(self, x):
            return [n(x) for n in self.neurons]

        def parameters(self):
            return [p for n in self.neurons for p in n.parameters()]


    class MLP:
        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x[0] if len(x) == 1 else x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]
''')

MLP_FLAT = cell('''
    from autograd import Value


    class MLP:
        """All parameters in one flat list; the forward pass reads them in order."""

        def __init__(self, nin, nouts):
            self.sizes = [nin] + list(nouts)
            self.params = []
            for fan_in, fan_out in zip(self.sizes, self.sizes[1:]):
                for _ in range(fan_out):
                    self.params += [Value(random.gauss(0, fan_in ** -0.5)) for _ in range(fan_in)]
                    self.params.append(Value(0.0))

        def parameters(self):
            return self.params

        def __call__(self, x):
            k, a = 0, list(x)
            last = len(self.sizes) - 2
            for layer, (fan_in, fan_out) in enumerate(zip(self.sizes, self.sizes[1:])):
                out = []
                for _ in range(fan_out):
                    w, b = self.params[k:k + fan_in], self.params[k + fan_in]
                    k += fan_in + 1
                    z = b
                    for wi, ai in zip(w, a):
                        z = z + wi * ai
                    out.append(z if layer == last else z.tanh())
                a = out
            return a[0] if len(a) == 1 else a
''')

MLP_NUMPY = cell('''
    from autograd import Value


    class MLP:
        """Each layer a matrix of Values (numpy object arrays): z = W @ a + b."""

        def __init__(self, nin, nouts):
            sizes = [nin] + list(nouts)
            self.Ws = [np.array([[Value(random.uniform(-1, 1)) for _ in range(a)] for _ in range(b)], dtype=object)
                       for a, b in zip(sizes, sizes[1:])]
            self.bs = [np.array([Value(0.0) for _ in range(b)], dtype=object) for b in sizes[1:]]

        def __call__(self, x):
            a = np.array(x, dtype=object)
            for k, (W, b) in enumerate(zip(self.Ws, self.bs)):
                z = W @ a + b
                a = z if k == len(self.Ws) - 1 else np.array([v.tanh() for v in z], dtype=object)
            return a[0] if len(a) == 1 else list(a)

        def parameters(self):
            return [p for W, b in zip(self.Ws, self.bs) for row, bias in zip(W, b) for p in [*row, bias]]
''')

MLP_RIGHT = [
    right("mlp", "Neuron, Layer and MLP classes", MLP_CLASSES),
    right("mlp", "one flat list of parameters", MLP_FLAT),
    right("mlp", "numpy object matrices", MLP_NUMPY),
    # parameters() as a numpy array of Values: iterable, every item a Value, in the right order.
    right("mlp", "numpy object matrices, parameters() as an array", variant(MLP_NUMPY, (
        "return [p for W, b in zip(self.Ws, self.bs) for row, bias in zip(W, b) for p in [*row, bias]]",
        "return np.concatenate([np.column_stack([W, b]).ravel() for W, b in zip(self.Ws, self.bs)])"))),
]

NEURON_SUM = "act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)"

MLP_WRONG = [
    wrong("mlp", "[Neuron(nin)] * nout", variant(MLP_CLASSES, (
        "self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]",
        "self.neurons = [Neuron(nin, **kwargs)] * nout")), "weights shared between neurons"),
    wrong("mlp", "[Value(...)] * nin", variant(MLP_CLASSES, (
        "self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]",
        "self.w = [Value(random.uniform(-1, 1))] * nin")), "weights shared between neurons"),
    wrong("mlp", "tanh on every layer", variant(MLP_CLASSES, (
        "Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)", "Layer(sz[i], sz[i + 1])")),
        "an activation on the last layer"),
    wrong("mlp", "flat: tanh on the last layer too", variant(MLP_FLAT, (
        "out.append(z if layer == last else z.tanh())", "out.append(z.tanh())")),
        "an activation on the last layer"),
    wrong("mlp", "no bias at all", variant(MLP_CLASSES, ("        self.b = Value(0.0)\n", ""), (
        NEURON_SUM, "act = sum(wi * xi for wi, xi in zip(self.w, x))"), (
        "return self.w + [self.b]", "return self.w")), "a missing bias"),
    wrong("mlp", "bias listed but not added", variant(MLP_CLASSES, (
        NEURON_SUM, "act = sum(wi * xi for wi, xi in zip(self.w, x))")), "a missing bias"),
    wrong("mlp", "a list of one", variant(MLP_CLASSES, ("return x[0] if len(x) == 1 else x", "return x")),
          "not a list of one"),
    wrong("mlp", "single output as a float", variant(MLP_CLASSES, (
        "return x[0] if len(x) == 1 else x", "return x[0].data if len(x) == 1 else x")), "not Values"),
    wrong("mlp", "numpy: a single output as an array of one", variant(MLP_NUMPY, (
        "return a[0] if len(a) == 1 else list(a)", "return a")), "ndarray"),
    wrong("mlp", "bias first in parameters()", variant(MLP_CLASSES, (
        "return self.w + [self.b]", "return [self.b] + self.w")), "wrong order"),
    wrong("mlp", "relu in the hidden layers", variant(MLP_CLASSES, (
        "return act.tanh() if self.nonlin else act", "return act.relu() if self.nonlin else act")), "relu"),
    wrong("mlp", "no activation anywhere", variant(MLP_CLASSES, (
        "Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)", "Layer(sz[i], sz[i + 1], nonlin=False)")),
        "no activation"),
    wrong("mlp", "copies of the weights in the forward pass", variant(MLP_CLASSES, (
        NEURON_SUM, "act = sum((Value(wi.data) * xi for wi, xi in zip(self.w, x)), self.b)")),
        "not connected"),
    wrong("mlp", "parameters() of the last layer only", variant(MLP_CLASSES, (
        "return [p for layer in self.layers for p in layer.parameters()]",
        "return self.layers[-1].parameters()")), "returned"),
    wrong("mlp", "parameters() as a list per neuron", variant(MLP_CLASSES, (
        "return [p for n in self.neurons for p in n.parameters()]",
        "return [n.parameters() for n in self.neurons]")), "each parameter is a Value"),
    wrong("mlp", "every weight starts at 0", variant(MLP_CLASSES, (
        "self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]", "self.w = [Value(0.0) for _ in range(nin)]")),
        "same value"),
    wrong("mlp", "no parameters() method", variant(MLP_CLASSES, (
        "    def parameters(self):\n        return [p for layer in self.layers for p in layer.parameters()]\n",
        "")), "parameters"),
    # Found in review: symmetric starts the "same value" check misses, since weights differ across a neuron
    # or across layers while every neuron of a layer is the same one.
    wrong("mlp", "random.seed in Neuron: every neuron of a layer alike", variant(MLP_CLASSES, (
        "        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]",
        "        random.seed(0)\n        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]")),
        "same"),
    wrong("mlp", "every weight 1 / nin", variant(MLP_CLASSES, (
        "self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]", "self.w = [Value(1 / nin) for _ in range(nin)]")),
        "same"),
    # Found in review: no shape graded has a hidden layer as wide as the last one.
    wrong("mlp", "the last layer told by its width", variant(MLP_CLASSES, (
        "nonlin=i != len(nouts) - 1", "nonlin=sz[i + 1] != nouts[-1]")), "hidden layer"),
]

# ================================================================================================
# sgd_step: one step of gradient descent on the mean squared error of the batch
# ================================================================================================

SGD_LOOP = cell('''
    def sgd_step(model, xs, ys, lr):
        for p in model.parameters():
            p.grad = 0.0
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        return loss.data
''')

SGD_HELPER = cell('''
    def zero_grad(model):
        for p in model.parameters():
            p.grad = 0


    def mse(model, xs, ys):
        errors = [(model(x) - y) ** 2 for x, y in zip(xs, ys)]
        total = errors[0]
        for e in errors[1:]:
            total = total + e
        return total * (1.0 / len(errors))


    def sgd_step(model, xs, ys, lr):
        zero_grad(model)
        loss = mse(model, xs, ys)
        loss.backward()
        params = model.parameters()
        for p in params:
            p.data = p.data - lr * p.grad
        return loss.data
''')

SGD_RIGHT = [
    right("sgd_step", "a loop over model.parameters()", SGD_LOOP),
    right("sgd_step", "zero_grad and mse helpers", SGD_HELPER),
    right("sgd_step", "zero the grads through the parameters, float of the loss", cell('''
        def sgd_step(model, xs, ys, lr):
            params = model.parameters()
            for p in params:
                p.grad = 0
            preds = [model(x) for x in xs]
            loss = sum([(p - y) ** 2 for p, y in zip(preds, ys)]) * (1 / len(ys))
            loss.backward()
            for p in params:
                p.data += -lr * p.grad
            return float(loss.data)
    ''')),
]

SGD_WRONG = [
    # The model of the "mlp" task has __call__ and parameters() only, as the learner's own MLP.
    wrong("sgd_step", "model.zero_grad() on a model without it", variant(SGD_LOOP, (
        "    for p in model.parameters():\n        p.grad = 0.0\n", "    model.zero_grad()\n")), "parameters()"),
    wrong("sgd_step", "returns the loss Value", variant(SGD_LOOP, ("return loss.data", "return loss")),
          "loss.data"),
    wrong("sgd_step", "no zero_grad", variant(SGD_LOOP, (
        "    for p in model.parameters():\n        p.grad = 0.0\n", "")), "a forgotten zero_grad"),
    wrong("sgd_step", "+= (ascent)", variant(SGD_LOOP, ("p.data -= lr * p.grad", "p.data += lr * p.grad")),
          "gradient ascent"),
    wrong("sgd_step", "sum of squared errors", variant(SGD_LOOP, (" / len(xs)", ""),),
          "a sum where the mean was asked"),
    wrong("sgd_step", "return inside the loop over samples", cell('''
        def sgd_step(model, xs, ys, lr):
            for x, y in zip(xs, ys):
                for p in model.parameters():
                    p.grad = 0.0
                loss = (model(x) - y) ** 2
                loss.backward()
                for p in model.parameters():
                    p.data -= lr * p.grad
                return loss.data
    '''), "a first sample used instead of the batch"),
    wrong("sgd_step", "returns the loss after the step", variant(SGD_LOOP, (
        "return loss.data", "return sum((model(x).data - y) ** 2 for x, y in zip(xs, ys)) / len(xs)")),
        "after the step"),
    wrong("sgd_step", "no learning rate", variant(SGD_LOOP, ("p.data -= lr * p.grad", "p.data -= p.grad")),
          "learning rate"),
    wrong("sgd_step", "no return", variant(SGD_LOOP, ("    return loss.data\n", "")), "returned None"),
    wrong("sgd_step", "backward on the float loss", variant(SGD_LOOP, (
        "loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)",
        "loss = sum((model(x).data - y) ** 2 for x, y in zip(xs, ys)) / len(xs)")), "AttributeError"),
    # Found in review: zeroing after the update passes, as the graded model's grads start at 0; a model
    # that has been through backward() before (a cell that tried it) takes a first step on stale grads.
    wrong("sgd_step", "zero_grad after the update", variant(SGD_LOOP, (
        "    for p in model.parameters():\n        p.grad = 0.0\n", ""), (
        "        p.data -= lr * p.grad\n", "        p.data -= lr * p.grad\n        p.grad = 0.0\n")), "zero_grad"),
    wrong("sgd_step", "not written yet", cell('''
        def sgd_step(model, xs, ys, lr):
            raise NotImplementedError
    '''), "not answered yet"),
]

# ================================================================================================
# layer_backward: Z = A Wᵀ + b; dW, db, dA from Delta = dL/dZ
# ================================================================================================

LAYER_MATMUL = cell('''
    def layer_backward(W, b, A, Delta):
        dW = Delta.T @ A
        db = Delta.sum(axis=0)
        dA = Delta @ W
        return dW, db, dA
''')

LAYER_RIGHT = [
    right("layer_backward", "matrix products", LAYER_MATMUL),
    right("layer_backward", "np.einsum", cell('''
        def layer_backward(W, b, A, Delta):
            dW = np.einsum("nj,ni->ji", Delta, A)
            db = np.einsum("nj->j", Delta)
            dA = np.einsum("nj,ji->ni", Delta, W)
            return dW, db, dA
    ''')),
    right("layer_backward", "explicit loops", cell('''
        def layer_backward(W, b, A, Delta):
            batch, nin = A.shape
            nout = W.shape[0]
            dW, db, dA = np.zeros((nout, nin)), np.zeros(nout), np.zeros((batch, nin))
            for n in range(batch):
                for j in range(nout):
                    db[j] += Delta[n, j]
                    for i in range(nin):
                        dW[j, i] += Delta[n, j] * A[n, i]
                        dA[n, i] += Delta[n, j] * W[j, i]
            return dW, db, dA
    ''')),
    right("layer_backward", "np.dot, as nested lists", cell('''
        def layer_backward(W, b, A, Delta):
            return np.dot(A.T, Delta).T.tolist(), list(np.sum(Delta, 0)), np.dot(Delta, W).tolist()
    ''')),
]

LAYER_WRONG = [
    wrong("layer_backward", "db with keepdims", variant(LAYER_MATMUL, (
        "Delta.sum(axis=0)", "Delta.sum(axis=0, keepdims=True)")), "wrongly shaped"),
    wrong("layer_backward", "db summed over axis 1", variant(LAYER_MATMUL, (
        "Delta.sum(axis=0)", "Delta.sum(axis=1)")), "wrongly shaped"),
    wrong("layer_backward", "db summed over everything", variant(LAYER_MATMUL, (
        "Delta.sum(axis=0)", "Delta.sum()")), "wrongly shaped"),
    wrong("layer_backward", "dW = A.T @ Delta", variant(LAYER_MATMUL, ("dW = Delta.T @ A", "dW = A.T @ Delta")),
          "transposed"),
    wrong("layer_backward", "dA = Delta @ W.T", variant(LAYER_MATMUL, ("dA = Delta @ W", "dA = Delta @ W.T")),
          "transposed"),
    wrong("layer_backward", "loops with dW indexed [i, j]", cell('''
        def layer_backward(W, b, A, Delta):
            batch, nin = A.shape
            nout = W.shape[0]
            dW = np.zeros((nin, nout))
            for n in range(batch):
                for i in range(nin):
                    for j in range(nout):
                        dW[i, j] += Delta[n, j] * A[n, i]
            return dW, Delta.sum(axis=0), Delta @ W
    '''), "transposed"),
    wrong("layer_backward", "the one-sample formulas", variant(LAYER_MATMUL, (
        "dW = Delta.T @ A", "dW = np.outer(Delta[0], A[0])"), ("db = Delta.sum(axis=0)", "db = Delta[0]")),
        "a first sample used instead of the batch"),
    wrong("layer_backward", "a minus sign on dW", variant(LAYER_MATMUL, ("dW = Delta.T @ A", "dW = -Delta.T @ A")),
          "a wrong sign"),
    wrong("layer_backward", "averaged over the batch", variant(LAYER_MATMUL, (
        "dW = Delta.T @ A", "dW = Delta.T @ A / len(A)")), "divided by the batch size"),
    wrong("layer_backward", "returns dW and db only", variant(LAYER_MATMUL, (
        "return dW, db, dA", "return dW, db")), "three"),
    # Found in review: the three in another order; the hint said to sum db over axis 0.
    wrong("layer_backward", "returns (dW, dA, db)", variant(LAYER_MATMUL, ("return dW, db, dA", "return dW, dA, db")),
          "order"),
    wrong("layer_backward", "not written yet", cell('''
        def layer_backward(W, b, A, Delta):
            dW = Delta.T @ A
            raise NotImplementedError("db and dA")
    '''), "not answered yet"),
]

RIGHT = VALUE_RIGHT + TOPO_RIGHT + BACKWARD_RIGHT + MLP_RIGHT + SGD_RIGHT + LAYER_RIGHT
WRONG = VALUE_WRONG + TOPO_WRONG + BACKWARD_WRONG + MLP_WRONG + SGD_WRONG + LAYER_WRONG

# The mistakes every grader's hints must be able to name, each by a phrase of its hint.
NAMED = (
    "assigning instead of accumulating", "forgetting the upstream gradient", "wrong operand",
    "tanh' computed from the input", "a missing factor", "relu's off side", "not topological",
    "a node visited twice", "leaves missing", "the root not seeded", "a wrong sign", "gradient ascent",
    "a forgotten zero_grad", "a sum where the mean was asked", "transposed", "wrongly shaped",
    "a first sample used instead of the batch", "a missing bias", "an activation on the last layer",
    "weights shared between neurons", "__rmul__", "__radd__", "not answered yet", "returned None",
)


def _id(answer: Answer) -> str:
    return f"{answer.task}: {answer.name}"


@pytest.fixture(autouse=True)
def learner(monkeypatch):
    """As a learner runs a notebook: no answers filled in, no verdict log."""
    monkeypatch.delenv(FILL, raising=False)
    monkeypatch.delenv(LOG, raising=False)


# -- the catalogue itself ------------------------------------------------------------------------

def test_the_catalogue_covers_every_task_and_every_named_mistake():
    for task in TASKS:
        assert len([a for a in RIGHT if a.task == task]) >= 2, task
        assert len([a for a in WRONG if a.task == task]) >= 4, task
    assert len(WRONG) >= 40
    named = {phrase for answer in WRONG for phrase in answer.phrases}
    assert set(NAMED) <= named, set(NAMED) - named
    assert len({_id(a) for a in RIGHT + WRONG}) == len(RIGHT + WRONG)


def test_every_answer_of_the_catalogue_loads():
    for answer in RIGHT + WRONG:
        assert callable(answer.load()), _id(answer)


# -- right answers pass, wrong ones are refused with their mistake named -------------------------

@pytest.mark.parametrize("answer", RIGHT, ids=_id)
def test_a_right_answer_passes(answer):
    verdict = grade(answer.task, answer.load())
    assert verdict.passed, f"refused:\n{answer.code}\n{verdict}"
    if answer.recursive:
        assert any("recurs" in note.lower() for note in verdict.notes), str(verdict)
    else:
        assert not verdict.notes, str(verdict)


@pytest.mark.parametrize("answer", RIGHT, ids=_id)
def test_a_right_answer_passes_on_other_graphs_and_shapes(answer):
    verdict = grade(answer.task, answer.load(), seed=7)
    assert verdict.passed, str(verdict)


@pytest.mark.parametrize("answer", WRONG, ids=_id)
def test_a_wrong_answer_is_refused_with_its_mistake_named(answer):
    verdict = grade(answer.task, answer.load())
    assert not verdict.passed, f"passed:\n{answer.code}\n{verdict}"
    hint = verdict.hint.lower()
    missing = [phrase for phrase in answer.phrases if phrase.lower() not in hint]
    assert not missing, f"the hint does not name {missing}:\n{verdict.hint}"


# -- no verdict shows the right numbers ----------------------------------------------------------

def _forms(x: float) -> set[str]:
    """How a number may be printed: repr, and to 4 significant digits."""
    return {repr(float(x)), f"{float(x):.4g}"}


def _leaked(truths, shown, text: str) -> list[str]:
    """The forms of the right numbers ``truths`` found in ``text``, leaving out 0 and ±1 and
    any that is part of a number the grader may show (``shown``: inputs, constants, the
    learner's own results)."""
    visible = set().union(*(_forms(s) for s in shown)) if shown else set()
    leaks = []
    for t in truths:
        if not math.isfinite(t) or abs(t) in (0.0, 1.0):
            continue
        for form in _forms(t):
            if form in text and not any(form in v for v in visible):
                leaks.append(form)
    return leaks


def _data(x) -> float:
    return float(x.data if isinstance(x, Value) else x)


@pytest.mark.parametrize("answer", BACKWARD_WRONG[:-1], ids=_id)
def test_a_wrong_backward_is_not_told_the_right_gradients(answer):
    fn, roots = answer.load(), []

    def spy(root):
        roots.append(root)
        return fn(root)

    verdict = grade("backward", spy)
    assert not verdict.passed
    truths, shown = [], []
    for root in roots:
        nodes = engine_order(root)
        if len(nodes) > 60:
            continue  # the deep chain, for the recursion note
        truths += engine_grad(root, nodes)
        shown += [n.data for n in nodes] + [_data(n.grad) for n in nodes]
    assert truths
    assert not _leaked(truths, shown, str(verdict)), str(verdict)


@pytest.mark.parametrize("answer", [a for a in LAYER_WRONG if "written" not in a.name], ids=_id)
def test_a_wrong_layer_backward_is_not_told_the_right_arrays(answer):
    fn, truths, shown = answer.load(), [], []

    def spy(W, b, A, Delta):
        truths.extend(np.concatenate([(Delta.T @ A).ravel(), Delta.sum(axis=0), (Delta @ W).ravel()]))
        shown.extend(np.concatenate([W.ravel(), b, A.ravel(), Delta.ravel()]))
        out = fn(W, b, A, Delta)
        shown.extend(np.concatenate([np.ravel(x) for x in out]))
        return out

    verdict = grade("layer_backward", spy)
    assert not verdict.passed and truths
    assert not _leaked(truths, shown, str(verdict)), str(verdict)


@pytest.mark.parametrize("answer", [a for a in SGD_WRONG if a.name in (
    "no zero_grad", "+= (ascent)", "sum of squared errors", "returns the loss after the step", "no learning rate")],
    ids=_id)
def test_a_wrong_sgd_step_is_not_told_the_right_loss_or_parameters(answer):
    fn, truths, shown = answer.load(), [], []

    def spy(model, xs, ys, lr):
        params = model.parameters()
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
        truths.append(loss.data)
        truths.extend(p.data - lr * g for p, g in zip(params, engine_grad(loss, params)))
        shown.extend([p.data for p in params] + [y for y in ys] + [v for x in xs for v in x] + [lr])
        out = fn(model, xs, ys, lr)
        shown.append(_data(out))
        return out

    verdict = grade("sgd_step", spy)
    assert not verdict.passed and truths
    assert not _leaked(truths, shown, str(verdict)), str(verdict)


def _right_forward(params, sizes, x) -> list[float]:
    """The contract's MLP on numbers, from its parameters in the contract's order."""
    it = iter(p.data for p in params)
    a = list(x)
    for k, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        z = [sum(w * ai for w, ai in zip([next(it) for _ in range(nin)], a)) + next(it) for _ in range(nout)]
        a = z if k == len(sizes) - 2 else [math.tanh(v) for v in z]
    return a


@pytest.mark.parametrize("answer", [a for a in MLP_WRONG if a.name in (
    "tanh on every layer", "bias listed but not added", "relu in the hidden layers", "no activation anywhere",
    "single output as a float", "a list of one")], ids=_id)
def test_a_wrong_mlp_is_not_told_the_right_outputs(answer):
    Wrong, truths, shown = answer.load(), [], []

    class Spy(Wrong):
        def __init__(self, nin, nouts):
            super().__init__(nin, nouts)
            self.sizes = [nin] + list(nouts)

        def __call__(self, x):
            truths.extend(_right_forward(self.parameters(), self.sizes, x))
            shown.extend(list(x) + [p.data for p in self.parameters()])
            out = super().__call__(x)
            shown.extend(_data(o) for o in (out if isinstance(out, list) else [out]))
            return out

    verdict = grade("mlp", Spy)
    assert not verdict.passed and truths
    assert not _leaked(truths, shown, str(verdict)), str(verdict)


def test_the_leak_check_would_see_a_printed_number():
    a, b = Value(0.8), Value(-1.7)
    (g,) = engine_grad(a * b + a.tanh(), [a])
    assert _leaked([g], [0.8, -1.7], f"the gradient should be {g:.4g}") == [f"{g:.4g}"]
    assert _leaked([g], [0.8, -1.7], f"it is {g!r}") == [repr(g)]
    assert _leaked([0.8], [0.8, -1.7], "on v0 = 0.8") == []


# -- randomness of the learner's code does not change a verdict -----------------------------------

def test_a_verdict_does_not_depend_on_the_learners_random_state():
    answer = next(a for a in MLP_WRONG if a.name == "tanh on every layer")
    hints, saved = set(), random.getstate()
    try:
        for state in (1, 2):
            random.seed(state)
            hints.add(grade("mlp", answer.load()).hint)
    finally:
        random.setstate(saved)
    assert len(hints) == 1
