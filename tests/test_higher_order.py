"""Derivatives of derivatives: grad(create_graph=True), hessian and gradgradcheck, for every
op and for random graphs, against sympy and finite differences."""

import itertools
import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, grad, gradgradcheck, hessian, ops, topological_order
from catalog import CASES, evaluate, sample_points
from strategies import expressions


# -- grad() semantics ------------------------------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_does_not_touch_any_grad(create_graph):
    x, y = Value(0.5), Value(-1.5)
    out = (x * y).exp() + ops.logsumexp([x, y])
    nodes = topological_order(out)
    for i, node in enumerate(nodes):
        node.grad = float(i)
    grad(out, [x, y], create_graph=create_graph)
    assert [node.grad for node in nodes] == [float(i) for i in range(len(nodes))]


def test_grad_returns_floats_or_values_leading_back_to_the_inputs():
    x, y = Value(0.5), Value(2.0)
    out = x * x * y
    plain = grad(out, [x, y])
    assert plain == (2.0, 0.25) and all(type(g) is float for g in plain)
    graphs = grad(out, [x, y], create_graph=True)
    assert all(isinstance(g, Value) for g in graphs)
    assert [g.data for g in graphs] == [2.0, 0.25]
    assert x in topological_order(graphs[0]) and y in topological_order(graphs[0])


def test_inputs_that_do_not_influence_the_output_get_zero():
    x, unused = Value(1.0), Value(5.0)
    out = x.exp()
    assert grad(out, [x, unused])[1] == 0.0
    zero = grad(out, [x, unused], create_graph=True)[1]
    assert isinstance(zero, Value) and zero.data == 0.0
    assert grad(zero, [x]) == (0.0,)


def test_grad_of_an_input_itself_and_a_single_input():
    x = Value(3.0)
    assert grad(x, [x]) == (1.0,)
    assert grad(x * x, x) == (6.0,)


def test_derivative_graphs_hold_only_the_math():
    # d(x*x)/dx is x + x: the two edges' derivatives summed, no "* 1" node for the seed.
    x = Value(3.0)
    (dx,) = grad(x * x, [x], create_graph=True)
    assert dx.op == "+" and dx.parents == (x, x) and dx.data == 6.0
    # d tanh(x)/dx is 1 - tanh(x)^2 built on the tanh node itself: 1 - t*t, two new nodes.
    t = x.tanh()
    (dt,) = grad(t, [x], create_graph=True)
    assert [n.op for n in topological_order(dt) if n.parents] == ["tanh", "*", "-"]
    assert dt.parents[1].parents == (t, t)
    # Through a "+" (local derivative 1.0) the gradient passes on unchanged: no "1 * g" node.
    (ds,) = grad(t + x, [t], create_graph=True)
    assert isinstance(ds, Value) and not ds.parents and ds.data == 1.0


def test_grad_rejects_non_values():
    x = Value(1.0)
    with pytest.raises(TypeError, match="output must be a Value, got float"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got int"):
        grad(x * 2, [x, 2])


def test_first_derivative_through_the_graph_equals_the_recorded_floats():
    for case in CASES:
        for point in sample_points(case):
            xs = [Value(x) for x in point]
            y = case.build(*xs)
            # Same formulas, except log_softmax's softmax: exp(log_softmax) recorded, a division
            # in the graph; an ulp apart.
            assert [g.data for g in grad(y, xs, create_graph=True)] == pytest.approx(
                grad(y, xs), rel=4e-16, abs=1e-300), case.name


# -- every op, up to third order, against sympy ------------------------------------------------
def _derivative_tensors(build, point):
    """All first, second and third partial derivatives, each by differentiating the previous."""
    xs = [Value(x) for x in point]
    first = grad(build(*xs), xs, create_graph=True)
    second = [grad(g, xs, create_graph=True) for g in first]
    third = [[grad(h, xs) for h in row] for row in second]
    return first, second, third


def _index_tuples(n):
    for order in (1, 2, 3):
        yield from itertools.product(range(n), repeat=order)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_derivatives_up_to_third_order_match_sympy(case):
    for point in sample_points(case, width=2)[:2]:
        symbols = sympy.symbols(f"x0:{len(point)}", real=True)
        exact = case.symbolic(*symbols)
        first, second, third = _derivative_tensors(case.build, point)
        expected = {}
        for index in _index_tuples(len(point)):
            key = tuple(sorted(index))  # mixed partials commute; ask sympy once per set
            if key not in expected:
                expected[key] = evaluate(sympy.diff(exact, *(symbols[i] for i in key)), symbols, point)
            ours = {1: lambda: first[index[0]].data, 2: lambda: second[index[0]][index[1]].data,
                    3: lambda: third[index[0]][index[1]][index[2]]}[len(index)]()
            assert ours == pytest.approx(expected[key], rel=1e-11, abs=1e-13), (case.name, point, index)


# -- hessian -----------------------------------------------------------------------------------
def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@pytest.mark.parametrize("point", [(-1.2, 1.0), (1.0, 1.0), (0.3, -0.7)])
def test_hessian_of_rosenbrock_matches_the_closed_form(point):
    x, y = point
    h = hessian(_rosenbrock, point)
    # Summed in another order than the closed form: a few ulps apart.
    assert h[0] == pytest.approx([1200 * x**2 - 400 * y + 2, -400 * x], rel=1e-14)
    assert h[1] == pytest.approx([-400 * x, 200.0], rel=1e-14)


def test_hessian_returns_lists_of_floats_and_accepts_values():
    h = hessian(lambda x, y: x * y, [Value(1.0), 2.0])
    assert h == [[0.0, 1.0], [1.0, 0.0]]
    assert all(type(v) is float for row in h for v in row)


def test_hessian_rejects_a_function_not_returning_a_value():
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        hessian(lambda x: 2.0, [1.0])


@settings(max_examples=30)
@given(expressions(max_steps=6))
def test_hessian_of_random_graphs_matches_sympy(expr):
    symbols = sympy.symbols(f"x0:{len(expr.points)}", real=True)
    exact = expr.sympy(symbols)
    ours = hessian(expr, expr.points)
    for i, j in itertools.product(range(len(symbols)), repeat=2):
        expected = evaluate(sympy.diff(exact, symbols[i], symbols[j]), symbols, expr.points)
        # The absolute floor is for entries that cancel to ~0, where no relative accuracy exists.
        assert ours[i][j] == pytest.approx(expected, rel=1e-9, abs=1e-10), (i, j, str(expr))


@settings(max_examples=10)  # a third derivative of a graph using every op is a big graph
@given(expressions(every_op=True))
def test_third_derivatives_of_random_graphs_match_central_differences_of_second(expr):
    leaves = [Value(x) for x in expr.points]
    second = grad(grad(expr(*leaves), leaves, create_graph=True)[0], leaves, create_graph=True)[0]
    third = grad(second, leaves)

    def second_at(point):
        xs = [Value(x) for x in point]
        return grad(grad(expr(*xs), xs, create_graph=True)[0], xs)[0]

    eps = 1e-5
    for i, ours in enumerate(third):
        up, down = list(expr.points), list(expr.points)
        up[i] += eps
        down[i] -= eps
        numerical = (second_at(up) - second_at(down)) / (2 * eps)
        # Central differences: O(eps**2) truncation and O(1e-16 / eps) rounding.
        assert ours == pytest.approx(numerical, rel=1e-4, abs=1e-4)


# -- gradgradcheck on random graphs --------------------------------------------------------------
@pytest.mark.parametrize("graphs", [expressions(every_op=True), expressions(max_steps=8)], ids=["every_op", "small"])
@given(data=st.data())
def test_random_graphs_pass_gradgradcheck(graphs, data):
    expr = data.draw(graphs)
    assert gradgradcheck(expr, expr.points)


@given(expressions(every_op=True))
def test_hessian_of_random_graphs_is_symmetric(expr):
    h = hessian(expr, expr.points)
    for i, j in itertools.combinations(range(len(h)), 2):
        assert h[i][j] == pytest.approx(h[j][i], rel=1e-12, abs=1e-12)


# -- n-ary ops and IEEE/kink conventions under create_graph ------------------------------------
def _d_graph(build, *point):
    xs = [Value(x) for x in point]
    return grad(build(*xs), xs, create_graph=True), xs


def test_kink_conventions_hold_under_create_graph():
    for build, x, slope in [(Value.relu, 0.0, 0.0), (abs, 0.0, 0.0), (Value.leaky_relu, 0.0, 0.01),
                            (lambda v: v.leaky_relu(0.3), 0.0, 0.3)]:
        (d,), xs = _d_graph(build, x)
        assert d.data == slope
        assert grad(d, xs) == (0.0,)  # piecewise linear: the second derivative is 0


def test_power_limits_hold_under_create_graph():
    (da, db), xs = _d_graph(lambda a, b: a**b, 0.0, 2.0)
    assert (da.data, db.data) == (0.0, 0.0)
    assert grad(da, xs) == (2.0, 0.0)  # d2/da2 of a**2 at 0 is 2
    (da, db), xs = _d_graph(lambda a, b: a**b, 3.0, 0.0)
    assert da.data == 0.0
    # a**b at b == 0 is constant in a, but d/da = b * a**(b-1) still depends on b: 1/a.
    assert grad(da, xs) == pytest.approx((0.0, 1 / 3), rel=1e-15)
    assert grad(db, xs) == pytest.approx((1 / 3, math.log(3.0) ** 2), rel=1e-15)


def test_max_tie_and_second_derivative_under_create_graph():
    (d1, d2), xs = _d_graph(lambda a, b: ops.max([a, b]), 2.0, 2.0)
    assert (d1.data, d2.data) == (1.0, 0.0)
    assert grad(d1, xs) == (0.0, 0.0)


def test_softmax_hessian_matches_the_closed_form():
    # d2 s_i / dx_j dx_k = s_i ((d_ij - s_j)(d_ik - s_k) - s_j (d_jk - s_k))
    point = (0.4, -1.1, 0.9)
    m = max(point)
    e = [math.exp(x - m) for x in point]
    s = [v / sum(e) for v in e]
    for i in range(3):
        h = hessian(lambda *xs: ops.softmax(xs)[i], point)
        for j, k in itertools.product(range(3), repeat=2):
            exact = s[i] * (((i == j) - s[j]) * ((i == k) - s[k]) - s[j] * ((j == k) - s[k]))
            assert h[j][k] == pytest.approx(exact, rel=1e-12, abs=1e-16)


@pytest.mark.parametrize(
    "build, x, expected",
    [
        (Value.sqrt, 0.0, -math.inf),  # d2 sqrt = -1/(4 x**1.5)
        (Value.log, 0.0, -math.inf),  # d2 log = -1/x**2
        (Value.exp, 1000.0, math.inf),
        (lambda v: 1 / v, 0.0, math.inf),  # d2 (1/x) = 2/x**3 at +0
        (Value.tanh, 1000.0, 0.0),
        (Value.sigmoid, -1000.0, 0.0),
        (Value.softplus, 1000.0, 0.0),
        (lambda v: ops.logsumexp([v, Value(-1000.0)]), 1000.0, 0.0),
    ],
)
def test_second_derivatives_follow_ieee(build, x, expected):
    (d,), xs = _d_graph(build, x)
    assert grad(d, xs) == (expected,)
