"""Backpropagation: topological order, the distributed chain rule, accumulation semantics,
deep graphs, no_grad, and random expression graphs against sympy and central differences."""

import gc
import math
import sys

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value, backprop, backward, backward_steps, detect_anomaly, gradcheck, grad, no_grad, ops, topological_order
from catalog import OPS, evaluate
from strategies import expressions


# -- topological order -----------------------------------------------------------------------
def _check_topological(order, root):
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    assert order[-1] is root
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node], "an input comes after its output"


def _reachable(root):
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.parents)
    return seen


def test_topological_order_of_a_small_graph():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    ab = a * b
    y = ab + ab * c
    order = topological_order(y)
    _check_topological(order, y)
    assert set(order) == {a, b, c, ab, y.parents[1], y}
    assert order[0].parents == ()  # inputs first


def test_topological_order_of_a_leaf_is_the_leaf():
    x = Value(1.0)
    assert topological_order(x) == [x]


def test_topological_order_rejects_non_values():
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        topological_order(1.0)


def _labelled_graph():
    x = [Value(float(i), f"x{i}") for i in range(4)]
    h = [(x[i] * x[(i + 1) % 4]).tanh() for i in range(4)]
    for i, v in enumerate(h):
        v.label = f"h{i}"
    y = ops.sum(h + [ops.max(x)])
    y.label = "y"
    return y


def test_topological_order_is_deterministic():
    orders = [[v.label or v.op for v in topological_order(_labelled_graph())] for _ in range(3)]
    assert orders[0] == orders[1] == orders[2]


@given(expressions(every_op=True))
def test_topological_order_of_random_graphs(expr):
    y = expr(*map(Value, expr.points))
    order = topological_order(y)
    _check_topological(order, y)
    assert set(order) == _reachable(y)


# -- the distributed chain rule ----------------------------------------------------------------
def test_chain_rule_case_1_composition():
    # y = g(x), z = h(y): dz/dx = dz/dy * dy/dx (seed 001).
    x = Value(0.7)
    y = x.sin()
    z = y.exp()
    z.backward()
    assert y.local_grads == (math.cos(0.7),)
    assert z.local_grads == (math.exp(math.sin(0.7)),)
    assert y.grad == z.local_grads[0]
    assert x.grad == z.local_grads[0] * y.local_grads[0]


def test_diamond_sums_both_paths():
    # x -> a = x**2, x -> b = sin(x), y = a * b (seed 001, case 2; seed 003's influence diagram).
    x = Value(1.3)
    a, b = x**2, x.sin()
    y = a * b
    y.backward()
    assert a.local_grads == (2 * 1.3,) and b.local_grads == (math.cos(1.3),)
    assert y.local_grads == (b.data, a.data)
    path_through_a = 2 * 1.3 * math.sin(1.3)
    path_through_b = math.cos(1.3) * 1.3**2
    assert x.grad == pytest.approx(path_through_a + path_through_b, rel=1e-15)
    assert (a.grad, b.grad) == (b.data, a.data)


def test_reused_node_gets_every_edge():
    # a = x*y is used three times by b = a*a + a: db/da = 2a + 1 over three edges.
    x, y = Value(1.5), Value(-2.0)
    a = x * y
    b = a * a + a
    b.backward()
    assert a.grad == 2 * -3.0 + 1
    assert x.grad == (2 * -3.0 + 1) * -2.0
    assert y.grad == (2 * -3.0 + 1) * 1.5


def _paths(root, leaf):
    """Products of edge derivatives along every path leaf -> root, walking each path."""
    products, stack = [], [(root, 1.0)]
    while stack:
        node, product = stack.pop()
        if node is leaf:
            products.append(product)
        for parent, local in zip(node.parents, node.local_grads):
            stack.append((parent, product * local))
        assume(len(stack) + len(products) < 20_000)  # paths multiply; keep the walk small
    return products


@given(expressions(max_steps=6))
def test_gradient_is_the_sum_over_paths_of_edge_products(expr):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    y.backward()
    for leaf in leaves:
        products = _paths(y, leaf)
        # Summed in another order, so equal up to rounding relative to the terms' sizes.
        assert abs(leaf.grad - math.fsum(products)) <= 1e-13 * math.fsum(map(abs, products))


# -- backward() semantics -------------------------------------------------------------------
@given(expressions(every_op=True))
def test_second_backward_doubles_leaves_exactly_and_repeats_interior(expr):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    interior = [n for n in topological_order(y) if n.parents]
    y.backward()
    first_leaves = [x.grad for x in leaves]
    first_interior = [n.grad for n in interior]
    y.backward()
    assert [x.grad for x in leaves] == [2 * g for g in first_leaves]
    assert [n.grad for n in interior] == first_interior
    assert y.grad == 1.0


@given(expressions(every_op=True))
def test_backward_agrees_exactly_with_grad(expr):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    expected = grad(y, leaves)
    backward(y)
    assert tuple(x.grad for x in leaves) == expected


def _bits(xs) -> list[tuple[float, float]]:
    """Values with the sign of zero made visible (0.0 == -0.0, but not their signs)."""
    return [(x, math.copysign(1.0, x)) for x in xs]


@given(expressions(every_op=True))
def test_backward_and_grad_agree_on_the_sign_of_zero_too(expr):
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves) * Value(-0.0)  # every gradient a signed zero (or nan)
    expected = grad(y, leaves)
    backward(y)
    assert _bits(x.grad for x in leaves) == _bits(expected)


def test_a_zero_gradient_is_the_same_zero_in_backward_grad_and_the_steps():
    # d(x * c)/dx = c = -0.0, summed from 0.0 everywhere: 0.0 + -0.0 is 0.0 (PyTorch keeps
    # -0.0, a documented difference). grad() used to keep the lone -0.0 that backward() lost.
    x, c = Value(3.0), Value(-0.0)
    (grad_x,) = grad(x * c, [x])
    (x * c).backward()
    stepped = Value(3.0)
    for _ in backward_steps(stepped * c):
        pass
    assert _bits([x.grad, grad_x, stepped.grad]) == [(0.0, 1.0)] * 3


class _Interrupting(float):
    """A local derivative whose product raises, as a KeyboardInterrupt would arrive mid-pass."""

    def __mul__(self, other):
        raise KeyboardInterrupt

    __rmul__ = __mul__


def test_an_interrupted_backward_gives_every_leaf_back_its_earlier_grad():
    x, w, b = Value(2.0), Value(-3.0), Value(0.5)
    ((x * w + b) * x).backward()
    before = [x.grad, w.grad, b.grad]
    assert before == [2 * 2.0 * -3.0 + 0.5, 4.0, 2.0]
    # The edge to w is reached after others have sent their share to x and b.
    trapped = w * 1.0
    trapped.local_grads = (_Interrupting(1.0), -3.0)
    y = (x * w + b) * x + trapped
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert [x.grad, w.grad, b.grad] == before
    y = (x * w + b) * x + (w - w).sqrt()  # sqrt's slope at 0 is inf
    with detect_anomaly(), pytest.raises(FloatingPointError, match="backward of op 'sqrt' produced"):
        y.backward()
    assert [x.grad, w.grad, b.grad] == before


def _interrupted_at_line(k: int, call) -> bool:
    """Run ``call()`` with a trace function that raises ``KeyboardInterrupt`` at the k-th line
    it executes (in any frame it enters), as Ctrl-C may arrive at any instruction. Returns
    whether it was interrupted; with k past its last line it runs to the end."""
    lines = 0

    def trace(frame, event, arg):
        nonlocal lines
        if event == "line":
            lines += 1
            if lines == k:
                raise KeyboardInterrupt
        return trace

    sys.settrace(trace)
    try:
        call()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False


def test_an_interrupt_at_any_line_of_backward_is_all_or_nothing():
    # The report: an interrupt while the leaves' earlier grads were added back left a = 13
    # and b = 3. Here the interrupt comes at each line the pass executes, one line per run:
    # every grad must end as before the call, or as after a whole call, and the lock free.
    def build():
        a, b = Value(2.0, "a"), Value(-3.0, "b")
        y = (a * b + a.exp()).relu() * b + ops.max([a, b])
        order = topological_order(y)
        for i, node in enumerate(order):
            node.grad = 10.0 * (i + 1)
        return y, order

    y, order = build()
    before = [node.grad for node in order]
    y.backward()
    after = [node.grad for node in order]
    k, interrupted = 0, True
    while interrupted:
        k += 1
        y, order = build()
        interrupted = _interrupted_at_line(k, y.backward)
        grads = [node.grad for node in order]
        leaked = backprop._one_pass_at_a_time._is_owned()
        if leaked:  # let the other tests run
            backprop._one_pass_at_a_time.release()
        assert not leaked, f"interrupted at line {k} of the pass: the lock is still held"
        assert grads in (before, after), f"interrupted at line {k} of the pass: {grads}"
    assert k > 50  # every line was reached: the last run went through


def test_leaf_grads_accumulate_onto_what_they_held():
    x = Value(2.0)
    x.grad = 5.0
    h = x * x
    h.grad = 123.0  # an interior grad is overwritten, not accumulated
    y = h + x
    y.backward()
    assert x.grad == 5.0 + 5.0
    assert h.grad == 1.0


def test_backward_of_a_leaf_sets_its_grad_to_one_plus_what_it_held():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_micrograd_readme_example():
    a, b = Value(-4.0), Value(2.0)
    g = _micrograd_example(a, b, Value.relu)
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"
    # sympy's exact derivative of the same program.
    sa, sb = sympy.symbols("a b", real=True)
    expr = _micrograd_example(sa, sb, lambda v: sympy.Max(0, v))
    point = {sa: -4, sb: 2}
    assert g.data == pytest.approx(float(expr.subs(point)), rel=1e-14)
    assert a.grad == pytest.approx(float(sympy.diff(expr, sa).subs(point)), rel=1e-14)
    assert b.grad == pytest.approx(float(sympy.diff(expr, sb).subs(point)), rel=1e-14)


def _micrograd_example(a, b, relu):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


# -- deep graphs: no recursion anywhere -----------------------------------------------------
@pytest.fixture
def without_gc():
    """Pause the cycle collector: its passes over a million new (acyclic) nodes would take
    longer than building and backpropagating them."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_million_step_chain_backpropagates(without_gc):
    x, c = Value(0.5), Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + c
    y.backward()
    assert y.data == 1_000_000.5
    assert x.grad == 1.0
    assert c.grad == 1_000_000.0


def test_builtin_sum_of_100000_values_backpropagates(without_gc):
    xs = [Value(float(i)) for i in range(100_000)]
    total = sum(xs)  # a chain of 100,000 binary additions
    total.backward()
    assert total.data == 99_999 * 100_000 / 2
    assert all(x.grad == 1.0 for x in xs)
    assert len(topological_order(total)) == 200_001  # 100,000 adds and the constant 0


# -- no_grad and detach ---------------------------------------------------------------------
def test_no_grad_records_no_parents():
    x = Value(2.0)
    with no_grad():
        y = (x * 3.0 + 1.0).tanh()
        z = ops.sum([x, y])
        softmax = ops.softmax([x, y])
    for v in (y, z, *softmax):
        assert v.parents == () and v.local_grads == () and v.op == ""
    assert y.data == pytest.approx(math.tanh(7.0), rel=1e-15)
    z.backward()
    assert x.grad == 0.0
    assert (x * 2).parents[0] is x  # recording is back on


def test_no_grad_restores_the_mode_after_an_exception_and_when_nested():
    x = Value(1.0)
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert (x + 1).parents[0] is x
    with no_grad():
        with no_grad():
            pass
        assert (x + 1).parents == ()
    assert (x + 1).parents[0] is x


def test_detach_cuts_the_graph_in_the_middle():
    x = Value(0.5)
    h = x.exp()
    y = h.detach() * h  # d/dx = h (through the second factor only)
    y.backward()
    assert x.grad == pytest.approx(math.exp(0.5) ** 2, rel=1e-15)


# -- random expression graphs: sympy and central differences -------------------------------
@pytest.mark.parametrize("graphs", [expressions(every_op=True), expressions(max_steps=8)], ids=["every_op", "small"])
@given(data=st.data())
def test_random_graphs_pass_gradcheck(graphs, data):
    expr = data.draw(graphs)
    assert gradcheck(expr, expr.points)


def _assert_matches_sympy(expr):
    symbols = sympy.symbols(f"x0:{len(expr.points)}", real=True)
    exact = expr.sympy(symbols)
    leaves = [Value(x) for x in expr.points]
    y = expr(*leaves)
    assert y.data == pytest.approx(evaluate(exact, symbols, expr.points), rel=1e-9, abs=1e-12)
    expected = [evaluate(sympy.diff(exact, s), symbols, expr.points) for s in symbols]
    # The absolute floor is for a gradient that cancels to ~0, where no relative accuracy exists.
    assert grad(y, leaves) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=8)  # sympy needs ~0.3 s per graph of this size
@given(expressions(every_op=True))
def test_random_graphs_using_every_op_match_sympy(expr):
    _assert_matches_sympy(expr)


@given(expressions(max_steps=8))
def test_random_graphs_match_sympy(expr):
    _assert_matches_sympy(expr)


@given(expressions(every_op=True))
def test_every_op_graphs_contain_every_op(expr):
    assert expr.op_names == set(OPS)
