"""The tape: record a graph once, replay it over a whole batch with numpy.

``trace(fn, *example_inputs)`` calls ``fn`` once, on Values made from one example, and keeps
the graph it builds: its nodes in topological order with their ops and edges, the inputs a
batch fills, and the other leaves it reads (parameters and constants). On the tape every
node holds a numpy vector with one entry per sample: ``tape.forward(*batch)`` evaluates the
nodes over a batch, and ``tape.backward()`` adds the gradient of the batch's summed (or
mean) output to the ``.grad`` of every leaf but the inputs, as ``Value.backward()`` adds.

There is no second table of derivatives. Each node is computed by its op's own formulas,
``Op.forward`` and ``Op.derivative``, the ones the scalar engine records with, called on
arrays (``autograd.scalar`` computes element by element), and each edge sends back
``backprop.contribution(local, g)``: a mask sends 0 even from an inf or nan gradient. Nodes
of one op at the same depth are computed together, as the rows of one array (a layer's
tanh is one call on units x batch). The ``dot`` nodes of a layer read the same inputs, so
their edges are computed by linear algebra instead of by their formula, the one op the tape
treats so: ``Z = W @ X + b`` forward, ``G @ X.T`` to the weights and ``W.T @ G`` to the
inputs backward.

Every choice an op makes from the data is replayed per sample (relu's and max's masks,
abs's sign, the masks of ``**``). What ``fn`` decides in Python from ``.data`` is not: an
``if``, a constant made from a node's value, an op made per call around a sample's numbers.
The tape replays what ``fn`` did on the example. ``trace`` replays the example and checks
every node and every edge against the recorded graph; ``tape.verify(*batch)`` runs ``fn``
again on other samples and refuses a graph that differs.

The tape needs numpy; without it ``trace`` raises ``autograd.optional.NumpyMissing``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set

from . import ops
from .backprop import _one_pass_at_a_time, contribution
from .forward import _joint_order
from .optional import numpy_or_none, require_numpy
from .scalar import MASKED, Masked
from .value import Parameter, Value, _is_number, _Mode

__all__ = ["Tape", "trace"]

np = numpy_or_none()  # required by trace and Tape, so that the rest of autograd runs without it

# A replayed number agrees with the recorded one to this share of its size (or, for a sum,
# of the sum of its terms' sizes). Bit for bit is out of reach: numpy's exp and tanh differ
# from math's in the last bit for some inputs, and a matrix product adds in its own order.
RTOL = 1e-10
# Sums of terms, whose rounding is measured against the sizes of the terms.
_SUMS = frozenset({ops._SUM, ops._MEAN, ops._DOT, ops._DOT_BIAS})
_DOTS = frozenset({ops._DOT, ops._DOT_BIAS})


def trace(fn: Callable, *example_inputs) -> Tape:
    """Record the graph ``fn`` builds on one example, for replaying over batches.

    Each example input is a number or a 1-D sequence of numbers; ``fn`` receives a Value for
    a number and a tuple of Values for a sequence, and returns a Value or a sequence of
    Values (the outputs). Raises ``TypeError`` for an op that cannot run on numpy arrays (or
    has no forward formula), naming it, and ``ValueError`` if the replay of the example
    differs from the recorded graph.
    """
    require_numpy("autograd.trace (the tape)")
    if not callable(fn):
        raise TypeError(f"trace needs a function to call, got {type(fn).__name__}")
    if not example_inputs:
        raise TypeError("trace needs an example input for each argument of fn, got none")
    if not _Mode.recording:
        raise RuntimeError("trace records the graph fn builds, but no_grad() is on in this thread: "
                           "call trace outside the no_grad() block")
    inputs = tuple(_example_input(x, i) for i, x in enumerate(example_inputs))
    return Tape(fn, inputs, fn(*inputs))


def _example_input(x, i: int):
    if _is_number(x):
        return Value(x)
    where = f"example input {i}"
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(f"{where} must be a number or a 1-D sequence of numbers, got an array of shape {x.shape}")
        x = x.tolist()
    elif isinstance(x, (Value, str, bytes, Set, Mapping)) or not isinstance(x, Sequence):
        raise TypeError(f"{where} must be a number or a 1-D sequence of numbers in order, got {type(x).__name__}")
    if not x:
        raise ValueError(f"{where} is an empty sequence: give at least one number")
    for j, v in enumerate(x):
        if not _is_number(v):
            raise TypeError(f"{where}[{j}] must be a number, got {type(v).__name__}")
    return tuple(Value(v) for v in x)


def _outputs(result) -> tuple[Value, ...]:
    items = (result,) if isinstance(result, Value) else result
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(v, Value) for v in items):
        raise TypeError(f"fn must return a Value or a non-empty list or tuple of Values, got {_describe(result)}")
    return tuple(items)


def _describe(x) -> str:
    if isinstance(x, (list, tuple)):
        kinds = sorted({type(v).__name__ for v in x})
        return f"a {type(x).__name__} of {', '.join(kinds) or 'nothing'}"
    return type(x).__name__


class _Slot:
    """The parents at one edge position of a step's nodes: rows of the batch's values (inputs
    and nodes), or entries of the leaves' values (one number each, the same for every sample)."""

    __slots__ = ("on_rows", "index", "at", "unique", "needs_grad")

    def __init__(self, on_rows: bool, index: Sequence, needs_grad: bool):
        self.on_rows = on_rows
        self.index = np.array(index, dtype=np.intp)  # (k,), or (k, n) for a dot step's weights
        flat = self.index.ravel().tolist()
        self.unique = len(set(flat)) == len(flat)
        # A run of consecutive rows is read as a view, not a copy.
        first = flat[0]
        consecutive = self.index.ndim == 1 and flat == list(range(first, first + len(flat)))
        self.at = slice(first, first + len(flat)) if consecutive else self.index
        self.needs_grad = needs_grad

    def read(self, values: np.ndarray, leaves: np.ndarray) -> np.ndarray:
        """``(k, batch)`` rows, or ``(k, 1)`` leaf values that broadcast over the batch."""
        return values[self.at] if self.on_rows else leaves[self.at][:, None]

    def add(self, grads: np.ndarray, leaf_grads: np.ndarray, sent) -> None:
        """Add what the edges at this position sent back, ``(k, batch)``; a leaf collects the
        sum over the batch. A mask sent the float 0.0, which adds nothing."""
        if not isinstance(sent, np.ndarray):
            return
        target, amount = (grads, sent) if self.on_rows else (leaf_grads, sent.sum(axis=-1))
        if self.unique:
            target[self.at] += amount
        else:
            np.add.at(target, self.index, amount)


class _Step:
    """The nodes of one op at one depth, computed together: node ``i`` is row
    ``rows.start + i`` of the batch's values."""

    def __init__(self, op, nodes: list[Value], rows: slice, needs_grad: bool):
        self.op, self.nodes, self.rows, self.needs_grad = op, nodes, rows, needs_grad


class _FormulaStep(_Step):
    """Nodes computed by their op's formulas, each parent position read as one block. A
    vector op (softmax, log_softmax) is one node a step: ``output`` says which of the
    formula's outputs it is."""

    def __init__(self, op, nodes, rows, needs_grad, slots: list[_Slot], output: int | None):
        super().__init__(op, nodes, rows, needs_grad)
        self.slots, self.output = slots, output

    def evaluate(self, values: np.ndarray, leaves: np.ndarray):
        out = self.op.forward(*[slot.read(values, leaves) for slot in self.slots])
        return out if self.output is None else out[self.output]

    def local_derivatives(self, values: np.ndarray, leaves: np.ndarray):
        args = [slot.read(values, leaves) for slot in self.slots]
        # A vector op's derivative reads which output it is from the node (its Jacobian row).
        out = values[self.rows] if self.output is None else self.nodes[0]
        return self.op.derivative(*args, out)

    def magnitude(self, values: np.ndarray, leaves: np.ndarray):
        """For a sum, the sum of its terms' sizes, which bounds its rounding; else 0."""
        if self.op not in _SUMS:
            return 0.0
        return self.op.forward(*[np.abs(slot.read(values, leaves)) for slot in self.slots])

    def backward(self, values, leaves, grads, leaf_grads) -> None:
        g = grads[self.rows]
        for slot, local in zip(self.slots, self.local_derivatives(values, leaves)):
            if slot.needs_grad:
                slot.add(grads, leaf_grads, contribution(local, g))


class _DotStep(_Step):
    """``dot`` nodes with leaves for weights that read the same inputs: ``W @ X + b``."""

    def __init__(self, op, nodes, rows, needs_grad, weights: _Slot, inputs: _Slot, bias: _Slot | None):
        super().__init__(op, nodes, rows, needs_grad)
        self.weights, self.inputs, self.bias = weights, inputs, bias

    def evaluate(self, values: np.ndarray, leaves: np.ndarray):
        z = leaves[self.weights.index] @ self.inputs.read(values, leaves)
        return z if self.bias is None else self.bias.read(values, leaves) + z

    def magnitude(self, values: np.ndarray, leaves: np.ndarray):
        z = np.abs(leaves[self.weights.index]) @ np.abs(self.inputs.read(values, leaves))
        return z if self.bias is None else np.abs(self.bias.read(values, leaves)) + z

    def backward(self, values, leaves, grads, leaf_grads) -> None:
        g = grads[self.rows]
        x = self.inputs.read(values, leaves)
        # Each weight's edge carries its input, each input's its weight: summed over the
        # batch for the weights (G @ X.T), per sample for the inputs (W.T @ G).
        sent = g @ np.broadcast_to(x, (x.shape[0], g.shape[1])).T
        if self.weights.unique:
            leaf_grads[self.weights.index] += sent
        else:
            np.add.at(leaf_grads, self.weights.index, sent)
        if self.inputs.needs_grad:
            self.inputs.add(grads, leaf_grads, leaves[self.weights.index].T @ g)
        if self.bias is not None and self.bias.needs_grad:
            self.bias.add(grads, leaf_grads, g)


class Tape:
    """A graph recorded by ``trace``, replayed over batches. See the module docstring.

    ``nodes`` is the recorded graph in topological order (Values, with their ``.op`` and
    ``.parents``); ``inputs`` are the leaves ``fn`` was given (a Value, or a tuple of them,
    per argument), which a batch fills; ``parameters`` and ``constants`` are the other
    leaves (``Parameter``s and the rest), read as they are at each ``forward``; ``outputs``
    are the Values ``fn`` returned.
    """

    def __init__(self, fn: Callable, inputs: tuple, result):
        require_numpy("autograd.Tape")
        self.fn = fn
        self.inputs = inputs
        self.outputs = _outputs(result)
        self._single = isinstance(result, Value)
        self.nodes = tuple(_joint_order(self.outputs))
        self._input_leaves = [v for arg in inputs for v in (arg if isinstance(arg, tuple) else (arg,))]
        feeds = set(self._input_leaves)
        self._leaves = [v for v in self.nodes if not v.parents and v not in feeds]
        self.parameters = tuple(v for v in self._leaves if isinstance(v, Parameter))
        self.constants = tuple(v for v in self._leaves if not isinstance(v, Parameter))
        kinds = [isinstance(v, Parameter) for v in self._leaves]
        self._parameter_index = np.array([i for i, kind in enumerate(kinds) if kind], dtype=np.intp)
        self._constant_index = np.array([i for i, kind in enumerate(kinds) if not kind], dtype=np.intp)
        for node in self.nodes:
            _require_formulas(node)
        self._build(feeds)
        self._signature = None  # the graph's structure, made when verify first compares one
        self._values = self._leaf_values = None
        # Twice, as a batch of two: an op whose formula asks `if x > 0` fails on it, where a
        # batch of one would let it pass.
        self._check([self.nodes] * 2, _input_values([self._input_leaves] * 2), lambda s: "the example")

    # -- building ----------------------------------------------------------------------
    def _build(self, feeds: set) -> None:
        depth, needs_grad = {}, {}
        for node in self.nodes:
            if node.parents:
                depth[node] = 1 + max(depth[p] for p in node.parents)
                needs_grad[node] = any(needs_grad[p] for p in node.parents)
            else:
                depth[node], needs_grad[node] = 0, node not in feeds
        groups: dict[tuple, list[Value]] = {}
        for node in self.nodes:
            if node.parents:
                groups.setdefault(self._group_key(node, feeds, depth[node]), []).append(node)
        self._row = {v: i for i, v in enumerate(self._input_leaves)}
        self._leaf = {v: i for i, v in enumerate(self._leaves)}
        self._steps = []
        for key, nodes in sorted(groups.items(), key=lambda item: depth[item[1][0]]):
            start = len(self._row)
            self._row.update((node, start + i) for i, node in enumerate(nodes))
            rows = slice(start, start + len(nodes))
            self._steps.append(self._step(key[0], nodes, rows, needs_grad))
        self._rows = len(self._row)

    def _group_key(self, node: Value, feeds: set, depth: int) -> tuple:
        op, parents = node._fn, node.parents
        on_rows = tuple(bool(p.parents) or p in feeds for p in parents)
        if isinstance(node.local_grads, ops.JacobianRow):
            return ("vector", id(node))
        if op in _DOTS:
            n = (len(parents) - (op is ops._DOT_BIAS)) // 2
            if not any(on_rows[:n]) and len(set(on_rows[n : 2 * n])) == 1:
                return ("dot", depth, op, on_rows, tuple(map(id, parents[n : 2 * n])))
        return ("formula", depth, op, on_rows)

    def _slot(self, parents: Sequence[Value], needs_grad: dict) -> _Slot:
        on_rows = parents[0] in self._row
        index = [(self._row if on_rows else self._leaf)[p] for p in parents]
        return _Slot(on_rows, index, any(needs_grad[p] for p in parents))

    def _step(self, kind: str, nodes: list[Value], rows: slice, needs_grad: dict) -> _Step:
        op, first = nodes[0]._fn, nodes[0]
        step_needs_grad = any(needs_grad[node] for node in nodes)
        if kind == "dot":
            n = (len(first.parents) - (op is ops._DOT_BIAS)) // 2
            weights = _Slot(False, [[self._leaf[w] for w in node.parents[:n]] for node in nodes], True)
            inputs = self._slot(first.parents[n : 2 * n], needs_grad)
            bias = self._slot([node.parents[-1] for node in nodes], needs_grad) if op is ops._DOT_BIAS else None
            return _DotStep(op, nodes, rows, step_needs_grad, weights, inputs, bias)
        slots = [self._slot([node.parents[j] for node in nodes], needs_grad) for j in range(len(first.parents))]
        output = first.local_grads.output if kind == "vector" else None
        return _FormulaStep(op, nodes, rows, step_needs_grad, slots, output)

    # -- replaying ---------------------------------------------------------------------
    def forward(self, *batch, parameters: np.ndarray | None = None) -> np.ndarray:
        """Evaluate every node over a batch: one array per argument of ``fn``, samples along
        the first axis (``(B,)`` for a number, ``(B, n)`` for a sequence of n). Returns the
        outputs: ``(B,)`` when ``fn`` returned a Value, ``(B, k)`` for k Values.

        The leaves are read as they are now, or, given ``parameters`` (an array of values for
        ``tape.parameters``, in that order), the parameters from it: a training loop can keep
        them in an array between steps (see ``gradient``)."""
        columns = self._columns(batch)
        values = np.empty((self._rows, columns.shape[1]))
        values[: len(columns)] = columns
        if parameters is None:
            leaves = np.array([leaf.data for leaf in self._leaves], dtype=np.float64)
        else:
            leaves = np.empty(len(self._leaves))
            leaves[self._parameter_index] = self._parameter_values(parameters)
            leaves[self._constant_index] = [leaf.data for leaf in self.constants]
        with np.errstate(all="ignore"):
            for step in self._steps:
                values[step.rows] = step.evaluate(values, leaves)
        self._values, self._leaf_values = values, leaves
        out = np.stack([self._batch_of(v) for v in self.outputs], axis=-1)
        return out[:, 0] if self._single else out

    def backward(self, output: int | None = None, reduction: str = "sum") -> None:
        """Add the gradient of the batch's output to the ``.grad`` of every leaf the tape
        reads (parameters and constants; not the inputs), as ``Value.backward()`` adds.

        ``reduction="sum"`` differentiates the sum of the output over the batch, ``"mean"``
        its mean (as the losses of ``nn`` reduce a batch). ``output`` picks one of several
        outputs by its index.
        """
        leaf_grads = self._leaf_gradients(output, reduction)
        with _one_pass_at_a_time:
            earlier = [leaf.grad for leaf in self._leaves]
            try:
                for leaf, g in zip(self._leaves, (np.array(earlier, dtype=np.float64) + leaf_grads).tolist()):
                    leaf.grad = g
            except BaseException:  # interrupted: every leaf keeps what it held before
                for leaf, g in zip(self._leaves, earlier):
                    leaf.grad = g
                raise

    def gradient(self, output: int | None = None, reduction: str = "sum") -> np.ndarray:
        """The gradient ``backward`` would add, for ``tape.parameters`` (an array in that
        order), touching no ``.grad``, as ``autograd.grad`` touches none."""
        return self._leaf_gradients(output, reduction)[self._parameter_index]

    def _parameter_values(self, parameters) -> np.ndarray:
        values = np.asarray(parameters, dtype=np.float64)
        if values.shape != (len(self.parameters),):
            raise ValueError(f"parameters must be an array of {len(self.parameters)} values, one per parameter of "
                             f"the tape, got shape {values.shape}")
        return values

    def _leaf_gradients(self, output, reduction: str) -> np.ndarray:
        """The gradient of the batch's output for every leaf but the inputs."""
        if reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
        root = self.outputs[self._output_index(output)]
        if self._values is None:
            raise RuntimeError("backward() replays the last forward(): call tape.forward(batch) first")
        values, leaves = self._values, self._leaf_values
        batch = values.shape[1]
        grads = np.zeros_like(values)
        leaf_grads = np.zeros(len(self._leaves))
        seed = np.full(batch, 1.0 if reduction == "sum" else 1.0 / batch)
        if root in self._row:
            grads[self._row[root]] = seed
        elif root in self._leaf:
            leaf_grads[self._leaf[root]] = seed.sum()
        with np.errstate(all="ignore"):
            for step in reversed(self._steps):
                if step.needs_grad:
                    step.backward(values, leaves, grads, leaf_grads)
        return leaf_grads

    def value(self, node: Value) -> np.ndarray:
        """The batch of values a recorded node took in the last ``forward``, ``(B,)``."""
        if self._values is None:
            raise RuntimeError("value() reads the last forward(): call tape.forward(batch) first")
        if not isinstance(node, Value) or not (node in self._row or node in self._leaf):
            raise ValueError(f"node must be a Value of this tape's graph, got {node!r}")
        return self._batch_of(node)

    def _batch_of(self, node: Value) -> np.ndarray:
        if node in self._row:
            return self._values[self._row[node]]
        return np.full(self._values.shape[1], self._leaf_values[self._leaf[node]])

    def _output_index(self, output) -> int:
        if output is None:
            if len(self.outputs) != 1:
                raise ValueError(f"fn returned {len(self.outputs)} outputs: pass output=i to say which "
                                 "to differentiate")
            return 0
        if isinstance(output, bool) or not isinstance(output, int):
            raise TypeError(f"output must be an int index into the outputs, got {type(output).__name__}")
        if not 0 <= output < len(self.outputs):
            raise ValueError(f"output must be in [0, {len(self.outputs)}), got {output}")
        return output

    def _columns(self, batch: tuple) -> np.ndarray:
        """The batch as one row per input leaf, ``(inputs, B)`` float64, after checking it."""
        if len(batch) != len(self.inputs):
            raise TypeError(f"forward takes one array per argument of fn ({len(self.inputs)}), got {len(batch)}")
        parts, size = [], None
        for i, (arg, x) in enumerate(zip(self.inputs, batch)):
            a = np.asarray(x)
            if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
                raise TypeError(f"batch input {i} must be an array of real numbers, got dtype {a.dtype}")
            width = len(arg) if isinstance(arg, tuple) else None
            expected = "(B,)" if width is None else f"(B, {width})"
            if a.ndim != (1 if width is None else 2) or (width is not None and a.shape[1] != width):
                raise ValueError(f"batch input {i} must have shape {expected}, samples first, got {a.shape}")
            if len(a) == 0:
                raise ValueError("the batch is empty: give at least one sample")
            if size is None:
                size = len(a)
            elif len(a) != size:
                raise ValueError(f"every batch input needs the same number of samples: input 0 has {size}, "
                                 f"input {i} has {len(a)}")
            parts.append(a.reshape(len(a), -1))
        return np.concatenate(parts, axis=1).T.astype(np.float64)

    # -- checking ----------------------------------------------------------------------
    def verify(self, *batch) -> None:
        """Run ``fn`` with the scalar engine on every sample of ``batch`` and check that it
        builds the recorded graph, and that the tape replays it: ``ValueError`` names the
        first sample and node that differ. Costs a scalar forward pass per sample."""
        columns = self._columns(batch)
        graphs, fed = [], []
        for s in range(columns.shape[1]):
            args, flat, k = [], [], 0
            for arg in self.inputs:
                width = len(arg) if isinstance(arg, tuple) else 1
                leaves = [Value(v) for v in columns[k : k + width, s].tolist()]
                args.append(tuple(leaves) if isinstance(arg, tuple) else leaves[0])
                flat += leaves
                k += width
            outputs = _outputs(self.fn(*args))
            order = _joint_order(outputs)
            self._compare_structure(order, outputs, flat, s)
            graphs.append(order)
            fed.append(flat)
        self._check(graphs, _input_values(fed), lambda s: f"sample {s}")

    def _compare_structure(self, order: list[Value], outputs: tuple, feeds: list[Value], sample: int) -> None:
        if self._signature is None:
            self._signature = _signature(self.nodes, self.outputs, self._input_leaves)
        theirs = _signature(order, outputs, feeds)
        if theirs == self._signature:
            return
        ours = self._signature
        if len(theirs) != len(ours):
            difference = f"{len(theirs) - 1} nodes, the tape has {len(ours) - 1}"
        else:
            i = next(i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b)
            difference = f"node {i} is {_describe_entry(theirs[i])}, on the tape {_describe_entry(ours[i])}"
        raise ValueError(f"sample {sample} of the batch: fn built another graph than on the example ({difference}). "
                         "The tape replays the example's graph; a structure that depends on the data (an if on "
                         ".data, a constant computed from it) cannot be traced: keep such choices inside ops "
                         "(relu, max, min, abs) or give the value as an input")

    def _check(self, graphs: list[list[Value]], fed: np.ndarray, sample: Callable[[int], str]) -> None:
        """Replay every step from the recorded values of its parents, one column per graph,
        and compare with the recorded value and local derivatives of each node. Each node is
        replayed from recorded inputs, so rounding does not pile up along the graph."""
        values = np.zeros((self._rows, len(graphs)))
        values[: len(fed)] = fed
        position = {v: i for i, v in enumerate(self.nodes)}
        for node, row in self._row.items():
            if node in position:
                values[row] = [graph[position[node]].data for graph in graphs]
        leaves = np.array([leaf.data for leaf in self._leaves], dtype=np.float64)
        with np.errstate(all="ignore"):
            for step in self._steps:
                recorded = values[step.rows]
                try:
                    replayed = np.broadcast_to(step.evaluate(values, leaves), recorded.shape)
                    scale = np.maximum(np.abs(recorded), np.abs(step.magnitude(values, leaves)))
                    local = step.local_derivatives(values, leaves) if isinstance(step, _FormulaStep) else None
                except Exception as error:
                    raise TypeError(f"op {step.op.name!r} cannot run on numpy arrays: {type(error).__name__}: {error}. "
                                    "Write its forward and derivative with arithmetic and autograd.scalar's "
                                    "functions, which work on floats and arrays alike") from error
                wrong = ~_agree(replayed, recorded, scale)
                if wrong.any():
                    i, s = np.argwhere(wrong)[0]
                    raise ValueError(f"the replay of {_name(step.nodes[i])} gives {float(replayed[i, s])!r} on "
                                     f"{sample(s)}, the scalar engine {float(recorded[i, s])!r}: op "
                                     f"{step.op.name!r} computes differently on arrays than on floats")
                if local is not None:
                    self._check_local_derivatives(step, local, graphs, position, sample)

    def _check_local_derivatives(self, step: _FormulaStep, local, graphs, position: dict, sample) -> None:
        local = tuple(local)
        k, columns = len(step.nodes), len(graphs)
        for i, node in enumerate(step.nodes):
            if len(local) != len(node.parents):
                raise TypeError(f"derivative of op {step.op.name!r} gave {len(local)} values on arrays, "
                                f"expected one per input ({len(node.parents)})")
            for s, graph in enumerate(graphs):
                recorded = graph[position[node]].local_grads
                for j, entry in enumerate(local):
                    used, got = _entry(entry, i, s, k, columns)
                    want = recorded[j]
                    if used != (want is not MASKED) or (used and not _agree(got, want, abs(want))):
                        shown = "masked" if not used else repr(float(got))
                        expected = "masked" if want is MASKED else repr(want)
                        raise ValueError(f"the replay of {_name(node)} gives the local derivative {shown} on "
                                         f"edge {j} on {sample(s)}, the scalar engine {expected}: "
                                         f"op {step.op.name!r} computes differently on arrays than on floats")

    def __repr__(self) -> str:
        interior = sum(1 for v in self.nodes if v.parents)
        return (f"Tape({interior} nodes in {len(self._steps)} steps, {len(self._input_leaves)} inputs, "
                f"{len(self.parameters)} parameters, {len(self.constants)} constants, {len(self.outputs)} outputs)")


def _input_values(samples: list[list[Value]]) -> np.ndarray:
    """The input leaves of each sample as columns, ``(inputs, samples)``."""
    return np.array([[v.data for v in sample] for sample in samples], dtype=np.float64).T


def _require_formulas(node: Value) -> None:
    op = node._fn
    if node.parents and (op.forward is None or op.derivative is None):
        missing = "forward" if op.forward is None else "derivative"
        raise TypeError(f"op {op.name!r} cannot be replayed on the tape: it has no {missing} formula")


def _entry(local, i: int, s: int, k: int, columns: int) -> tuple[bool, float]:
    """Whether edge entry ``(i, s)`` of a replayed local derivative is used, and its value."""
    if local is MASKED:
        return False, 0.0
    if isinstance(local, Masked):
        used = np.broadcast_to(local.used, (k, columns))[i, s]
        return bool(used), (float(np.broadcast_to(local.local, (k, columns))[i, s]) if used else 0.0)
    return True, float(np.broadcast_to(local, (k, columns))[i, s])


def _agree(replayed, recorded, scale):
    """Equal, both nan, or finite and within ``RTOL`` of ``scale``."""
    close = np.abs(replayed - recorded) <= RTOL * scale
    both_nan = np.isnan(replayed) & np.isnan(recorded)
    return (replayed == recorded) | both_nan | (np.isfinite(replayed) & np.isfinite(recorded) & close)


def _signature(order: Sequence[Value], outputs: Sequence[Value], feeds: list[Value]) -> list[tuple]:
    """The structure of a graph, comparable with ``==``: per node its op, the positions of
    its parents and which output of a vector op it is; per leaf which input it is, the
    ``Parameter`` itself, or a constant's value. Last, the positions of the outputs."""
    position = {v: i for i, v in enumerate(order)}
    fed = {v: i for i, v in enumerate(feeds)}
    signature = []
    for v in order:
        if v.parents:
            signature.append((v.op, tuple(map(position.__getitem__, v.parents)), _output_of(v)))
        elif v in fed:
            signature.append(("input", fed[v]))
        elif isinstance(v, Parameter):
            signature.append(("parameter", v))
        else:  # a constant made by fn on each call, known by its value (nan as a word: nan != nan)
            signature.append(("constant", "nan" if v.data != v.data else v.data))
    signature.append(("outputs", tuple(map(position.__getitem__, outputs))))
    return signature


def _describe_entry(entry: tuple) -> str:
    kind, what = entry[0], entry[1]
    if kind in ("input", "parameter", "constant", "outputs"):
        return {"input": f"input {what}", "parameter": f"the parameter {what!r}", "constant": f"the constant {what!r}",
                "outputs": f"the outputs at {what}"}[kind]
    shown = list(what) if len(what) <= 8 else f"{list(what[:8])[:-1]}, ...] ({len(what)})"
    return f"a node of op {kind!r} reading nodes {shown}"


def _output_of(node: Value):
    return node.local_grads.output if isinstance(node.local_grads, ops.JacobianRow) else None


def _name(node: Value) -> str:
    return f"node {node.label!r} (op {node.op!r})" if node.label else f"a node of op {node.op!r}"

