"""Optimizers with PyTorch's update rules (``torch.optim.SGD`` and ``torch.optim.Adam``).

An optimizer holds a list of parameters and reads their ``.grad`` in ``step()``. ``lr`` is a
plain attribute, so a schedule is one assignment per epoch. A step computes every
parameter's update at once with numpy, element by element: the same float operations, in
the same order, as a loop over the parameters would do. Without numpy the same formulas run on
``FloatVector`` lists: lists of floats with numpy's element-wise arithmetic, and give the same numbers.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from numbers import Real

from autograd import Value
from autograd.optional import numpy_or_none

__all__ = ["Adam", "FloatVector", "Optimizer", "SGD"]

np = numpy_or_none()


class FloatVector(list):
    """A list of floats with element-wise ``+ - * /`` (with a number or an equally long
    vector), as numpy arrays of float64 compute them: what the optimizers' formulas run on
    where numpy is missing. Each element goes through the same IEEE operations as in numpy."""

    def _apply(self, other, op):
        if isinstance(other, list):
            return FloatVector(map(op, self, other))
        return FloatVector(op(a, other) for a in self)

    def _apply_reflected(self, other, op):
        return FloatVector(op(other, a) for a in self)

    def __add__(self, other): return self._apply(other, operator.add)
    def __radd__(self, other): return self._apply_reflected(other, operator.add)
    def __sub__(self, other): return self._apply(other, operator.sub)
    def __rsub__(self, other): return self._apply_reflected(other, operator.sub)
    def __mul__(self, other): return self._apply(other, operator.mul)
    def __rmul__(self, other): return self._apply_reflected(other, operator.mul)
    def __truediv__(self, other): return self._apply(other, operator.truediv)
    def __rtruediv__(self, other): return self._apply_reflected(other, operator.truediv)

    def tolist(self) -> list[float]:
        return list(self)


def _floats(values) -> FloatVector:
    """The values as float64s: a numpy array, or a ``FloatVector`` without numpy."""
    if np is None:
        return FloatVector(float(v) for v in values)
    return np.array(list(values), dtype=np.float64)


def _sqrt(x):
    return FloatVector(map(math.sqrt, x)) if np is None else np.sqrt(x)


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

    def _decayed(self, grads, data):
        """``grad + weight_decay * p`` for every parameter (the gradient of ``loss + weight_decay/2 * sum(p**2)``)."""
        wd = self.weight_decay
        return grads if wd == 0.0 else grads + wd * data

    def _data(self):
        return _floats(p.data for p in self.params)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 before the next ``backward()``."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        data = self._data()
        new = self.update(data, _floats(p.grad for p in self.params))
        for p, value in zip(self.params, new.tolist()):
            p.data = value

    def update(self, data, grads):
        """What ``step`` does, on arrays: the parameters after one step from values ``data``
        with gradients ``grads`` (both in the order of ``params``). It advances the
        optimizer's state (momentum, moments) as ``step`` does, and leaves the Values alone:
        for loops that keep the parameters in an array between steps (``nn.fit`` on the tape)."""
        return data - self._steps(self._decayed(grads, data))

    def _steps(self, grads):
        """What each parameter moves down by, given its gradient (weight decay included)."""
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
        self.buffers = None

    def _steps(self, grads):
        mu = self.momentum
        steps = grads
        if mu != 0.0:
            self.buffers = grads if self.buffers is None else mu * self.buffers + grads
            steps = grads + mu * self.buffers if self.nesterov else self.buffers
        return self.lr * steps


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
        self.m = _floats(0.0 for _ in self.params)
        self.v = _floats(0.0 for _ in self.params)

    def _steps(self, grads):
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2 = math.sqrt(1.0 - beta2**self.t)
        self.m = beta1 * self.m + (1.0 - beta1) * grads
        self.v = beta2 * self.v + (1.0 - beta2) * grads * grads
        return step_size * self.m / (_sqrt(self.v) / correction2 + self.eps)
