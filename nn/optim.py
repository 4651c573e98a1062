"""Optimizers with PyTorch's update rules (``torch.optim.SGD`` and ``torch.optim.Adam``).

An optimizer holds a list of parameters and reads their ``.grad`` in ``step()``. ``lr`` is a
plain attribute, so a schedule is one assignment per epoch. A step computes every
parameter's update at once with numpy, element by element: the same float operations, in
the same order, as a loop over the parameters would do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

import numpy as np

from autograd import Value

__all__ = ["Adam", "Optimizer", "SGD"]


def _hyper(value, name: str, low: float = 0.0, high: float = math.inf, *,
           low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float, or a clear error: a hyperparameter is a finite number in range
    (an infinite one would only show up as nan parameters after the first step)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    try:
        value = float(value)
    except OverflowError:  # an int too large for a float64
        value = math.inf if value > 0 else -math.inf
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must be a finite number in {left}{low}, {high}{right}, got {value!r}")
    return value


class Optimizer:
    """Base class: the parameter list, ``zero_grad()`` and L2 weight decay."""

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float):
        if isinstance(params, Value) or not isinstance(params, Iterable):
            raise TypeError(f"params must be an iterable of Values, got {type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: the optimizer was given no parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__}")
        self.lr = _hyper(lr, "lr")
        self.weight_decay = _hyper(weight_decay, "weight_decay")

    def gradients(self) -> np.ndarray:
        """``p.grad + weight_decay * p`` for every parameter (the gradient of ``loss + weight_decay/2 * sum(p**2)``)."""
        grads = np.array([p.grad for p in self.params], dtype=np.float64)
        wd = self.weight_decay
        return grads if wd == 0.0 else grads + wd * self._data()

    def _data(self) -> np.ndarray:
        return np.array([p.data for p in self.params], dtype=np.float64)

    def _descend(self, steps: np.ndarray) -> None:
        """``p.data -= step`` for every parameter and its step."""
        for p, data in zip(self.params, (self._data() - steps).tolist()):
            p.data = data

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 before the next ``backward()``."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` (without dampening).

    With ``g = p.grad + weight_decay * p``::

        buf = g                      (first step)
        buf = momentum * buf + g     (later steps)
        g   = g + momentum * buf     (nesterov)  or  buf  (momentum > 0)
        p  -= lr * g
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr, weight_decay)
        self.momentum = _hyper(momentum, "momentum")
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be a bool, got {type(nesterov).__name__}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov momentum needs momentum > 0, got momentum=0.0")
        self.nesterov = nesterov
        self.buffers: np.ndarray | None = None

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        mu = self.momentum
        steps = grads = self.gradients()
        if mu != 0.0:
            self.buffers = grads if self.buffers is None else mu * self.buffers + grads
            steps = grads + mu * self.buffers if self.nesterov else self.buffers
        self._descend(self.lr * steps)


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (``weight_decay`` is L2 added to the
    gradient, not AdamW's decoupled decay).

    With ``g = p.grad + weight_decay * p`` and step count ``t``::

        m  = beta1 * m + (1 - beta1) * g
        v  = beta2 * v + (1 - beta2) * g**2
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_hyper(betas[0], "betas[0]", high=1.0, high_open=True),
                      _hyper(betas[1], "betas[1]", high=1.0, high_open=True))
        # eps > 0 keeps m / (sqrt(v) + eps) finite where v is 0 (a parameter with no gradient yet).
        self.eps = _hyper(eps, "eps", low_open=True)
        self.t = 0
        self.m = np.zeros(len(self.params))
        self.v = np.zeros(len(self.params))

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2 = math.sqrt(1.0 - beta2**self.t)
        g = self.gradients()
        self.m = beta1 * self.m + (1.0 - beta1) * g
        self.v = beta2 * self.v + (1.0 - beta2) * g * g
        self._descend(step_size * self.m / (np.sqrt(self.v) / correction2 + self.eps))
