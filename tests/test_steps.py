"""backward_steps performs exactly backward(), one node at a time."""

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import expressions

from autograd import Parameter, Value, backward_steps, detect_anomaly, topological_order
from autograd.steps import _pending_grads


def _graph(expr):
    """The expression's graph over labelled leaves, every other one a Parameter; its output."""
    leaves = [(Parameter if i % 2 else Value)(x, f"x{i}") for i, x in enumerate(expr.points)]
    return expr(*leaves)


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _backward_from_random_grads(root, data):
    """Give every node an arbitrary grad (backward must ignore interior ones and accumulate
    onto leaf ones), run backward, and put those grads back. Returns the topological order
    and each node's grad before and after backward."""
    order = topological_order(root)
    before = {node: data.draw(st.floats(-5.0, 5.0)) for node in order}
    for node, g in before.items():
        node.grad = g
    root.backward()
    after = {node: node.grad for node in order}
    for node, g in before.items():
        node.grad = g
    return order, before, after


def _neuron():
    """micrograd's neuron, op by op: o = tanh(x1*w1 + x2*w2 + b) with n = 0.8814, o = 1/sqrt(2)."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Parameter(-3.0, "w1"), Parameter(1.0, "w2")
    b = Parameter(6.8813735870195432, "b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    both = x1w1 + x2w2
    both.label = "x1*w1 + x2*w2"
    n = both + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


@settings(max_examples=300)
@given(expressions(max_leaves=4, max_steps=10), st.data())
def test_exhausting_steps_is_bit_identical_to_backward(expr, data):
    root = _graph(expr)
    order, _, after = _backward_from_random_grads(root, data)
    steps = list(backward_steps(root))
    assert [_bits(node.grad) for node in order] == [_bits(after[node]) for node in order]
    # One step per node, root first, in backward's own order; each reports its final grad.
    assert [s.node for s in steps] == order[::-1]
    assert [s.number for s in steps] == list(range(1, len(order) + 1))
    assert all(s.total == len(order) for s in steps)
    assert [_bits(s.grad) for s in steps] == [_bits(after[s.node]) for s in steps]
    assert not _pending_grads()


@settings(max_examples=200)
@given(expressions(max_leaves=4, max_steps=10), st.data())
def test_a_paused_pass_is_consistent(expr, data):
    root = _graph(expr)
    order, before, final = _backward_from_random_grads(root, data)
    stop = data.draw(st.integers(1, len(order)))
    steps = backward_steps(root)
    received = {root: 1.0}  # what this pass has sent each node, summed in the same order
    reached = []
    try:
        for step in steps:
            reached.append(step.node)
            assert [(c.parent, _bits(c.local_grad), _bits(c.amount)) for c in step.contributions] == [
                (p, _bits(local), _bits(local * step.grad))
                for p, local in zip(step.node.parents, step.node.local_grads)
            ]
            for c in step.contributions:
                received[c.parent] = received.get(c.parent, 0.0) + c.amount
            if step.number == stop:
                break
            # Reached nodes are final; the others hold exactly what they were sent so far.
            for node in order:
                expected = final[node] if node in reached else received.get(node, 0.0)
                assert _bits(node.grad) == _bits(expected)
            assert _pending_grads() == set(order) - set(reached)
    finally:
        # Closing the pass early gives unreached leaves back the grads they held before it.
        steps.close()
    for node in order:
        if node in reached:
            assert _bits(node.grad) == _bits(final[node])
        elif not node.parents:
            assert _bits(node.grad) == _bits(received.get(node, 0.0) + before[node])
        else:
            assert _bits(node.grad) == _bits(received.get(node, 0.0))
    assert not _pending_grads()


def test_nan_and_inf_are_stepped_bit_for_bit_too():
    def build():
        x, z = Value(-1.0, "x"), Value(0.0, "z")
        return x, z, x.log() + (z / z) + (1.0 / z) * x + abs(z).sqrt()

    x, z, y = build()
    y.backward()
    expected = [_bits(x.grad), _bits(z.grad)]
    x, z, y = build()
    list(backward_steps(y))
    assert [_bits(x.grad), _bits(z.grad)] == expected
    assert x.grad == math.inf and math.isnan(z.grad)  # d((1/z) x)/dx = 1/0; z/z sends nan to z


def test_anomaly_mode_stops_at_the_same_contribution_as_backward():
    def build():
        x = Value(0.0, "x")
        return x, (x.sqrt() * 2.0).tanh()  # sqrt'(0) = inf

    with detect_anomaly():
        x, y = build()
        with pytest.raises(FloatingPointError) as by_backward:
            y.backward()
        x, y = build()
        x.grad = 0.5
        steps = backward_steps(y)
        assert [s.node.op for s in (next(steps), next(steps))] == ["tanh", "*"]
        with pytest.raises(FloatingPointError) as by_steps:
            next(steps)
    assert str(by_steps.value) == str(by_backward.value)
    assert "backward of op 'sqrt' produced inf" in str(by_steps.value)
    assert x.grad == 0.5 and not _pending_grads()  # the pass ended; x kept its grad


def test_neuron_steps_match_the_hand_computed_chain_rule():
    steps = list(backward_steps(_neuron()))
    # micrograd's numbers: do/dn = 1 - tanh(n)^2 = 1/2; + passes it on; x*w sends w and x.
    expected = [
        ("o", 1.0), ("n", 0.5), ("x1*w1 + x2*w2", 0.5), ("x2*w2", 0.5), ("x2", 0.5), ("w2", 0.0),
        ("x1*w1", 0.5), ("x1", -1.5), ("w1", 1.0), ("b", 0.5),
    ]
    assert [s.node.label for s in steps] == [name for name, _ in expected]
    for step, (_, g) in zip(steps, expected):
        assert step.grad == pytest.approx(g, abs=1e-15)
    n_sends = [(c.parent.label, c.local_grad, c.amount) for c in steps[1].contributions]
    assert n_sends == [("x1*w1 + x2*w2", 1.0, steps[1].grad), ("b", 1.0, steps[1].grad)]
    x1w1_sends = [(c.parent.label, c.local_grad, c.amount) for c in steps[6].contributions]
    assert x1w1_sends == [("x1", -3.0, -3.0 * steps[6].grad), ("w1", 2.0, 2.0 * steps[6].grad)]
    assert all(s.contributions == () for s in steps if not s.node.parents)


def test_leaves_accumulate_across_passes_like_backward():
    x = Value(3.0, "x")
    y = x * x
    list(backward_steps(y))
    list(backward_steps(y))
    assert x.grad == 12.0  # 2 * dy/dx
    assert y.grad == 1.0  # interior nodes hold this pass's gradient only


def test_a_leaf_root_is_one_step():
    x = Parameter(2.0, "x")
    x.grad = 0.25
    (step,) = backward_steps(x)
    assert (step.node, step.grad, step.contributions) == (x, 1.25, ())
    assert x.grad == 1.25


def test_nothing_happens_until_the_first_step():
    x = Value(3.0, "x")
    y = x.exp()
    x.grad = y.grad = 7.0
    steps = backward_steps(y)
    assert (x.grad, y.grad) == (7.0, 7.0)
    next(steps)
    assert (y.grad, x.grad) == (1.0, math.exp(3.0))  # x's 7.0 waits until x is reached
    steps.close()
    assert x.grad == math.exp(3.0) + 7.0


def test_bad_root_is_refused_at_the_call():
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        backward_steps(1.5)


def test_repr_and_str_read_as_the_chain_rule():
    steps = list(backward_steps(_neuron()))
    assert repr(steps[0]) == "<Step 1/10: o [tanh], grad 1; n.grad += 0.5 * 1 = 0.5>"
    assert str(steps[1]).splitlines() == [
        "Step 2 of 10: n [+] has its final grad 0.5 and sends local derivative * grad to its parents:",
        "  x1*w1 + x2*w2.grad += 1 * 0.5 = 0.5",
        "  b.grad             += 1 * 0.5 = 0.5",
    ]
    assert str(steps[6]).splitlines()[1:] == ["  x1.grad += -3 * 0.5 = -1.5", "  w1.grad += 2 * 0.5 = 1"]
    assert str(steps[7]) == "Step 8 of 10: x1 (leaf) has its final grad -1.5; a leaf sends nothing back"
    assert repr(steps[7]) == "<Step 8/10: x1 (leaf), grad -1.5>"
    assert repr(steps[0].contributions[0]) == "<n.grad += 0.5 (local derivative 0.5)>"


def test_unlabelled_nodes_are_named_by_op_or_constant():
    x = Value(2.0, "x")
    y = (x * 3.0).tanh()
    steps = list(backward_steps(y))
    assert repr(steps[0]).startswith("<Step 1/4: <tanh>, grad 1; <*>.grad += ")
    assert "<const 3>.grad += 2 * " in repr(steps[1])
