"""jvp, vjp, jacobian, hvp, value_and_grad and count_multiplications: against derivatives
written out by hand, sympy on random graphs, and torch.func in float64 when installed."""

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd.transforms
from autograd import (
    Value,
    count_multiplications,
    count_paths,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    ops,
    paths,
    topological_order,
    value_and_grad,
    vjp,
)
from catalog import evaluate
from strategies import expressions
from test_numerics import _torch_functions  # each op of the catalog, written in torch

# Weights with few bits, so a derivative times a weight adds no rounding of its own.
_WEIGHTS = st.sampled_from([1.0, -1.0, 0.5, 2.0, -0.25, 0.0])
_DIRECTIONS = st.lists(_WEIGHTS, min_size=3, max_size=3)


def _f(x, y):
    return (x * y).tanh() + x.exp()


def _df(x, y):
    """The gradient of _f, by hand."""
    s = 1 - math.tanh(x * y) ** 2
    return s * y + math.exp(x), s * x


def _outputs(expr, leaves):
    """A random graph with several outputs: the sinks of the program (nodes no step uses)."""
    return expr._sinks(leaves, symbolic=False)


def _sympy_jacobian(expr):
    symbols = sympy.symbols(f"x0:{len(expr.points)}", real=True)
    outputs = expr._sinks(symbols, symbolic=True)
    return [[evaluate(_without_heaviside(sympy.diff(y, s)), symbols, expr.points) for s in symbols] for y in outputs]


def _without_heaviside(derivative):
    # The derivative of Max/Min holds Heaviside(a); sympy cannot evaluate it numerically when it
    # cannot decide the sign of a symbolically, so say it as a Piecewise, whose condition it
    # evaluates. Operands keep away from ties (catalog.KINK), so a is never 0.
    return derivative.replace(sympy.Heaviside, lambda a, *_: sympy.Piecewise((1, a > 0), (0, True)))


def _torch_program(torch, expr):
    """The same program as ``expr``, on a float64 tensor of the leaves, returning the sinks."""
    functions = _torch_functions(torch)

    def run(x):
        nodes, used = list(x.unbind()), set()
        for name, operands in expr.steps:
            nodes.append(functions[name](*(nodes[i] for i in operands)))
            used.update(operands)
        return torch.stack([node for i, node in enumerate(nodes) if i not in used])

    return run


# -- jvp ---------------------------------------------------------------------------------------
def test_jvp_is_the_derivative_along_the_tangents():
    value, d = jvp(_f, [0.3, 1.2], [0.5, -2.0])
    dx, dy = _df(0.3, 1.2)
    assert isinstance(value, Value) and value.data == pytest.approx(math.tanh(0.36) + math.exp(0.3), rel=1e-15)
    assert d == pytest.approx(dx * 0.5 + dy * -2.0, rel=1e-14)


def test_jvp_of_several_outputs_gives_one_derivative_each():
    value, d = jvp(lambda x, y: [x * y, x / y, y], [3.0, 2.0], [1.0, 0.5])
    assert [v.data for v in value] == [6.0, 1.5, 2.0]
    assert d == [2.0 * 1.0 + 3.0 * 0.5, 1.0 / 2.0 - 3.0 / 4.0 * 0.5, 0.5]


def test_jvp_uses_value_primals_as_they_are():
    x = Value(0.5, "x")
    value, d = jvp(lambda x: x.sin(), [x], [1.0])
    assert value.parents == (x,) and d == math.cos(0.5)
    assert x.grad == 0.0


@settings(max_examples=30)  # sympy differentiates every output of a 38-op graph
@given(expressions(every_op=True), _DIRECTIONS)
def test_jvp_of_random_graphs_matches_sympy(expr, direction):
    tangents = direction[: len(expr.points)]
    _, d = jvp(lambda *xs: _outputs(expr, xs), expr.points, tangents)
    for ours, row in zip(d, _sympy_jacobian(expr)):
        expected = sum(j * t for j, t in zip(row, tangents))
        # Rounding accumulates through the graph; the floor covers derivatives that cancel to ~0.
        assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12), str(expr)


@given(expressions(every_op=True), _DIRECTIONS)
def test_jvp_of_random_graphs_matches_torch_func_jvp(expr, direction):
    torch = pytest.importorskip("torch", reason="PyTorch (an optional oracle) is not installed")
    tangents = direction[: len(expr.points)]
    value, d = jvp(lambda *xs: _outputs(expr, xs), expr.points, tangents)
    x = torch.tensor(expr.points, dtype=torch.float64)
    their_value, their_d = torch.func.jvp(_torch_program(torch, expr), (x,), (torch.tensor(tangents, dtype=torch.float64),))
    # Two engines, each op's derivative written its own way: rounding differs in the last bits.
    assert [v.data for v in value] == pytest.approx(their_value.tolist(), rel=1e-13, abs=1e-14)
    assert d == pytest.approx(their_d.tolist(), rel=1e-11, abs=1e-12), str(expr)


def test_jvp_with_create_graph_can_be_differentiated_again():
    x, v = Value(0.7), 0.5
    _, d = jvp(lambda x: x**3, [x], [v], create_graph=True)
    assert isinstance(d, Value) and d.data == pytest.approx(3 * 0.7**2 * 0.5, rel=1e-15)
    assert grad(d, [x]) == pytest.approx((6 * 0.7 * 0.5,), rel=1e-15)


def test_reverse_over_forward_is_the_hessian_vector_product():
    # vjp of a jvp: d/dx (grad f . v) = H v, the same as hvp's forward-over-reverse.
    v = [0.5, -1.0]
    _, by_nesting = vjp(lambda *xs: jvp(_f, xs, v, create_graph=True)[1], [0.3, 1.2])
    assert list(by_nesting) == pytest.approx(hvp(_f, [0.3, 1.2], v), rel=1e-13)


# -- vjp ---------------------------------------------------------------------------------------
def test_vjp_is_the_gradient_scaled_by_the_cotangent():
    value, grads = vjp(_f, [0.3, 1.2])
    assert value.data == pytest.approx(math.tanh(0.36) + math.exp(0.3), rel=1e-15)
    assert grads == pytest.approx(_df(0.3, 1.2), rel=1e-15)
    _, scaled = vjp(_f, [0.3, 1.2], cotangent=-2.0)
    assert scaled == pytest.approx(tuple(-2.0 * g for g in _df(0.3, 1.2)), rel=1e-15)


def test_vjp_of_several_outputs_weights_each_output():
    _, grads = vjp(lambda x, y: [x * y, x + y], [3.0, 2.0], cotangent=[1.0, 10.0])
    assert grads == (2.0 + 10.0, 3.0 + 10.0)


def test_vjp_touches_no_grad():
    x = Value(0.5)
    vjp(lambda x: x * x, [x])
    assert x.grad == 0.0


def _cotangents(data, expr):
    count = len(_outputs(expr, [Value(x) for x in expr.points]))
    return data.draw(st.lists(_WEIGHTS, min_size=count, max_size=count))


@settings(max_examples=30)  # sympy differentiates every output of a 38-op graph
@given(expressions(every_op=True), st.data())
def test_vjp_of_random_graphs_matches_sympy(expr, data):
    cotangent = _cotangents(data, expr)
    _, grads = vjp(lambda *xs: _outputs(expr, xs), expr.points, cotangent)
    jac = _sympy_jacobian(expr)
    for j, ours in enumerate(grads):
        expected = sum(c * row[j] for c, row in zip(cotangent, jac))
        assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12), str(expr)


@given(expressions(every_op=True), st.data())
def test_vjp_of_random_graphs_matches_torch_func_vjp(expr, data):
    torch = pytest.importorskip("torch", reason="PyTorch (an optional oracle) is not installed")
    cotangent = _cotangents(data, expr)
    _, grads = vjp(lambda *xs: _outputs(expr, xs), expr.points, cotangent)
    _, pullback = torch.func.vjp(_torch_program(torch, expr), torch.tensor(expr.points, dtype=torch.float64))
    (theirs,) = pullback(torch.tensor(cotangent, dtype=torch.float64))
    assert list(grads) == pytest.approx(theirs.tolist(), rel=1e-11, abs=1e-12), str(expr)


# -- jacobian ----------------------------------------------------------------------------------
def test_jacobian_by_hand_in_every_mode():
    def f(x, y):
        return [x * y, x.sin(), y / x]

    expected = [[2.0, 0.5], [math.cos(0.5), 0.0], [-2.0 / 0.25, 1.0 / 0.5]]
    for mode in ("auto", "forward", "reverse"):
        assert jacobian(f, [0.5, 2.0], mode) == expected, mode


def test_a_single_output_is_one_row():
    (row,) = jacobian(_f, [0.3, 1.2])
    assert row == pytest.approx(_df(0.3, 1.2), rel=1e-15)
    assert jacobian(lambda x: x * 3.0, [2.0], "forward") == [[3.0]]


def test_forward_and_reverse_agree_bit_for_bit_on_one_layer():
    # Every entry is one edge of one node (softmax's Jacobian row, a dot's weight): both modes
    # multiply it by the seed 1.0, so both give the recorded float itself.
    x = [0.3, -1.2, 2.5]
    def softmax(*xs):
        return ops.softmax(xs)

    soft_f = jacobian(softmax, x, "forward")
    assert soft_f == jacobian(softmax, x, "reverse")
    assert soft_f == [list(y.local_grads) for y in ops.softmax([Value(v) for v in x])]
    weights = [[0.5, -1.5, 2.0], [1.0, 0.25, -3.0]]

    def layer(*xs):  # then a tanh per unit: two edges per path, one path per entry
        return [z.tanh() for z in ops.affine(weights, xs)]

    assert jacobian(layer, x, "forward") == jacobian(layer, x, "reverse")


def _same_rounding_both_ways(y: Value, x: Value) -> bool:
    """Whether forward and reverse mode must give the same float for d y / d x.

    They do when there are at most two paths from x to y, each of at most two edges, through
    different nodes: each path's product then has at most two factors and the sum at most two
    terms, and IEEE multiplication and addition commute. Longer paths are multiplied from
    opposite ends ((a*b)*c against a*(b*c)), and where paths share a node forward mode
    multiplies before summing and reverse mode sums before multiplying.
    """
    if count_paths(y, x) > 2:
        return False
    found = paths(y, x)
    interior = [node for p in found for node in p.nodes[1:-1]]
    return all(len(p.edges) <= 2 for p in found) and len(set(interior)) == len(interior)


@pytest.mark.parametrize("graphs", [expressions(every_op=True), expressions(max_steps=4)], ids=["every_op", "small"])
@given(data=st.data())
def test_forward_and_reverse_jacobians_of_random_graphs_agree(graphs, data):
    # Small graphs mostly have entries of the first kind, graphs using every op of the second.
    expr = data.draw(graphs)
    leaves = [Value(x) for x in expr.points]
    outputs = _outputs(expr, leaves)
    forward = jacobian(lambda *xs: outputs, leaves, "forward")
    reverse = jacobian(lambda *xs: outputs, leaves, "reverse")
    for y, row_f, row_r in zip(outputs, forward, reverse):
        for x, a, b in zip(leaves, row_f, row_r):
            if _same_rounding_both_ways(y, x):
                assert a == b and math.copysign(1.0, a) == math.copysign(1.0, b), str(expr)
            else:
                assert a == pytest.approx(b, rel=1e-12, abs=1e-12), str(expr)


@settings(max_examples=30)
@given(expressions(every_op=True))
def test_jacobian_of_random_graphs_matches_sympy(expr):
    expected = _sympy_jacobian(expr)
    for mode in ("forward", "reverse"):
        ours = jacobian(lambda *xs: _outputs(expr, xs), expr.points, mode)
        for row, row_expected in zip(ours, expected):
            assert row == pytest.approx(row_expected, rel=1e-9, abs=1e-12), (mode, str(expr))


@given(expressions(every_op=True))
def test_jacobian_of_random_graphs_matches_torch_jacfwd_and_jacrev(expr):
    torch = pytest.importorskip("torch", reason="PyTorch (an optional oracle) is not installed")
    program = _torch_program(torch, expr)
    x = torch.tensor(expr.points, dtype=torch.float64)
    for mode, transform in (("forward", torch.func.jacfwd), ("reverse", torch.func.jacrev)):
        ours = jacobian(lambda *xs: _outputs(expr, xs), expr.points, mode)
        theirs = transform(program)(x).tolist()
        for row, row_theirs in zip(ours, theirs):
            assert row == pytest.approx(row_theirs, rel=1e-11, abs=1e-12), (mode, str(expr))


# -- hvp ---------------------------------------------------------------------------------------
def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def test_hvp_of_rosenbrock_by_hand():
    x, y, v = -1.2, 1.0, [0.5, 2.0]
    h = [[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200.0]]
    expected = [h[0][0] * v[0] + h[0][1] * v[1], h[1][0] * v[0] + h[1][1] * v[1]]
    assert hvp(_rosenbrock, [x, y], v) == pytest.approx(expected, rel=1e-14)


def test_hvp_makes_one_backward_and_one_forward_pass(monkeypatch):
    calls = {"grad": 0, "forward": 0}
    real_grad, real_push = autograd.transforms.grad, autograd.transforms._push

    def counting_grad(*args, **kwargs):
        calls["grad"] += 1
        return real_grad(*args, **kwargs)

    def counting_push(*args, **kwargs):
        calls["forward"] += 1
        return real_push(*args, **kwargs)

    monkeypatch.setattr(autograd.transforms, "grad", counting_grad)
    monkeypatch.setattr(autograd.transforms, "_push", counting_push)
    hvp(lambda *xs: ops.sum([x.exp() * xs[0] for x in xs]), [0.1 * i for i in range(1, 9)], [1.0] * 8)
    assert calls == {"grad": 1, "forward": 1}  # hessian would make 1 + 8 backward passes


@settings(max_examples=30)
@given(expressions(max_steps=6), _DIRECTIONS)  # sympy's second derivatives of every op at once are slow
def test_hvp_of_random_graphs_is_hessian_times_v_and_matches_sympy(expr, direction):
    v = direction[: len(expr.points)]
    ours = hvp(expr, expr.points, v)
    h = hessian(expr, expr.points)
    # The same second derivatives summed in another order (forward over the gradient's graph
    # against backward over it) and then dotted with v.
    assert ours == pytest.approx([sum(hij * vj for hij, vj in zip(row, v)) for row in h], rel=1e-11, abs=1e-11)
    symbols = sympy.symbols(f"x0:{len(v)}", real=True)
    exact = expr.sympy(symbols)
    for i, ours_i in enumerate(ours):
        expected = sum(evaluate(sympy.diff(exact, symbols[i], s), symbols, expr.points) * vj for s, vj in zip(symbols, v))
        assert ours_i == pytest.approx(expected, rel=1e-9, abs=1e-10), (i, str(expr))


@given(expressions(every_op=True), _DIRECTIONS)
def test_hvp_of_random_graphs_matches_torch(expr, direction):
    torch = pytest.importorskip("torch", reason="PyTorch (an optional oracle) is not installed")
    v = direction[: len(expr.points)]
    program = _torch_program(torch, expr)
    x = torch.tensor(expr.points, dtype=torch.float64)
    _, theirs = torch.autograd.functional.hvp(lambda x: program(x).sum(), x, torch.tensor(v, dtype=torch.float64))
    assert hvp(expr, expr.points, v) == pytest.approx(theirs.tolist(), rel=1e-10, abs=1e-11), str(expr)


# -- value_and_grad ----------------------------------------------------------------------------
def test_value_and_grad_of_one_argument_and_of_several():
    value, g = value_and_grad(_f)(0.3, 1.2)
    assert value.data == pytest.approx(math.tanh(0.36) + math.exp(0.3), rel=1e-15)
    assert type(g) is float and g == pytest.approx(_df(0.3, 1.2)[0], rel=1e-15)
    # Arguments not in argnums go to f as they are: here a Value, which _f needs.
    assert value_and_grad(_f, argnums=1)(Value(0.3), 1.2)[1] == pytest.approx(_df(0.3, 1.2)[1], rel=1e-15)
    _, both = value_and_grad(_f, argnums=(1, 0))(0.3, 1.2)
    assert both == pytest.approx(_df(0.3, 1.2)[::-1], rel=1e-15)


def test_value_and_grad_passes_other_arguments_unchanged():
    def loss(w, data, scale=1.0):
        return scale * ops.sum([(w * x - y) ** 2 for x, y in data])

    data = [(1.0, 2.0), (2.0, 3.0)]
    value, g = value_and_grad(loss)(0.5, data, scale=2.0)
    assert value.data == 2.0 * ((0.5 - 2.0) ** 2 + (1.0 - 3.0) ** 2)
    assert g == 2.0 * (2 * (0.5 - 2.0) * 1.0 + 2 * (1.0 - 3.0) * 2.0)


# -- count_multiplications ---------------------------------------------------------------------
def test_counts_by_hand():
    # (x*y).tanh() + x.exp(): edges *: 2, tanh: 1, exp: 1, +: 2.
    # Reverse: one pass over all 6 edges. Forward from x: *->x, tanh, exp, both edges of +:
    # 5. From y: *->y, tanh, the + edge from tanh: 3.
    assert count_multiplications(_f, [0.3, 1.2], "reverse") == 6
    assert count_multiplications(_f, [0.3, 1.2], "forward") == 5 + 3
    assert count_multiplications(_f, [0.3, 1.2]) == 6  # auto: 2 inputs, 1 output -> reverse


def test_edges_no_input_reaches_cost_forward_mode_nothing():
    def f(x, y):
        return x * Value(2.0).exp() + y

    # Forward: from x, the * edge to x and the + edge from *: 2; from y, the + edge: 1.
    # Reverse walks all 5 edges, exp's edge to its constant too.
    assert count_multiplications(f, [1.0, 1.0], "forward") == 3
    assert count_multiplications(f, [1.0, 1.0], "reverse") == 5
    assert count_multiplications(lambda x: x, [1.0], "forward") == 0


@pytest.mark.parametrize("n", [1, 2, 5, 64])
def test_many_to_one_is_cheap_backwards_and_one_to_many_forwards(n):
    def f(*xs):  # R^n -> R: a sum node (n edges), then two tanh (1 edge each)
        return ops.sum(xs).tanh().tanh()

    def g(x):  # R -> R^n: one tanh, then n products with constants (2 edges each)
        h = x.tanh()
        return [h * float(i + 1) for i in range(n)]

    assert count_multiplications(f, [0.1] * n, "forward") == 3 * n  # n passes of 3 edges
    assert count_multiplications(f, [0.1] * n, "reverse") == n + 2  # one pass over every edge
    assert count_multiplications(g, [0.1], "forward") == 1 + n  # tanh, and each product's edge to h
    assert count_multiplications(g, [0.1], "reverse") == 3 * n  # n passes of 3 edges
    # auto picks forward only when the inputs are fewer than the outputs
    assert count_multiplications(g, [0.1], "auto") == (1 + n if n > 1 else 3)
    assert count_multiplications(f, [0.1] * n, "auto") == n + 2


@given(expressions(max_steps=6))
def test_forward_counts_one_multiplication_per_edge_the_input_reaches(expr):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    edges = [(node, parent) for node in topological_order(y) for parent in node.parents]
    expected = sum(count_paths(parent, x) > 0 for x in leaves for _, parent in edges)
    assert count_multiplications(lambda *xs: y, leaves, "forward") == expected
    assert count_multiplications(lambda *xs: y, leaves, "reverse") == len(edges)


# -- bad input ---------------------------------------------------------------------------------
def _never_called(*args):
    raise AssertionError("f must not be called when its arguments are refused")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: jvp(3, [1.0], [1.0]), TypeError, "f must be callable, got int"),
        (lambda: jvp(_never_called, 1.0, [1.0]), TypeError, r"primals must be a sequence \(a list or tuple\), got float"),
        (lambda: jvp(_never_called, Value(1.0), [1.0]), TypeError, "primals must be a sequence .*got Value"),
        (lambda: jvp(_never_called, {1.0}, [1.0]), TypeError, "primals must be a sequence .*got set"),
        (lambda: jvp(_never_called, [], []), ValueError, "primals must hold at least one argument of f"),
        (lambda: jvp(_never_called, [1.0, "2"], [1.0, 1.0]), TypeError, r"primals\[1\] must be a number or a Value, got str"),
        (lambda: jvp(_never_called, [True], [1.0]), TypeError, r"primals\[0\] must be a number or a Value, got bool"),
        (lambda: jvp(_never_called, [1.0, 2.0], [1.0]), ValueError, r"tangents must hold one number per primal \(2\), got 1"),
        (lambda: jvp(_never_called, [1.0], ["1"]), TypeError, r"tangents\[0\] must be a number or a Value, got str"),
        (lambda: jvp(_never_called, [1.0], 1.0), TypeError, "tangents must be a sequence"),
        (lambda: jvp(_never_called, [1.0], [1.0], create_graph="yes"), TypeError, "create_graph must be a bool, got str"),
        (lambda: jvp(lambda x: 2.0, [1.0], [1.0]), TypeError, "f must return a Value or a list of Values, got float"),
        (lambda: jvp(lambda x: [x, 2.0], [1.0], [1.0]), TypeError, r"f must return Values, but its output \[1\] is a float"),
        (lambda: jvp(lambda x: [], [1.0], [1.0]), ValueError, "f returned an empty list"),
        (lambda: vjp(_never_called, [1.0], cotangent="1"), TypeError, "cotangent must be a number .* or a sequence of numbers"),
        (lambda: vjp(_never_called, [1.0], cotangent=[1.0, "a"]), TypeError, r"cotangent\[1\] must be a number"),
        (lambda: vjp(lambda x: [x, x], [1.0], cotangent=1.0), ValueError, r"cotangent must hold one number per output of f \(2\), got a number"),
        (lambda: vjp(lambda x: x, [1.0], cotangent=[1.0]), ValueError, r"one number per output of f \(1\), got 1 numbers"),
        (lambda: vjp(lambda x: [x, x], [1.0], cotangent=[1.0]), ValueError, r"output of f \(2\), got 1 numbers"),
        (lambda: jacobian(_never_called, [1.0], "sideways"), ValueError, "mode must be 'auto', 'forward' or 'reverse', got 'sideways'"),
        (lambda: jacobian(_never_called, [1.0], None), TypeError, "mode must be a str"),
        (lambda: count_multiplications(_never_called, [1.0], "both"), ValueError, "mode must be 'auto'"),
        (lambda: hvp(_never_called, [1.0, 2.0], [1.0]), ValueError, r"v must hold one number per entry of x \(2\), got 1"),
        (lambda: hvp(lambda x: [x], [1.0], [1.0]), TypeError, "f must return a Value, got list"),
        (lambda: value_and_grad(_f, argnums=1.0), TypeError, "argnums must be an int or a tuple of ints, got 1.0"),
        (lambda: value_and_grad(_f, argnums=[0]), TypeError, r"argnums must be an int or a tuple of ints, got \[0\]"),
        (lambda: value_and_grad(_f, argnums=True), TypeError, "argnums must be an int or a tuple of ints, got True"),
        (lambda: value_and_grad(_f, argnums=()), ValueError, "argnums must name at least one argument"),
        (lambda: value_and_grad(_f, argnums=-1), ValueError, "argnums must be >= 0, got -1"),
        (lambda: value_and_grad(_f, argnums=(0, 0)), ValueError, r"argnums must name each argument once, got \(0, 0\)"),
        (lambda: value_and_grad(_never_called, argnums=2)(1.0, 2.0), ValueError,
         "argnums=2 asks for argument 2, but f was called with 2 positional arguments"),
        (lambda: value_and_grad(_never_called, argnums=(0, 1))(1.0, "2"), TypeError, "argument 1 must be a number or a Value, got str"),
        (lambda: value_and_grad(lambda x: [x])(1.0), TypeError, "f must return a Value, got list"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_arguments_must_be_independent():
    x = Value(1.0)
    y = x * 2.0
    with pytest.raises(ValueError, match=r"primals\[1\] is the same Value as primals\[0\]"):
        jvp(_never_called, [x, x], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"inputs\[0\] is computed from inputs\[1\]: arguments must be independent"):
        jacobian(_never_called, [y, x])
    with pytest.raises(ValueError, match="argument 1 is the same Value as argument 0"):
        value_and_grad(_never_called, (0, 1))(x, x)
    # An interior Value is fine when no other argument is among its inputs.
    assert jacobian(lambda a, b: a * b, [y, Value(3.0)]) == [[3.0, 2.0]]
