"""Every op against its derivative written out by hand, and against central differences;
the n-ary ops' one-node shape and their errors."""

import gc
import math
import tracemalloc

import pytest

from autograd import Op, Value, gradcheck, grad, ops
from catalog import CASES, OPS, sample_points


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def _softmax(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return [v / sum(e) for v in e]


def _onehot(n, k):
    return tuple(1.0 if i == k else 0.0 for i in range(n))


def _softmax_row(xs):
    s, i = _softmax(xs), len(xs) // 2
    return tuple(s[i] * ((i == j) - s[j]) for j in range(len(xs)))


def _dot_grads(args, bias):
    n = (len(args) - bias) // 2
    return tuple(args[n : 2 * n]) + tuple(args[:n]) + ((1.0,) if bias else ())


# d op / d operand for each operand, from the textbook formulas (math module, floats only).
ANALYTIC = {
    "neg": lambda x: (-1.0,),
    "abs": lambda x: (math.copysign(1.0, x),),
    "exp": lambda x: (math.exp(x),),
    "log": lambda x: (1.0 / x,),
    "sqrt": lambda x: (0.5 / math.sqrt(x),),
    "tanh": lambda x: (1.0 - math.tanh(x) ** 2,),
    "sigmoid": lambda x: (_sigmoid(x) * (1.0 - _sigmoid(x)),),
    "relu": lambda x: (1.0 if x > 0 else 0.0,),
    "leaky_relu": lambda x: (1.0 if x > 0 else 0.1,),
    "softplus": lambda x: (_sigmoid(x),),
    "sin": lambda x: (math.cos(x),),
    "cos": lambda x: (-math.sin(x),),
    "x**2": lambda x: (2.0 * x,),
    "x**3": lambda x: (3.0 * x * x,),
    "x**-1": lambda x: (-1.0 / (x * x),),
    "x**0.5": lambda x: (0.5 / math.sqrt(x),),
    "x**-1.5": lambda x: (-1.5 * x**-2.5,),
    "1.5+x": lambda x: (1.0,),
    "1.5-x": lambda x: (-1.0,),
    "1.5*x": lambda x: (1.5,),
    "1.5/x": lambda x: (-1.5 / (x * x),),
    "1.5**x": lambda x: (1.5**x * math.log(1.5),),
    "x-1.5": lambda x: (1.0,),
    "x/1.5": lambda x: (1.0 / 1.5,),
    "+": lambda x, y: (1.0, 1.0),
    "-": lambda x, y: (1.0, -1.0),
    "*": lambda x, y: (y, x),
    "/": lambda x, y: (1.0 / y, -x / (y * y)),
    "**": lambda x, y: (y * x ** (y - 1.0), x**y * math.log(x)),
    "sum": lambda *xs: (1.0,) * len(xs),
    "mean": lambda *xs: (1.0 / len(xs),) * len(xs),
    "dot": lambda *a: _dot_grads(a, False),
    "dot+bias": lambda *a: _dot_grads(a, True),
    "max": lambda *xs: _onehot(len(xs), xs.index(max(xs))),
    "min": lambda *xs: _onehot(len(xs), xs.index(min(xs))),
    "logsumexp": lambda *xs: tuple(_softmax(xs)),
    "softmax": lambda *xs: _softmax_row(xs),
    "log_softmax": lambda *xs: tuple((j == len(xs) // 2) - s for j, s in enumerate(_softmax(xs))),
}

_CASE_POINTS = [(case, point) for case in CASES for point in sample_points(case)]
_IDS = [f"{case.name}{point}" for case, point in _CASE_POINTS]


def test_every_op_has_a_hand_written_derivative():
    assert set(ANALYTIC) == set(OPS)


@pytest.mark.parametrize("case, point", _CASE_POINTS, ids=_IDS)
def test_gradient_matches_the_analytic_derivative(case, point):
    xs = [Value(x) for x in point]
    got = grad(case.build(*xs), xs)
    # Different but equally good float formulas for one derivative: a few ulps apart.
    assert got == pytest.approx(ANALYTIC[case.name](*point), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("case, point", _CASE_POINTS, ids=_IDS)
def test_gradient_matches_central_differences(case, point):
    assert gradcheck(case.build, point) is True


def test_backward_and_grad_agree_on_every_op():
    for case, point in _CASE_POINTS:
        xs = [Value(x) for x in point]
        y = case.build(*xs)
        expected = grad(y, xs)
        y.backward()
        # An operand used twice gets its two edges summed by both.
        assert tuple(x.grad for x in xs) == expected, case.name


# -- n-ary ops: one node, one edge per input ------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reduction_is_one_node_with_an_edge_per_input(name):
    xs = [Value(x) for x in (0.5, -1.0, 2.0, 0.25)]
    y = getattr(ops, name)(xs)
    assert y.op == name
    assert y.parents == tuple(xs)
    assert len(y.local_grads) == 4
    assert all(x.parents == () for x in xs)


def test_sum_and_mean_values_and_edges():
    xs = [Value(x) for x in (0.5, -1.0, 2.0, 0.25)]
    assert ops.sum(xs).data == 1.75 and ops.sum(xs).local_grads == (1.0,) * 4
    assert ops.mean(xs).data == 0.4375 and ops.mean(xs).local_grads == (0.25,) * 4


def test_dot_is_one_node_with_weights_inputs_and_bias_edges():
    w = [Value(2.0), Value(-3.0)]
    x = [Value(0.5), Value(4.0)]
    b = Value(1.0)
    z = ops.dot(w, x, b)
    assert z.op == "dot"
    assert z.data == 2.0 * 0.5 - 3.0 * 4.0 + 1.0
    assert z.parents == (*w, *x, b)
    # The seeds' forward-pass rule: dz/dw_i is the input on that weight.
    assert z.local_grads == (0.5, 4.0, 2.0, -3.0, 1.0)
    assert ops.dot(w, x).parents == (*w, *x)


def test_affine_makes_one_dot_node_per_row():
    x = [Value(1.0), Value(2.0)]
    rows = [[Value(3.0), Value(4.0)], [Value(-1.0), Value(0.5)]]
    b = [Value(0.25), Value(-0.25)]
    zs = ops.affine(rows, x, b)
    assert [z.data for z in zs] == [11.25, -0.25]
    for z, w, bk in zip(zs, rows, b):
        assert z.op == "dot" and z.parents == (*w, *x, bk)
        assert z.local_grads == ops.dot(w, x, bk).local_grads
    assert [z.data for z in ops.affine(rows, x)] == [11.0, 0.0]


def test_numbers_among_nary_inputs_become_constant_leaves():
    v = Value(2.0)
    y = ops.sum([v, 3, 0.5])
    assert y.data == 5.5 and y.parents[0] is v and len(y.parents) == 3
    z = ops.dot([2.0, 3.0], [v, v])
    assert z.data == 10.0
    z.backward()
    assert v.grad == 5.0


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_vector_activation_outputs_carry_full_jacobian_rows(name):
    point = (1.0, -0.5, 2.0)
    xs = [Value(x) for x in point]
    outs = getattr(ops, name)(xs)
    s = _softmax(point)
    assert len(outs) == 3
    for i, out in enumerate(outs):
        assert out.op == name
        assert out.parents == tuple(xs)
        if name == "softmax":
            assert out.data == pytest.approx(s[i], rel=1e-15)
            row = [s[i] * ((i == j) - s[j]) for j in range(3)]
        else:
            assert out.data == pytest.approx(math.log(s[i]), rel=1e-15)
            row = [(i == j) - s[j] for j in range(3)]
        assert out.local_grads == pytest.approx(row, rel=1e-14, abs=1e-16)


def test_softmax_sums_to_one_and_its_gradient_sum_to_zero():
    xs = [Value(x) for x in (0.3, -1.2, 2.5, 0.0)]
    outs = ops.softmax(xs)
    total = ops.sum(outs)
    assert total.data == pytest.approx(1.0, rel=1e-15)
    assert grad(total, xs) == pytest.approx([0.0] * 4, abs=1e-16)


# -- max and min: the whole gradient to one input -----------------------------------------
def test_max_poll_from_the_seeds():
    # y = max(z1, z2, z3) at (1, 2, 3): dy/dz = (0, 0, 1).
    z = [Value(1.0), Value(2.0), Value(3.0)]
    y = ops.max(z)
    y.backward()
    assert y.data == 3.0
    assert [zi.grad for zi in z] == [0.0, 0.0, 1.0]


@pytest.mark.parametrize(
    "fn, point, expected",
    [
        (ops.max, (1.0, 3.0, 3.0, 2.0), (0.0, 1.0, 0.0, 0.0)),
        (ops.min, (2.0, -1.0, 5.0, -1.0), (0.0, 1.0, 0.0, 0.0)),
        (ops.max, (4.0, 4.0), (1.0, 0.0)),
        (ops.max, (0.0, -0.0), (1.0, 0.0)),
    ],
)
def test_ties_go_to_the_first_extreme_input(fn, point, expected):
    xs = [Value(x) for x in point]
    assert grad(fn(xs), xs) == expected


def test_max_and_min_propagate_nan_to_the_first_nan_input():
    xs = [Value(x) for x in (1.0, math.nan, 5.0, math.nan)]
    for fn in (ops.max, ops.min):
        y = fn(xs)
        assert math.isnan(y.data)
        assert y.local_grads == (0.0, 1.0, 0.0, 0.0)


# -- bad inputs ----------------------------------------------------------------------------
def test_sum_of_nothing_is_a_zero_leaf():
    y = ops.sum([])
    assert isinstance(y, Value) and y.data == 0.0 and y.parents == ()


@pytest.mark.parametrize("name", ["mean", "max", "min", "logsumexp", "softmax", "log_softmax"])
def test_empty_input_raises_value_error(name):
    with pytest.raises(ValueError, match=rf"{name} needs at least one value, got an empty sequence"):
        getattr(ops, name)([])


def test_dot_with_mismatched_lengths_raises_value_error():
    with pytest.raises(ValueError, match="dot needs as many weights as inputs, got 2 weights and 3 inputs"):
        ops.dot([1.0, 2.0], [Value(1.0), Value(2.0), Value(3.0)])


def test_affine_with_wrong_bias_count_raises_value_error():
    with pytest.raises(ValueError, match="one bias per row, got 1 biases for 2 rows"):
        ops.affine([[1.0], [2.0]], [Value(1.0)], [0.0])


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax"])
@pytest.mark.parametrize("bad, type_name", [(Value(1.0), "Value"), (3.0, "float"), ("abc", "str"), (None, "NoneType")])
def test_non_sequence_raises_type_error(name, bad, type_name):
    with pytest.raises(TypeError, match=rf"{name} expects a sequence of Values or numbers, got {type_name}"):
        getattr(ops, name)(bad)


def test_non_number_element_raises_type_error():
    with pytest.raises(TypeError, match="sum expects Values or numbers, got str"):
        ops.sum([Value(1.0), "2"])
    with pytest.raises(TypeError, match="got bool"):
        ops.max([Value(1.0), True])


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax"])
@pytest.mark.parametrize("bad, type_name", [({1.0, 2.0}, "set"), (frozenset({1.0, 2.0}), "frozenset"),
                                            ({1.0: 0, 2.0: 0}, "dict")])
def test_unordered_collections_are_refused(name, bad, type_name):
    # A set has no defined order (which input is "first" for max, which output is which for
    # softmax?), and a dict iterates over its keys.
    with pytest.raises(TypeError, match=rf"{name} expects a sequence of Values or numbers in a defined order, got a {type_name}"):
        getattr(ops, name)(bad)


def test_dot_and_affine_refuse_unordered_collections():
    with pytest.raises(TypeError, match="affine inputs expects .* in a defined order, got a set"):
        ops.dot([Value(1.0)], {Value(2.0)})
    with pytest.raises(TypeError, match="affine weights expects a sequence of rows in a defined order, got a set"):
        ops.affine({(Value(1.0),)}, [Value(2.0)])


# -- softmax at scale: O(n) memory, rows computed when read -----------------------------------
def test_softmax_of_4000_inputs_stores_o_of_n_numbers():
    xs = [Value(math.sin(i)) for i in range(4000)]
    for activation in (ops.softmax, ops.log_softmax):
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            outs = activation(xs)
            used = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        # Full rows would be 4000 * 4000 floats, 500 MB and more; a few hundred bytes an output.
        assert used < 20e6, f"{activation.__name__} of 4000 inputs holds {used / 1e6:.0f} MB"
        assert len(outs) == 4000 and all(len(out.local_grads) == 4000 for out in outs[:3])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_a_jacobian_row_reads_like_the_tuple_it_stands_for(name):
    point = [0.3, -1.2, 2.5, 0.0, 1.1]
    xs = [Value(x) for x in point]
    s = _softmax(point)
    outs = getattr(ops, name)(xs)
    for i, out in enumerate(outs):
        row = out.local_grads
        # Entries from the formula, independent of the engine: s_i (delta_ij - s_j), delta_ij - s_j.
        expected = [(s[i] if name == "softmax" else 1.0) * ((i == j) - s[j]) for j in range(5)]
        assert list(row) == pytest.approx(expected, rel=1e-14, abs=1e-16)
        assert len(row) == 5 and row[i] == list(row)[i] and row[-1] == list(row)[4]
        assert row[1:3] == tuple(row)[1:3]
        assert row == tuple(row) and tuple(row) == row and row != tuple(row)[:4]
        assert repr(row) == repr(tuple(row))
        with pytest.raises(IndexError, match="index 5 out of range for 5 entries"):
            row[5]
    # backward multiplies the same entries: the gradient is the row itself
    assert grad(outs[2], xs) == pytest.approx(list(outs[2].local_grads), rel=1e-15, abs=1e-300)


def test_n_ary_ops_make_no_op_objects_per_size_or_index():
    # An Op per (activation, output index) was cached without bound: 13,197 kept for the life
    # of the process in the report.
    def op_count():
        gc.collect()
        return sum(1 for o in gc.get_objects() if issubclass(type(o), Op))

    ops.softmax([Value(1.0), Value(2.0)])
    before = op_count()
    for n in range(1, 60):
        ops.softmax([Value(float(i)) for i in range(n)])
        ops.log_softmax([Value(float(i)) for i in range(n)])
    assert op_count() == before
    for k in range(1000):
        Value(2.0) ** (k + 0.5)  # one op per exponent, in a cache of at most 256
    assert op_count() <= before + 256


@pytest.mark.parametrize("activation", [ops.softmax, ops.log_softmax])
def test_a_vector_activation_of_more_inputs_than_max_inputs_is_refused_before_any_node(activation):
    # The report: softmax's n outputs carry n edges each, so backward is O(n²): 94.5 s at
    # 10,000 inputs, with no guard. n = 4,096 takes about 2 s; more is refused unless asked.
    xs = [Value(0.0)] * 10_000
    with pytest.raises(ValueError, match=rf"{activation.__name__} of 10000 inputs records 100,000,000 edges "
                                         r"\(a full Jacobian row on each output\), more than max_inputs=4096 "
                                         r"allows; pass a larger max_inputs, or use ops.logsumexp or "
                                         r"nn.batch_loss.cross_entropy, which record one edge per input"):
        activation(xs)
    assert len(activation(xs[:4096])) == 4096
    assert len(activation(xs[:5], max_inputs=5)) == 5
    with pytest.raises(ValueError, match="more than max_inputs=4 allows"):
        activation(xs[:5], max_inputs=4)
    with pytest.raises(ValueError, match="max_inputs must be an int of at least 1, got 0"):
        activation(xs[:5], max_inputs=0)

