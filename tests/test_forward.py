"""Forward mode: forward_tangents, the tangent of every node, against derivatives written out
by hand, sympy, reverse mode and PyTorch's forward AD."""

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, forward_tangents, grad, ops, topological_order
from catalog import CASES, evaluate, sample_points
from strategies import expressions

# Directions with few bits, so a tangent times a direction adds no rounding of its own.
_DIRECTIONS = st.lists(st.sampled_from([1.0, -1.0, 0.5, 2.0, -0.25, 0.0]), min_size=3, max_size=3)


# -- by hand ---------------------------------------------------------------------------------
def test_every_node_gets_the_sum_of_its_edges_times_its_parents_tangents():
    x = Value(2.0, "x")
    square, sine = x * x, x.sin()
    y = square + sine
    t = forward_tangents(y, {x: 1.0})
    assert t[x] == 1.0
    assert t[square] == 2.0 + 2.0  # two edges to x, each carrying x = 2
    assert t[sine] == math.cos(2.0)
    assert t[y] == 4.0 + math.cos(2.0)  # d/dx (x^2 + sin x) = 2x + cos x


def test_chain_rule_case_2_of_the_notes():
    # Seed 001: x = g(s), y = h(s), z = k(x, y); dz/ds = dz/dx dx/ds + dz/dy dy/ds.
    s = Value(0.5, "s")
    x, y = s * s, s.exp()
    z = x * y
    t = forward_tangents(z, {s: 1.0})
    assert t[x] == 2 * 0.5 and t[y] == math.exp(0.5)
    assert t[z] == pytest.approx(math.exp(0.5) * (2 * 0.5) + 0.25 * math.exp(0.5), rel=1e-15)


def test_a_direction_is_a_tangent_per_input():
    a, b = Value(1.5), Value(-2.0)
    y = a * b + a.tanh()
    ta, tb = 0.5, -3.0
    t = forward_tangents(y, {a: ta, b: tb})
    expected = (b.data + (1 - math.tanh(1.5) ** 2)) * ta + a.data * tb
    assert t[y] == pytest.approx(expected, rel=1e-15)


def test_nodes_no_seed_reaches_get_zero():
    x, c = Value(3.0), Value(4.0)
    constant_part = c.exp()
    y = x * constant_part
    t = forward_tangents(y, {x: 1.0})
    assert t[c] == 0.0 and t[constant_part] == 0.0
    assert t[y] == math.exp(4.0)
    assert forward_tangents(y, {}) == {node: 0.0 for node in topological_order(y)}


def test_the_result_lists_the_graph_in_topological_order():
    x, unrelated = Value(1.0), Value(2.0)
    y = (x * 3.0).exp()
    t = forward_tangents(y, {x: 1.0, unrelated: 5.0})
    assert list(t) == topological_order(y)  # a seed outside the graph is not part of it


def test_a_seeded_node_is_an_input_whatever_its_parents_send():
    x = Value(0.5)
    u = x.exp()
    y = u * u
    t = forward_tangents(y, {u: 1.0})
    assert t[x] == 0.0 and t[u] == 1.0 and t[y] == 2 * u.data
    both = forward_tangents(y, {x: 1.0, u: 10.0})
    assert both[u] == 10.0 and both[y] == 2 * u.data * 10.0


def test_seeds_given_as_values_count_as_their_numbers():
    x = Value(1.0)
    y = x * x
    assert forward_tangents(y, {x: Value(3.0)})[y] == 6.0


def test_the_recorded_floats_are_used_and_no_node_is_touched():
    x = Value(0.7)
    y = ops.softmax([x, x * 2.0, Value(0.1)])[0]
    nodes = topological_order(y)
    before = [(n.data, n.grad, n.parents, n.local_grads) for n in nodes]
    t = forward_tangents(y, {x: 1.0})
    assert [(n.data, n.grad, n.parents, n.local_grads) for n in nodes] == before
    row = y.local_grads  # d y / d (x, 2x, 0.1): softmax's Jacobian row, recorded
    # Summed over the edges in their order: row[0] * 1 + row[1] * 2 + row[2] * 0.
    assert t[y] == row[0] * 1.0 + row[1] * 2.0 + row[2] * 0.0


# -- every op, and random graphs ---------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_op_sends_its_local_derivatives_forward(case):
    for point in sample_points(case):
        xs = [Value(x) for x in point]
        y = case.build(*xs)
        symbols = sympy.symbols(f"x0:{len(point)}", real=True)
        exact = case.symbolic(*symbols)
        for i, x in enumerate(xs):
            if any(other is x for other in xs[:i]):
                continue
            expected = evaluate(sympy.diff(exact, symbols[i]), symbols, point)
            assert forward_tangents(y, {x: 1.0})[y] == pytest.approx(expected, rel=1e-12, abs=1e-15), case.name


@given(expressions(every_op=True), _DIRECTIONS)
def test_tangents_of_random_graphs_match_sympy(expr, direction):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    t = forward_tangents(y, dict(zip(leaves, direction)))
    symbols = sympy.symbols(f"x0:{len(leaves)}", real=True)
    exact = expr.sympy(symbols)
    expected = sum(evaluate(sympy.diff(exact, s), symbols, expr.points) * d for s, d in zip(symbols, direction))
    # As for gradients of random graphs: rounding accumulates through up to 38 ops, and the
    # absolute floor covers directional derivatives that cancel to ~0.
    assert t[y] == pytest.approx(expected, rel=1e-9, abs=1e-12), str(expr)


@given(expressions(max_steps=8), _DIRECTIONS)
def test_every_node_tangent_is_the_gradient_of_that_node_along_the_direction(expr, direction):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    t = forward_tangents(y, dict(zip(leaves, direction)))
    for node in topological_order(y):
        along = sum(g * d for g, d in zip(grad(node, leaves), direction))
        # Forward mode multiplies each path's edges from the input end, reverse mode from the
        # output end: the same terms, rounded in another order.
        assert t[node] == pytest.approx(along, rel=1e-12, abs=1e-12), str(expr)


# -- create_graph ------------------------------------------------------------------------------
def test_create_graph_gives_values_whose_derivative_is_the_second_derivative():
    x = Value(0.5)
    y = x.tanh()
    t = forward_tangents(y, {x: 1.0}, create_graph=True)
    assert all(isinstance(v, Value) for v in t.values())
    th = math.tanh(0.5)
    assert t[y].data == pytest.approx(1 - th**2, rel=1e-15)
    (second,) = grad(t[y], [x])
    assert second == pytest.approx(-2 * th * (1 - th**2), rel=1e-14)


def test_create_graph_tangents_lead_back_to_value_seeds():
    x, v = Value(1.5), Value(2.0)
    y = x * x * x
    t = forward_tangents(y, {x: v}, create_graph=True)
    assert t[y].data == 3 * 1.5**2 * 2.0
    # The tangent is 3 x^2 v: linear in v, so d/dv = 3 x^2 and d/dx = 6 x v.
    assert grad(t[y], [v, x]) == pytest.approx((3 * 1.5**2, 6 * 1.5 * 2.0), rel=1e-15)


@settings(max_examples=30)
@given(expressions(max_steps=6))
def test_create_graph_tangents_equal_the_float_ones_and_differentiate_to_the_hessian(expr):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    plain = forward_tangents(y, {leaves[0]: 1.0})
    graphs = forward_tangents(y, {leaves[0]: 1.0}, create_graph=True)
    for node in plain:
        # The same formulas on Values, except log_softmax's softmax (exp of log_softmax when
        # recorded, a division in the graph): a few ulps apart.
        assert graphs[node].data == pytest.approx(plain[node], rel=1e-14, abs=1e-15), str(expr)
    symbols = sympy.symbols(f"x0:{len(leaves)}", real=True)
    exact = expr.sympy(symbols)
    for j, ours in enumerate(grad(graphs[y], leaves)):  # reverse over forward: a Hessian row
        expected = evaluate(sympy.diff(exact, symbols[0], symbols[j]), symbols, expr.points)
        assert ours == pytest.approx(expected, rel=1e-9, abs=1e-10), (j, str(expr))


# -- IEEE --------------------------------------------------------------------------------------
def test_a_zero_tangent_times_an_infinite_local_derivative_is_nan_as_in_pytorch():
    # relu(x) is locally constant at x = -1, so its tangent is 0; sqrt'(0) is inf; IEEE
    # 0 * inf = nan, and torch.func.jvp gives nan too (backward, through relu's mask, gives 0).
    x = Value(-1.0)
    y = x.relu().sqrt()
    assert math.isnan(forward_tangents(y, {x: 1.0})[y])


def test_inf_and_nan_tangents_propagate():
    x = Value(0.0)
    y = x.sqrt() + 1.0
    assert forward_tangents(y, {x: 1.0})[y] == math.inf
    assert math.isnan(forward_tangents(y, {x: math.nan})[y])


# Where a local derivative is exactly 0 because the op is locally constant (relu at x <= 0, the
# inputs max/min did not pick, x**0, a**b with respect to a at b = 0), PyTorch's forward AD
# sends 0 along the edge even when the tangent arriving is inf or nan, and so does forward
# mode here, as backward does (the edge's local derivative is MASKED).
_LOCALLY_CONSTANT = {
    "relu": (lambda x: (x.sqrt() - 1.0).relu(), lambda torch, x: torch.relu(x.sqrt() - 1.0)),
    "max": (lambda x: ops.max([x.sqrt(), Value(2.0)]),
            lambda torch, x: torch.stack([x.sqrt(), torch.tensor(2.0, dtype=torch.float64)]).max(dim=0).values),
    "min": (lambda x: ops.min([-x.sqrt(), Value(-2.0)]),
            lambda torch, x: torch.stack([-x.sqrt(), torch.tensor(-2.0, dtype=torch.float64)]).min(dim=0).values),
    "x**0": (lambda x: x.sqrt() ** 0, lambda torch, x: x.sqrt() ** 0),
    "a**b at b = 0": (lambda x: x.sqrt() ** Value(0.0),
                      lambda torch, x: x.sqrt() ** torch.tensor(0.0, dtype=torch.float64)),
}


@pytest.mark.parametrize("name", _LOCALLY_CONSTANT)
def test_pytorch_forward_ad_sends_zero_along_locally_constant_edges(name):
    torch = pytest.importorskip("torch", reason="PyTorch (an optional oracle) is not installed")
    one = torch.tensor(1.0, dtype=torch.float64)
    # sqrt at 0 sends an infinite tangent into the locally constant edge.
    _, tangent = torch.func.jvp(lambda x: _LOCALLY_CONSTANT[name][1](torch, x), (0.0 * one,), (one,))
    assert tangent.item() == 0.0


@pytest.mark.parametrize("name", _LOCALLY_CONSTANT)
def test_locally_constant_edges_send_zero_whatever_tangent_arrives(name):
    x = Value(0.0)
    y = _LOCALLY_CONSTANT[name][0](x)
    assert forward_tangents(y, {x: 1.0})[y] == 0.0


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input_is_refused_with_a_clear_error():
    x = Value(1.0)
    y = x * 2.0
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        forward_tangents(1.0, {x: 1.0})
    with pytest.raises(TypeError, match=r"seeds must be a mapping \{Value: tangent\}, got list"):
        forward_tangents(y, [x])
    with pytest.raises(TypeError, match="seeds keys must be Values, got str"):
        forward_tangents(y, {"x": 1.0})
    with pytest.raises(TypeError, match="seeds values must be a number or a Value, got str"):
        forward_tangents(y, {x: "1"})
    with pytest.raises(TypeError, match="seeds values must be a number or a Value, got bool"):
        forward_tangents(y, {x: True})
    with pytest.raises(TypeError, match="create_graph must be a bool, got int"):
        forward_tangents(y, {x: 1.0}, create_graph=1)
