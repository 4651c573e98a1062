"""``python -m autograd.exercises grade``: a learner's notebook run in a fresh kernel, one line
per graded task, a time limit that stops an endless loop, and bad input refused before any kernel
starts. Each kernel run takes seconds, so a few notebooks carry several cases each."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

from autograd.exercises import FILL  # noqa: E402
from autograd.exercises.__main__ import graded_tasks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RIGHT_LAYER = "def layer_backward(W, b, A, Delta):\n    return Delta.T @ A, Delta.sum(axis=0), Delta @ W\n"
RIGHT_TOPO = """\
def topological_order(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return order
"""


def _has_python3_kernel() -> bool:
    try:
        from jupyter_client.kernelspec import find_kernel_specs
    except ImportError:
        return False
    return "python3" in find_kernel_specs()


needs_kernel = pytest.mark.skipif(not _has_python3_kernel(),
                                  reason="no Jupyter kernel named python3 (pip install ipykernel in this venv)")


def notebook(path: Path, *sources: str) -> Path:
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Exercises")] + [new_code_cell(s) for s in sources]), path)
    return path


def grade(path: Path, *args: str, fill: bool = False) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if k != FILL}
    if fill:
        env[FILL] = "1"
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograd.exercises", "grade", str(path), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    return done, time.monotonic() - start


@needs_kernel
def test_right_answers_pass_and_exit_0(tmp_path):
    # The kernel runs in the notebook's folder: the learner's own module next to it imports.
    (tmp_path / "mygraph.py").write_text(RIGHT_TOPO)
    path = notebook(
        tmp_path / "right.ipynb",
        "from autograd.exercises import grade\nfrom autograd import exercises",
        RIGHT_LAYER + "grade('layer_backward', layer_backward)",
        "%time wrong = lambda root: [root]\nexercises.grade(\"topological_order\", wrong)",  # a magic: no ast
        "from mygraph import topological_order\ngrade(task='topological_order', answer=topological_order)",
    )
    done, _ = grade(path)
    assert done.stdout.splitlines() == ["PASS  layer_backward", "PASS  topological_order", "2 of 2 tasks passed"]
    assert done.returncode == 0, done.stderr


@needs_kernel
def test_a_wrong_answer_a_raising_cell_and_an_endless_loop_fail_with_reasons(tmp_path):
    path = notebook(
        tmp_path / "wrong.ipynb",
        "from autograd.exercises import grade",
        "def layer_backward(W, b, A, Delta):\n    return Delta.T @ A / len(A), Delta.sum(axis=0), Delta @ W\n"
        "grade('layer_backward', layer_backward)",
        "class MLP:\n    def __init__(self, nin, nouts):\n        self.layers = [Layre(nin, n) for n in nouts]",
        "grade('mlp', MLP(2, [3, 1]))",  # the learner's class cell is fine; building one raises NameError
        "n = 0\nwhile True:\n    n += 1\ngrade('value', None)",
        "grade('sgd_step', None)",
    )
    done, seconds = grade(path, "--timeout", "3")
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == ["FAIL  layer_backward", "FAIL  mlp", "FAIL  value",
                                                           "FAIL  sgd_step"]
    assert "divided by the batch size" in lines[0].lower()
    assert lines[1] == "FAIL  mlp: not graded: the cell raised NameError: name 'Layre' is not defined"
    assert lines[2] == "FAIL  value: the cell that grades it ran past the 3 s limit (an endless loop?)"
    assert lines[3] == "FAIL  sgd_step: not reached: an earlier cell ran past the 3 s limit (an endless loop?)"
    assert lines[4] == "0 of 4 tasks passed"
    assert done.returncode == 1
    assert seconds < 45  # the loop was stopped, not waited out


@needs_kernel
def test_the_learners_answer_is_graded_even_when_the_caller_fills_answers(tmp_path):
    path = notebook(tmp_path / "unwritten.ipynb",
                    "from autograd.exercises import grade\n"
                    "def layer_backward(W, b, A, Delta):\n    raise NotImplementedError\n"
                    "grade('layer_backward', layer_backward)")
    done, _ = grade(path, fill=True)
    assert done.stdout.splitlines()[0].startswith("FAIL  layer_backward: Not answered yet: write your layer_backward")
    assert done.returncode == 1


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("make, says", [
    (lambda tmp: tmp / "missing.ipynb", "no such file"),
    (lambda tmp: tmp, "not a file"),
    (lambda tmp: _write(tmp / "broken.ipynb", '{"cells": ['), "not valid JSON"),
    (lambda tmp: _write(tmp / "data.json", json.dumps({"rows": [1, 2]})), "not a Jupyter notebook"),
    (lambda tmp: _write(tmp / "bad.ipynb", json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                                       "cells": [{"cell_type": "code"}]})), "not a valid notebook"),
    (lambda tmp: notebook(tmp / "plain.ipynb", "x = 1", "print(x)"), "no graded task"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_kernel(tmp_path, make, says):
    done, _ = grade(make(tmp_path))
    assert done.returncode == 2
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("args", [["--timeout", "0"], ["--timeout", "nan"], ["--timeout", "inf"], ["--timeout", "x"]])
def test_a_time_limit_must_be_a_positive_finite_number(tmp_path, args):
    done, _ = grade(notebook(tmp_path / "n.ipynb", "grade('value', None)"), *args)
    assert done.returncode == 2 and "positive number of seconds" in done.stderr


def test_no_command_prints_usage():
    done = subprocess.run([sys.executable, "-m", "autograd.exercises"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "grade" in done.stdout and "runs the learner's code" in done.stdout


def test_graded_tasks_are_found_before_running_in_the_notebooks_order():
    nb = new_notebook(cells=[
        new_markdown_cell("grade('value', V)"),  # not code
        new_code_cell("!pip install x\ngrade('mlp', MLP)"),  # not Python: the regex finds it
        new_code_cell("v = exercises.grade(\"value\", V)\nif v:\n    grade(task='backward', answer=f)"),
        new_code_cell("grade('mlp', MLP)\ngrade(name, x)\nstudent.grade()"),
    ])
    assert graded_tasks(nb) == {"mlp": [1, 3], "value": [2], "backward": [2]}
