"""``grade(task, answer)``: one call grades a piece of the engine the learner builds.

The tasks are a table: the name, what the answer is, and the grader that tries it. A grader
compares the answer with this project's engine on many graphs, so its oracle is the engine
itself, and names the mistake it finds in a hint that never gives the right numbers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Callable

from .checks import FILL
from .engine_tasks import grade_backward, grade_topological_order, grade_value
from .network_tasks import grade_layer_backward, grade_mlp, grade_sgd_step
from .verdict import Mistake, NotWritten, Recursed, Verdict, unwritten

# When set, every verdict is also appended to this file as a line of JSON: how
# ``python -m autograd.exercises grade`` learns what a notebook's cells decided.
LOG = "CHAINRULE_GRADE_LOG"


@dataclass(frozen=True)
class Task:
    name: str
    answer: str  # what the learner hands in, as the "not answered yet" message names it
    grader: Callable  # (answer, seed) -> (what passed, notes); raises Mistake or NotWritten


TASKS = {task.name: task for task in (
    Task("value", "your Value class", grade_value),
    Task("topological_order", "your topological order function", grade_topological_order),
    Task("backward", "your backward function", grade_backward),
    Task("mlp", "your MLP class", grade_mlp),
    Task("sgd_step", "your sgd_step function", grade_sgd_step),
    Task("layer_backward", "your layer_backward function", grade_layer_backward),
)}


def grade(task: str, answer, *, seed: int = 0) -> Verdict:
    """Grade ``answer`` for ``task`` (one of ``TASKS``): a ``Verdict`` with ``.passed`` and ``.hint``.

    The answer is tried on graphs drawn from ``seed``, and whatever it raises is part of the
    verdict, never a crash. An answer not written yet (``None``, ``...``, or code that raises
    ``NotImplementedError``) gets "not answered yet". With ``CHAINRULE_FILL_ANSWERS`` set
    (as ``make test`` sets it), such an answer is filled in with a right one, which must
    pass, after a typical wrong one has been refused: an executed notebook then tests its
    own exercises, and the cells after them run on working code.
    """
    if not isinstance(task, str):
        raise TypeError(f"task must be a str, one of {sorted(TASKS)}, got {type(task).__name__}")
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    spec = TASKS[task]
    verdict = _verdict(spec, answer, seed)
    if verdict is None:
        if os.environ.get(FILL):
            verdict = _fill_in(spec, answer, seed)
        else:
            verdict = Verdict(task, False, f"Not answered yet: write {spec.answer} in the cell above, run it, "
                                           "then run this cell again.", answered=False)
    _log(verdict)
    return verdict


def _verdict(spec: Task, answer, seed: int) -> Verdict | None:
    """The grade, or ``None`` while the answer is not written."""
    try:
        if unwritten(answer):
            raise NotWritten
        passed, notes = spec.grader(answer, seed)
    except NotWritten:
        return None
    except Mistake as mistake:
        return Verdict(spec.name, False, _sentence(str(mistake)))
    except Recursed as deep:
        return Verdict(spec.name, False, f"{deep.where} went past Python's recursion limit. Keep your own "
                                         "stack (a list) of nodes to visit instead of recursing.")
    return Verdict(spec.name, True, passed, notes)


def _sentence(hint: str) -> str:
    """A hint that starts with a mistake's name ("a wrong sign: ...") begins a sentence; one
    that starts with a name from code (dW, v3.grad) keeps its case."""
    first = hint.split(" ", 1)[0].rstrip(":,")
    return hint[:1].upper() + hint[1:] if first.isalpha() and first.islower() else hint


def _fill_in(spec: Task, answer, seed: int) -> Verdict:
    from . import solutions

    wrong, named = solutions.WRONG[spec.name]
    refused = _verdict(spec, wrong, seed)
    if refused is None or refused.passed or named.lower() not in refused.hint.lower():
        raise AssertionError(f"{spec.name}: the grader did not refuse a wrong answer with {named!r}: {refused}")
    right = solutions.RIGHT[spec.name]
    verdict = _verdict(spec, right, seed)
    if verdict is None or not verdict.passed:
        raise AssertionError(f"{spec.name}: the grader refused the right answer: {verdict}")
    _become(answer, right)
    return verdict


def _become(answer, right) -> None:
    """Make the learner's unwritten class or function behave as ``right``, so the notebook's
    later cells, which use it, run as they would on a learner's working answer."""
    if isinstance(answer, type):
        for name in [n for n in vars(answer) if n not in ("__dict__", "__weakref__")]:
            if name not in ("__module__", "__qualname__", "__doc__"):
                delattr(answer, name)
        for name, attr in vars(right).items():
            if name not in ("__dict__", "__weakref__", "__module__", "__qualname__"):
                setattr(answer, name, attr)
    elif callable(answer) and hasattr(answer, "__code__"):
        answer.__code__ = right.__code__  # the solutions import what they need inside their bodies
        answer.__defaults__ = right.__defaults__


def _log(verdict: Verdict) -> None:
    path = os.environ.get(LOG)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"task": verdict.task, "passed": verdict.passed, "hint": verdict.hint}) + "\n")
