"""chainrule's small neural-network package, built on ``autograd``'s public API.

Neurons, layers and MLPs whose every scalar is an ``autograd.Value``; losses, PyTorch-style
optimizers, 2-D toy datasets and handwritten digits, a training loop with a progress bar,
JSON model files, and the seeds' layer-wise matrix backpropagation (``nn.matrix``) to check
the engine against. ``draw_network`` draws a network as the notes do: units in columns,
weights on connections; ``animate_network`` steps its backward pass a layer at a time.
``fit(..., record=k)`` keeps a training run as frames (``nn.recording``), which
``nn.training_view`` draws, plays, saves and shows live. ``to_torch`` and ``from_torch``
bridge to PyTorch both ways (torch stays optional).
"""

from . import batch_loss, data, losses, matrix, optim, recording, training_view
from .io import load, save
from .layers import ACTIVATIONS, MLP, Layer, Neuron
from .module import Module
from .network import animate_network, draw_network
from .optim import SGD, Adam
from .recording import Recording
from .torch_bridge import from_torch, save_torch, to_torch
from .train import LOSSES, History, evaluate, fit, predict

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "MLP",
    "Adam",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Recording",
    "SGD",
    "animate_network",
    "batch_loss",
    "data",
    "draw_network",
    "evaluate",
    "fit",
    "from_torch",
    "load",
    "losses",
    "matrix",
    "optim",
    "predict",
    "recording",
    "save",
    "save_torch",
    "to_torch",
    "training_view",
]
