"""The notebooks' graders: right, wrong with a hint from the graph, not answered, filled in."""

import math

import pytest

from autograd import Parameter, Value, backward_steps
from autograd.exercises import FILL, check, check_edge, check_grad, check_sent


@pytest.fixture(autouse=True)
def learner(monkeypatch):
    monkeypatch.delenv(FILL, raising=False)  # as a learner runs it, unless a test fills answers


def graph():
    x, w, b = Value(2.0, "x"), Parameter(-3.0, "w"), Parameter(1.0, "b")
    z = x * w + b
    z.label = "z"
    L = z * z
    L.label = "L"
    return L, x, w, b, z


def test_a_right_answer_is_confirmed(capsys):
    L, x, w, b, z = graph()
    assert check_grad(-20.0, L, w) is True  # dL/dw = 2 z x = 2 * -5 * 2
    assert capsys.readouterr().out == "Right: dL/dw is -20.\n"
    assert check_grad(Value(-20.004), L, w)  # four significant digits are enough


def test_half_the_paths_is_told_as_such(capsys):
    L, x, w, b, z = graph()
    assert check_grad(-10.0, L, w) is False  # one of the two paths through L = z * z
    out = capsys.readouterr().out
    assert out.startswith("Not quite: -10 is not dL/dw. That is the product along one path only (w -> <*> -> z")
    assert "There are 2 paths from w to L" in out and "-20" not in out


def test_a_wrong_sign_and_other_mistakes_get_hints_without_the_answer(capsys):
    L, x, w, b, z = graph()
    assert not check_grad(20.0, L, w)
    assert "the sign is not" in capsys.readouterr().out
    assert not check_grad(3.0, L, w)
    out = capsys.readouterr().out
    assert "multiply the local derivatives along each path" in out and "-20" not in out
    assert not check_grad(1.0, L, Value(1.0, "elsewhere"))
    assert "has no path to L" in capsys.readouterr().out


def test_edges_and_steps(capsys):
    L, x, w, b, z = graph()
    product = z.parents[0]
    assert check_edge(2.0, product, w) and not check_edge(-3.0, product, w)
    assert "local derivative for this input is x" in capsys.readouterr().out
    y = Value(0.5, "y").tanh()
    assert check_edge(1 - math.tanh(0.5) ** 2, y, y.parents[0])
    step = list(backward_steps(L))[2]  # z sends -10 to <*> and to b
    assert check_sent(-10.0, step, b) and not check_sent(-5.0, step, b)
    assert "times that gradient" in capsys.readouterr().out
    with pytest.raises(ValueError, match="step 2 sends nothing to x"):
        check_sent(1.0, step, x)
    with pytest.raises(ValueError, match="x is not an input of z"):
        check_edge(1.0, z, x)


def test_not_answered_yet_says_what_to_do_and_gives_nothing_away(capsys):
    L, x, w, b, z = graph()
    assert check_grad(None, L, w) is False
    out = capsys.readouterr().out
    assert out == "Not answered yet: work out dL/dw, write it in `answer`, and run this cell again.\n"


def test_filled_in_answers_run_both_ways(monkeypatch, capsys):
    monkeypatch.setenv(FILL, "1")
    L, x, w, b, z = graph()
    assert check_grad(None, L, w) is True
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Right: dL/dw is -20." and out[1].startswith("Not quite: -29 is not dL/dw.")
    assert check(None, math.nan, what="nothing", hint="")


def test_answers_must_be_numbers():
    L, x, w, b, z = graph()
    with pytest.raises(TypeError, match="answer must be a number .* got str"):
        check_grad("-20", L, w)
    with pytest.raises(TypeError, match="got bool"):
        check_grad(True, L, w)


def test_a_function_the_learner_writes_is_graded(capsys, monkeypatch):
    from autograd.exercises import check_function

    def test(fn):
        if fn(3) != 9:  # (a plain raise: pytest rewrites assert statements' messages here)
            raise AssertionError(f"f(3) should be 9, got {fn(3)}")
        return "Right: squares."

    assert check_function(test, lambda x: None, reference=lambda x: x * x, wrong=lambda x: x) is False
    assert capsys.readouterr().out.startswith("Not answered yet")
    assert check_function(test, lambda x: x + x, reference=lambda x: x * x, wrong=lambda x: x) is False
    assert capsys.readouterr().out == "Not yet: f(3) should be 9, got 6\n"
    assert check_function(test, lambda x: 1 / 0, reference=lambda x: x * x, wrong=lambda x: x) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out
    assert check_function(test, lambda x: x * x, reference=lambda x: x * x, wrong=lambda x: x) is True
    monkeypatch.setenv(FILL, "1")
    assert check_function(test, lambda x: None, reference=lambda x: x * x, wrong=lambda x: x) is True
    with pytest.raises(AssertionError, match="the test accepted a wrong answer"):
        check_function(test, lambda x: None, reference=lambda x: x * x, wrong=lambda x: 9)


# -- grade(task, answer): the build-it-yourself graders' interface --------------------------------

def _unwritten_class():
    class Unwritten:
        def __init__(self, *args):
            raise NotImplementedError("your code here")

    return Unwritten


def test_grade_refuses_bad_arguments_before_any_work():
    from autograd.exercises import grade

    with pytest.raises(ValueError, match=r"task must be one of \['backward', 'layer_backward', .*got 'mpl'"):
        grade("mpl", object())
    with pytest.raises(TypeError, match="task must be a str.*got int"):
        grade(3, object())
    with pytest.raises(TypeError, match="seed must be an int, got float"):
        grade("backward", lambda root: None, seed=1.5)


def test_an_unwritten_answer_is_not_answered_yet(capsys):
    from autograd.exercises import grade

    def backward(root):
        raise NotImplementedError("your code here")

    for task, answer in (("backward", backward), ("value", _unwritten_class()), ("mlp", None), ("sgd_step", ...)):
        verdict = grade(task, answer)
        assert not verdict.passed
        assert verdict.hint.startswith("Not answered yet: write your ")
    def empty(root):
        """An exercise cell as it starts: a docstring and `...`."""
        ...

    def only_the_root(root):  # written, and wrong: graded, not "not answered"
        return [root]

    assert grade("topological_order", empty).hint.startswith("Not answered yet")
    assert "Leaves missing" in grade("topological_order", only_the_root).hint
    assert str(grade("mlp", None)) == ("mlp: Not answered yet: write your MLP class in the cell above, "
                                       "run it, then run this cell again.")


def test_a_verdict_reads_as_text_and_as_a_bool():
    from autograd.exercises import Verdict, grade
    from autograd.exercises.solutions import layer_backward

    verdict = grade("layer_backward", layer_backward)
    assert verdict and verdict.passed and isinstance(verdict, Verdict)
    assert repr(verdict) == str(verdict) == "layer_backward: passed. " + verdict.hint
    noted = Verdict("value", True, "Right.", ("a recursion", "another"))
    assert str(noted) == "value: passed. Right.\nNote: a recursion\nNote: another"


def test_an_answer_that_raises_gets_a_verdict_not_a_crash():
    from autograd.exercises import grade

    def order(root):
        return [root.no_such_thing]

    verdict = grade("topological_order", order)
    assert not verdict.passed and "raised AttributeError" in verdict.hint

    from autograd.exercises.solutions import Value as Micrograd

    class NoReflected(Micrograd):  # micrograd before __rmul__: 2 * a fails
        __rmul__ = None

    verdict = grade("value", NoReflected)
    assert not verdict.passed
    assert verdict.hint.startswith("`2 * a` on your class raised TypeError: ")
    assert verdict.hint.endswith(". Write __rmul__ (numbers may stand on either side of an operator).")


def test_filled_in_answers_become_the_right_ones(monkeypatch):
    """What `make test` runs: an unwritten class or function is graded as the solution
    after the wrong one was refused, and then behaves as the solution."""
    from autograd.exercises import grade

    monkeypatch.setenv(FILL, "1")
    Unwritten = _unwritten_class()
    assert grade("value", Unwritten).passed
    a = Unwritten(0.5)
    out = a * a + 3 * a.tanh()
    out.backward()
    assert type(out) is Unwritten and a.grad == pytest.approx(2 * 0.5 + 3 * (1 - math.tanh(0.5) ** 2), rel=1e-12)

    def sgd_step(model, xs, ys, lr):
        raise NotImplementedError

    assert grade("sgd_step", sgd_step).passed
    w = Value(2.0)

    class One:
        def __call__(self, x):
            return w * x[0]

        def parameters(self):
            return [w]

    loss = sgd_step(One(), [[1.0], [3.0]], [0.0, 0.0], 0.1)
    assert loss == pytest.approx((4 + 36) / 2) and w.data == pytest.approx(2.0 - 0.1 * (2 * 2 + 6 * 6) / 2)


def test_every_verdict_goes_to_the_log_when_asked(tmp_path, monkeypatch):
    import json

    from autograd.exercises import grade
    from autograd.exercises.grading import LOG
    from autograd.exercises.solutions import layer_backward

    log = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(LOG, str(log))
    grade("layer_backward", layer_backward)
    grade("mlp", None)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(x["task"], x["passed"]) for x in lines] == [("layer_backward", True), ("mlp", False)]
    assert lines[1]["hint"].startswith("Not answered yet")
