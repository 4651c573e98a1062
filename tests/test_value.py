"""The Value node: what it accepts, what it records, and its operators' types."""

import fractions
import operator

import numpy as np
import pytest

from autograd import Parameter, Value
from catalog import CASES, sample_points


@pytest.mark.parametrize(
    "data, expected",
    [
        (3, 3.0),
        (-2.5, -2.5),
        (np.float64(1.25), 1.25),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7.0),
        (np.int8(-3), -3.0),
        (fractions.Fraction(1, 4), 0.25),
        (10**400, float("inf")),
        (-(10**400), float("-inf")),
    ],
)
def test_accepted_data_becomes_a_python_float(data, expected):
    v = Value(data)
    assert type(v.data) is float
    assert v.data == expected


@pytest.mark.parametrize(
    "data, type_name",
    [
        (True, "bool"),
        (np.bool_(False), "bool"),
        ("1.0", "str"),
        (None, "NoneType"),
        ([1.0], "list"),
        (Value(1.0), "Value"),
        (1 + 2j, "complex"),
        (np.array(1.0), "ndarray"),
    ],
)
def test_rejected_data_raises_type_error_naming_the_type(data, type_name):
    with pytest.raises(TypeError, match=rf"data must be a real number .*got {type_name}$"):
        Value(data)


def test_new_value_is_a_leaf_with_zero_grad():
    v = Value(2.0, label="w")
    assert v.grad == 0.0 and type(v.grad) is float
    assert v.label == "w"
    assert v.op == ""
    assert v.parents == () and v.local_grads == ()


@pytest.mark.parametrize("label", [None, 1, b"w"])
def test_label_must_be_str(label):
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label)


def test_label_defaults_to_empty_and_is_free_text():
    assert Value(1.0).label == ""
    assert Value(1.0, "any text: ∂L/∂w").label == "any text: ∂L/∂w"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op_string_of_every_op(case):
    point = sample_points(case)[0]
    assert case.build(*map(Value, point)).op == case.op


def test_a_times_a_has_two_edges_to_a():
    a = Value(3.0)
    y = a * a
    assert y.parents == (a, a)
    assert y.local_grads == (3.0, 3.0)
    y.backward()
    assert a.grad == 6.0


@pytest.mark.parametrize(
    "build, local_grads",
    [
        (lambda a, b: a + b, (1.0, 1.0)),
        (lambda a, b: a - b, (1.0, -1.0)),
        (lambda a, b: a * b, (-0.5, 2.0)),
        (lambda a, b: a / b, (-2.0, -8.0)),
    ],
)
def test_binary_ops_record_both_edges_in_order(build, local_grads):
    a, b = Value(2.0), Value(-0.5)
    y = build(a, b)
    assert y.parents == (a, b)
    assert y.local_grads == local_grads


@pytest.mark.parametrize(
    "build, data, local_grads",
    [
        (lambda v: 2 + v, 5.0, (1.0, 1.0)),
        (lambda v: 2 - v, -1.0, (1.0, -1.0)),
        (lambda v: 2 * v, 6.0, (3.0, 2.0)),
        (lambda v: 2 / v, 2 / 3, (1 / 3, -2 / 9)),
        (lambda v: v / 2, 1.5, (0.5, -0.75)),
        (lambda v: v - 2, 1.0, (1.0, -1.0)),
    ],
)
def test_a_number_on_either_side_becomes_a_constant_leaf(build, data, local_grads):
    v = Value(3.0)
    y = build(v)
    assert y.data == pytest.approx(data, rel=1e-15)
    assert v in y.parents
    constant = next(p for p in y.parents if p is not v)
    assert constant.parents == () and constant.data == 2.0
    assert y.local_grads == pytest.approx(local_grads, rel=1e-15)


def test_number_exponent_is_part_of_the_op_and_gets_no_edge():
    v = Value(3.0)
    y = v**2
    assert y.parents == (v,)
    assert y.local_grads == (6.0,)
    assert y.op == "**2"


def test_value_exponent_and_number_base_get_edges():
    a, b = Value(2.0), Value(3.0)
    y = a**b
    assert y.parents == (a, b)
    assert y.local_grads == pytest.approx((3.0 * 4.0, 8.0 * np.log(2.0)), rel=1e-15)
    z = 2**b
    assert z.data == 8.0 and z.parents[1] is b
    assert z.local_grads[1] == pytest.approx(8.0 * np.log(2.0), rel=1e-15)


def test_numpy_scalars_on_the_left_defer_to_value():
    v = Value(3.0)
    for y in (np.float64(2.0) * v, np.float64(2.0) + v, np.float64(2.0) ** v, np.int64(2) - v):
        assert isinstance(y, Value)
        assert v in y.parents


def test_unary_minus_abs_and_plus():
    v = Value(-2.0)
    assert (-v).data == 2.0 and (-v).local_grads == (-1.0,) and (-v).op == "neg"
    assert abs(v).data == 2.0 and abs(v).local_grads == (-1.0,) and abs(v).op == "abs"
    assert +v is v


_BINARY_OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", _BINARY_OPERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", ["2", None, [1.0], True, np.bool_(True), 1j, object()],
                         ids=lambda o: type(o).__name__)
def test_operators_with_non_numbers_raise_pythons_type_error(op, other):
    # Value returns NotImplemented, so Python (or the other type's own reflected operator,
    # as in "2" * Value) raises, naming Value.
    v = Value(1.0)
    with pytest.raises(TypeError, match="Value"):
        op(v, other)
    with pytest.raises(TypeError, match="Value"):
        op(other, v)


def test_unsupported_operand_message_names_both_types():
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'Value' and 'NoneType'"):
        Value(1.0) + None
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \*\* or pow\(\): 'bool' and 'Value'"):
        True ** Value(1.0)


def test_leaky_relu_slope_must_be_a_number():
    with pytest.raises(TypeError, match="negative_slope must be a real number .*got str"):
        Value(-1.0).leaky_relu("0.1")


def test_detach_is_a_new_leaf_with_the_same_data():
    x = Value(3.0, "x")
    h = x * x
    d = h.detach()
    assert d is not h and d.data == 9.0 and d.parents == () and d.op == ""
    y = d * x  # the gradient does not flow through d back into h
    y.backward()
    assert x.grad == 9.0
    assert h.grad == 0.0


def test_parameter_is_a_value_leaf():
    p = Parameter(0.5, "w")
    assert isinstance(p, Value)
    y = p * 2
    y.backward()
    assert p.grad == 2.0
    # an op's output is a plain Value: only leaves made as Parameters are parameters
    assert isinstance(y, Value) and not isinstance(y, Parameter)
    assert repr(y) == "Value(data=1.0, grad=1.0)"


def test_repr_shows_data_grad_and_label():
    assert repr(Value(1.5, "x")) == "Value(data=1.5, grad=0.0, label='x')"
    assert repr(Parameter(2.0)) == "Parameter(data=2.0, grad=0.0)"
