"""The forward and backward passes one node at a time, so a learner can watch them.

``backward_steps(root)`` performs exactly ``autograd.backward(root)``: the same topological
order, the same float operations in the same sequence, so the grads it leaves are
bit-identical. It pauses after each node has sent its gradient to its inputs and says what
it sent. ``forward_steps(root)`` replays the forward pass that built the graph.

Each ``Step`` carries the state of its pass (``step.state()``): what every node has received
so far and whether it is complete. Drawings read that state from the step they are given;
nothing about a pass under way is kept anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .backprop import _check_contribution, _one_pass_at_a_time, _require_value, contribution, topological_order
from .forward import forward_tangents
from .text import DEFAULT_PRECISION, constants, format_number, node_name
from .value import Value, _Mode


@dataclass(frozen=True)
class Contribution:
    """What one edge sent backwards: ``parent.grad += local_grad * node.grad``.

    ``received`` of ``expected`` is how many of its contributions the parent had after this
    one (``expected`` counts its edges to consumers); ``total`` is the sum it had then.
    """

    parent: Value
    local_grad: float
    amount: float
    slot: int = 0
    received: int = 1
    expected: int = 1
    total: float = 0.0

    @property
    def completes(self) -> bool:
        """True when this was the parent's last contribution of the pass."""
        return self.received == self.expected

    def __repr__(self) -> str:
        return f"<{node_name(self.parent)}.grad += {_num(self.amount)} (local derivative {_num(self.local_grad)})>"


@dataclass(frozen=True)
class BackwardState:
    """A backward pass after some step: each node's sum so far and how many of its
    contributions it has received. ``held`` is what each leaf held before the pass (added to
    its ``.grad`` once it is complete)."""

    root: Value
    grads: dict[Value, float]
    received: dict[Value, int]
    expected: dict[Value, int]
    held: dict[Value, float]

    def complete(self, node: Value) -> bool:
        return node is self.root or self.received.get(node, 0) == self.expected.get(node, 0)


@dataclass
class _Pass:
    """What a backward pass has done so far: its steps, shared by all of them."""

    root: Value
    expected: dict[Value, int]
    held: dict[Value, float]
    constants: set[Value]
    steps: list = field(default_factory=list)

    def state(self, number: int) -> BackwardState:
        grads: dict[Value, float] = {self.root: 1.0}
        received: dict[Value, int] = {}
        for step in self.steps[1 : number + 1]:
            for c in step.contributions:
                grads[c.parent] = c.total
                received[c.parent] = c.received
        return BackwardState(self.root, grads, received, self.expected, self.held)


@dataclass(frozen=True)
class Step:
    """One step of the backward pass, just after ``node`` sent its gradient to its inputs.

    Step 0 is the forward pass done and the root seeded with 1; it sends nothing. ``grad`` is
    the node's gradient from this pass (complete by its step); ``held`` is what a leaf held
    before the pass, added to its ``.grad`` once complete (0 for every other node).
    ``contributions`` has one entry per edge to an input, in the order of ``node.parents``;
    the text leaves out the unnamed constants (``autograd.text.constants``) among them.
    """

    number: int
    total: int
    node: Value
    grad: float
    contributions: tuple[Contribution, ...]
    held: float = 0.0
    _pass: _Pass | None = field(default=None, repr=False, compare=False)

    direction = "backward"

    def state(self) -> BackwardState:
        """Every node's gradient so far and whether it is complete, after this step."""
        return self._pass.state(self.number)

    def __repr__(self) -> str:
        sent = "".join(f"; {line}" for line in self._sent(DEFAULT_PRECISION, aligned=False))
        return f"<Step {self.number}/{self.total}: {node_name(self.node)}{self._kind()}, grad {_num(self.grad)}{sent}>"

    def __str__(self) -> str:
        return self.describe()

    def describe(self, precision: int = DEFAULT_PRECISION) -> str:
        """The step in words, numbers written with ``precision`` significant digits."""

        def num(x: float) -> str:
            return format_number(x, precision)

        name = node_name(self.node)
        head = f"Step {self.number} of {self.total}: "
        if self.number == 0:
            return head + (f"the forward pass is done and {name} is seeded with d{name}/d{name} = 1; "
                           "every other gradient starts from 0 in this pass.")
        own = self._pass.expected.get(self.node, 0) if self._pass else 0
        got = "is the output" if own == 0 else f"has all {own} of its contributions"
        head += f"{name}{self._kind()} {got}: grad {num(self.grad)} this pass"
        if not self.node.parents:
            return head + _held_note(self.node, self.grad, self.held, num) + "; a leaf sends nothing back."
        lines = self._sent(precision, aligned=True)
        return "\n".join([head + ".", "It sends local derivative × grad to each input:", *lines])

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        # IPython shows the multi-line form as a notebook cell's output.
        printer.text(str(self))

    def _kind(self) -> str:
        node = self.node
        if not node.op:
            return " (leaf)"
        return f" [{node.op}]" if node.label else ""  # unlabelled: the name already is the op

    def _sent(self, precision: int, aligned: bool) -> list[str]:
        def num(x: float) -> str:
            return format_number(x, precision)

        # Constants get their share too (in .contributions) but are not named in the text,
        # as drawings write them inside the node they feed.
        told = [c for c in self.contributions if not (self._pass and c.parent in self._pass.constants)]
        names = [f"{node_name(c.parent)}.grad" for c in told]
        sums = [f"{num(c.local_grad)} × {num(self.grad)} = {num(c.amount)}" for c in told]
        if not aligned:
            return [f"{n} += {s}" for n, s in zip(names, sums)]
        width, sum_width = max(map(len, names), default=0), max(map(len, sums), default=0)
        lines = []
        for name, text, c in zip(names, sums, told):
            if c.completes:
                held = self._pass.held.get(c.parent, 0.0) if self._pass else 0.0
                note = "complete" + _held_note(c.parent, c.total, held, num)
            else:
                note = f"{c.received} of {c.expected} received, sum so far {num(c.total)}"
            lines.append(f"  {name:<{width}} += {text:<{sum_width}}   ({note})")
        return lines


@dataclass(frozen=True)
class ForwardStep:
    """One step of the forward pass: ``node`` computed from ``inputs``.

    Step 0 has every leaf given and nothing computed (``node`` is None). ``value`` is the
    node's data; ``local_grads`` are the local derivatives recorded on its incoming edges.
    With tangents given to ``forward_steps``, ``tangent`` is the node's tangent and ``sent``
    what each edge brought it (``local_grad * tangent(input)``): forward mode, step by step.
    """

    number: int
    total: int
    node: Value | None
    inputs: tuple[Value, ...]
    value: float
    local_grads: tuple[float, ...]
    tangent: float | None = None
    sent: tuple[float, ...] = ()
    _ops: tuple = field(default=(), repr=False, compare=False)
    _tangents: dict | None = field(default=None, repr=False, compare=False)

    direction = "forward"

    def computed(self, node: Value) -> bool:
        """Whether ``node`` has its value after this step (a leaf always has)."""
        return not node.parents or node in self._ops[: self.number]

    def tangent_of(self, node: Value) -> float | None:
        """``node``'s tangent once it is computed (None without tangents or before)."""
        if self._tangents is None or not self.computed(node):
            return None
        return self._tangents.get(node, 0.0)

    def __str__(self) -> str:
        return self.describe()

    def describe(self, precision: int = DEFAULT_PRECISION) -> str:
        """The step in words, numbers written with ``precision`` significant digits."""

        def num(x: float) -> str:
            return format_number(x, precision)

        head = f"Forward step {self.number} of {self.total}: "
        if self.node is None:
            seeded = ", ".join(f"{node_name(n)} {num(t)}" for n, t in (self._tangents or {}).items()
                               if not n.parents and t != 0.0)
            return head + "the inputs are given; nothing is computed yet." + (
                f" Tangents given: {seeded}." if seeded else "")
        args = ", ".join(f"{node_name(p)} = {num(p.data)}" for p in self.inputs)
        local = ", ".join(f"d{node_name(self.node)}/d{node_name(p)} = {num(g)}"
                          for p, g in zip(self.inputs, self.local_grads))
        text = (head + f"{node_name(self.node)}{f' [{self.node.op}]' if self.node.label else ''} = "
                f"{num(self.value)} from {args}.\nThe local derivatives recorded on its edges: {local}.")
        if self.tangent is not None:
            terms = " + ".join(f"{num(g)} × {num(self.tangent_of(p))}" for p, g in zip(self.inputs, self.local_grads))
            text += f"\nIts tangent, local derivative × tangent summed over its edges: {terms} = {num(self.tangent)}."
        return text

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def __repr__(self) -> str:
        what = "inputs given" if self.node is None else f"{node_name(self.node)} = {_num(self.value)}"
        return f"<ForwardStep {self.number}/{self.total}: {what}>"


def _num(x: float) -> str:
    return format_number(x, DEFAULT_PRECISION)


def _held_note(node: Value, this_pass: float, held: float, num) -> str:
    """How a leaf's ``.grad`` ends when it held a gradient before the pass."""
    if held == 0.0 or node.parents:
        return ""
    return f"; with the {num(held)} it held, {node_name(node)}.grad becomes {num(this_pass + held)}"


def consumers(order: list[Value]) -> dict[Value, int]:
    """How many edges lead out of each node of ``order`` to another node of it."""
    count = dict.fromkeys(order, 0)
    for node in order:
        for parent in node.parents:
            count[parent] += 1
    return count


def backward_steps(root: Value, leaves: bool = False) -> Iterator[Step]:
    """Perform ``autograd.backward(root)`` one node at a time, yielding a ``Step`` after each.

    Step 0 is the forward pass done, with the root seeded; then the nodes with inputs come in
    reverse topological order (the root first), each once every consumer has sent to it.
    Leaves send nothing and get no step of their own unless ``leaves=True``. A leaf's grad is
    complete when its last consumer sends; what it held before the pass is added then, as
    ``backward`` does. Exhausting the generator leaves every grad bit-identical to
    ``root.backward()``. A pass closed early (``break``, ``.close()``, an error) is dropped
    as an interrupted ``backward`` is: every leaf gets back exactly the grad it held before
    it, so a later pass accumulates onto that. Under ``detect_anomaly()`` the step whose
    contribution is nan or inf raises ``FloatingPointError``, as ``backward`` does.

    From its first step to its end (or until it is closed) the pass holds the lock that
    ``backward()`` takes, so calls of ``backward()`` in other threads wait for it: passes
    over graphs that share nodes never mix their sums.
    """
    _require_value(root, "root")
    check_leaves(leaves)
    order = topological_order(root)
    return _serialized(_written(backward_steps_apart(root, order, leaves), order))


def check_leaves(leaves) -> None:
    """``leaves`` (whether leaves get steps of their own) is a bool, or ``TypeError``."""
    if not isinstance(leaves, bool):
        raise TypeError(f"leaves must be a bool, got {type(leaves).__name__}")


def _serialized(steps: Iterator[Step]) -> Iterator[Step]:
    # One line, as in backward(): no instruction between taking the lock and the block
    # that gives it back.
    with _one_pass_at_a_time: yield from steps  # noqa: E701


def backward_steps_apart(root: Value, order: list[Value], leaves: bool = False) -> Iterator[Step]:
    """The steps of ``root``'s backward pass (``order`` is its topological order), computed
    apart from the graph: no ``.grad`` is read but the leaves' (for what they held) and
    none is written. Drawings step through a pass this way, so they change nothing."""
    # The same operations as autograd.backward, in the same order: the sum for each node
    # starts from zero and a leaf's earlier grad is added once all of this pass's
    # contributions are in (by _written).
    expected = consumers(order)
    held = {node: node.grad for node in order if not node.parents}
    record = _Pass(root, expected, held, constants(order, root))
    shown = [node for node in reversed(order) if leaves or node.parents]
    total = len(shown)
    sums = dict.fromkeys(order, 0.0)  # each node's sum so far, before any earlier grad is added back
    sums[root] = 1.0
    received = dict.fromkeys(order, 0)
    check = _Mode.anomaly
    step = Step(0, total, root, 1.0, (), held.get(root, 0.0), record)
    record.steps.append(step)
    yield step
    for number, node in enumerate(shown, 1):
        g = sums[node]
        sent = []
        for slot, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            amount = contribution(local, g)  # a masked edge sends 0, as in backward
            if check:
                _check_contribution(node, local, g, amount)
            sums[parent] += amount
            received[parent] += 1
            sent.append(Contribution(parent, local, amount, slot, received[parent], expected[parent], sums[parent]))
        step = Step(number, total, node, g, tuple(sent), held.get(node, 0.0), record)
        record.steps.append(step)
        yield step


def _written(steps: Iterator[Step], order: list[Value]) -> Iterator[Step]:
    """``steps``, each written into the graph's grads before it is yielded, as ``backward``
    has them at that point: every node holds its sum so far, and a complete leaf that sum
    plus what it held. Closed early, every leaf gets back what it held."""
    held: dict[Value, float] = {}
    finished = False
    try:
        for step in steps:
            if step.number == 0:
                held = step._pass.held
                for node in order:
                    node.grad = 0.0
                step.node.grad = 1.0 + held.get(step.node, 0.0)
            for c in step.contributions:
                c.parent.grad = c.total + held[c.parent] if c.completes and c.parent in held else c.total
            finished = step.number == step.total  # the pass is done once its last step has sent
            yield step
    finally:
        if not finished:  # closed early: this pass's partial sums leave the leaves again
            for leaf, grad_before in held.items():
                leaf.grad = grad_before


def forward_steps(root: Value, tangents: Mapping | None = None) -> Iterator[ForwardStep]:
    """The forward pass that built ``root``'s graph, one op node at a time.

    Step 0 has the leaves given; then each node with inputs in topological order (inputs
    first), with its value and the local derivatives the forward pass recorded on its edges.
    ``tangents`` (``{x: 1.0}``) adds forward mode: each step also carries the node's tangent
    and what each edge sent it (``autograd.forward_tangents``). Nothing is recomputed or changed.
    """
    _require_value(root, "root")
    found = None if tangents is None else forward_tangents(root, tangents)
    ops = tuple(node for node in topological_order(root) if node.parents)
    return _forward(ops, found)


def _forward(ops: tuple[Value, ...], tangents: dict | None) -> Iterator[ForwardStep]:
    yield ForwardStep(0, len(ops), None, (), float("nan"), (), None, (), ops, tangents)
    for number, node in enumerate(ops, 1):
        locals_ = tuple(node.local_grads)
        tangent = sent = None
        if tangents is not None:
            tangent = tangents[node]
            sent = tuple(g * tangents[p] for p, g in zip(node.parents, locals_))
        yield ForwardStep(number, len(ops), node, node.parents, node.data, locals_, tangent, sent or (), ops, tangents)
