"""Graphs of any depth deep-copy and pickle (ops by name); models do too; ops that pickle
cannot write are refused with a message naming them."""

from __future__ import annotations

import copy
import gc
import io
import math
import pickle
import random
import tracemalloc

import pytest

import nn
from autograd import MASKED, Op, Value, grad, ops, pickling, topological_order
from catalog import CASES, sample_points


def _chain(depth: int) -> tuple[Value, Value, Value]:
    """x and w feeding a chain of ``depth`` steps that uses several ops, and its output."""
    x, w = Value(0.3, "x"), Value(-0.2, "w")
    y = x
    for k in range(depth):
        y = (y * w + 0.5).tanh() + ops.max([y, x]) * 0.25 if k % 2 else y.relu() + x * 1e-3
    return x, w, y


def _copies(obj):
    return {"deepcopy": copy.deepcopy(obj), "pickle": pickle.loads(pickle.dumps(obj))}


@pytest.mark.parametrize("depth", [100, 5_000])
def test_graphs_of_any_depth_copy_and_pickle_into_an_equal_independent_graph(depth):
    x, w, y = _chain(depth)
    expected = grad(y, [x, w])
    nodes = len(topological_order(y))
    for how, (x2, w2, y2) in _copies([x, w, y]).items():
        assert y2.data == y.data, how
        assert len(topological_order(y2)) == nodes, how
        # One copy of each node: x and w are the leaves of the copied graph, not twins.
        leaves = [n for n in topological_order(y2) if not n.parents and n.label]
        assert [n is x2 or n is w2 for n in leaves] == [True] * len(leaves) and len(leaves) == 2, how
        assert grad(y2, [x2, w2]) == expected, how
        y2.backward()
        assert (x2.grad, w2.grad) == expected and x.grad == w.grad == 0.0, how


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_op_survives_a_pickle(case):
    xs = [Value(v) for v in sample_points(case)[0]]
    y = case.build(*xs) * 2.0
    xs2, y2 = pickle.loads(pickle.dumps((xs, y)))
    assert y2.op == y.op and y2.parents[0].op == y.parents[0].op
    assert list(y2.parents[0].local_grads) == list(y.parents[0].local_grads)
    assert grad(y2, xs2) == grad(y, xs)
    # The derivative formulas came along: second derivatives as well.
    first = grad(y, xs, create_graph=True)[0]
    first2 = grad(y2, xs2, create_graph=True)[0]
    assert grad(first2, xs2) == grad(first, xs)


def test_masks_still_mask_after_a_round_trip():
    x, y = Value(-1.0), Value(3.0)
    z = ops.max([x.relu(), y * 0.0]).sqrt()  # both inputs of max are 0: the first is picked
    for how, (x2, y2, z2) in _copies([x, y, z]).items():
        assert z2.parents[0].local_grads[1] is MASKED, how
        assert z2.parents[0].parents[0].local_grads[0] is MASKED, how
        assert _same(grad(z2, [x2, y2]), (0.0, 0.0)) and _same(grad(z, [x, y]), (0.0, 0.0)), how


def _same(a, b) -> bool:
    return all((u != u and v != v) or u == v for u, v in zip(a, b))


def test_a_shared_node_stays_shared():
    x = Value(2.0)
    h = x * x
    a, b = h + 1.0, h * 3.0
    a2, b2, h2 = pickle.loads(pickle.dumps([a, b, h]))
    assert a2.parents[0] is h2 and b2.parents[0] is h2


def _triple(x: float) -> float:
    return 3.0 * x


def _triple_rule(x: float, out: float) -> tuple[float]:
    return (3.0,)


def test_a_user_op_pickles_when_its_functions_have_names():
    triple = Op("triple", _triple, _triple_rule, formula="3")
    x = Value(1.5)
    y2 = pickle.loads(pickle.dumps(triple(x)))
    assert (y2.data, y2.op, y2.local_grads, y2._fn.formula) == (4.5, "triple", (3.0,), "3")


def test_a_user_op_made_of_lambdas_is_refused_by_name_but_copies():
    softsign = Op("softsign", lambda x: x / (1 + abs(x)), lambda x, out: (1 / (1 + abs(x)) ** 2,))
    y = softsign(Value(0.5))
    with pytest.raises(TypeError, match="cannot pickle op 'softsign': its forward is a lambda"):
        pickle.dumps(y)
    y2 = copy.deepcopy(y)
    assert y2.parents[0] is not y.parents[0] and y2.op == "softsign" and grad(y2, y2.parents) == grad(y, y.parents)


def test_copy_copy_makes_a_node_with_the_same_parents():
    x = Value(2.0)
    y = x * 3.0
    y2 = copy.copy(y)
    assert y2 is not y and y2.parents is y.parents and y2.data == 6.0


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_models_copy_and_pickle(how):
    model = nn.MLP(2, [4, 3, 1], seed=3)
    clone = _copies(model)[how]
    assert clone.state_dict() == model.state_dict()
    assert [p.label for p in clone.parameters()] == [p.label for p in model.parameters()]
    assert clone([0.5, -1.0]).data == model([0.5, -1.0]).data
    clone.layers[0].neurons[0].w[0].data += 1.0  # independent
    assert clone.state_dict() != model.state_dict()
    assert math.isfinite(clone([0.5, -1.0]).data)


class _OnlyAutograd(pickle.Unpickler):
    """What a careful user writes: an unpickler that admits chainrule's globals only."""

    def find_class(self, module, name):
        if module == "autograd" or module.startswith("autograd."):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


class _Gadget:
    """Pickles as autograd.pickling._built_in_op("os", "getpid"), then a call of what it gives."""

    def __reduce__(self):
        return pickling._built_in_op, ("os", "getpid")

    def __call__(self):
        raise AssertionError("never called while pickling")


class _Call:
    def __reduce__(self):
        return _Gadget(), ()


def test_ops_are_found_only_in_chainrules_own_table_by_name():
    # The report: _built_in_op imported any module and fetched any attribute, so an
    # unpickler admitting only autograd.* globals still ran os.system through it.
    payload = pickle.dumps(_Call())
    with pytest.raises(pickle.UnpicklingError, match=r"os\.getpid is not an op of chainrule"):
        _OnlyAutograd(io.BytesIO(payload)).load()
    with pytest.raises(pickle.UnpicklingError, match=r"autograd\.value\._Mode is not an op of chainrule"):
        pickling._built_in_op("autograd.value", "_Mode")
    # Every built-in op still comes back as itself.
    x = Value(0.5)
    y = ops.softmax([x.tanh() * 2.0, x.exp(), ops.dot([x], [x], 1.0)])[0] ** 2.0
    for node in topological_order(y):
        assert node._fn is None or pickle.loads(pickle.dumps(node._fn)) is node._fn


@pytest.mark.parametrize("order", ["inputs first", "root first", "shuffled"])
def test_pickling_many_nodes_of_one_graph_is_linear_in_its_nodes(order):
    # The report: pickle.dumps(topological_order(y)) on a 4,000-op chain was 40.5 MB (each
    # node listed every node before it again) against 0.38 MB for the root alone.
    x, w, y = _chain(2_000)
    nodes = topological_order(y)
    if order == "root first":
        nodes.reverse()
    elif order == "shuffled":
        random.Random(0).shuffle(nodes)
    alone = len(pickle.dumps([x, w, y]))
    together = pickle.dumps(nodes)
    assert len(together) < 1.5 * alone
    copied = pickle.loads(together)
    y2 = copied[nodes.index(y)]
    assert grad(y2, [copied[nodes.index(x)], copied[nodes.index(w)]]) == grad(y, [x, w])
    assert len(topological_order(y2)) == len(nodes)


def test_deep_copying_many_nodes_of_one_graph_is_linear_in_its_nodes():
    # The report: deepcopy of 16,001 nodes took 82 s, as each node's prelude listed every
    # node before it again. Measured here by memory: those lists held n²/2 references.
    x, w, y = _chain(2_000)
    nodes = topological_order(y)
    peaks = {}
    for what, obj in (("root", [x, w, y]), ("every node", nodes)):
        gc.collect()
        tracemalloc.start()
        try:
            copied = copy.deepcopy(obj)
            peaks[what] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peaks["every node"] < 2 * peaks["root"]
    assert grad(copied[-1], [copied[nodes.index(x)], copied[nodes.index(w)]]) == grad(y, [x, w])


def test_each_pickle_writes_the_whole_graph_of_what_it_holds():
    # Nodes written by one pickle are not taken as written by the next.
    x, w, y = _chain(10)
    first = pickle.loads(pickle.dumps(y))
    second = pickle.loads(pickle.dumps(y))
    assert first.data == second.data == y.data
    assert len(topological_order(second)) == len(topological_order(y))
