"""A bridge to PyTorch both ways: an ``MLP`` out as a ``torch.nn.Sequential``, and a small
PyTorch MLP in as an ``MLP`` whose backprop can be watched edge by edge.

PyTorch is optional: it is imported inside these functions only, so ``import nn`` never
loads it, and a missing install raises one ``ImportError`` saying ``pip install torch``.

``from_torch`` reads what a module computes, not just what it holds: ``torch.fx`` traces its
``forward`` into a graph, which must be a single chain input -> step -> ... -> output whose
steps are built-in layers (``Linear`` and the activations below) or the matching functions
(``F.relu(x)``, ``torch.tanh(x)``, ``x.sigmoid()``, ...). So a ``Sequential`` (nested or not)
and a ``Module`` whose ``forward`` applies its layers in turn both come in, while a forward
that adds, scales, branches or reuses a layer is refused. Steps that compute the identity
leave no trace in the ``MLP``:

* ``Identity``;
* ``Dropout`` in eval mode (or with ``p=0``): it scales nothing and drops nothing then;
  in training mode it drops random inputs, which an ``MLP`` cannot do, so it is refused;
* ``Flatten()`` with its defaults (``start_dim=1, end_dim=-1``): it leaves a batch of
  vectors as it is, and in front of the first ``Linear`` it flattens each sample, which is
  the flat list of numbers an ``MLP`` takes anyway (pass ``image.reshape(-1)``).

Everything else an ``MLP`` cannot express is refused with a ``ValueError`` naming the step
and why, before any ``MLP`` is built.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.files import write_atomically

from .layers import LEAKY_RELU_SLOPE, MAX_PARAMETERS, MLP, parameter_count

if TYPE_CHECKING:
    import torch

__all__ = ["from_torch", "require_torch", "save_torch", "to_torch"]

# An MLP activation -> the name of the torch.nn module that computes it ("linear": none).
_MODULE_NAMES = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
# Tensor methods in a traced forward (x.relu()), each named as the activation it computes.
_METHODS = ("relu", "tanh", "sigmoid")
# Why a few common layers are refused; any other layer gets the generic reason.
_WHY_NOT = {
    "BatchNorm1d": "batch norm normalises with batch statistics; an MLP neuron computes g(w.x + b) alone",
    "LayerNorm": "layer norm couples the neurons of a layer; an MLP neuron computes g(w.x + b) alone",
    "Softmax": "an MLP outputs logits: nn.losses.cross_entropy applies the (log-)softmax itself",
    "LogSoftmax": "an MLP outputs logits: nn.losses.cross_entropy applies the log-softmax itself",
    "Conv1d": "a convolution shares its weights across positions; an MLP has Linear layers only",
    "Conv2d": "a convolution shares its weights across positions; an MLP has Linear layers only",
}
_GENERIC_WHY = ("an MLP is made of Linear layers with bias and ReLU, LeakyReLU(0.01), Tanh or "
                "Sigmoid activations (Identity, Flatten() and Dropout in eval mode pass through)")


def require_torch(what: str):
    """Import and return ``torch``, or raise ``ImportError`` saying that ``what`` needs it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{what} needs PyTorch, an optional dependency of chainrule: pip install torch") from error
    return torch


def _check_mlp(model, where: str) -> None:
    # The exact type: a subclass may compute something else than the layers say.
    if type(model) is not MLP:
        raise TypeError(f"{where}: model must be an nn.MLP, got {type(model).__name__}")


def to_torch(model: MLP) -> torch.nn.Sequential:
    """``model`` as a float64 ``torch.nn.Sequential``: per layer a ``Linear`` with the same
    weights and biases, then ``ReLU``, ``LeakyReLU(nn.layers.LEAKY_RELU_SLOPE)``, ``Tanh`` or
    ``Sigmoid`` (nothing for ``"linear"``).

    ``to_torch(model)(x)`` equals ``model(x)`` to rounding (about 1e-16 relative), and so do
    the parameter gradients of the same loss. PyTorch's global random state is not touched.
    """
    _check_mlp(model, "nn.to_torch")
    torch = require_torch("nn.to_torch")
    steps = []
    for layer in model.layers:
        # skip_init: no random initialisation to overwrite, and torch's global RNG untouched.
        linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        steps.append(linear)
        if layer.activation == "leaky_relu":
            steps.append(torch.nn.LeakyReLU(LEAKY_RELU_SLOPE))
        elif layer.activation != "linear":
            steps.append(getattr(torch.nn, _MODULE_NAMES[layer.activation])())
    return torch.nn.Sequential(*steps)


def save_torch(model: MLP, path: str | os.PathLike) -> None:
    """Write ``to_torch(model).state_dict()`` to ``path`` with ``torch.save`` (float64).

    Load it with ``net = nn.to_torch(model_of_the_same_shape)`` and
    ``net.load_state_dict(torch.load(path))``. The file is written whole or not at all, as
    ``nn.save`` writes (``autograd.files.write_atomically``).
    """
    _check_mlp(model, "nn.save_torch")
    path = Path(path)
    torch = require_torch("nn.save_torch")
    data = io.BytesIO()
    torch.save(to_torch(model).state_dict(), data)
    write_atomically(path, data.getvalue(), "state dict")


def from_torch(module: torch.nn.Module, *, max_parameters: int = MAX_PARAMETERS) -> MLP:
    """The ``MLP`` that computes what ``module`` computes, with its weights as Python floats.

    ``module`` is a ``torch.nn.Sequential``, or any ``Module`` whose ``forward`` applies its
    layers one after the other (see the module docstring), of ``Linear`` layers (with bias,
    any floating dtype, converted exactly) and ``ReLU``, ``LeakyReLU`` with slope
    ``nn.layers.LEAKY_RELU_SLOPE``, ``Tanh`` or ``Sigmoid``: one activation shared by the
    hidden layers, and any one (or none) after the last. Parameters are labelled ``L0.n1.w2``
    as every ``MLP``'s are. Anything else raises ``ValueError`` naming the step and why.

    A module of more than ``max_parameters`` parameters (``nn.layers.MAX_PARAMETERS``, a
    million: some hundreds of MB as Values) is refused, from the layers' shapes, before
    anything is built or read; pass a larger ``max_parameters`` to bring it in anyway.
    """
    torch = require_torch("nn.from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"nn.from_torch: module must be a torch.nn.Module, got {type(module).__name__}")
    if isinstance(max_parameters, bool) or not isinstance(max_parameters, int) or max_parameters < 1:
        raise ValueError(f"max_parameters must be an int of at least 1, got {max_parameters!r}")
    layers = _layers(torch, module)
    if not layers:
        raise ValueError(f"nn.from_torch: {type(module).__name__} has no Linear layer; an MLP needs at least one")
    sizes = [layers[0].linear.weight.shape[1], *(layer.linear.weight.shape[0] for layer in layers)]
    if parameter_count(sizes) > max_parameters:
        raise ValueError(f"nn.from_torch: the module has {parameter_count(sizes):,} parameters, more than "
                         f"max_parameters={max_parameters:,}; pass a larger max_parameters to bring it in")
    for layer in layers:
        if layer.linear.weight.is_meta or layer.linear.bias.is_meta:
            raise ValueError(f"nn.from_torch: Linear {layer.name!r} holds no data (on the meta device); "
                             "load its weights first (module.to_empty(device='cpu') and a state dict)")
    hidden = layers[:-1]
    for layer in hidden[1:]:
        if layer.activation != hidden[0].activation:
            raise ValueError(f"nn.from_torch: step {layer.activation_step!r} makes a hidden layer "
                             f"{layer.activation} but the first hidden layer is {hidden[0].activation} "
                             f"({hidden[0].activation_step!r}); an MLP applies one activation to every hidden layer")
    model = MLP(sizes[0], sizes[1:],
                activation=hidden[0].activation if hidden else "relu", output_activation=layers[-1].activation,
                seed=0)  # any seed: every weight is overwritten below
    state = {}
    for i, layer in enumerate(layers):
        # tolist() turns each float16/32/64 number into the Python float of the same value.
        weights, biases = layer.linear.weight.detach().cpu().tolist(), layer.linear.bias.detach().cpu().tolist()
        for j, (row, bias) in enumerate(zip(weights, biases)):
            state[f"layers.{i}.neurons.{j}.w"] = row
            state[f"layers.{i}.neurons.{j}.b"] = bias
    model.load_state_dict(state)
    return model


@dataclass
class _Layer:
    """One MLP layer found in a torch module: a ``Linear`` and the activation after it."""

    name: str
    linear: object  # a torch.nn.Linear
    activation: str  # an MLP activation name; "linear" until an activation step follows
    activation_step: str  # the step applying it; the Linear's own name for "linear"


def _layers(torch, module) -> list[_Layer]:
    """The ``Linear`` layers along the forward chain of ``module``, each with its activation."""
    layers: list[_Layer] = []
    for name, step in _steps(torch, module):
        if isinstance(step, torch.nn.Linear):
            _check_linear(name, step, layers[-1] if layers else None)
            if any(step is layer.linear for layer in layers):
                raise ValueError(f"nn.from_torch: Linear {name!r} is applied twice; the layers of an MLP "
                                 "share no weights")
            layers.append(_Layer(name, step, "linear", name))
        elif step is not None:
            if not layers:
                raise ValueError(f"nn.from_torch: step {name!r} ({step}) comes before the first Linear; "
                                 "an MLP starts with a Linear layer")
            if layers[-1].activation != "linear":
                raise ValueError(f"nn.from_torch: step {name!r} ({step}) is a second activation after Linear "
                                 f"{layers[-1].name!r} (already {layers[-1].activation}); an MLP neuron applies one")
            layers[-1].activation, layers[-1].activation_step = step, name
    return layers


def _check_linear(name: str, linear, previous: _Layer | None) -> None:
    weight, bias = linear.weight, linear.bias
    if bias is None:
        raise ValueError(f"nn.from_torch: Linear {name!r} has no bias, but every MLP neuron has one "
                         "(rebuild it with bias=True and a zero bias to bring it in)")
    if not weight.dtype.is_floating_point:
        raise ValueError(f"nn.from_torch: Linear {name!r} holds {weight.dtype} weights, expected a real floating dtype")
    if weight.dim() != 2 or bias.shape != weight.shape[:1] or 0 in weight.shape:
        raise ValueError(f"nn.from_torch: Linear {name!r} has weight {tuple(weight.shape)} and bias "
                         f"{tuple(bias.shape)}, expected (out, in) and (out,) with positive sizes")
    if previous is not None and weight.shape[1] != previous.linear.weight.shape[0]:
        raise ValueError(f"nn.from_torch: Linear {name!r} takes {weight.shape[1]} inputs but Linear "
                         f"{previous.name!r} before it gives {previous.linear.weight.shape[0]}")


def _steps(torch, module) -> list[tuple[str, object]]:
    """``(name, step)`` along the forward chain of ``module``: step is a ``Linear``, an MLP
    activation name, or None for a step computing the identity."""
    for name, sub in module.named_modules():
        if sub._forward_hooks or sub._forward_pre_hooks:
            raise ValueError(f"nn.from_torch: {type(sub).__name__} {name or '(the module)'!r} has a forward "
                             "hook, which can change what it computes; remove it to bring the module in")
    from torch import fx

    try:
        graph = fx.symbolic_trace(module).graph
    except Exception as error:  # fx raises many types; any of them means "not a fixed chain"
        raise ValueError(f"nn.from_torch: the forward of {type(module).__name__} cannot be traced as a "
                         f"fixed sequence of layers ({type(error).__name__}: {error})") from None
    nodes = list(graph.nodes)
    inputs = [node for node in nodes if node.op == "placeholder"]
    if len(inputs) != 1:
        raise ValueError(f"nn.from_torch: the forward of {type(module).__name__} takes {len(inputs)} "
                         "inputs; an MLP takes one")
    steps, previous = [], inputs[0]
    for node in nodes[1:]:
        if node.op == "output":
            if node.args != (previous,):
                raise ValueError(f"nn.from_torch: the forward of {type(module).__name__} returns "
                                 f"{node.args[0]!r}, expected the result of its last step")
            return steps
        step = _step(torch, module, node)
        if node.args[:1] != (previous,):
            raise ValueError(f"nn.from_torch: step {_describe(node)} does not read the result of the step "
                             "before it; an MLP is a single chain of layers")
        steps.append(step)
        previous = node
    raise AssertionError("an fx graph ends with its output node")


def _describe(node) -> str:
    return repr(node.target) if node.op == "call_module" else f"{node.name!r} ({node.op} {node.target})"


def _step(torch, module, node) -> tuple[str, object]:
    if node.op == "call_module":
        layer = module.get_submodule(node.target)
        return node.target, _layer_step(torch, node.target, layer)
    if node.op == "call_method" and node.target in _METHODS and len(node.args) == 1 and not node.kwargs:
        return node.name, node.target
    if node.op == "call_function":
        step = _function_step(torch, node)
        if step is not None:
            return node.name, step
    raise ValueError(f"nn.from_torch: step {_describe(node)} is not a layer an MLP has; {_GENERIC_WHY}")


def _layer_step(torch, name: str, layer):
    # Exact types: a subclass may override forward.
    kind = type(layer)
    tnn = torch.nn
    if kind is tnn.Linear:
        return layer
    if kind is tnn.LeakyReLU and layer.negative_slope != LEAKY_RELU_SLOPE:
        raise ValueError(f"nn.from_torch: step {name!r} is {layer}, but an MLP's leaky_relu has slope "
                         f"{LEAKY_RELU_SLOPE} (nn.layers.LEAKY_RELU_SLOPE)")
    for activation, module_name in _MODULE_NAMES.items():
        if kind is getattr(tnn, module_name):
            return activation
    if kind is tnn.Identity:
        return None
    if kind is tnn.Flatten:
        if (layer.start_dim, layer.end_dim) == (1, -1):
            return None
        raise ValueError(f"nn.from_torch: step {name!r} is {layer}; only Flatten() with start_dim=1, "
                         "end_dim=-1 leaves a batch of samples as samples")
    if kind is tnn.Dropout:
        if not layer.training or layer.p == 0:
            return None
        raise ValueError(f"nn.from_torch: step {name!r} is {layer} in training mode, which drops random "
                         "inputs; an MLP has no dropout (call module.eval() to bring it in as the identity)")
    raise ValueError(f"nn.from_torch: step {name!r} is {layer}: {_WHY_NOT.get(kind.__name__, _GENERIC_WHY)}")


def _function_step(torch, node):
    """The activation a ``torch.relu(x)``-like call computes, or None if it is not one."""
    F = torch.nn.functional
    # function -> (activation, names of its arguments after the input)
    functions = {
        torch.relu: ("relu", ()), F.relu: ("relu", ("inplace",)),
        torch.tanh: ("tanh", ()), F.tanh: ("tanh", ()),
        torch.sigmoid: ("sigmoid", ()), F.sigmoid: ("sigmoid", ()),
        F.leaky_relu: ("leaky_relu", ("negative_slope", "inplace")),
    }
    if node.target not in functions:
        return None
    activation, names = functions[node.target]
    if len(node.args) - 1 > len(names):
        return None
    options = {**dict(zip(names, node.args[1:])), **node.kwargs}
    if set(options) - set(names):
        return None
    if options.get("negative_slope", LEAKY_RELU_SLOPE) != LEAKY_RELU_SLOPE:
        raise ValueError(f"nn.from_torch: step {node.name!r} is leaky_relu with slope "
                         f"{options['negative_slope']}, but an MLP's leaky_relu has slope {LEAKY_RELU_SLOPE} "
                         "(nn.layers.LEAKY_RELU_SLOPE)")
    return activation
