"""Exercises: predict-then-check numbers, and graded pieces of an engine the learner builds.

* ``check``, ``check_grad``, ``check_edge``, ``check_sent`` and ``check_function`` grade a
  number or a small function a notebook asks for (``checks``).
* ``grade(task, answer)`` grades a piece of the engine and network the learner writes in
  the build-it-yourself notebooks: a ``Value`` class, a topological order, ``backward``, an
  MLP, a step of gradient descent and a layer's backward pass in matrix form. It returns a
  ``Verdict`` (``.passed``, ``.hint``) whose hint names the mistake it found (``grading``).
* ``python -m autograd.exercises grade NOTEBOOK.ipynb`` runs a learner's notebook and prints
  each graded task's verdict, for a class (``__main__``).

The oracle of every grader is this project's engine; nothing in the engine imports this package.
"""

from .checks import FILL, check, check_edge, check_function, check_grad, check_sent
from .grading import TASKS, grade
from .verdict import Verdict

__all__ = ["FILL", "TASKS", "Verdict", "check", "check_edge", "check_function", "check_grad", "check_sent",
           "grade"]
