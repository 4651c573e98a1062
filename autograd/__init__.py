"""chainrule's scalar reverse-mode automatic differentiation engine.

Every scalar is a ``Value``; every edge of the graph carries the local derivative recorded in
the forward pass; ``backward()`` applies the distributed chain rule in reverse topological
order. ``trace`` records a graph once and replays it over numpy batches.
"""

from . import ops, scalar
from . import pickling  # noqa: F401  (registers how graphs are copied and pickled)
from .backprop import backward, grad, hessian, local_derivatives, topological_order
from .check import gradcheck, gradgradcheck
from .draw import draw, draw_dot, draw_step
from .forward import forward_tangents
from .modes import detect_anomaly, no_grad
from .paths import Path, count_paths, explain_paths, paths
from .player import Player, animate, step_slider
from .steps import Contribution, ForwardStep, Step, backward_steps, forward_steps
from .tape import Tape, trace
from .text import format_number
from .transforms import count_multiplications, hvp, jacobian, jvp, value_and_grad, vjp
from .value import MASKED, Op, Parameter, Value

__all__ = [
    "MASKED",
    "Contribution",
    "ForwardStep",
    "Op",
    "Parameter",
    "Path",
    "Player",
    "Step",
    "Tape",
    "Value",
    "animate",
    "backward",
    "backward_steps",
    "count_multiplications",
    "count_paths",
    "detect_anomaly",
    "draw",
    "draw_dot",
    "draw_step",
    "explain_paths",
    "format_number",
    "forward_steps",
    "forward_tangents",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "local_derivatives",
    "no_grad",
    "ops",
    "paths",
    "scalar",
    "step_slider",
    "topological_order",
    "trace",
    "value_and_grad",
    "vjp",
]
