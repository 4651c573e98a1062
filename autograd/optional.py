"""numpy as an optional dependency.

The scalar engine and ``nn``'s neurons, layers, losses, optimizers, toy datasets and ``fit``
run in pure Python, so chainrule also runs where numpy cannot be installed (in the browser,
through Pyodide). What works on arrays (``autograd.trace``'s tape, ``nn.matrix``, the
digits, recordings and plots) imports numpy when first used, through ``require_numpy``,
and without it raises ``NumpyMissing``, which names numpy and how to install it.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["NumpyMissing", "is_ndarray", "numpy_or_none", "require_numpy"]


class NumpyMissing(ModuleNotFoundError):
    """Raised by a part of chainrule that needs numpy where numpy cannot be imported."""


def numpy_or_none():
    """The numpy module, or ``None`` where it cannot be imported."""
    try:
        return importlib.import_module("numpy")
    except ImportError:
        return None


def require_numpy(what: str):
    """The numpy module; without it ``NumpyMissing`` saying that ``what`` needs numpy."""
    try:
        return importlib.import_module("numpy")
    except ImportError as error:
        raise NumpyMissing(f"{what} needs numpy: pip install numpy", name="numpy") from error


def is_ndarray(x) -> bool:
    """Whether ``x`` is a numpy array. No array exists before numpy is imported, so this
    never imports it."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.ndarray)
