"""The usual wrong ways to backpropagate, run on this project's graph.

Each is a small variation of the right pass: the same walk with one thing done wrong, as a
learner does it. When a learner's gradients equal one of these on every graph tried, the
grader knows the mistake and can name it instead of only saying "wrong".
"""

from __future__ import annotations

from collections import deque

from ..backprop import topological_order
from ..value import Value


def _pass(root: Value, order, *, seed=1.0, send=None, swap=False) -> dict:
    """Gradients from walking ``order`` (the order in which nodes send) from a seeded root."""
    send = send or (lambda held, local, g: held + local * g)
    grads = {node: 0.0 for node in topological_order(root)}
    grads[root] = seed
    for node in order:
        locals_ = node.local_grads[::-1] if swap else node.local_grads
        for parent, local in zip(node.parents, locals_):
            grads[parent] = send(grads[parent], local, grads[node])
    return grads


def _breadth_first(root: Value) -> list[Value]:
    """Breadth-first from the output, each node once: reversed, it looks like an order, and
    it is one only when every path from a node to the output has the same length."""
    found, queue, seen = [], deque([root]), {root}
    while queue:
        node = queue.popleft()
        found.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return found


def _every_path(root: Value, flip: bool, limit: int = 20_000) -> list[Value] | None:
    """Depth-first with no record of what was visited: a node once per path through it
    (``None`` when that would be more than ``limit`` visits). ``flip`` visits the parents
    last to first, as a stack that pushes them in order does."""
    found, stack = [], [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            found.append(node)
            if len(found) > limit:
                return None
            continue
        stack.append((node, True))
        stack.extend((p, False) for p in (node.parents if flip else reversed(node.parents)))
    return found[::-1]


def _twice(root: Value, flip: bool) -> dict | None:
    order = _every_path(root, flip)
    return None if order is None else _pass(root, order)


def right(root: Value) -> dict:
    return _pass(root, reversed(topological_order(root)))


ASSIGNING = ("assigning instead of accumulating: a node's gradient is set with `=`, so of several "
              "contributions only the last stays. Add them up with `+=`: a node used twice (`a * a`, or a value "
              "feeding two later nodes) gets the sum of what both uses send.")
TWICE = ("a node visited twice: a node shared by several paths sends once per path, so its contributions are "
          "counted more than once. Keep a set of the nodes already visited, so each sends exactly once.")

# (the mistake, named as the hint names it; the gradients it gives on a graph)
BACKWARD_MISTAKES = (
    (ASSIGNING,
     lambda root: _pass(root, reversed(topological_order(root)), send=lambda held, local, g: local * g)),
    ("forgetting the upstream gradient: each edge sends only its local derivative. Multiply it by the "
     "gradient of the node that sends (`out.grad`), which carries everything between that node and the output.",
     lambda root: _pass(root, reversed(topological_order(root)), send=lambda held, local, g: held + local)),
    ("a wrong sign: the gradients are subtracted (`-=`) where each contribution must be added.",
     lambda root: _pass(root, reversed(topological_order(root)), send=lambda held, local, g: held - local * g)),
    ("a wrong sign: every gradient comes out negated. The output's own gradient starts at +1 "
     "(d root / d root = 1), and each edge adds local derivative × gradient.",
     lambda root: _pass(root, reversed(topological_order(root)), seed=-1.0)),
    ("an order that is not topological: your pass walks the nodes inputs first. A node may send only once "
     "its own gradient is complete, after every node that uses it has sent: walk the topological order "
     "in reverse, output first.",
     lambda root: _pass(root, topological_order(root))),
    ("an order that is not topological: your pass sends from a node before every node that uses it has "
     "sent (breadth-first from the output gives this order, and it breaks where two paths to the output "
     "have different lengths). Walk a topological order in reverse.",
     lambda root: _pass(root, _breadth_first(root))),
    (TWICE, lambda root: _twice(root, flip=False)),
    (TWICE, lambda root: _twice(root, flip=True)),
    ("multiplying by the wrong local derivative: each parent must get the local derivative of its own edge "
     "(`zip(node.parents, node.local_grads)`, in the same order), not another edge's.",
     lambda root: _pass(root, reversed(topological_order(root)), swap=True)),
)
