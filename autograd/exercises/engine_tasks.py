"""Graders for the engine a learner builds: a topological order, backward, and a Value class.

Each grader runs the answer on the graphs of ``graphs`` and compares it with this project's
engine to 1e-9 relative. On a difference it looks for the mistake that explains it
(``mistakes``), and raises ``Mistake`` with a hint that names it; it never shows the numbers
the answer should have given.
"""

from __future__ import annotations

import itertools
import math

from ..backprop import grad, topological_order
from ..value import Value
from .graphs import BINARY, ENGINE_OPS, SPELLING, VALUE_OPS, Program, Step, apply, deep_chain, graphs_for
from .mistakes import ASSIGNING, BACKWARD_MISTAKES
from .verdict import DEEP, Ambiguous, Mistake, Recursed, attribute, call, close, number

RANDOM_GRAPHS = 40


def _labelled(program: Program) -> list[Value]:
    nodes = program.run(Value)
    for i, node in enumerate(nodes):
        node.label = f"v{i}"
    return nodes


def _where(program: Program) -> str:
    text = program.describe()
    return f"on {program.name} ({text})" if len(text) < 240 else f"on {program.name}"


def _name(node) -> str:
    return getattr(node, "label", "") or f"a {getattr(node, 'op', '') or 'leaf'} node"


def _deep_note(fn, what: str) -> tuple[str, ...]:
    """Run ``fn`` on a chain ``DEEP`` ops long: a recursion there is told as a note."""
    root = _labelled(deep_chain(DEEP))[-1]
    try:
        fn(root)
    except Recursed:
        return (f"{what} recursed too deep on a chain of {DEEP} ops: Python stops a recursion about "
                "1,000 calls deep, and graphs that deep are common (a loss added up term by term over a data "
                "set, a recurrence unrolled in time). Keep your own stack of nodes to visit instead of calling "
                "the function on each parent.",)
    return ()


# -- topological order ----------------------------------------------------------------------

def _each(programs: list[Program], check) -> None:
    """``check`` every program; an ``Ambiguous`` mistake is told only when no later graph
    finds a clearer one."""
    unclear = None
    for program in programs:
        try:
            check(program)
        except Ambiguous as mistake:
            unclear = unclear or mistake
    if unclear is not None:
        raise unclear


def _callable(fn, what: str) -> None:
    if not callable(fn):
        raise Mistake(f"The answer should be {what}, and it is a {type(fn).__name__}.")


def _edges(order: list[Value]) -> list[tuple]:
    """The graph as it stands, to tell whether an answer changed it."""
    return [(node.parents, node.local_grads) for node in order]


def _unchanged(order: list[Value], before: list[tuple], where: str) -> None:
    if _edges(order) != before:
        raise Mistake(f"Your function changed the graph {where}: it must leave every node's .parents and "
                      ".local_grads as they are (the graph is drawn, stepped and walked again after it).")


def grade_topological_order(fn, seed: int) -> tuple[str, tuple[str, ...]]:
    _callable(fn, "your topological order function")
    programs = graphs_for(ENGINE_OPS, seed, RANDOM_GRAPHS)
    _each(programs, lambda program: _check_order(fn, _labelled(program)[-1], _where(program)))
    notes = _deep_note(lambda root: _check_order(fn, root, f"on a chain of {DEEP} ops"), "Your function")
    return (f"Your order is topological on {len(programs)} graphs (skip connections, shared "
            "subexpressions, a * a, diamonds, constants on both sides), with every node once and the root last."), notes


def _check_order(fn, root: Value, where: str) -> None:
    want = topological_order(root)
    before = _edges(want)
    got = call(fn, root, doing=f"Your function, {where},")
    if got is None:
        raise Mistake("Your function returned None: return the list. (`order.reverse()` reverses in place "
                      "and returns None; `order[::-1]` returns the reversed list.)")
    if not hasattr(got, "__iter__"):
        raise Mistake(f"Your function returned a {type(got).__name__}; it should return a list of nodes.")
    # Read inside call(): a generator runs the learner's code only now, and one that never
    # stops is cut off a little past the length a right answer has.
    order = call(lambda: list(itertools.islice(got, 2 * len(want) + 1)), doing=f"Your function's result, {where},")
    _unchanged(want, before, where)
    members = set(want)
    for x in order:
        if not isinstance(x, Value):
            raise Mistake(f"{where}, your list holds a {type(x).__name__}: it should hold the graph's nodes "
                          "(the Value objects themselves, not their data or labels).")
        if x not in members:
            raise Mistake(f"{where}, your list holds {_name(x)}, which the root does not depend on.")
    counts: dict[Value, int] = {}
    for x in order:
        counts[x] = counts.get(x, 0) + 1
    twice = next((x for x in order if counts[x] > 1), None)
    if twice is not None:
        raise Mistake(f"a node visited twice: {where}, {_name(twice)} is in your list {counts[twice]} times. "
                      "A node reached along several paths (or an input used twice, as in a * a) is listed "
                      "once: keep a set of the nodes already visited.")
    missing = [x for x in want if x not in counts]
    if missing:
        if root in missing:
            raise Mistake(f"{where}, the root itself is missing from your list: it comes last.")
        if all(not x.parents for x in missing):
            raise Mistake(f"leaves missing: {where}, your list lacks {', '.join(_name(x) for x in missing[:4])}, "
                          "input(s) with no parents. The order lists every node the root depends on, leaves too.")
        raise Mistake(f"nodes missing: {where}, your list lacks {', '.join(_name(x) for x in missing[:4])}. "
                      "Visit every parent of every node you reach.")
    position = {x: i for i, x in enumerate(order)}
    late = [(x, p) for x in order for p in x.parents if position[p] > position[x]]
    if late:
        if len(order) <= 2:
            raise Ambiguous(f"an order that is not topological: {where}, your list puts the output before its "
                            "input. The order goes inputs first and the root last.")
        if all(position[p] > position[x] for x in order for p in x.parents):
            raise Mistake(f"{where}, your list starts with the output: the order goes inputs first and the "
                          "root last (every node after all of its parents). Reverse it.")
        node, parent = late[0]
        raise Mistake(f"an order that is not topological: {where}, {_name(node)} comes before its input "
                      f"{_name(parent)}. Every node must come after all of its parents, which breadth-first "
                      "search does not ensure when two paths have different lengths: add a node to the list "
                      "only after all of its parents are in it (depth-first, placing a node on the way back).")


# -- backward on this project's graph --------------------------------------------------------

def grade_backward(fn, seed: int) -> tuple[str, tuple[str, ...]]:
    _callable(fn, "your backward function")
    programs = graphs_for(ENGINE_OPS, seed, RANDOM_GRAPHS)
    _each(programs, lambda program: _check_backward(fn, program))
    notes = _deep_note(lambda root: call(fn, root, doing="Your backward"), "Your backward")
    return (f"Your backward gives every node's gradient to 1e-9 on {len(programs)} graphs "
            "(skip connections, shared subexpressions, a * a, diamonds, constants on both sides)."), notes


def _check_backward(fn, program: Program) -> None:
    nodes = _labelled(program)
    root = nodes[-1]
    order = topological_order(root)
    before = _edges(order)
    truth = dict(zip(order, grad(root, order)))
    call(fn, root, doing=f"Your backward, {_where(program)},")
    _unchanged(order, before, _where(program))
    got = {node: node.grad for node in order}
    for node, g in got.items():
        if not isinstance(g, (int, float)) or isinstance(g, bool):
            raise Mistake(f"{_where(program)}, {_name(node)}.grad is a {type(g).__name__}: "
                          "a gradient is a float (add numbers, not Values).")
    if all(close(got[n], truth[n]) for n in order):
        return
    if got[root] == 0.0 and all(g == 0.0 for g in got.values()):
        raise Mistake("the root not seeded: every gradient stayed 0. Start the pass by setting the output's "
                      "own gradient to 1 (d root / d root = 1); everything else flows from it.")
    if not close(got[root], 1.0) and not close(got[root], -1.0):
        raise Mistake(f"{_where(program)}, the root's gradient is {got[root]!r}: d root / d root is 1, and "
                      "nothing else adds to the root.")
    small = Ambiguous if len(order) <= 2 else Mistake  # on a * a, a late seed looks like skipped leaves
    if close(got[root], 1.0) and all(got[n] == 0.0 for n in order if n is not root):
        raise small("the root not seeded in time: its gradient is 1 only after the pass, so nothing was sent. "
                      "Set the output's gradient to 1 first, then walk the order.")
    if program.name in ("a * a", "a + a") and close(got[nodes[0]], nodes[-1].local_grads[0]):
        raise Mistake(f"{ASSIGNING} (found on {program.name}, whose one input gets only one edge's share)")
    if all(close(got[n], truth[n]) for n in order if n.parents) and all(got[n] == 0.0 for n in order if not n.parents):
        raise small("leaves missing: every interior node's gradient is right, and the leaves' (the inputs, "
                      "the parameters) stayed 0. They are the ones training needs: send to every parent, leaves too.")
    _name_the_mistake(program, lambda root: {n: n.grad for n in topological_order(root)}, fn)
    wrong = next(n for n in reversed(order) if not close(got[n], truth[n]))
    raise Mistake(f"{_where(program)}, the gradient of {_name(wrong)} is wrong (yours is {got[wrong]!r}). "
                  "Each node, output first, must send local derivative × its own gradient to each parent, "
                  "and each parent adds up what it gets.")


def _name_the_mistake(program: Program, read, fn) -> None:
    """Raise the named mistake whose gradients equal the learner's on ``program`` and on
    the fixed graphs (so a mistake is named only when it explains every graph tried)."""
    tried = [program] + graphs_for(ENGINE_OPS, 0, 0)
    runs = []
    for p in tried:
        nodes = _labelled(p)
        call(fn, nodes[-1], doing=f"Your backward, {_where(p)},")
        runs.append((nodes[-1], read(nodes[-1])))
    for hint, mistake in BACKWARD_MISTAKES:
        if all(_same(mistake(root), got) for root, got in runs):
            raise Mistake(hint)


def _same(mistake: dict | None, got: dict) -> bool:
    return mistake is not None and all(close(got[n], mistake[n]) for n in mistake)


# -- a Value class of the learner's own --------------------------------------------------------

_A, _B = 0.8, -1.7  # inputs where every mistake below gives a number unlike the right one


def _unary(op: str, at: float = _A):
    return Program(f"`{SPELLING[op][0]}`", (at,), (_step(op, 0),))


def _step(op, a, b=None, c=0.0):
    return Step(op, a, b, c)


# One probe per op, alone: (program, [(wrong gradient of the input(s), the mistake named)]).
def _probes() -> list[tuple[Program, list[tuple[tuple[float, ...], str]]]]:
    a, b = _A, _B
    t = math.tanh(a)
    wrong_operand = ("multiplying by the wrong operand's value: the local derivative of a * b with respect to "
                     "a is b, the other operand, and with respect to b it is a.")
    sign = "a wrong sign in this op's local derivative."
    probes = [
        (Program("`a + b`", (a, b), (_step("add", 0, 1),)),
         [((0.0, 0.0), "the root not seeded: backward() must first set the output's own gradient to 1 "
                       "(d out / d out = 1), then send it back.")]),
        (Program("`a * b`", (a, b), (_step("mul", 0, 1),)), [((a, b), wrong_operand), ((1.0, 1.0), wrong_operand)]),
        # Two ops that were right alone: what goes wrong now is backward()'s walk.
        (Program("`(a + b) * b`", (a, b), (_step("add", 0, 1), _step("mul", 2, 1))), BACKWARD_MISTAKES),
        (_unary("neg"), [((1.0,), sign + " d(-a)/da is -1.")]),
        (Program("`a ** 3`", (a,), (_step("pow", 0, None, 3.0),)),
         [((a ** 2,), "a missing factor: d(a**n)/da is n · a**(n-1); the n is missing."),
          ((3 * a ** 3,), "the power is off by one: d(a**n)/da is n · a**(n-1).")]),
        (Program("`a ** -1`", (a,), (_step("pow", 0, None, -1.0),)),
         [((a ** -2,), sign + " d(a**-1)/da is -a**-2."), ((-a ** -1,), "the power is off by one: "
                                                          "d(a**n)/da is n · a**(n-1), for any number n.")]),
        (Program("`a ** 0.5`", (1.3,), (_step("pow", 0, None, 0.5),)), []),
        (Program("`a - b`", (a, b), (_step("sub", 0, 1),)), [((1.0, 1.0), sign + " d(a - b)/db is -1."),
                                                           ((-1.0, 1.0), sign)]),
        (Program("`a / b`", (a, b), (_step("div", 0, 1),)), [((1 / b, a / b ** 2), sign + " d(a / b)/db is -a/b²."),
                                                           ((1 / b, -1 / b ** 2), "a missing factor: d(a / b)/db is -a/b².")]),
        (_unary("tanh"), [((1 - a * a,), "tanh' computed from the input: the local derivative is 1 - tanh(x)², "
                                         "with the output t = tanh(x) (out.data), not 1 - x²."),
                          ((1 - t,), "a missing factor: tanh' is 1 - t², t squared."),
                          ((t * t - 1,), sign + " tanh' is 1 - t².")]),
        (_unary("exp"), [((1.0,), "a missing factor: exp's local derivative is exp(x) itself, out.data; "
                                  "the edge sends out.data × out.grad."),
                         ((a,), "a missing factor: exp's local derivative is exp(x) (out.data), not x.")]),
        (_unary("relu", 1.3), [((1.3,), "relu's local derivative on its on side (x > 0) is 1, not x.")]),
        (_unary("relu", -1.3), [((1.0,), "gradient passed through relu's off side: where x < 0 relu's output "
                                         "is constantly 0, so its local derivative is 0 and nothing goes back."),
                                ((-1.3,), "relu's local derivative is 0 where x < 0 and 1 where x > 0.")]),
    ]
    for op in ("add_const", "const_add", "sub_const", "const_sub", "mul_const", "const_mul", "div_const", "const_div"):
        c = 2.0
        mistakes = []
        if op == "const_sub":
            mistakes = [((1.0,), sign + " d(2 - a)/da is -1.")]
        if op == "const_div":
            mistakes = [((c / a ** 2,), sign + " d(2 / a)/da is -2/a²."),
                        ((1 / c,), "the division is the wrong way round: 2 / a is not a / 2.")]
        probes.append((Program(f"`{SPELLING[op][0]}`", (a,), (_step(op, 0, None, c),)), mistakes))
    probes += [
        (Program("`a + a`", (a,), (_step("add", 0, 0),)),
         [((1.0,), "assigning instead of accumulating (`=` for `+=`): in a + a, a is an input twice and must get "
                   "both contributions, 1 + 1.")]),
        (Program("`a * a`", (a,), (_step("mul", 0, 0),)),
         [((a,), "assigning instead of accumulating (`=` for `+=`): in a * a, a gets a from each of the two "
                 "edges, 2a in all.")]),
    ]
    upstream = ("forgetting the upstream gradient: in `{}`, the op sends only its local derivative. "
                "Multiply it by out.grad, the gradient of the op's output.")
    for op in ("add", "mul", "sub", "div", "pow", "tanh", "exp", "relu", "neg"):
        inputs = (a, b) if op in BINARY else (a if op != "relu" else 1.3,)
        first = _step(op, 0, 1 if op in BINARY else None, 3.0 if op == "pow" else 0.0)
        program = Program(f"`({SPELLING[op][0]}) * 3`", inputs,
                          (first, _step("mul_const", len(inputs), None, 3.0)))
        nodes = program.run(Value)
        local = grad(nodes[-2], nodes[:len(inputs)])  # what the op sends when it forgets the 3
        probes.append((program, [(tuple(local), upstream.format(SPELLING[op][0]))]))
    return probes


def grade_value(V, seed: int) -> tuple[str, tuple[str, ...]]:
    if not callable(V):
        raise Mistake(f"The answer should be your class, and it is a {type(V).__name__}.")
    start = call(V, 0.8, doing="V(0.8)")
    if not close(number(attribute(start, "data", "V(0.8)"), "V(0.8).data"), 0.8):
        raise Mistake("V(0.8).data should be 0.8: keep the number you are given.")
    if number(attribute(start, "grad", "V(0.8)"), "V(0.8).grad") != 0.0:
        raise Mistake("V(0.8).grad should start at 0: nothing has been sent to a new node yet.")
    for program, mistakes in _probes():
        _probe(V, program, mistakes)
    programs = graphs_for(VALUE_OPS, seed, RANDOM_GRAPHS)
    for program in programs:
        _compare_graph(V, program)
    notes = _deep_note_value(V)
    return (f"Every op's value and local derivative is right alone and under an upstream gradient, and "
            f"backward() gives every node's gradient to 1e-9 on {len(programs)} graphs (skip connections, "
            "shared subexpressions, a * a, diamonds, constants on both sides)."), notes


def _run(V, program: Program) -> list:
    """The program on the learner's class, with a hint naming the method that failed."""
    def step(op, a, b, c):
        code, method = SPELLING[op]
        try:
            return call(lambda: apply(op, a, b, c), doing=f"`{code}` on your class",
                        hints={TypeError: f"Write {method} (numbers may stand on either side of an operator).",
                               AttributeError: f"Write {method}."})
        except Recursed:  # one op on two nodes cannot be deep: the method calls itself
            raise Mistake(f"`{code}` on your class recursed without end: {method} comes back to itself "
                          "(`__radd__` returning `other + self` calls `__radd__` again, as `-self` in `__neg__` "
                          "calls `__neg__`). Compute the new node from the data, or from other ops.") from None
    return program.run(lambda x: call(V, x, doing=f"V({x!r})"), step)


def _backward(nodes, program: Program) -> None:
    method = attribute(nodes[-1], "backward", f"the output of {program.name}")
    try:
        call(method, doing=f"backward() {_where(program)}")
    except Mistake as mistake:
        if "must be a Value, got" not in str(mistake):
            raise
        raise Mistake(f"{mistake} autograd's topological_order and backward take only chainrule's own Value, "
                      "not your class: walk your nodes with your own topological_order.") from None


def _probe(V, program: Program, mistakes) -> None:
    mine = _run(V, program)
    twin = program.run(Value)
    out = number(attribute(mine[-1], "data", f"the result of {program.name}"), f"the .data of {program.name}")
    if not close(out, twin[-1].data):
        raise Mistake(f"the value of {program.name} is wrong (yours is {out!r}): check the forward formula.")
    _backward(mine, program)
    k = len(program.inputs)
    got = tuple(number(attribute(x, "grad", "an input"), f"an input's .grad after {program.name}") for x in mine[:k])
    want = grad(twin[-1], twin[:k])
    if all(close(g, w) for g, w in zip(got, want)):
        return
    if mistakes is BACKWARD_MISTAKES:
        _walk_mistake(dict(zip(twin[:k], got)), twin[-1], f"found on {program.name}")
    for wrong, hint in mistakes if mistakes is not BACKWARD_MISTAKES else ():
        if all(close(g, w) for g, w in zip(got, wrong)):
            raise Mistake(f"{hint} (found on {program.name})")
    raise Mistake(f"the gradient of {program.name} is wrong: check that op's local derivative"
                  f"{' for each of its inputs' if k > 1 else ''}, and that the edge sends it times out.grad.")


def _walk_mistake(mine: dict, root: Value, where: str) -> None:
    """Name the wrong walk of backward() whose gradients, on this project's twin of the
    learner's graph, equal the learner's on the nodes in ``mine``."""
    for hint, mistake in BACKWARD_MISTAKES:
        found = mistake(root)
        if found is not None and all(close(g, found[n]) for n, g in mine.items()):
            raise Mistake(f"{hint} ({where})")


def _compare_graph(V, program: Program) -> None:
    mine = _run(V, program)
    twin = _labelled(program)
    for i, (m, t) in enumerate(zip(mine, twin)):
        if not close(number(attribute(m, "data", f"v{i}"), f"v{i}.data"), t.data):
            raise Mistake(f"{_where(program)}, the value of v{i} is wrong: every op was right alone, so check "
                          "that each op builds a new node from its inputs' data.")
    _backward(mine, program)
    got = [number(attribute(m, "grad", f"v{i}"), f"v{i}.grad") for i, m in enumerate(mine)]
    root = twin[-1]
    truth = grad(root, twin)
    reach = set(topological_order(root))
    bad = [i for i, (g, w) in enumerate(zip(got, truth)) if twin[i] in reach and not close(g, w)]
    if not bad:
        return
    _walk_mistake({twin[i]: got[i] for i in range(len(twin)) if twin[i] in reach}, root, f"found {_where(program)}")
    raise Mistake(f"{_where(program)}, the gradient of v{bad[-1]} is wrong. Every op was right alone, so look at "
                  "backward(): it must walk a topological order output first, each node sending once, and "
                  "accumulate what arrives.")


def _deep_note_value(V) -> tuple[str, ...]:
    program = deep_chain(DEEP)
    try:
        nodes = _run(V, program)
        _backward(nodes, program)
    except Recursed:
        return (f"backward() recursed too deep on a chain of {DEEP} ops: Python stops a recursion about "
                "1,000 calls deep. Build the topological order with your own stack instead.",)
    return ()
