"""backward_steps performs exactly backward(), one node at a time; forward_steps replays the
forward pass; each step carries the state of its pass, and says it truthfully."""

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import expressions

from autograd import (ForwardStep, Parameter, Value, backward_steps, detect_anomaly, draw_step, format_number, forward_steps,
                      ops, topological_order)
from autograd.backprop import contribution
from autograd.draw import picture


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


# -- the same numbers as backward --------------------------------------------------------


@settings(max_examples=300)
@given(expressions(max_leaves=4, max_steps=10), st.data(), st.booleans())
def test_exhausting_steps_is_bit_identical_to_backward(expr, data, leaves):
    root = _graph(expr)
    order, _, after = _backward_from_random_grads(root, data)
    steps = list(backward_steps(root, leaves=leaves))
    assert [_bits(node.grad) for node in order] == [_bits(after[node]) for node in order]
    # Step 0, then one step per node that sends (every node with leaves=True), root first.
    shown = [node for node in reversed(order) if leaves or node.parents]
    assert [s.node for s in steps] == [root, *shown]
    assert [s.number for s in steps] == list(range(len(shown) + 1))
    assert all(s.total == len(shown) for s in steps)
    # Each step's grad is what this pass computed: the final grad less what a leaf held.
    for s in steps[1:]:
        if s.node.parents:
            assert _bits(s.grad) == _bits(after[s.node])
        else:
            assert _bits(s.grad + s.held) == _bits(after[s.node])


@settings(max_examples=200)
@given(expressions(max_leaves=4, max_steps=10), st.data())
def test_a_paused_pass_is_consistent(expr, data):
    root = _graph(expr)
    order, before, final = _backward_from_random_grads(root, data)
    steps = backward_steps(root)
    interior = [node for node in order if node.parents]
    stop = data.draw(st.integers(0, len(interior)))
    sent: dict = {root: 1.0}  # what this pass has sent each node, summed in the same order
    count: dict = {}
    consumers = {node: sum(p is node for n in order for p in n.parents) for node in order}
    try:
        for step in steps:
            assert [(c.parent, c.slot, _bits(c.local_grad), _bits(c.amount)) for c in step.contributions] == [
                (p, slot, _bits(local), _bits(contribution(local, step.grad)))  # local * grad, masks at 0
                for slot, (p, local) in enumerate(zip(step.node.parents, step.node.local_grads))
            ] if step.number else step.contributions == ()
            for c in step.contributions:
                sent[c.parent] = sent.get(c.parent, 0.0) + c.amount
                count[c.parent] = count.get(c.parent, 0) + 1
                assert (c.received, c.expected, _bits(c.total)) == (count[c.parent], consumers[c.parent],
                                                                  _bits(sent[c.parent]))
            state = step.state()
            for node in order:
                complete = node is root or count.get(node, 0) == consumers[node]
                assert state.complete(node) == complete
                assert _bits(state.grads.get(node, 0.0)) == _bits(sent.get(node, 0.0))
                # A leaf gets back what it held once it is complete; every other grad is this pass's sum.
                expected = sent.get(node, 0.0) + (before[node] if complete and not node.parents else 0.0)
                assert _bits(node.grad) == _bits(expected)
            if step.number == stop:
                break
    finally:
        # Closing the pass early drops it: every leaf holds exactly what it held before.
        steps.close()
    finished = stop == len(interior)
    for node in order:
        if node.parents:
            assert _bits(node.grad) == _bits(sent.get(node, 0.0))
        elif finished:
            assert _bits(node.grad) == _bits(final[node])
        else:
            assert _bits(node.grad) == _bits(before[node])


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
        assert [s.node.op for s in (next(steps), next(steps), next(steps))] == ["tanh", "tanh", "*"]
        with pytest.raises(FloatingPointError) as by_steps:
            next(steps)
    assert str(by_steps.value) == str(by_backward.value)
    assert "backward of op 'sqrt' produced inf" in str(by_steps.value)
    assert x.grad == 0.5  # the pass ended; x kept its grad


def test_neuron_steps_match_the_hand_computed_chain_rule():
    steps = list(backward_steps(_neuron(), leaves=True))
    # micrograd's numbers: do/dn = 1 - tanh(n)^2 = 1/2; + passes it on; x*w sends w and x.
    expected = [
        ("o", 1.0), ("o", 1.0), ("n", 0.5), ("x1*w1 + x2*w2", 0.5), ("x2*w2", 0.5), ("x2", 0.5), ("w2", 0.0),
        ("x1*w1", 0.5), ("x1", -1.5), ("w1", 1.0), ("b", 0.5),
    ]
    assert [s.node.label for s in steps] == [name for name, _ in expected]
    for step, (_, g) in zip(steps, expected):
        assert step.grad == pytest.approx(g, abs=1e-15)
    n_sends = [(c.parent.label, c.local_grad, c.amount) for c in steps[2].contributions]
    assert n_sends == [("x1*w1 + x2*w2", 1.0, steps[2].grad), ("b", 1.0, steps[2].grad)]
    x1w1_sends = [(c.parent.label, c.local_grad, c.amount) for c in steps[7].contributions]
    assert x1w1_sends == [("x1", -3.0, -3.0 * steps[7].grad), ("w1", 2.0, 2.0 * steps[7].grad)]
    assert all(s.contributions == () for s in steps if not s.node.parents)
    without_leaves = list(backward_steps(_neuron()))
    assert [s.node.label for s in without_leaves] == ["o", "o", "n", "x1*w1 + x2*w2", "x2*w2", "x1*w1"]


# -- step 0, completeness, what a leaf held ----------------------------------------------


def test_step_zero_is_the_forward_pass_done_with_the_root_seeded():
    o = _neuron()
    for node in topological_order(o):
        node.grad = 9.0
    step = next(backward_steps(o))
    assert (step.number, step.node, step.grad, step.contributions) == (0, o, 1.0, ())
    assert str(step) == ("Step 0 of 5: the forward pass is done and o is seeded with do/do = 1; "
                         "every other gradient starts from 0 in this pass.")
    state = step.state()
    assert state.grads == {o: 1.0} and state.complete(o)
    assert not any(state.complete(n) for n in topological_order(o) if n is not o)
    p = picture(o, step=step)
    grads = {n.lines[0]: n.lines[2:] for n in p.nodes}
    assert grads["o = tanh"] == ("grad 1",)
    assert grads["n = +"] == ("grad 0 so far", "0 of 1 received")


def test_a_node_is_complete_once_every_consumer_has_sent():
    # A diamond: a feeds b and c, both feed d. a is complete only after both have sent.
    a = Value(0.5, "a")
    b, c = a.sin(), a.exp()
    b.label, c.label = "b", "c"
    d = b * c
    d.label = "d"
    steps = list(backward_steps(d))
    by_node = {s.node.label: s for s in steps[1:]}
    first, second = sorted((by_node["b"], by_node["c"]), key=lambda s: s.number)
    after_first, after_second = first.state(), second.state()
    assert after_first.received[a] == 1 and not after_first.complete(a)
    assert after_second.received[a] == 2 and after_second.complete(a)
    assert after_first.grads[a] == first.contributions[0].amount
    assert after_second.grads[a] == a.grad
    p = picture(d, step=first)
    node_a = next(n for n in p.nodes if n.lines[0] == "a")
    assert "incomplete" in node_a.emphasis and node_a.lines[-1] == "1 of 2 received"
    node_a = next(n for n in picture(d, step=second).nodes if n.lines[0] == "a")
    assert "incomplete" not in node_a.emphasis and node_a.lines[-1] == f"grad {a.grad:.4g}"


def test_a_leaf_that_held_a_gradient_is_told_both_ways():
    # The case that misled: backward() once, then step through again.
    a = Value(1.5, "a")
    y = a * 2.0
    y.label = "y"
    y.backward()
    assert a.grad == 2.0
    steps = list(backward_steps(y))
    (sent,) = [c for c in steps[1].contributions if c.parent is a]
    assert (sent.amount, sent.total, steps[1].state().held[a]) == (2.0, 2.0, 2.0)
    text = str(steps[1])
    assert "a.grad += 2 × 1 = 2" in text
    assert "(complete; with the 2 it held, a.grad becomes 4)" in text
    assert "const" not in text  # the 2 in a * 2 is written inside its node, not named
    assert a.grad == 4.0
    # draw_step tells the same on the same graph in the same state, and changes nothing.
    a.grad = 2.0
    diagram = draw_step(y, 1)
    assert "with the 2 it held, a.grad becomes 4" in diagram.source
    node_a = next(n for n in picture(y, step=list(backward_steps(y))[1]).nodes if n.lines[0] == "a")
    assert node_a.lines[2:] == ("grad 2 this pass", "+ 2 held = 4")
    assert a.grad == 4.0  # that pass ran to the end: 2 held + 2


def test_leaves_accumulate_across_passes_like_backward():
    x = Value(3.0, "x")
    y = x * x
    list(backward_steps(y))
    list(backward_steps(y))
    assert x.grad == 12.0  # 2 * dy/dx
    assert y.grad == 1.0  # interior nodes hold this pass's gradient only


def test_a_leaf_root_is_step_zero_only():
    x = Parameter(2.0, "x")
    x.grad = 0.25
    steps = list(backward_steps(x))
    assert [(s.number, s.node, s.grad, s.held) for s in steps] == [(0, x, 1.0, 0.25)]
    assert x.grad == 1.25
    assert [s.number for s in backward_steps(x, leaves=True)] == [0, 1]


def test_nothing_happens_until_the_first_step_and_a_pass_closed_early_is_dropped():
    x = Value(3.0, "x")
    y = x.exp()
    x.grad = y.grad = 7.0
    steps = backward_steps(y)
    assert (x.grad, y.grad) == (7.0, 7.0)
    next(steps)
    assert (y.grad, x.grad) == (1.0, 0.0)  # seeded; x waits for y
    next(steps)
    assert x.grad == math.exp(3.0) + 7.0  # complete: what it held is added back
    steps.close()  # after its last step the pass is done: nothing to drop
    assert x.grad == math.exp(3.0) + 7.0
    # x feeds two nodes; closed after the first has sent, the pass leaves x as it was.
    x = Value(3.0, "x")
    z = x.exp() + x.sin()
    x.grad = 7.0
    steps = backward_steps(z)
    for step in steps:
        if step.number == 2:
            assert step.state().received[x] == 1 and x.grad != 7.0
            break
    steps.close()
    assert x.grad == 7.0
    z.backward()  # a later pass accumulates onto what x held, not onto a half pass
    assert x.grad == 7.0 + math.exp(3.0) + math.cos(3.0)


def test_bad_arguments_are_refused_at_the_call():
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        backward_steps(1.5)
    with pytest.raises(TypeError, match="leaves must be a bool, got int"):
        backward_steps(Value(1.0), leaves=1)
    with pytest.raises(TypeError, match="root must be a Value, got str"):
        list(forward_steps("x"))


# -- words -------------------------------------------------------------------------------


def test_step_text_reads_as_the_chain_rule():
    steps = list(backward_steps(_neuron(), leaves=True))
    assert repr(steps[1]) == "<Step 1/10: o [tanh], grad 1; n.grad += 0.5 × 1 = 0.5>"
    assert str(steps[2]).splitlines() == [
        "Step 2 of 10: n [+] has all 1 of its contributions: grad 0.5 this pass.",
        "It sends local derivative × grad to each input:",
        "  x1*w1 + x2*w2.grad += 1 × 0.5 = 0.5   (complete)",
        "  b.grad             += 1 × 0.5 = 0.5   (complete)",
    ]
    assert str(steps[7]).splitlines()[2:] == ["  x1.grad += -3 × 0.5 = -1.5   (complete)",
                                               "  w1.grad += 2 × 0.5 = 1       (complete)"]
    assert str(steps[8]) == "Step 8 of 10: x1 (leaf) has all 1 of its contributions: grad -1.5 this pass; a leaf sends nothing back."
    assert repr(steps[8]) == "<Step 8/10: x1 (leaf), grad -1.5>"
    assert repr(steps[1].contributions[0]) == "<n.grad += 0.5 (local derivative 0.5)>"


def test_partial_sums_are_said_with_how_many_have_arrived():
    a = Value(0.5, "a")
    y = a * a + a
    y.label = "y"
    steps = list(backward_steps(y))
    text = str(steps[1])
    assert "  <*>.grad += 1 × 1 = 1   (complete)" in text
    assert "  a.grad   += 1 × 1 = 1   (1 of 3 received, sum so far 1)" in text
    assert str(steps[2]).splitlines()[2:] == ["  a.grad += 0.5 × 1 = 0.5   (2 of 3 received, sum so far 1.5)",
                                              "  a.grad += 0.5 × 1 = 0.5   (complete)"]
    assert steps[2].state().complete(a) and not steps[1].state().complete(a)


def test_small_numbers_keep_their_digits_in_the_text():
    x, c = Value(1e-7, "x"), Value(1.15e-4, "c")
    y = x * c
    step = list(backward_steps(y))[1]
    assert "x.grad += 1.15e-4 × 1 = 1.15e-4" in str(step)
    assert "c.grad += 1e-7 × 1 = 1e-7" in str(step)
    assert "x.grad += 1.15e-4 × 1 = 1.15e-4" in step.describe(precision=3)
    assert "x.grad += 1e-4 × 1 = 1e-4" in step.describe(precision=1)


def test_unlabelled_nodes_are_named_by_op_or_constant():
    x = Value(2.0, "x")
    y = (x * 3.0).tanh()
    steps = list(backward_steps(y))
    assert repr(steps[1]).startswith("<Step 1/2: <tanh>, grad 1; <*>.grad += ")
    g = 1 - math.tanh(6.0) ** 2  # 2.4576e-5, and x receives 3 g = 7.3728e-5
    assert math.isclose(g, 2.4576e-5, rel_tol=1e-4)
    assert repr(steps[2]) == "<Step 2/2: <*>, grad 2.458e-5; x.grad += 3 × 2.458e-5 = 7.373e-5>"
    assert [c.parent.data for c in steps[2].contributions] == [2.0, 3.0]  # the constant's share is kept


# -- the step in a picture ---------------------------------------------------------------


def test_a_step_picture_puts_what_is_sent_on_the_edges_in_the_caption_order():
    x, w, b = Value(2.0, "x"), Parameter(-3.0, "w"), Parameter(1.0, "b")
    z = ops.dot([w], [x], b)
    z.label = "z"
    L = z * z
    L.label = "L"
    steps = list(backward_steps(L))
    step = steps[2]  # z sends to w, x, b
    p = picture(L, step=step)
    keys = {n.key: n.lines[0] for n in p.nodes}
    z_key = next(k for k, t in keys.items() if t == "z = dot")
    red = [(keys[e.tail], e.label) for e in p.edges if e.head == z_key]
    # d z/d w = x = 2, d z/d x = w = -3, d z/d b = 1, times dL/dz = 2z = -10, sent back
    # against the edge (left to right), so the arrow points to the input, on the left.
    assert red == [("w", "-20 ← × 2"), ("x", "30 ← × -3"), ("b", "-10 ← × 1")]
    caption_order = [line.split(".grad")[0].strip() for line in str(step).splitlines()[2:]]
    assert caption_order == ["w", "x", "b"]
    assert p.caption == str(step)
    assert all("current" in e.emphasis for e in p.edges if e.head == z_key)
    assert next(n for n in p.nodes if n.key == z_key).emphasis == frozenset({"current"})


@pytest.mark.parametrize("rankdir, backward, forward", [
    ("LR", "20 ← × 2", "× 2 → 2"),      # inputs on the left
    ("RL", "× 2 → 20", "2 ← × 2"),      # inputs on the right
    ("TB", "↑ 20\n× 2", "× 2\n↓ 2"),    # inputs above
    ("BT", "× 2\n↓ 20", "↑ 2\n× 2"),    # inputs below
])
def test_what_an_edge_sends_points_the_way_it_travels(rankdir, backward, forward):
    """Backwards, what a step sends travels against the edge, to the input; forward mode's
    tangents travel along it. The arrow points that way on the page, and the amount sits
    at the end it travels to."""
    x, w = Value(0.5, "x"), Parameter(2.0, "w")
    y = (x * w) * 10.0
    y.label = "y"
    step = list(backward_steps(y))[2]  # x w sends d(x w)/dx = w = 2 times its grad 10 to x
    p = picture(y, step=step, rankdir=rankdir)
    into = {e.tail: e.label for e in p.edges if "current" in e.emphasis}
    x_key = next(n.key for n in p.nodes if n.lines[0] == "x")
    assert into[x_key] == backward
    key = dict(p.legend)["edge"]
    assert key.endswith(backward.replace("20", "what it sends back").replace("2", "local derivative")
                        .replace("\n", " "))
    tangents = picture(y, tangents={x: 1.0}, rankdir=rankdir)  # x's tangent 1 times w = 2
    product = next(n.key for n in tangents.nodes if n.lines[0] == "*" and any(
        e.head == n.key and e.tail == x_key for e in tangents.edges))
    assert next(e.label for e in tangents.edges if e.head == product and e.tail == x_key) == forward


def test_draw_step_restores_every_grad_and_refuses_bad_steps():
    o = _neuron()
    for node in topological_order(o):
        node.grad = 0.125
    before = [node.grad for node in topological_order(o)]
    assert "Step 3 of 5" in draw_step(o, 3).source
    assert [node.grad for node in topological_order(o)] == before
    with pytest.raises(ValueError, match="k must be a step number from 0 to 5, got 6"):
        draw_step(o, 6)
    with pytest.raises(ValueError, match="from 0 to 10, got -1"):
        draw_step(o, -1, leaves=True)
    with pytest.raises(TypeError, match="k must be an int, got str"):
        draw_step(o, "1")
    with pytest.raises(ValueError, match="direction must be 'backward' or 'forward', got 'sideways'"):
        draw_step(o, 1, direction="sideways")
    with pytest.raises(ValueError, match="another root"):
        picture(o.parents[0], step=list(backward_steps(o))[1])


# -- the forward pass --------------------------------------------------------------------


class Twin:
    """A Value and the same number computed with plain floats, operation by operation."""

    def __init__(self, v, f):
        self.v, self.f = v, f

    def _binary(self, other, op):
        other = other if isinstance(other, Twin) else Twin(other, float(other))
        return Twin(op(self.v, other.v), op(self.f, other.f))

    def _reflected(self, other, op):
        return Twin(op(other, self.v), op(float(other), self.f))

    def __add__(self, o):
        return self._binary(o, lambda a, b: a + b)

    def __radd__(self, o):
        return self._reflected(o, lambda a, b: a + b)

    def __sub__(self, o):
        return self._binary(o, lambda a, b: a - b)

    def __mul__(self, o):
        return self._binary(o, lambda a, b: a * b)

    def __rmul__(self, o):
        return self._reflected(o, lambda a, b: a * b)

    def __truediv__(self, o):
        return self._binary(o, lambda a, b: a / b)

    def __rtruediv__(self, o):
        return self._reflected(o, lambda a, b: a / b)

    def __pow__(self, e):
        return Twin(self.v**e, self.f**e)

    def __neg__(self):
        return Twin(-self.v, -self.f)

    def relu(self):
        return Twin(self.v.relu(), max(self.f, 0.0))


def test_forward_steps_replay_micrograds_example_bit_for_bit():
    twins = []

    def track(t):
        twins.append(t)
        return t

    a, b = Twin(Value(-4.0, "a"), -4.0), Twin(Value(2.0, "b"), 2.0)
    # micrograd's README example, every intermediate kept with its float twin.
    c = track(a + b)
    d = track(track(a * b) + track(b**3))
    c = track(c + track(c + 1))
    c = track(c + track(track(1 + c) + track(-a)))
    d = track(d + track(track(d * 2) + track(track(b + a).relu())))
    d = track(d + track(track(3 * d) + track(track(b - a).relu())))
    e = track(c - d)
    f = track(e**2)
    g = track(f / 2.0)
    g = track(g + track(10.0 / f))
    float_of = {t.v: t.f for t in twins}
    steps = list(forward_steps(g.v))
    assert isinstance(steps[0], ForwardStep) and steps[0].node is None
    computed = {n for n in topological_order(g.v) if not n.parents}
    for step in steps[1:]:
        assert all(p in computed for p in step.inputs)  # inputs before the node
        computed.add(step.node)
        assert _bits(step.value) == _bits(float_of[step.node])
        assert step.inputs == step.node.parents and step.local_grads == step.node.local_grads
    n = len(float_of)
    assert len(steps) - 1 == n == 25 and f"{steps[-1].value:.4f}" == "24.7041"
    assert str(steps[-1]) == (f"Forward step {n} of {n}: <+> = 24.7 from </> = 24.5, </> = 0.2041.\n"
                              "The local derivatives recorded on its edges: d<+>/d</> = 1, d<+>/d</> = 1.")


def test_a_forward_step_picture_greys_out_what_is_not_computed_yet():
    x = Value(0.5, "x")
    y = x.exp()
    y.label = "y"
    z = y.tanh()
    z.label = "z"
    step = list(forward_steps(z))[1]
    p = picture(z, step=step)
    by_title = {n.lines[0]: n for n in p.nodes}
    assert by_title["y = exp"].emphasis == frozenset({"current"})
    assert by_title["y = exp"].lines == ("y = exp", "data 1.649")
    assert by_title["z = tanh"].emphasis == frozenset({"pending"})
    assert by_title["z = tanh"].lines == ("z = tanh", "not computed yet")
    into_y, into_z = p.edges
    assert (into_y.label, into_y.emphasis) == ("1.649", frozenset({"current"}))
    assert (into_z.label, into_z.emphasis) == ("", frozenset({"pending"}))
    assert p.caption.startswith("Forward step 1 of 2: y [exp] = 1.649 from x = 0.5.")
    assert "Forward step 2 of 2" in draw_step(z, 2, direction="forward").source


def test_forward_steps_carry_tangents_when_given():
    from autograd import forward_tangents, grad

    x, w = Value(0.5, "x"), Parameter(2.0, "w")
    y = (x * w).exp()
    y.label = "y"
    z = y.tanh() * x
    z.label = "z"
    steps = list(forward_steps(z, {x: 1.0}))
    assert steps[0].tangent is None and "Tangents given: x 1." in str(steps[0])
    found = forward_tangents(z, {x: 1.0})
    for step in steps[1:]:
        (by_reverse,) = grad(step.node, [x])  # reverse mode: an independent route to d node/dx
        assert math.isclose(step.tangent, by_reverse, rel_tol=1e-14)
        assert _bits(step.tangent) == _bits(found[step.node])
        assert step.sent == tuple(g * found[p] for p, g in zip(step.inputs, step.local_grads))
    assert steps[-1].describe().endswith(f"= {format_number(steps[-1].tangent)}.")
    assert steps[1].tangent_of(z) is None and steps[-1].tangent_of(z) == steps[-1].tangent


def test_a_forward_picture_with_tangents_shows_what_each_edge_sends():
    from autograd import grad

    x, w = Value(0.5, "x"), Parameter(2.0, "w")
    y = (x * w).exp()
    y.label = "y"
    p = picture(y, tangents={x: 1.0})
    keys = {n.key: n for n in p.nodes}
    for node in topological_order(y):
        shown = next(n for n in p.nodes if n.tooltip.startswith(node.label or f"<{node.op}>"))
        (d,) = grad(node, [x]) if node is not x else (1.0,)
        assert shown.lines[-1] == f"tangent {format_number(d)}", shown.lines
    assert "tangent = 2.0" in next(n for n in p.nodes if n.lines[0] == "*").tooltip
    into_product = [e.label for e in p.edges if keys[e.head].lines[0] == "*"]
    assert into_product == ["× 2 → 2", "× 0.5 → 0"]  # d(x w)/dx = w sends 2 x 1; w's tangent is 0
    frame = draw_step(y, 1, direction="forward", tangents={x: 1.0})
    assert "× 2 → 2" in frame.source and "tangent 2" in frame.source and "not computed yet" in frame.source
    with pytest.raises(ValueError, match="tangents go with forward steps"):
        picture(y, step=list(backward_steps(y))[1], tangents={x: 1.0})
    with pytest.raises(TypeError, match="seeds keys must be Values, got str"):
        picture(y, tangents={"x": 1.0})


def test_masked_edges_are_stepped_as_backward_masks_them():
    # sqrt'(0) = inf arrives at relu, which is off: the edge to x sends 0, not 0 * inf = nan.
    def build():
        x = Value(-1.0, "x")
        return x, (x.relu().sqrt() + x) * 2.0

    x, y = build()
    y.backward()
    assert x.grad == 2.0
    x, y = build()
    steps = list(backward_steps(y))
    assert x.grad == 2.0
    (relu,) = [s for s in steps if s.node.op == "relu"]
    (to_x,) = relu.contributions
    assert math.isinf(relu.grad) and to_x.local_grad == 0.0 and to_x.amount == 0.0
