"""gradcheck and gradgradcheck, and user-defined ops that behave like built-ins."""

import math
import re

import numpy as np
import pytest
import sympy

from autograd import Op, Value, detect_anomaly, grad, gradcheck, gradgradcheck, hessian, no_grad, ops, scalar
from catalog import evaluate

# A user-defined op, as in the Op docstring: forward on floats, derivative on floats or Values.
softsign = Op("softsign", lambda x: x / (1 + abs(x)), lambda x, out: (1 / (1 + abs(x)) ** 2,))
hypot = Op("hypot", math.hypot, lambda x, y, out: (x / out, y / out))

# Wrong on purpose: d(a*b)/db is a, not 2a.
bad_mul = Op("bad_mul", lambda a, b: a * b, lambda a, b, out: (b, 2 * a))

# Right as floats, wrong as a graph: value_of() turns the derivative into a constant, so
# its own derivative (the second derivative of x**3, 6x) comes out 0.
flat_cube = Op("flat_cube", lambda x: x**3, lambda x, out: (3 * scalar.value_of(x) ** 2,))


def _numbers_in(message: str, input_name: str) -> tuple[float, float]:
    line = next(line for line in message.splitlines() if input_name in line)
    analytic, numerical = re.search(r"analytic (\S+), numerical (\S+)", line).groups()
    return float(analytic), float(numerical)


# -- gradcheck -------------------------------------------------------------------------------
def test_gradcheck_passes_on_correct_functions():
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, [0.3, -1.2]) is True
    assert gradcheck(lambda *xs: ops.logsumexp(xs), [Value(0.1), Value(2.0), Value(-3.0)]) is True


def test_gradcheck_lists_each_mismatching_input_with_both_numbers():
    with pytest.raises(AssertionError) as error:
        gradcheck(bad_mul, [1.5, -2.0])
    message = str(error.value)
    assert message.startswith("gradient mismatch (atol=1e-05, rtol=0.001):")
    assert "inputs[0]" not in message  # d/da = b is right
    analytic, numerical = _numbers_in(message, "inputs[1]")
    assert analytic == 3.0
    assert numerical == pytest.approx(1.5, abs=1e-8)


def test_gradcheck_lists_all_mismatches():
    swapped = Op("swapped", lambda a, b: a * b * b, lambda a, b, out: (2 * a * b, b * b))
    with pytest.raises(AssertionError) as error:
        gradcheck(swapped, [2.0, 3.0])
    assert _numbers_in(str(error.value), "inputs[0]")[0] == 12.0
    assert _numbers_in(str(error.value), "inputs[1]") == pytest.approx((9.0, 12.0), abs=1e-7)


def test_gradcheck_tolerances_are_honoured():
    assert gradcheck(bad_mul, [1.5, -2.0], atol=2.0) is True
    assert gradcheck(bad_mul, [1.5, -2.0], rtol=1.5) is True


def test_gradcheck_finds_the_kink_convention_disagreeing_with_finite_differences():
    # relu'(0) = 0 by convention; the central difference straddles the kink and sees 0.5.
    with pytest.raises(AssertionError, match=r"analytic 0\.0, numerical 0\.5"):
        gradcheck(Value.relu, [0.0])


def test_gradcheck_rejects_bad_arguments():
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda x: 1.0, [1.0])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a real number \(int or float\), got str"):
        gradcheck(lambda x, y: x * y, [1.0, "2"])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a real number \(int or float\), got bool"):
        gradcheck(lambda x: x * x, [True])


def test_gradcheck_accepts_what_value_accepts():
    # numpy integer and floating scalars, as Value(...) does: d(x^2)/dx at 3 is 6.
    assert gradcheck(lambda x, y: x * x * y, [np.int64(3), np.float32(0.5)]) is True


# -- gradgradcheck ---------------------------------------------------------------------------
def test_gradgradcheck_passes_on_correct_functions():
    assert gradgradcheck(lambda x, y: x * y.exp() + (x / y).sin(), [0.7, 1.3]) is True
    assert gradgradcheck(lambda *xs: ops.softmax(xs)[1], [0.2, -0.4, 1.1]) is True


def test_gradgradcheck_fails_on_a_derivative_that_is_only_right_as_floats():
    assert gradcheck(flat_cube, [1.5]) is True
    with pytest.raises(AssertionError) as error:
        gradgradcheck(flat_cube, [1.5])
    message = str(error.value)
    assert message.startswith("second derivative mismatch")
    analytic, numerical = _numbers_in(message, "d2/d inputs[0] d inputs[0]")
    assert analytic == 0.0
    assert numerical == pytest.approx(9.0, rel=1e-6)


# -- a user-defined op behaves like a built-in -----------------------------------------------
def test_user_op_records_one_node_like_a_builtin():
    x = Value(-0.5)
    y = softsign(x)
    assert y.op == "softsign"
    assert y.parents == (x,)
    assert y.data == -0.5 / 1.5
    assert y.local_grads == (1 / 1.5**2,)
    y.backward()
    assert x.grad == 1 / 1.5**2
    assert softsign(2).data == 2 / 3  # numbers are lifted like any operand


@pytest.mark.parametrize("point", [-1.3, 0.4, 2.0])
def test_user_op_gradcheck_and_derivatives_of_every_order_against_sympy(point):
    s = sympy.Symbol("x", real=True)
    exact = s / (1 + sympy.Abs(s))
    assert gradcheck(softsign, [point]) and gradgradcheck(softsign, [point])
    x = Value(point)
    d1 = grad(softsign(x), [x], create_graph=True)[0]
    d2 = grad(d1, [x], create_graph=True)[0]
    d3 = grad(d2, [x])[0]
    for order, ours in enumerate([d1.data, d2.data, d3], start=1):
        assert ours == pytest.approx(evaluate(sympy.diff(exact, s, order), [s], [point]), rel=1e-12)


def test_user_op_with_two_inputs_has_exact_second_derivatives():
    x, y = sympy.symbols("x y", real=True)
    exact = sympy.sqrt(x**2 + y**2)
    point = (0.6, -1.7)
    for row, a in zip(hessian(hypot, point), (x, y)):
        assert row == pytest.approx([evaluate(sympy.diff(exact, a, b), (x, y), point) for b in (x, y)], rel=1e-12)


def test_user_op_obeys_no_grad_and_detect_anomaly():
    with no_grad():
        assert softsign(Value(1.0)).parents == ()
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op 'hypot' produced inf from inputs \(inf, 1\.0\)"):
        hypot(math.inf, 1.0)


def test_user_op_errors():
    with pytest.raises(TypeError, match="Op name must be a str, got int"):
        Op(3, abs, abs)
    with pytest.raises(TypeError, match="softsign expects Values or numbers, got str"):
        softsign("x")
    wrong_count = Op("wrong_count", lambda a, b: a + b, lambda a, b, out: (1.0,))
    with pytest.raises(ValueError, match=r"derivative of 'wrong_count' returned 1 values, expected one per input \(2\)"):
        wrong_count(1.0, 2.0)
    # What the functions return is checked too, and the message names the op.
    wordy = Op("wordy", lambda x: "1.0", lambda x, out: (1.0,))
    with pytest.raises(TypeError, match="forward of op 'wordy': its result must be a real number .*, got str"):
        wordy(1.0)
    vague = Op("vague", lambda x: x, lambda x, out: ("1.0",))
    with pytest.raises(TypeError, match="derivative of op 'vague': each local derivative must be a real number .*, got str"):
        vague(1.0)
    bare = Op("bare", lambda x: x, lambda x, out: 1.0)
    with pytest.raises(ValueError, match=r"derivative of 'bare' returned a float, expected one per input \(1\)"):
        bare(1.0)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"eps": 0}, ValueError, r"eps must be a finite number > 0 \(the finite-difference step\), got 0.0"),
        ({"eps": -1e-6}, ValueError, "eps must be a finite number > 0"),
        ({"eps": math.nan}, ValueError, "eps must be a finite number > 0"),
        ({"eps": "1e-6"}, TypeError, "eps must be a real number"),
        ({"atol": -1.0}, ValueError, "atol must be a finite number >= 0, got -1.0"),
        ({"rtol": math.inf}, ValueError, "rtol must be a finite number >= 0, got inf"),
    ],
)
def test_bad_check_arguments_are_refused_before_any_work(check, kwargs, error, message):
    calls = []

    def f(x):
        calls.append(x)
        return x * x

    with pytest.raises(error, match=message):
        check(f, [1.0], **kwargs)
    assert calls == []
    with pytest.raises(TypeError, match="f must be a function of Values returning a Value, got int"):
        check(3, [1.0])
