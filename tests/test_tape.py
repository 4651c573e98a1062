"""autograd.trace: a graph recorded once and replayed over numpy batches gives the scalar
engine's numbers, sample by sample, special values and masks included.

The oracle is the scalar engine itself, run on each sample alone: the tape must reproduce
what ``fn`` gives there, values and gradients, and refuse what it cannot reproduce.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import MASKED, Op, Parameter, Value, grad, no_grad, ops, scalar, trace
from catalog import CASES
from strategies import expressions

inf, nan = math.inf, math.nan
# inf, nan, signed zeros, huge, tiny and subnormal numbers, and ordinary ones.
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-8, inf, -inf, nan, 1e300, -1e300, 1e-300, -1e-300, 5e-324)


def agree(a: float, b: float, rtol: float = 1e-9) -> bool:
    """The same IEEE value, up to ``rtol`` for finite ones (numpy's exp may differ from math's
    in the last bit, and sums may add in another order)."""
    if a != a or b != b:
        return a != a and b != b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * max(abs(a), abs(b))


def scalar_run(fn, rows, params):
    """The scalar engine on each row alone: outputs, and each parameter's gradient of the sum."""
    for p in params:
        p.grad = 0.0
    outputs = []
    for row in rows:
        y = fn(*[Value(v) for v in row])
        outputs.append(y.data)
        y.backward()
    return outputs, [p.grad for p in params]


def tape_run(fn, rows, params):
    tape = trace(fn, *rows[0])
    out = tape.forward(*np.array(rows, dtype=float).T)
    for p in params:
        p.grad = 0.0
    tape.backward()
    return out.tolist(), [p.grad for p in params]


def assert_same_runs(fn, rows, params):
    ours, expected = tape_run(fn, rows, params), scalar_run(fn, rows, params)
    for name, got, want in zip(("outputs", "gradients"), ours, expected):
        assert all(agree(a, b) for a, b in zip(got, want)), f"{name}: tape {got}, scalar {want}"


# -- one formula per op ---------------------------------------------------------------------
def _recorded(node: Value):
    """What an op's formulas give on floats, for the node the hot path recorded."""
    xs = [p.data for p in node.parents]
    vector = isinstance(node.local_grads, ops.JacobianRow)
    out = node._fn.forward(*xs)
    return (out[node.local_grads.output] if vector else out), tuple(node._fn.derivative(*xs, node if vector else out))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_op_formula_is_what_the_engine_records_bit_for_bit(case):
    # The tape calls the formulas of the Op table; the engine computes them inline. Both must
    # be the same numbers, at special points too, and the same masks (MASKED by identity).
    count = case.operand_count(3)
    for point in [tuple(SPECIAL[(i * 7 + k) % len(SPECIAL)] for k in range(count)) for i in range(len(SPECIAL))]:
        node = case.build(*[Value(x) for x in point])
        value, local = _recorded(node)
        assert value == node.data or (value != value and node.data != node.data), (point, value, node.data)
        assert math.copysign(1.0, value) == math.copysign(1.0, node.data) or value != value
        assert len(local) == len(node.local_grads)
        for mine, theirs in zip(local, node.local_grads):
            assert (mine is MASKED) == (theirs is MASKED), (point, local, tuple(node.local_grads))
            assert mine == theirs or (mine != mine and theirs != theirs), (point, local, tuple(node.local_grads))


def test_leaky_relu_keeps_its_slope_where_the_example_did_not_need_it():
    # Traced at x > 0, the recorded edge is 1.0; the slope lives in the op, for the samples below 0.
    x = Parameter(1.0)
    assert_same_runs(lambda v: (v * x).leaky_relu(0.3) + v.leaky_relu(0.02), [[2.0], [-3.0], [-0.0], [nan]], [x])


def test_scalar_functions_work_on_arrays_with_the_same_ieee_values():
    xs = np.array(SPECIAL)
    with np.errstate(all="ignore"):
        for f in (scalar.exp, scalar.log, scalar.sqrt, scalar.tanh, scalar.sigmoid, scalar.softplus, scalar.sin,
                  scalar.cos):
            assert all(agree(a, f(x), rtol=1e-15) for a, x in zip(f(xs).tolist(), SPECIAL)), f.__name__
        for b in (0.5, -0.5, 2.0, -1.0, 0.0, 1.5, inf, nan):  # C's pow, not numpy's sqrt for x**0.5
            assert all(agree(a, scalar.pow(x, b), rtol=1e-15) for a, x in zip(scalar.pow(xs, b).tolist(), SPECIAL))
        assert all(agree(a, scalar.div(1.0, x)) for a, x in zip(scalar.div(1.0, xs).tolist(), SPECIAL))
        rows = [[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.0], [inf, 0.0, 1.0], [-inf, -inf, -inf], [nan, 1.0, 2.0]]
        stacked = np.array(rows).T  # an input per row, a sample per column
        for f in (scalar.logsumexp, scalar.softmax, scalar.log_softmax):
            got = np.asarray(f(stacked))
            for s, row in enumerate(rows):
                want = f(row)
                column = got[..., s].tolist()
                assert all(agree(a, b, rtol=1e-15) for a, b in zip(np.atleast_1d(column), np.atleast_1d(want)))


def test_a_mask_on_arrays_sends_zero_even_from_inf_and_nan():
    local = scalar.mask(np.array([True, False, False]), 2.0)
    assert (local * np.array([inf, inf, nan])).tolist()[1:] == [0.0, 0.0]
    assert (local * np.array([inf, 1.0, 1.0]))[0] == inf
    assert scalar.mask(False) is MASKED and scalar.mask(True, 3.0) == 3.0


# -- random graphs of every op, at special values ----------------------------------------
def _special_rows(data, width: int):
    return data.draw(st.lists(st.lists(st.sampled_from(SPECIAL), min_size=width, max_size=width),
                              min_size=1, max_size=4))


@given(expressions(every_op=True), st.data())
def test_a_graph_of_every_op_replays_as_the_scalar_engine_at_special_values(expr, data):
    parameter = Parameter(data.draw(st.sampled_from(SPECIAL)))
    rows = _special_rows(data, len(expr.points) - 1)
    assert_same_runs(lambda *xs: expr(parameter, *xs), rows, [parameter])


@given(expressions(max_steps=8), st.data())
def test_random_graphs_replay_as_the_scalar_engine_at_special_values(expr, data):
    parameter = Parameter(data.draw(st.sampled_from(SPECIAL)))
    rows = _special_rows(data, len(expr.points) - 1)
    assert_same_runs(lambda *xs: expr(parameter, *xs), rows, [parameter])


@given(expressions(max_steps=8))
def test_random_graphs_replay_as_the_scalar_engine_at_ordinary_values(expr):
    # The catalog's own points, where every op is in its domain, as the samples of a batch.
    parameter = Parameter(expr.points[0])
    rows = [list(expr.points[1:]), [x * 0.75 for x in expr.points[1:]], [-x for x in expr.points[1:]]]
    assert_same_runs(lambda *xs: expr(parameter, *xs), rows, [parameter])


def test_a_layer_replays_as_matrix_products_with_inf_nan_and_zeros():
    # dot nodes with parameter weights are W @ X: 0 * inf must still be nan, per sample.
    weights = [[Parameter(w) for w in row] for row in [[0.0, 1.0, -2.0], [inf, 0.5, 0.0], [1e300, 1e300, -0.0]]]
    biases = [Parameter(b) for b in (0.0, -1.0, nan)]

    def layer(*xs):
        return ops.sum([z.tanh() for z in ops.affine(weights, xs, biases)])

    rows = [[1.0, 2.0, 3.0], [inf, 0.0, 1.0], [0.0, 0.0, 0.0], [nan, 1.0, -1.0], [1e300, 1e300, 1.0]]
    assert_same_runs(layer, rows, [w for row in weights for w in row] + biases)


# -- choices made per sample ---------------------------------------------------------------
def test_relu_max_min_abs_and_pow_choose_per_sample_and_masks_send_zero_to_inf():
    w = Parameter(2.0)

    def fn(x, y):
        # sqrt's slope is inf at 0: a masked edge must still send 0, a plain factor nan.
        picked = ops.max([x * w, y, -x]).sqrt() + ops.min([x, y * w]) + abs(x - y) * w
        return picked + (x * w).relu().sqrt() + (x ** Value(0.0) * w) + (y * w) ** x + x.leaky_relu(0.1) * w

    rows = [[1.0, 2.0], [-1.0, 3.0], [0.0, -0.0], [-0.0, 0.0], [5.0, -5.0], [nan, 1.0], [inf, -inf], [2.0, 2.0]]
    assert_same_runs(fn, rows, [w])


def test_max_picks_another_input_on_every_sample_and_the_gradient_follows():
    a, b, c = Parameter(1.0), Parameter(2.0), Parameter(3.0)
    fn = lambda x: ops.max([a * x, b * x, c - x])  # noqa: E731
    tape = trace(fn, 1.0)
    tape.forward(np.array([1.0, -1.0, 10.0, 0.5]))
    for p in (a, b, c):
        p.grad = 0.0
    tape.backward()
    # picked: b*x (x = 1), a*x (x = -1, -1 > -2 > 4? no: c - x = 4 wins), b*x (x = 10), c - x (x = 0.5)
    assert [a.grad, b.grad, c.grad] == [0.0, 1.0 + 10.0, 1.0 + 1.0]


def test_softmax_and_log_softmax_outputs_replay_each_their_row():
    w = [Parameter(v) for v in (0.5, -1.0, 2.0)]

    def fn(x, y):
        zs = [w[0] * x, w[1] * y, w[2] + x * y]
        return ops.softmax(zs)[1] * 3.0 + ops.log_softmax(zs)[2] + ops.logsumexp(zs) + ops.mean(zs)

    rows = [[0.1, 0.2], [1000.0, -1000.0], [inf, 1.0], [-inf, -inf], [nan, 0.0], [0.0, 0.0]]
    assert_same_runs(fn, rows, w)


# -- what the tape reads, and what it leaves -------------------------------------------------
def test_backward_adds_the_batch_gradient_as_backward_adds_and_mean_divides():
    w, b = Parameter(0.5), Parameter(-1.0)
    tape = trace(lambda x: (w * x + b).tanh(), 0.3)
    assert set(tape.parameters) == {w, b} and tape.constants == ()
    xs = np.array([0.3, -2.0, 1.5])
    tape.forward(xs)
    w.grad = b.grad = 0.0
    tape.backward()
    once = (w.grad, b.grad)
    tape.backward()
    assert (w.grad, b.grad) == (2 * once[0], 2 * once[1])  # accumulated exactly
    w.grad = b.grad = 0.0
    tape.backward(reduction="mean")
    expected = [sum(x * (1 - math.tanh(0.5 * x - 1.0) ** 2) for x in xs) / 3,
                sum(1 - math.tanh(0.5 * x - 1.0) ** 2 for x in xs) / 3]
    assert [w.grad, b.grad] == pytest.approx(expected, rel=1e-14)


def test_a_loop_may_keep_the_parameters_in_an_array():
    w, b = Parameter(0.5), Parameter(-1.0)
    tape = trace(lambda x: (w * x + b).tanh() * 2.0, 0.3)
    xs = np.array([0.3, -2.0, 1.5])
    order = list(tape.parameters)
    values = np.array([{w: 0.25, b: 0.5}[p] for p in order])
    out = tape.forward(xs, parameters=values)
    assert out.tolist() == pytest.approx([2.0 * math.tanh(0.25 * x + 0.5) for x in xs], rel=1e-15)  # np.tanh
    assert (w.data, b.data) == (0.5, -1.0)  # the Values are left alone
    w.grad = b.grad = 7.0
    gradient = tape.gradient(reduction="mean")  # touches no .grad
    assert (w.grad, b.grad) == (7.0, 7.0)
    tape.backward(reduction="mean")
    assert [p.grad - 7.0 for p in order] == pytest.approx(gradient.tolist(), rel=1e-15)
    with pytest.raises(ValueError, match=r"parameters must be an array of 2 values, one per parameter of the tape, "
                                         r"got shape \(3,\)"):
        tape.forward(xs, parameters=np.zeros(3))


def test_parameters_are_read_at_each_forward():
    w = Parameter(2.0)
    tape = trace(lambda x: w * x, 1.0)
    assert tape.forward(np.array([1.0, 3.0])).tolist() == [2.0, 6.0]
    w.data = -1.0
    assert tape.forward(np.array([1.0, 3.0])).tolist() == [-1.0, -3.0]


def test_several_outputs_and_the_values_of_any_node():
    w = Parameter(3.0)
    captured = {}

    def fn(x, pair):
        h = w * x
        captured["h"] = h
        return [h + pair[0], h * pair[1]]

    tape = trace(fn, 1.0, [2.0, 4.0])
    out = tape.forward(np.array([1.0, 2.0]), np.array([[2.0, 4.0], [0.0, -1.0]]))
    assert out.tolist() == [[5.0, 12.0], [6.0, -6.0]]
    assert tape.value(captured["h"]).tolist() == [3.0, 6.0]
    w.grad = 0.0
    tape.backward(output=1)  # d(h * pair[1])/dw = x * pair[1]: 4 + -2
    assert w.grad == 2.0
    with pytest.raises(ValueError, match="fn returned 2 outputs: pass output=i"):
        tape.backward()
    with pytest.raises(ValueError, match=r"output must be in \[0, 2\), got 2"):
        tape.backward(output=2)


def test_a_dot_layer_is_one_step_and_a_layers_activations_another():
    import nn

    model = nn.MLP(4, [5, 3], activation="tanh", seed=0)
    tape = trace(lambda x: model(x), [0.1, 0.2, 0.3, 0.4])
    # 5 dot nodes, 5 tanh nodes, 3 dot nodes: three steps, whatever the widths
    assert repr(tape) == "Tape(13 nodes in 3 steps, 4 inputs, 43 parameters, 0 constants, 3 outputs)"
    X = np.random.default_rng(0).normal(size=(6, 4))
    with no_grad():
        expected = [[v.data for v in model(row)] for row in X.tolist()]
    assert tape.forward(X) == pytest.approx(np.array(expected), rel=1e-13, abs=1e-15)


# -- refusing what it cannot replay ---------------------------------------------------------
def test_an_op_written_with_math_is_refused_by_name():
    def forward(x):
        return math.exp(x) - 1.0

    def derivative(x, out):
        return (math.exp(x),)

    expm1 = Op("expm1_by_math", forward, derivative)
    with pytest.raises(TypeError, match="op 'expm1_by_math' cannot run on numpy arrays"):
        trace(lambda x: expm1(x * 2.0), 0.5)


def test_an_op_with_a_python_if_is_refused_by_name_even_on_a_batch_of_one():
    # `if x > 0` on an array of one sample would work; the trace checks on two.
    step_op = Op("python_step", lambda x: x if x > 0 else 0.0 * x, lambda x, out: (1.0 if x > 0 else 0.0,))
    with pytest.raises(TypeError, match="op 'python_step' cannot run on numpy arrays"):
        trace(lambda x: step_op(x), 0.5)


def test_a_user_op_written_with_scalar_and_arithmetic_replays():
    softsign = Op("softsign", lambda x: x / (1 + abs(x)), lambda x, out: (1 / (1 + abs(x)) ** 2,))
    clipped = Op("clip_at_1", lambda x: scalar.where(x > 1.0, 1.0, x),
                 lambda x, out: (scalar.mask(scalar.value_of(x) <= 1.0),))
    w = Parameter(0.7)
    assert_same_runs(lambda x: softsign(w * x) + clipped(w * x).sqrt(), [[0.5], [-3.0], [4.0], [inf], [nan]], [w])


def test_a_graph_only_op_is_refused():
    # grad(create_graph=True) of a**b at b = 0 keeps a mask node, which has no forward formula.
    b = Value(0.0)
    with pytest.raises(TypeError, match="op 'mask' cannot be replayed on the tape: it has no forward formula"):
        trace(lambda x: grad(x**b, [x], create_graph=True)[0], 2.0)


def test_a_python_if_on_data_is_found_by_verify():
    def fn(x):
        return x * 2.0 if x.data > 0 else x.exp()

    tape = trace(fn, 1.0)
    tape.verify(np.array([1.0, 5.0]))  # the same branch: fine
    with pytest.raises(ValueError, match="sample 1 of the batch: fn built another graph than on the example"):
        tape.verify(np.array([3.0, -1.0]))


def test_a_constant_computed_from_the_data_is_found_by_verify():
    tape = trace(lambda x: x * x.data, 2.0)  # x.data becomes a constant leaf
    with pytest.raises(ValueError, match=r"node \d+ is the constant 3.0, on the tape the constant 2.0"):
        tape.verify(np.array([3.0]))


def test_an_op_made_per_call_around_a_samples_number_is_found_by_verify():
    def fn(x):
        c = x.data
        shifted = Op("shift", lambda v: v + c, lambda v, out: (1.0,))
        return shifted(x)

    tape = trace(fn, 1.0)
    with pytest.raises(ValueError, match="the replay of a node of op 'shift' gives 4.0 on sample 0, "
                                         "the scalar engine 6.0: op 'shift' computes differently"):
        tape.verify(np.array([3.0]))


def test_trace_under_no_grad_is_refused():
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        trace(lambda x: x * 2.0, 1.0)


@pytest.mark.parametrize("args, error, message", [
    ((lambda x: x, ), TypeError, "trace needs an example input for each argument of fn, got none"),
    ((5, 1.0), TypeError, "trace needs a function to call, got int"),
    ((lambda x: x, "1"), TypeError, "example input 0 must be a number or a 1-D sequence of numbers in order, got str"),
    ((lambda x: x, {1.0}), TypeError, "example input 0 must be a number or a 1-D sequence .* got set"),
    ((lambda x: x, [1.0, True]), TypeError, r"example input 0\[1\] must be a number, got bool"),
    ((lambda x: x, []), ValueError, "example input 0 is an empty sequence"),
    ((lambda x: x, np.zeros((2, 2))), ValueError, r"got an array of shape \(2, 2\)"),
    ((lambda x: 3.0, 1.0), TypeError, "fn must return a Value or a non-empty list or tuple of Values, got float"),
    ((lambda x: [x, 2.0], 1.0), TypeError, "got a list of Value, float"),
])
def test_bad_trace_arguments(args, error, message):
    with pytest.raises(error, match=message):
        trace(*args)


def test_bad_batches_and_calls_out_of_order():
    w = Parameter(1.0)
    tape = trace(lambda x, v: w * x + v[0] * v[1], 1.0, [1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"call tape.forward\(batch\) first"):
        tape.backward()
    with pytest.raises(TypeError, match=r"forward takes one array per argument of fn \(2\), got 1"):
        tape.forward(np.zeros(3))
    with pytest.raises(ValueError, match=r"batch input 1 must have shape \(B, 2\), samples first, got \(3, 3\)"):
        tape.forward(np.zeros(3), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"batch input 0 must have shape \(B,\), samples first, got \(3, 1\)"):
        tape.forward(np.zeros((3, 1)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="input 0 has 3, input 1 has 2"):
        tape.forward(np.zeros(3), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="batch input 0 must be an array of real numbers, got dtype <U1"):
        tape.forward(np.array(["a"]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="the batch is empty"):
        tape.forward(np.zeros(0), np.zeros((0, 2)))
    tape.forward(np.zeros(2), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="reduction must be 'sum' or 'mean', got 'max'"):
        tape.backward(reduction="max")
    with pytest.raises(TypeError, match="output must be an int index into the outputs, got str"):
        tape.backward(output="0")
    with pytest.raises(ValueError, match="node must be a Value of this tape's graph"):
        tape.value(Value(1.0))
