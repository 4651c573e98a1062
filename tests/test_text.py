"""One number format everywhere: significant digits, scientific outside 0.001 .. 100,000."""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, backward_steps, explain_paths, format_number, paths
from autograd.text import check_precision


@pytest.mark.parametrize(
    "x, precision, text",
    [
        (1.1e-11, 4, "1.1e-11"),
        (1.15e-11, 4, "1.15e-11"),
        (0.0, 4, "0"),
        (-0.0, 4, "0"),
        (1e5, 4, "1e5"),
        (99999.99, 4, "1e5"),  # rounds up into the next notation
        (12345.6, 4, "12346"),  # plain decimals keep every digit before the point
        (-3.25, 4, "-3.25"),
        (0.5, 4, "0.5"),
        (1.0, 4, "1"),
        (0.001, 4, "0.001"),
        (0.00099996, 4, "0.001"),
        (0.0009999, 4, "9.999e-4"),
        (2.0 / 3.0, 4, "0.6667"),
        (-2.0 / 3.0, 2, "-0.67"),
        (123.456, 1, "123"),  # never fewer digits than the integer part has
        (6.02e23, 3, "6.02e23"),
        (-1e-300, 4, "-1e-300"),
        (5e-324, 4, "4.941e-324"),
        (math.inf, 4, "inf"),
        (-math.inf, 4, "-inf"),
        (math.nan, 4, "nan"),
    ],
)
def test_format(x, precision, text):
    assert format_number(x, precision) == text


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != 0.0), st.integers(1, 17))
def test_the_text_is_the_number_to_its_significant_digits(x, precision):
    text = format_number(x, precision)
    shown = Decimal(text)
    # Within half a unit of the last significant digit: the rounding of x to `precision` digits.
    exact = Decimal(x)
    unit = Decimal(10) ** (exact.adjusted() - precision + 1)
    assert abs(shown - exact) <= unit / 2 * Decimal("1.0000001")
    magnitude = abs(shown)
    assert ("e" in text) == (magnitude < Decimal("0.001") or magnitude >= Decimal(100000))
    assert not (("." in text.split("e")[0]) and text.split("e")[0].endswith("0"))  # no trailing zeros


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_seventeen_digits_write_any_float_exactly(x):
    assert float(format_number(x, 17)) == x or x == 0.0


@pytest.mark.parametrize("bad, error", [(0, ValueError), (18, ValueError), (-1, ValueError), (True, TypeError),
                                        (4.0, TypeError), ("4", TypeError)])
def test_precision_is_bounded(bad, error):
    with pytest.raises(error, match="precision must be"):
        check_precision(bad)
    with pytest.raises(error, match="precision must be"):
        format_number(1.0, bad)


def test_steps_and_paths_write_numbers_the_same_way():
    x = Value(3e-12, "x")
    y = x * x
    y.label = "y"
    (step,) = list(backward_steps(y))[1:]
    assert "x.grad += 3e-12 × 1 = 3e-12" in str(step)
    (first, _) = paths(y, x)
    assert repr(first) == "<Path x -(operand 1)-> y: 3e-12 = 3e-12>"
    text = explain_paths(y, x)
    assert text.splitlines()[-1] == "dy/dx = 3e-12 + 3e-12 = 6e-12   (backpropagation: 6e-12)"
    assert explain_paths(y, x, precision=2).splitlines()[-1] == "dy/dx = 3e-12 + 3e-12 = 6e-12   (backpropagation: 6e-12)"
    with pytest.raises(ValueError, match="precision must be from 1 to 17"):
        explain_paths(y, x, precision=0)
