"""chainrule's scalar reverse-mode automatic differentiation engine.

Every scalar is a ``Value``; every edge of the graph carries the local derivative recorded in
the forward pass; ``backward()`` applies the distributed chain rule in reverse topological
order.
"""

from . import ops, pickling, scalar
from .backprop import backward, grad, hessian, local_derivatives, topological_order
from .check import gradcheck, gradgradcheck
from .draw import draw, draw_step, step_slider
from .modes import detect_anomaly, no_grad
from .paths import Path, count_paths, explain_paths, paths
from .steps import Contribution, Step, backward_steps
from .value import MASKED, Op, Parameter, Value

__all__ = [
    "MASKED",
    "Contribution",
    "Op",
    "Parameter",
    "Path",
    "Step",
    "Value",
    "backward",
    "backward_steps",
    "count_paths",
    "detect_anomaly",
    "draw",
    "draw_step",
    "explain_paths",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "local_derivatives",
    "no_grad",
    "ops",
    "paths",
    "scalar",
    "step_slider",
    "topological_order",
]
