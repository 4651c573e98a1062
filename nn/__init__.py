"""chainrule's small neural-network package, built on ``autograd``'s public API.

Neurons, layers and MLPs whose every scalar is an ``autograd.Value``; losses, PyTorch-style
optimizers, 2-D toy datasets and handwritten digits, a training loop with a progress bar,
JSON model files, and the seeds' layer-wise matrix backpropagation (``nn.matrix``) to check
the engine against.
"""

from . import batch_loss, data, losses, matrix, optim
from .io import load, save
from .layers import ACTIVATIONS, MLP, Layer, Neuron
from .module import Module
from .optim import SGD, Adam
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
    "SGD",
    "batch_loss",
    "data",
    "evaluate",
    "fit",
    "load",
    "losses",
    "matrix",
    "optim",
    "predict",
    "save",
]
