"""paths(): the distributed chain rule, every path from a variable to the output."""

import math
from functools import reduce

import pytest
from hypothesis import given, settings
from strategies import expressions

from autograd import Parameter, Value, count_paths, explain_paths, grad, ops, paths


def _paths_by_brute_force(root, wrt):
    """Every path, by following every edge backwards (exponential, fine for tiny graphs)."""
    if root is wrt:
        return 1
    return sum(_paths_by_brute_force(p, wrt) for p in root.parents)


@settings(max_examples=300)
@given(expressions(max_leaves=4, max_steps=12))
def test_path_products_sum_to_the_gradient(expr):
    leaves = [Parameter(x, f"w{i}") for i, x in enumerate(expr.points)]
    root = expr(*leaves)
    root.backward()
    for w in leaves:
        found = paths(root, w)
        assert len(found) == count_paths(root, w) == _paths_by_brute_force(root, w)
        for p in found:
            assert p.nodes[0] is w and p.nodes[-1] is root
            assert len(p.edges) == len(p.edge_indices) == len(p.nodes) - 1
            for k, (parent, child) in enumerate(zip(p.nodes, p.nodes[1:])):
                assert child.parents[p.edge_indices[k]] is parent
                assert p.edges[k] == child.local_grads[p.edge_indices[k]]
            assert p.product == reduce(lambda acc, e: e * acc, reversed(p.edges), 1.0)
        # The same path is never listed twice: a path is its sequence of edges.
        routes = {tuple(map(id, p.nodes)) + p.edge_indices for p in found}
        assert len(routes) == len(found)
        # Backpropagation sums the same products grouped differently (it factors shared
        # edges out), so they agree up to rounding: a few ulps of the terms' magnitude.
        magnitude = sum(abs(p.product) for p in found)
        assert math.fsum(p.product for p in found) == pytest.approx(w.grad, rel=0, abs=1e-13 * (1.0 + magnitude))


def test_seed_case_two_two_paths_through_x_and_y():
    # Chain rule case 2 of the seeds: x = g(s), y = h(s), z = k(x, y); here x = sin s,
    # y = exp s, z = x * y, so dz/ds = cos(s) * y + exp(s) * x, one term per path.
    s = Value(0.7, "s")
    x, y = s.sin(), s.exp()
    x.label, y.label = "x", "y"
    z = x * y
    z.label = "z"
    via_x, via_y = paths(z, s)
    assert [n.label for n in via_x.nodes] == ["s", "x", "z"]
    assert [n.label for n in via_y.nodes] == ["s", "y", "z"]
    assert via_x.edges == (math.cos(0.7), math.exp(0.7))  # dx/ds, dz/dx = y
    assert via_y.edges == (math.exp(0.7), math.sin(0.7))  # dy/ds, dz/dy = x
    assert repr(via_x) == "<Path s -> x -> z: 0.7648 * 2.014 = 1.54>"  # 4 significant digits
    assert via_x.product + via_y.product == pytest.approx(
        math.cos(0.7) * math.exp(0.7) + math.exp(0.7) * math.sin(0.7), rel=1e-15
    )


def test_a_times_a_has_two_paths_one_per_edge():
    a = Value(3.0, "a")
    sq = a * a
    first, second = paths(sq, a)
    assert first.nodes == second.nodes == (a, sq)
    assert (first.edge_indices, second.edge_indices) == ((0,), (1,))
    assert first.product + second.product == 6.0
    assert repr(first) == "<Path a -(operand 1)-> <*>: 3 = 3>"
    assert repr(second) == "<Path a -(operand 2)-> <*>: 3 = 3>"


def test_a_chain_has_one_path_whose_product_is_the_gradient_exactly():
    x = Value(0.3, "x")
    y = x
    for i in range(3000):  # long: no recursion anywhere
        y = (y.sin() if i % 2 else y.tanh()) * 1.0003  # derivatives near 1: no underflow
    y.backward()
    (only,) = paths(y, x)
    assert len(only.nodes) == 1 + 2 * 3000
    assert 1e-6 < x.grad < 1.0  # a normal float, so the comparison below means something
    assert only.product == x.grad  # multiplied in backpropagation's order: no rounding difference


def test_exponentially_many_paths_are_counted_not_listed():
    # Each diamond doubles the paths: y = f(x) + g(x) twice per level.
    x = Value(0.5, "x")
    y = x
    for _ in range(200):
        y = y.sin() + y.cos()
    assert count_paths(y, x) == 2**200
    with pytest.raises(ValueError, match=rf"there are {2**200} paths from wrt to root, more than max_paths=10000"):
        paths(y, x)
    with pytest.raises(ValueError, match="there are 2 paths .* max_paths=1: .* Pass max_paths=2 to list them anyway"):
        paths(x.sin() + x.cos(), x, max_paths=1)
    assert len(paths(x.sin() + x.cos(), x, max_paths=2)) == 2


def test_the_work_of_listing_is_bounded_by_the_total_number_of_edges():
    # 2**10 paths, each through a chain of 1,100 ops: few paths, but 1.1 million edges to
    # write out. Refused before any is built; with the limit raised they are listed, each
    # with all its edges.
    x = Value(1.0, "x")
    y = x
    for _ in range(1100):
        y = y * 1.0
    for _ in range(10):
        y = y + y
    total = 1024 * (1100 + 10)
    assert count_paths(y, x) == 1024
    with pytest.raises(ValueError, match=rf"the 1024 paths from wrt to root have {total} edges in all, more than "
                                         rf"max_edges=1000000: .* Pass max_edges={total} to list them anyway"):
        paths(y, x)
    # x -> *2 -> + -> +, x -> *3 -> + -> +, x -> exp -> * -> +, x -> * -> +: 11 edges.
    small = x * 2.0 + x * 3.0 + x.exp() * x
    with pytest.raises(ValueError, match=r"the 4 paths from wrt to root have 11 edges in all, more than max_edges=10"):
        paths(small, x, max_edges=10)
    assert sorted(len(p.edges) for p in paths(small, x, max_edges=11)) == [2, 3, 3, 3]


def test_listed_paths_carry_every_edge_and_the_products_sum_to_the_gradient_on_a_long_chain():
    x = Value(0.9, "x")
    y = x
    for k in range(400):
        y = y * 1.001 if k % 2 else (y + 0.01).sqrt()
    for _ in range(5):
        y = y + y
    found = paths(y, x)
    assert len(found) == 32 and all(len(p.edges) == 605 and len(p.nodes) == 606 for p in found)
    assert all(p.nodes[0] is x and p.nodes[-1] is y for p in found)
    (expected,) = grad(y, [x])
    assert math.fsum(p.product for p in found) == pytest.approx(expected, rel=1e-12)


def test_edge_cases_no_path_and_the_output_itself():
    x, unrelated = Value(1.0, "x"), Value(2.0, "u")
    y = x.exp()
    assert paths(y, unrelated) == [] and count_paths(y, unrelated) == 0
    (itself,) = paths(y, y)
    assert (itself.nodes, itself.edges, itself.product) == ((y,), (), 1.0)
    assert explain_paths(y, unrelated) == "d<exp>/du = 0: u has no path to <exp>."


def test_bad_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="wrt must be a Value, got int"):
        paths(x, 3)
    with pytest.raises(TypeError, match="root must be a Value, got str"):
        paths("x", x)
    with pytest.raises(ValueError, match="max_paths must be a positive int, got 0"):
        paths(x, x, max_paths=0)
    with pytest.raises(ValueError, match="max_edges must be a positive int, got -1"):
        paths(x, x, max_edges=-1)


def test_explain_writes_the_sum_with_its_numbers():
    w, x = Parameter(-3.0, "w"), Value(2.0, "x")
    z = w * x + w
    z.label = "z"
    L = z * z
    L.label = "L"
    text = explain_paths(L, w)
    assert text.splitlines() == [
        "dL/dw = sum over 4 paths of the product of the local derivatives on its edges:",
        "  path 1: w -> <*> -> z -(operand 1)-> L",
        "          2 * 1 * -9 = -18",
        "  path 2: w -> z -(operand 1)-> L",
        "          1 * -9 = -9",
        "  path 3: w -> <*> -> z -(operand 2)-> L",
        "          2 * 1 * -9 = -18",
        "  path 4: w -> z -(operand 2)-> L",
        "          1 * -9 = -9",
        "dL/dw = -18 + -9 + -18 + -9 = -54   (backpropagation: -54)",
    ]
    assert (w.grad, L.grad) == (0.0, 0.0)  # explaining changes no grad
    # By hand: L = (w x + w)^2, dL/dw = 2 (w x + w)(x + 1) = 2 * -9 * 3, and the four
    # paths are the two edges of z*z times the two routes from w to z.
    assert grad(L, [w]) == (-54.0,)


def test_paths_are_listed_in_the_order_of_the_parents():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    s = ops.sum([b, a * b, a])
    order = [tuple(n.label or n.op for n in p.nodes) for p in paths(s, a)]
    assert order == [("a", "*", "sum"), ("a", "sum")]
    assert paths(s, a) == paths(s, a)
