"""chainrule's scalar reverse-mode automatic differentiation engine.

Every scalar is a ``Value``; every edge of the graph carries the local derivative recorded in
the forward pass; ``backward()`` applies the distributed chain rule in reverse topological
order.
"""

from . import ops, scalar
from .backprop import backward, grad, hessian, local_derivatives, topological_order
from .check import gradcheck, gradgradcheck
from .modes import detect_anomaly, no_grad
from .value import Op, Parameter, Value

__all__ = [
    "Op",
    "Parameter",
    "Value",
    "backward",
    "detect_anomaly",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "local_derivatives",
    "no_grad",
    "ops",
    "scalar",
    "topological_order",
]
