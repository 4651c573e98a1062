"""Predict, then check: small graders for the notebooks' exercises.

A learner writes a number first (an edge label, a gradient, a delta), then calls a checker.
A right answer is confirmed; a wrong one gets a hint drawn from the graph (which paths the
gradient sums over, the op's formula, the step where the number is made), never the answer::

    answer = None            # your number here
    check_grad(answer, L, w)

``None`` means "not answered yet" and only says what to do. When the environment variable
``CHAINRULE_FILL_ANSWERS`` is set (as ``make test`` sets it) a ``None`` answer is replaced
by the right one, and the checker is also tried on a wrong one, so an executed notebook
runs every exercise top to bottom without the stored notebook giving anything away.
"""

from __future__ import annotations

import math
import os

from ..backprop import grad
from ..formulas import edge_formula
from ..paths import count_paths, paths
from ..text import format_number, node_name
from ..value import Value, _is_number

FILL = "CHAINRULE_FILL_ANSWERS"
_REL_TOL = 1e-3  # a hand computation with four significant digits is right


def check(answer, expected: float, *, what: str, hint: str, rel_tol: float = _REL_TOL) -> bool:
    """Compare ``answer`` with ``expected``; print "right" or ``hint``. Returns whether right."""
    if answer is None:
        if os.environ.get(FILL):
            return _filled(expected, what, hint, rel_tol)
        print(f"Not answered yet: work out {what}, write it in `answer`, and run this cell again.")
        return False
    if isinstance(answer, Value):
        answer = answer.data
    if not _is_number(answer):
        raise TypeError(f"answer must be a number (or None while you work on it), got {type(answer).__name__}")
    if _close(float(answer), expected, rel_tol):
        print(f"Right: {what} is {format_number(expected)}.")
        return True
    print(f"Not quite: {format_number(float(answer))} is not {what}. {hint}")
    return False


def _filled(expected: float, what: str, hint: str, rel_tol: float) -> bool:
    """The exercise run with the right answer and with a wrong one, as a test would."""
    wrong = expected * 1.5 + 1.0 if math.isfinite(expected) else 0.0
    assert check(expected, expected, what=what, hint=hint, rel_tol=rel_tol), what
    assert not check(wrong, expected, what=what, hint=hint, rel_tol=rel_tol), what
    return True


def _close(a: float, b: float, rel_tol: float) -> bool:
    if math.isnan(b):
        return math.isnan(a)
    return a == b or math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)


def check_grad(answer, root: Value, wrt: Value) -> bool:
    """``answer`` against ``d root / d wrt``; the hint names the paths to sum over."""
    (expected,) = grad(root, [wrt])
    what = f"d{node_name(root)}/d{node_name(wrt)}"
    return check(answer, expected, what=what, hint=_path_hint(answer, root, wrt))


def check_edge(answer, child: Value, parent: Value) -> bool:
    """``answer`` against the local derivative on the (first) edge from ``parent`` to ``child``."""
    if parent not in child.parents:
        raise ValueError(f"{node_name(parent)} is not an input of {node_name(child)}")
    slot = next(i for i, p in enumerate(child.parents) if p is parent)
    formula = edge_formula(child, slot, node_name)
    hint = f"The {child.op!r} node's local derivative for this input is {formula}." if formula else \
        f"Differentiate {child.op} with respect to this input, at the values of the forward pass."
    what = f"the local derivative d{node_name(child)}/d{node_name(parent)}"
    return check(answer, child.local_grads[slot], what=what, hint=hint)


def check_sent(answer, step, parent: Value) -> bool:
    """``answer`` against what backward step ``step`` sent to ``parent`` (its first edge to it)."""
    sent = next((c for c in step.contributions if c.parent is parent), None)
    if sent is None:
        raise ValueError(f"step {step.number} sends nothing to {node_name(parent)}")
    node = step.node
    formula = edge_formula(node, sent.slot, node_name)
    hint = (f"At step {step.number}, {node_name(node)} has its whole gradient and sends, along each edge, "
            f"the edge's local derivative ({formula or 'd ' + node_name(node) + ' / d ' + node_name(parent)}) "
            f"times that gradient.")
    what = f"what {node_name(node)} sends to {node_name(parent)} at step {step.number}"
    return check(answer, sent.amount, what=what, hint=hint)


class _NotWritten(Exception):
    """The learner's function still returns None."""


def check_function(test, mine, *, reference, wrong) -> bool:
    """Grade a function the learner writes (a local-derivative rule, a topological sort).

    ``test(fn)`` returns a message when ``fn`` is right and raises ``AssertionError`` saying
    what is wrong. While ``mine`` returns None it is not written yet. A wrong attempt, even one
    that raises, is printed as a verdict and never stops the notebook. With
    ``CHAINRULE_FILL_ANSWERS`` set, an unwritten ``mine`` is replaced by ``reference``, which
    must pass, and ``test`` must refuse ``wrong``: the exercise runs as a test of itself.
    """

    def written(*args):
        out = mine(*args)
        if out is None:
            raise _NotWritten
        return out

    try:
        print(test(written))
        return True
    except _NotWritten:
        if not os.environ.get(FILL):
            print("Not answered yet: write your function in the cell above, run it, then run this cell again.")
            return False
    except AssertionError as verdict:
        print(f"Not yet: {verdict}")
        return False
    except Exception as error:  # a mistake in the learner's function is a verdict too, not a crash
        print(f"Not yet: your function raised {type(error).__name__}: {error}")
        return False
    try:
        test(wrong)
    except AssertionError:
        pass
    else:
        raise AssertionError("the test accepted a wrong answer")
    print(test(reference))
    return True


def _path_hint(answer, root: Value, wrt: Value) -> str:
    n = count_paths(root, wrt)
    if n == 0:
        return f"{node_name(wrt)} has no path to {node_name(root)}: nothing of it reaches the output."
    advice = (f"There {'is 1 path' if n == 1 else f'are {n} paths'} from {node_name(wrt)} to {node_name(root)}: "
              "multiply the local derivatives along each path, then add the products.")
    if n > 20 or answer is None or not _is_number(answer):
        return advice
    found = paths(root, wrt)
    value = float(answer)
    one = [p for p in found if _close(value, p.product, _REL_TOL)]
    if one and n > 1:
        return f"That is the product along one path only ({one[0].route()}). " + advice
    total = sum(p.product for p in found)
    if _close(value, -total, _REL_TOL):
        return "The size is right and the sign is not: check the signs of the local derivatives."
    return advice + " The paths: " + "; ".join(p.route() for p in found) + "."
