"""IEEE-754 numerics: inf and nan instead of Python math exceptions, stable formulas at
+-1000, PyTorch's conventions at kinks, and anomaly detection."""

import math
from pathlib import Path

import mpmath
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from autograd import MASKED, Value, detect_anomaly, grad, hessian, ops, paths
from autograd.backprop import contribution
from catalog import CASES, sample_points

inf, nan = math.inf, math.nan


def _same(a: float, b: float) -> bool:
    """Equal as IEEE values: nan matches nan; the sign of zero is not compared."""
    return (a != a and b != b) or a == b


# -- the IEEE table ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expression, expected",
    [
        (lambda: Value(1000.0).exp(), inf),
        (lambda: Value(-1000.0).exp(), 0.0),
        (lambda: Value(0.0).log(), -inf),
        (lambda: Value(-1.0).log(), nan),
        (lambda: Value(inf).log(), inf),
        (lambda: Value(1.0) / 0, inf),
        (lambda: Value(-1.0) / Value(0.0), -inf),
        (lambda: Value(1.0) / -0.0, -inf),
        (lambda: 1 / Value(0.0), inf),
        (lambda: Value(0.0) / 0, nan),
        (lambda: Value(-1.0).sqrt(), nan),
        (lambda: Value(-8.0) ** (1 / 3), nan),
        (lambda: Value(-8.0) ** Value(1 / 3), nan),
        (lambda: Value(-10.0) ** 400.5, nan),
        (lambda: Value(10.0) ** 400, inf),
        (lambda: Value(-10.0) ** 401, -inf),
        (lambda: Value(2.0) ** Value(2000.0), inf),
        (lambda: 2 ** Value(2000.0), inf),
        (lambda: Value(2.0) ** (10**400), inf),
        (lambda: Value(0.0) ** -1, inf),
        (lambda: Value(-0.0) ** -1, -inf),
        (lambda: Value(0.0) ** Value(-2.0), inf),
        (lambda: Value(1e308) * 10, inf),
        (lambda: Value(1e308) + Value(1e308), inf),
        (lambda: Value(-1e308) - 1e308, -inf),
        (lambda: Value(inf).sin(), nan),
        (lambda: Value(-inf).cos(), nan),
        (lambda: Value(inf).tanh(), 1.0),
        (lambda: Value(inf) - Value(inf), nan),
        (lambda: Value(inf) * 0, nan),
        (lambda: ops.logsumexp([inf, 1.0]), inf),
        (lambda: ops.logsumexp([-inf, -inf]), -inf),
        (lambda: ops.logsumexp([inf, -inf]), inf),
        (lambda: ops.logsumexp([nan, 1.0]), nan),
    ],
)
def test_ieee_results_never_python_exceptions(expression, expected):
    y = expression()
    assert type(y.data) is float
    assert _same(y.data, expected)


@pytest.mark.parametrize(
    "build, x, expected_grad",
    [
        (Value.exp, 1000.0, inf),
        (Value.log, 0.0, inf),
        (Value.log, -1.0, -1.0),
        (Value.sqrt, 0.0, inf),
        (Value.sqrt, -1.0, nan),
        (lambda v: 1 / v, 0.0, -inf),
        (lambda v: v ** (1 / 3), -8.0, nan),
        (lambda v: v**400, 10.0, inf),
        (lambda v: v**-1, 0.0, -inf),
        (lambda v: 2**v, 2000.0, inf),
    ],
)
def test_gradients_are_ieee_too(build, x, expected_grad):
    v = Value(x)
    build(v).backward()
    assert _same(v.grad, expected_grad)


_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, inf, -inf, nan, 1e308])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@given(data=st.data())
def test_no_op_raises_on_any_floats(case, data):
    """Forward, backward and a second derivative: floats out, never an exception."""
    count = case.operand_count(2)
    xs = [Value(data.draw(_ANY_FLOAT)) for _ in range(count)]
    y = case.build(*xs)
    assert type(y.data) is float
    first = grad(y, xs, create_graph=True)
    assert all(type(g.data) is float for g in first)
    assert all(type(g) is float for g in grad(first[0], xs))
    y.backward()
    assert all(type(x.grad) is float for x in xs)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_nan_propagates_forward_and_backward(case):
    xs = [Value(nan) for _ in range(case.operand_count(2))]
    assert math.isnan(case.build(*xs).data)
    # A nan gradient arriving at a node reaches every input the op used, even across a plain
    # 0 edge (0 * nan); an input it did not use (relu's off side, the inputs max and min did
    # not pick) gets 0, as in PyTorch.
    xs = [Value(x) for x in sample_points(case, 2)[0]]
    y = case.build(*xs)
    (y * Value(nan)).backward()
    used = [local is not MASKED for local in y.local_grads]
    assert [math.isnan(x.grad) if u else x.grad == 0.0 for x, u in zip(xs, used)] == [True] * len(xs)
    assert (case.name in ("relu", "max", "min")) == (not all(used))


# -- masking: an input the op did not use gets nothing back ------------------------------------
def _by_backward(y, xs):
    y.backward()
    return [x.grad for x in xs]


def _by_grad(y, xs):
    return list(grad(y, xs))


def _by_grad_with_graph(y, xs):
    return [g.data for g in grad(y, xs, create_graph=True)]


def _by_paths(y, xs):
    return [math.fsum(p.product for p in paths(y, x)) for x in xs]


_EVERY_PASS = pytest.mark.parametrize("gradients", [_by_backward, _by_grad, _by_grad_with_graph, _by_paths],
                                      ids=["backward", "grad", "grad_create_graph", "paths"])


@_EVERY_PASS
@pytest.mark.parametrize(
    "build, point, expected",
    [
        # relu at x <= 0 is flat: sqrt's infinite slope at 0 does not reach x (0 * inf is nan).
        (lambda x: x.relu().sqrt(), (-1.0,), [0.0]),
        (lambda x: x.relu().sqrt(), (0.0,), [0.0]),
        (lambda x: x.relu() * nan, (-2.0,), [0.0]),
        # max and min route the gradient to the input they picked and nothing to the others.
        (lambda a, b: ops.max([a, b]).sqrt(), (0.0, -1.0), [inf, 0.0]),
        (lambda a, b, c: ops.min([a, b, c]) * -inf, (3.0, 1.0, 2.0), [0.0, -inf, 0.0]),
        # a**0 is 1 for every a: the base gets 0, whatever arrives.
        (lambda x: x**0 * nan, (5.0,), [0.0]),
        (lambda a, b: (a**b) * inf, (2.0, 0.0), [0.0, inf]),
        (lambda a, b: (a**b) * nan, (0.0, 0.0), [0.0, nan]),
        # A zero that is a factor of a product is not a mask: 0 * inf is nan, as in PyTorch.
        (lambda x: (x * 0.0).sqrt(), (2.0,), [nan]),
        (lambda a, b: (a**b) * inf, (0.0, 2.0), [nan, nan]),
    ],
)
def test_unused_inputs_get_zero_even_from_inf_or_nan_gradients(gradients, build, point, expected):
    xs = [Value(x) for x in point]
    assert [_same(g, e) for g, e in zip(gradients(build(*xs), xs), expected)] == [True] * len(expected)


def test_a_masked_edge_sends_zero_and_a_zero_factor_multiplies():
    assert type(MASKED) is float and MASKED == 0.0
    assert [contribution(MASKED, g) for g in (inf, -inf, nan, -3.0)] == [0.0] * 4
    assert [math.isnan(contribution(0.0, g)) for g in (inf, -inf, nan)] == [True] * 3
    assert contribution(2.5, -4.0) == -10.0
    assert Value(-1.0).relu().local_grads[0] is MASKED
    assert ops.max([Value(1.0), Value(2.0)]).local_grads == (0.0, 1.0)
    assert ops.max([Value(1.0), Value(2.0)]).local_grads[0] is MASKED
    assert (Value(2.0) ** 0).local_grads[0] is MASKED
    assert (Value(2.0) * 0.0).local_grads[1] is not MASKED  # a factor, not a mask


# -- signed zeros ------------------------------------------------------------------------------
def test_relu_keeps_the_sign_of_zero_as_pytorch():
    assert math.copysign(1.0, Value(-0.0).relu().data) == -1.0
    assert (1 / Value(-0.0).relu()).data == -inf
    assert math.copysign(1.0, Value(0.0).relu().data) == 1.0
    assert math.copysign(1.0, Value(-2.0).relu().data) == 1.0


def test_inf_propagates():
    assert (Value(inf) + 1.0).data == inf
    assert Value(inf).exp().data == inf
    assert Value(-inf).exp().data == 0.0
    assert ops.max([Value(1.0), Value(inf)]).data == inf
    x = Value(2.0)
    (x * Value(inf)).backward()
    assert x.grad == inf


# -- stable at +-1000, against 50-digit mpmath --------------------------------------------
mpmath.mp.dps = 50


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def _mp_softplus(x):
    return mpmath.log(1 + mpmath.exp(x))


@pytest.mark.parametrize(
    "method, reference, derivative",
    [
        ("sigmoid", _mp_sigmoid, lambda x: _mp_sigmoid(x) * (1 - _mp_sigmoid(x))),
        ("tanh", mpmath.tanh, lambda x: 1 - mpmath.tanh(x) ** 2),
        ("softplus", _mp_softplus, _mp_sigmoid),
    ],
)
@pytest.mark.parametrize("x", [-1000.0, -700.0, -30.0, -1.0, 0.0, 1.0, 30.0, 700.0, 1000.0])
def test_saturating_functions_are_accurate_everywhere(method, reference, derivative, x):
    v = Value(x)
    y = getattr(v, method)()
    y.backward()
    # Values within 2 ulps; those below float64's range are 0.
    assert y.data == pytest.approx(float(reference(mpmath.mpf(x))), rel=5e-16, abs=1e-300)
    # Derivatives within 2 ulps too, except that s * (1 - s) and 1 - t**2, computed from an
    # output rounded near 1 (as PyTorch does), are only accurate to an ulp of 1.0.
    assert v.grad == pytest.approx(float(derivative(mpmath.mpf(x))), rel=5e-16, abs=2.0**-52)


@pytest.mark.parametrize("point", [(1000.0, 1000.0), (-1000.0, -1000.0), (1000.0, -1000.0), (1000.0, 999.0, -3.0)])
def test_logsumexp_softmax_and_log_softmax_at_1000(point):
    xs = [Value(x) for x in point]
    mp = [mpmath.mpf(x) for x in point]
    lse = mpmath.log(sum(mpmath.exp(x) for x in mp))
    soft = [mpmath.exp(x - lse) for x in mp]
    y = ops.logsumexp(xs)
    assert y.data == pytest.approx(float(lse), rel=1e-16)
    assert grad(y, xs) == pytest.approx([float(s) for s in soft], rel=1e-15, abs=1e-300)
    for i, (s, ls) in enumerate(zip(ops.softmax(xs), ops.log_softmax(xs))):
        assert s.data == pytest.approx(float(soft[i]), rel=1e-15, abs=1e-300)
        assert ls.data == pytest.approx(float(mp[i] - lse), rel=1e-15)
        row = [float((i == j) - soft[j]) for j in range(len(mp))]
        assert grad(ls, xs) == pytest.approx(row, rel=1e-15, abs=1e-300)
        assert grad(s, xs) == pytest.approx([float(soft[i]) * r for r in row], rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("point", [(1e15, 1e15 + 1.0), (-1e6, -1e6 + 0.5, -1e6 - 2.0)])
def test_softmax_is_accurate_at_any_scale(point):
    # Shifting by logsumexp instead of the maximum would add an ulp of |x| to every exponent.
    mp = [mpmath.mpf(x) for x in point]
    total = sum(mpmath.exp(x - mp[0]) for x in mp)
    xs = [Value(x) for x in point]
    for s, ls, x in zip(ops.softmax(xs), ops.log_softmax(xs), mp):
        assert s.data == pytest.approx(float(mpmath.exp(x - mp[0]) / total), rel=1e-15)
        assert ls.data == pytest.approx(float(x - mp[0] - mpmath.log(total)), rel=1e-15, abs=1e-300)
    assert grad(ops.logsumexp(xs), xs) == pytest.approx([s.data for s in ops.softmax(xs)], rel=1e-15)


# -- kinks: PyTorch's conventions ------------------------------------------------------------
def _d(build, *point):
    xs = [Value(x) for x in point]
    return grad(build(*xs), xs)


def test_kink_conventions():
    assert _d(Value.relu, 0.0) == (0.0,)
    assert _d(abs, 0.0) == (0.0,)
    assert _d(abs, -0.0) == (0.0,)
    assert _d(Value.leaky_relu, 0.0) == (0.01,)
    assert _d(lambda v: v.leaky_relu(0.2), 0.0) == (0.2,)
    assert _d(lambda v: v.leaky_relu(0.2), -1.0) == (0.2,)
    assert _d(Value.relu, nan) == (1.0,)


@pytest.mark.parametrize("b", [0.0, 0.5, 1.0, 2.0, 3.0])
def test_power_exponent_derivative_at_zero_base_is_zero(b):
    # d(a**b)/db = a**b * log(a) is 0 * -inf at a = 0; the limit is 0.
    assert _d(lambda a, e: a**e, 0.0, b)[1] == 0.0
    assert _d(lambda e: 0**e, b) == (0.0,)


@pytest.mark.parametrize("a", [0.0, 2.0, -3.0, inf, nan])
def test_power_base_derivative_at_zero_exponent_is_zero(a):
    # a**0 is 1 for every a, so d/da is 0 (the formula 0 * a**-1 is nan at a = 0).
    assert _d(lambda x, e: x**e, a, 0.0)[0] == 0.0
    assert _d(lambda x: x**0, a) == (0.0,)


# -- anomaly mode ----------------------------------------------------------------------------
def test_anomaly_names_the_first_forward_op_and_its_inputs():
    x = Value(1000.0)
    with detect_anomaly():
        h = x * 1.0
        with pytest.raises(FloatingPointError, match=r"op 'exp' produced inf from inputs \(1000\.0\)"):
            h.exp()


def test_anomaly_catches_nan_from_finite_inputs():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op 'log' produced nan from inputs \(-1\.0\)"):
        Value(-1.0).log()
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op '-' produced nan from inputs \(inf, inf\)"):
        Value(inf) - inf


def test_anomaly_names_the_first_backward_contribution():
    x = Value(0.0)
    # Forward is finite (0, 0); backward meets the cube root's infinite slope at 0 first,
    # before the square root's.
    y = x.sqrt() ** (1 / 3)
    with detect_anomaly(), pytest.raises(
        FloatingPointError,
        match=r"backward of op '\*\*0\.333333' produced inf \(local derivative inf times gradient 1\.0\) "
        r"from inputs \(0\.0\)",
    ):
        y.backward()


def test_anomaly_checks_grad_as_well_as_backward():
    x = Value(0.0)
    y = x.sqrt() * 0.0  # the gradient is 0 * inf = nan
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"backward of op 'sqrt' produced nan"):
        grad(y, [x])


def test_outside_anomaly_mode_nothing_raises_and_mode_is_restored():
    x = Value(0.0)
    y = x.sqrt() * 0.0
    with pytest.raises(FloatingPointError), detect_anomaly():
        y.backward()
    y.backward()
    assert math.isnan(x.grad)
    assert math.isinf(Value(1000.0).exp().data)
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(FloatingPointError):
            Value(0.0).log()


# -- PyTorch as an optional oracle -------------------------------------------------------------
_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1000.0, -1000.0, inf, -inf, nan]
_SPECIAL_PAIRS = [(a, b) for a in (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, inf, -inf, nan) for b in (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, inf, -inf, nan)]
_SPECIAL_TRIPLES = [(1.0, 2.0, 3.0), (3.0, 3.0, 1.0), (1000.0, -1000.0, 0.0), (inf, 0.0, 1.0), (-inf, -inf, 0.0),
                    (nan, 1.0, 2.0), (1.0, nan, nan), (-1000.0, -1000.0, -1000.0)]

# Where this engine deliberately differs from torch 2.13.0, and why.
_KNOWN_DIFFERENCES = {
    # torch evaluates x**0.5 as sqrt(x): nan at -inf, and -0.0 with slope -inf at -0.0;
    # C's pow, used here for every exponent, gives +inf, and +0.0 with slope +inf.
    ("x**0.5", (-inf,)),
    ("x**0.5", (-0.0,)),
    # torch differentiates logsumexp as exp(x - lse): nan for +inf inputs, 0 for the rest; here
    # the gradient is softmax(x), all nan once an input is +inf (as torch's own softmax is).
    ("logsumexp", (inf, 0.0, 1.0)),
}


def _torch_functions(torch):
    F = torch.nn.functional
    stack = torch.stack
    return {
        "neg": lambda x: -x, "abs": torch.abs, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.1), "softplus": F.softplus,
        "sin": torch.sin, "cos": torch.cos, "x**2": lambda x: x**2, "x**3": lambda x: x**3,
        "x**-1": lambda x: x**-1, "x**0.5": lambda x: x**0.5, "x**-1.5": lambda x: x**-1.5,
        "1.5+x": lambda x: 1.5 + x, "1.5-x": lambda x: 1.5 - x, "1.5*x": lambda x: 1.5 * x,
        "1.5/x": lambda x: 1.5 / x, "1.5**x": lambda x: 1.5**x, "x-1.5": lambda x: x - 1.5,
        "x/1.5": lambda x: x / 1.5,
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y,
        "**": lambda x, y: x**y,
        "sum": lambda *xs: stack(xs).sum(), "mean": lambda *xs: stack(xs).mean(),
        "dot": lambda *a: torch.dot(stack(a[: len(a) // 2]), stack(a[len(a) // 2 :])),
        "dot+bias": lambda *a: torch.dot(stack(a[: len(a) // 2]), stack(a[len(a) // 2 : -1])) + a[-1],
        "max": lambda *xs: torch.max(stack(xs), dim=0).values, "min": lambda *xs: torch.min(stack(xs), dim=0).values,
        "logsumexp": lambda *xs: torch.logsumexp(stack(xs), 0),
        "softmax": lambda *xs: torch.softmax(stack(xs), 0)[len(xs) // 2],
        "log_softmax": lambda *xs: torch.log_softmax(stack(xs), 0)[len(xs) // 2],
    }


def _torch_points(case):
    if case.arity == 1:
        return [(x,) for x in _SPECIAL]
    if case.arity == 2:
        return _SPECIAL_PAIRS
    if case.name == "dot":
        return [t + t[::-1] for t in _SPECIAL_TRIPLES]
    if case.name == "dot+bias":
        return [t + t[::-1] + (1.0,) for t in _SPECIAL_TRIPLES]
    return _SPECIAL_TRIPLES


def _close(a: float, b: float) -> bool:
    # Float formulas for one derivative may differ in the last bits (1/x**2 vs -1/x/x).
    return _same(a, b) or (math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_values_and_gradients_match_pytorch_at_special_points(case):
    torch = pytest.importorskip("torch")
    reference = _torch_functions(torch)[case.name]
    mismatches = []
    for point in _torch_points(case):
        if (case.name, point) in _KNOWN_DIFFERENCES:
            continue
        xs = [Value(x) for x in point]
        y = case.build(*xs)
        ours = (y.data, *grad(y, xs))
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
        t = reference(*ts)
        theirs = (t.item(), *(g.item() for g in torch.autograd.grad(t, ts)))
        if not all(_close(a, b) for a, b in zip(ours, theirs)):
            mismatches.append(f"{point}: ours {ours}, torch {theirs}")
    assert not mismatches, "\n".join(mismatches)


def test_known_differences_from_pytorch_are_real():
    torch = pytest.importorskip("torch")
    assert (Value(-inf) ** 0.5).data == inf
    assert math.isnan((torch.tensor(-inf, dtype=torch.float64) ** 0.5).item())
    # torch.max over a whole tensor splits a tie; max(dim) and this engine give it all to the first.
    x = torch.tensor([2.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.max(x).backward()
    assert x.grad.tolist() == [0.5, 0.5]
    assert _d(lambda a, b: ops.max([a, b]), 2.0, 2.0) == (1.0, 0.0)
    x = torch.tensor([inf, 0.0], dtype=torch.float64, requires_grad=True)
    torch.logsumexp(x, 0).backward()
    assert math.isnan(x.grad[0]) and x.grad[1] == 0.0
    assert all(math.isnan(g) for g in _d(lambda a, b: ops.logsumexp([a, b]), inf, 0.0))


def _same_up_to_zero_signs(a: float, b: float) -> bool:
    """``_close``, where a zero gradient here is always +0.0 (sums start from 0.0), and
    PyTorch's may be -0.0 (a documented difference); a nonzero sign must agree."""
    return _close(a, b) and (a != 0.0 or math.copysign(1.0, a) == 1.0)


# softmax and log_softmax send a Jacobian row times the gradient; torch computes
# s * (g - sum(g * s)) for the vector. The two agree to rounding, except that an infinite
# gradient gives inf - inf = nan in torch (here +-inf), and a zero's sign may differ.
_VECTOR_JACOBIAN_ROWS = ("softmax", "log_softmax")


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in _VECTOR_JACOBIAN_ROWS], ids=lambda c: c.name)
def test_inf_nan_and_negative_gradients_arriving_match_pytorch(case):
    # Where torch masks (relu, max/min(dim), the base of a**0) the input gets 0 whatever
    # arrives; elsewhere the gradient is multiplied as IEEE says.
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    reference = _torch_functions(torch)[case.name]
    mismatches = []
    for point in _torch_points(case):
        if (case.name, point) in _KNOWN_DIFFERENCES:
            continue
        for arriving in (inf, -inf, nan, -2.0, 1.0):
            xs = [Value(x) for x in point]
            ours = grad(case.build(*xs) * arriving, xs)
            ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
            theirs = [g.item() for g in torch.autograd.grad(reference(*ts) * arriving, ts)]
            if not all(_same_up_to_zero_signs(a, b) for a, b in zip(ours, theirs)):
                mismatches.append(f"{point}, gradient {arriving} arriving: ours {ours}, torch {theirs}")
    assert not mismatches, "\n".join(mismatches)


# -- second derivatives of a**b where the base is 0 ----------------------------------------------
@pytest.mark.parametrize("b", [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0])
def test_hessian_of_power_at_zero_base_is_the_symmetric_limit(b):
    # Oracle: sympy's limits of the second partials of a**b as a -> 0+.
    a, e = sympy.symbols("a e", positive=True)
    partials = [[sympy.diff(a**e, u, v) for v in (a, e)] for u in (a, e)]
    expected = [[float(sympy.limit(p.subs(e, sympy.Rational(b)), a, 0, "+")) for p in row] for row in partials]
    assert hessian(lambda x, y: x**y, [0.0, b]) == expected
    assert expected[0][1] == expected[1][0]


def test_third_derivatives_of_power_at_zero_base_are_not_invented():
    # Past the second order at a = 0, 0 <= b <= 1, the engine gives nan, not a wrong number.
    a, b = Value(0.0), Value(1.0)
    (da, db) = grad(a**b, [a, b], create_graph=True)
    (daa, dab) = grad(da, [a, b], create_graph=True)
    assert (daa.data, dab.data) == (0.0, -inf)
    assert all(math.isnan(g) for g in grad(dab, [a, b]))


# -- documented differences from PyTorch ----------------------------------------------------------
def test_floats_on_edges_overflow_where_pytorch_divides():
    # d log(x)/dx = 1/x is stored on the edge: 1/1e-310 overflows to inf, and inf * 1e-10 is
    # inf. torch computes grad / x = 1e-10 / 1e-310 = 1e300.
    x = Value(1e-310)
    (x.log() * 1e-10).backward()
    assert x.grad == inf
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    t = torch.tensor(1e-310, dtype=torch.float64, requires_grad=True)
    (torch.log(t) * 1e-10).backward()
    assert t.grad.item() == pytest.approx(1e300, rel=1e-14)


# C's pow (here) against torch, which computes x**0.5 as sqrt(x) and x**-0.5 as rsqrt(x):
# (point, ours (value, slope), torch (value, slope)); _same ignores the sign of zero, so
# signs are compared with copysign.
_POWERS_AT_NEGATIVE_ZERO_AND_INFINITY = [
    (0.5, -0.0, (0.0, inf), (-0.0, -inf)),
    (0.5, -inf, (inf, 0.0), (nan, nan)),
    (-0.5, -0.0, (inf, -inf), (-inf, -inf)),
    (-0.5, -inf, (0.0, 0.0), (nan, -0.0)),
    (1.5, -0.0, (0.0, 0.0), (0.0, -0.0)),
    (1.5, -inf, (inf, inf), (inf, nan)),
]


@pytest.mark.parametrize("e, x, ours, theirs", _POWERS_AT_NEGATIVE_ZERO_AND_INFINITY)
def test_powers_at_negative_zero_and_infinity_differ_from_pytorch_as_documented(e, x, ours, theirs):
    v = Value(x)
    y = v**e
    y.backward()
    assert _bits((y.data, v.grad)) == _bits(ours)
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    u = t**e
    u.backward()
    assert _bits((u.item(), t.grad.item())) == _bits(theirs)


def _bits(xs) -> list:
    return [("nan",) if x != x else (x, math.copysign(1.0, x)) for x in xs]


def test_pytorch_second_derivatives_of_power_at_zero_base_are_not_symmetric():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    a = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    da, db = torch.autograd.grad(a**b, (a, b), create_graph=True)
    assert [g.item() for g in torch.autograd.grad(da, (a, b))] == [0.0, 1.0]
    assert hessian(lambda x, y: x**y, [0.0, 1.0]) == [[0.0, -inf], [-inf, 0.0]]


def test_softmax_with_an_infinite_gradient_arriving_differs_from_pytorch():
    xs = [Value(x) for x in (1.0, 2.0, 3.0)]
    assert grad(ops.softmax(xs)[1] * inf, xs) == (-inf, inf, -inf)
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    t = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    (torch.softmax(t, 0)[1] * inf).backward()
    assert t.grad[0].item() == -inf and math.isnan(t.grad[1].item()) and t.grad[2].item() == -inf


def test_a_gradient_of_negative_zeros_only_is_positive_zero_unlike_pytorch():
    x = Value(3.0)
    (x * -0.0).backward()
    assert _bits([x.grad]) == [(0.0, 1.0)]
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    t = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (t * -0.0).backward()
    assert _bits([t.grad.item()]) == [(0.0, -1.0)]


# -- a zero gradient through an overflowed reciprocal ---------------------------------------------
def test_a_zero_gradient_through_an_overflowed_reciprocal_sends_zero_like_pytorch():
    # The report: relu(log(x)) at 5e-324 gave d/dx = nan. log's edge holds 1/x, which
    # overflows to inf for so small an x, and relu sends 0: 0 * inf is nan, where PyTorch
    # computes grad / x = 0 / 5e-324 = 0. The true derivative is finite: 0 times it is 0.
    x = Value(5e-324)
    y = x.log().relu()
    y.backward()
    assert _bits([x.grad]) == [(0.0, 1.0)]
    assert grad(y, [x]) == (0.0,)
    a, b = Value(1.0), Value(5e-324)
    z = (-(a / b)).relu()  # 1/b overflows too; d/db = -a/b² is computed as torch does, and is nan
    (da, db) = grad(z, [a, b])
    assert da == 0.0 and math.isnan(db)
    # A gradient that is not zero meets the inf, as the table of differences says.
    x = Value(5e-324)
    (x.log() * 1e-10).backward()
    assert x.grad == inf
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    t = torch.tensor(5e-324, dtype=torch.float64, requires_grad=True)
    torch.relu(torch.log(t)).backward()
    assert t.grad.item() == 0.0
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.0, 5e-324))
    torch.relu(-(ta / tb)).backward()
    assert ta.grad.item() == 0.0 and math.isnan(tb.grad.item())


@pytest.mark.parametrize("point", [(1e-310, 1.0), (1e-310, 0.5), (-1e-310, 2.0), (5e-324, 3.0), (float("nan"), 0.0),
                                   (float("nan"), 1.0), (2.0, 0.0)])
def test_the_hessian_of_a_power_is_symmetric(point):
    # The report: at (1e-310, 1) d/da (d/db) met 1e-310 * (1/1e-310 = inf) and was inf while
    # d/db (d/da) was -712.8; at (nan, 0) the mask on d/da left a 0 opposite a nan.
    (h00, h01), (h10, h11) = hessian(lambda a, b: a**b, list(point))
    assert _same(h01, h10), (h01, h10)
    a, b = point
    if a == a and a > 0.0:  # the closed forms, where they are finite
        assert math.isclose(h01, a ** (b - 1) * (1 + b * math.log(a)), rel_tol=1e-12)
        assert math.isclose(h11, a**b * math.log(a) ** 2, rel_tol=1e-12, abs_tol=1e-320)


def test_softplus_above_pytorchs_threshold_differs_as_the_numerics_page_says():
    # PyTorch's softplus returns x itself past threshold=20 (slope 1); here log(1 + e^x) is
    # computed at every x. The difference was missing from the table of differences (once the
    # README's, now the numerics page of the documentation).
    row = "| `x = Value(21.0)`; `x.softplus()`, `d/dx` | `21.000000000758256`, `0.9999999992417439` | `21.0`, `1.0` |"
    assert row in (Path(__file__).resolve().parents[1] / "docs" / "guide" / "numerics.md").read_text(encoding="utf-8")
    x = Value(21.0)
    y = x.softplus()
    y.backward()
    assert (y.data, x.grad) == (21.000000000758256, 0.9999999992417439)
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison is skipped")
    t = torch.tensor(21.0, dtype=torch.float64, requires_grad=True)
    u = torch.nn.functional.softplus(t)
    u.backward()
    assert (u.item(), t.grad.item()) == (21.0, 1.0)
