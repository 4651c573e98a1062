"""Neurons, layers and multi-layer perceptrons built from ``autograd`` nodes.

A neuron computes ``a = g(z)`` with ``z = w . x + b``. The pre-activation ``z`` is ONE
``ops.dot`` node with an edge to every weight, every input and the bias, as in the seeds'
diagrams; the activation ``g`` is one more node (none for ``"linear"``).

Initialisation (seedable, never the global ``random`` state): biases start at 0 and each
weight is drawn from ``uniform(-bound, bound)`` with

* ``bound = sqrt(6 / nin)`` for ``relu`` and ``leaky_relu`` (He/Kaiming uniform: weights of
  variance 2/nin, so that layers of relus, which zero half their inputs, keep the signal's
  scale), and
* ``bound = sqrt(3 / nin)`` for ``tanh``, ``sigmoid`` and ``linear`` (LeCun uniform, Glorot's
  variance counted on the fan-in only, because a neuron knows its inputs but not its layer).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from numbers import Integral, Real

from autograd import Parameter, Value, ops
from autograd.optional import is_ndarray

from .module import Module

LEAKY_RELU_SLOPE = 0.01
# The most parameters a model built from outside input (python -m nn's flags, nn.from_torch)
# may have unless the caller raises the limit: each is a Parameter with its grad and the
# optimizer's state, and every sample of a training step adds about two edges per parameter.
MAX_PARAMETERS = 1_000_000


def parameter_count(sizes: Sequence[int]) -> int:
    """The parameters of an MLP whose layers take ``sizes[0]`` inputs and give ``sizes[1:]``
    outputs: a weight per input and a bias, for each unit."""
    return sum((nin + 1) * nout for nin, nout in zip(sizes, sizes[1:]))


# name -> the Value method applied to a pre-activation; None means no node at all.
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "leaky_relu": lambda z: z.leaky_relu(LEAKY_RELU_SLOPE),
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}

Seed = int | random.Random | None


def make_rng(seed: Seed) -> random.Random:
    """A ``random.Random`` from an int seed, ``None`` (fresh entropy) or a generator to share."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, Integral) and not isinstance(seed, bool):
        return random.Random(int(seed))
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")


def init_bound(nin: int, activation: str) -> float:
    """Half-width of the uniform weight initialisation (see the module docstring)."""
    gain = 2.0 if activation in ("relu", "leaky_relu") else 1.0
    return math.sqrt(3.0 * gain / nin)


def _check_size(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"{name} must be a positive int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be a positive int, got {n}")
    return int(n)


def _check_activation(activation, name: str = "activation") -> str:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"{name} must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return activation


def as_inputs(x, nin: int, where: str, names: Sequence[str] | None = None) -> tuple[Value, ...]:
    """One sample as a tuple of Values: numbers and numpy entries are lifted once, here,
    labelled with ``names`` (``x0, x1, ...``) so drawings and paths can name them.

    ``x`` may be a sequence of numbers or Values, or a 1-D numpy array. A set has no order
    and a dict would give its keys, so both are refused.
    """
    if is_ndarray(x):
        if x.ndim != 1:
            raise ValueError(
                f"{where} takes one sample, a 1-D array of {nin} numbers, got an array of shape {x.shape}"
            )
        x = x.tolist()
    elif isinstance(x, (Value, str, bytes, Set, Mapping)) or not isinstance(x, Iterable):
        raise TypeError(f"{where} takes a sequence of {nin} numbers or Values in order, got {type(x).__name__}")
    xs = tuple(x)
    if len(xs) != nin:
        raise ValueError(f"{where} expects {nin} inputs, got {len(xs)}")
    names = names or input_names(nin)
    try:
        return tuple(v if isinstance(v, Value) else Value(v, name) for v, name in zip(xs, names))
    except TypeError:
        bad = next(i for i, v in enumerate(xs) if not isinstance(v, (Value, Real)) or isinstance(v, bool))
        raise TypeError(
            f"{where} input {bad} must be a number or a Value, got {type(xs[bad]).__name__}"
        ) from None


def input_names(nin: int) -> tuple[str, ...]:
    """The labels of a network's inputs: ``x0, x1, ...``."""
    return tuple(f"x{i}" for i in range(nin))


class Neuron(Module):
    """``g(w . x + b)``: ``.w`` is a tuple of ``nin`` Parameters, ``.b`` a Parameter."""

    def __init__(self, nin: int, activation: str = "relu", *, seed: Seed = None):
        nin = _check_size(nin, "nin")
        self.activation = _check_activation(activation)
        rng = make_rng(seed)
        bound = init_bound(nin, activation)
        # A tuple, not a list: ops.dot reads tuples of Values without copying them.
        self.w = tuple(Parameter(rng.uniform(-bound, bound), f"w{i}") for i in range(nin))
        self.b = Parameter(0.0, "b")
        self._name_outputs()

    @property
    def nin(self) -> int:
        return len(self.w)

    def __call__(self, x) -> Value:
        z = ops.dot(self.w, as_inputs(x, self.nin, "Neuron"), self.b)
        z.label = self._names[0]
        g = ACTIVATIONS[self.activation]
        if g is None:
            return z
        a = g(z)
        a.label = self._names[1]
        return a

    def _name_outputs(self) -> None:
        # The neuron's place is its bias's label without the "b": "L1.n0." (or "" alone).
        place = self.b.label[:-1] if self.b.label.endswith("b") else ""
        self._names = (place + "z", place + "a")

    def config(self) -> dict:
        return {"nin": self.nin, "activation": self.activation}


class Layer(Module):
    """``nout`` neurons reading the same inputs; calling it always returns a list."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", *, seed: Seed = None):
        nout = _check_size(nout, "nout")
        rng = make_rng(seed)
        self.neurons = [Neuron(nin, activation, seed=rng) for _ in range(nout)]
        self.activation = activation
        self.label_parameters()  # n0.w0, n1.w0, ...: the neurons' weights told apart

    @property
    def nin(self) -> int:
        return self.neurons[0].nin

    @property
    def nout(self) -> int:
        return len(self.neurons)

    def __call__(self, x) -> list[Value]:
        return self.forward(as_inputs(x, self.nin, "Layer"))

    def forward(self, xs: Sequence[Value]) -> list[Value]:
        """The layer on inputs that are already Values (no checks: the hot path)."""
        neurons = self.neurons
        # One dot node per neuron; affine reads the inputs once for all of them.
        zs = ops.affine([n.w for n in neurons], xs, [n.b for n in neurons])
        z_names, a_names = self._names
        for z, name in zip(zs, z_names):
            z.label = name
        g = ACTIVATIONS[self.activation]
        if g is None:
            return zs
        activations = list(map(g, zs))
        for a, name in zip(activations, a_names):
            a.label = name
        return activations

    def _name_outputs(self) -> None:
        # Precomputed, so naming costs the forward pass one attribute store per node.
        self._names = tuple(tuple(n._names[k] for n in self.neurons) for k in (0, 1))

    def config(self) -> dict:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs: ``activation`` on every hidden layer,
    ``output_activation`` on the last.

    Returns a single Value when the last layer has one output, else a list. Any width works,
    including hidden layers of width 1.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str = "linear", seed: Seed = None):
        nin = _check_size(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(f"nouts must be a list of layer sizes such as [16, 16, 1], got {type(nouts).__name__}")
        if not nouts:
            raise ValueError("nouts must list at least one layer size, got an empty list")
        sizes = [nin] + [_check_size(n, f"nouts[{i}]") for i, n in enumerate(nouts)]
        _check_activation(activation)
        _check_activation(output_activation, "output_activation")
        rng = make_rng(seed)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, seed=rng)
            for i in range(len(nouts))
        ]
        self.activation = activation
        self.output_activation = output_activation
        self._input_names = input_names(nin)
        self.label_parameters()  # L0.n0.w0, ...

    @property
    def nin(self) -> int:
        return self.layers[0].nin

    def __call__(self, x) -> Value | list[Value]:
        xs = as_inputs(x, self.nin, "MLP", self._input_names)
        for layer in self.layers:
            xs = layer.forward(xs)
        return xs[0] if len(xs) == 1 else xs

    def config(self) -> dict:
        return {
            "nin": self.nin,
            "nouts": [layer.nout for layer in self.layers],
            "activation": self.activation,
            "output_activation": self.output_activation,
        }
