"""chainrule's small neural-network package, built on ``autograd``'s public API.

Neurons, layers and MLPs whose every scalar is an ``autograd.Value``; losses, PyTorch-style
optimizers, 2-D toy datasets and handwritten digits, a training loop with a progress bar,
JSON model files, and the seeds' layer-wise matrix backpropagation (``nn.matrix``) to check
the engine against. ``draw_network`` draws a network as the notes do: units in columns,
weights on connections; ``animate_network`` steps its backward pass a layer at a time.
``fit(..., record=k)`` keeps a training run as frames (``nn.recording``), which
``nn.training_view`` draws, plays, saves and shows live. ``to_torch`` and ``from_torch``
bridge to PyTorch both ways (torch stays optional).

numpy is optional too: without it (in the browser, through Pyodide) neurons, layers, MLPs,
losses, optimizers, the 2-D toy datasets and ``fit`` run in pure Python and give the same
numbers; ``nn.matrix``, ``nn.training_view``, the digits, ``engine="tape"`` and recordings
raise ``autograd.optional.NumpyMissing``, which names numpy.
"""

import importlib

from autograd.optional import numpy_or_none

from . import batch_loss, data, losses, optim, recording
from .io import load, save
from .layers import ACTIVATIONS, MLP, Layer, Neuron
from .module import Module
from .network import animate_network, draw_network
from .optim import SGD, Adam
from .recording import Recording
from .torch_bridge import from_torch, save_torch, to_torch
from .train import LOSSES, History, evaluate, fit, predict

# The modules that need numpy: imported here when numpy is, else on first use (which then
# raises the error naming numpy).
_NEED_NUMPY = ("matrix", "training_view")
if numpy_or_none() is not None:
    from . import matrix, training_view


def __getattr__(name: str):
    if name in _NEED_NUMPY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
if numpy_or_none() is None:  # so that `from nn import *` works without numpy
    __all__ = [name for name in __all__ if name not in _NEED_NUMPY]
