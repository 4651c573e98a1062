"""Model files: JSON holding the architecture and every parameter, validated strictly on load.

Layout (one parameter entry per line, floats written with ``repr`` so they load back bit
for bit)::

    {
     "format": "chainrule.nn",
     "version": 1,
     "model": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu", ...},
     "parameters": {
      "layers.0.neurons.0.w": [0.4173, -1.02],
      "layers.0.neurons.0.b": 0.0,
      ...
     }
    }

Loading parses JSON and nothing else: no pickle, no eval, no import by name. Any deviation
raises ``ValueError`` naming the file and the problem: bytes that are not UTF-8 JSON (for
example a truncated file), nesting too deep to parse, duplicate keys, unknown or missing
keys, wrong types, a model type other than ``Neuron``, ``Layer`` or ``MLP``, sizes that
disagree with the parameters. JSON has no NaN or infinity, and neither do model files: the
literals ``NaN``/``Infinity`` that Python's ``json`` would accept are refused, numbers too
large for a float are refused, and saving a model with a non-finite parameter raises
``ValueError`` (a diverged model would not load back as what was saved).

Saving never leaves a mix (``autograd.files.write_atomically``): the text goes to a
temporary file with a name of its own beside the target (so concurrent saves do not share
one), is flushed to disk, and is renamed over the target, which keeps its permissions; a
symlink is written through to the file it points to, and a target that is not a regular
file (a device, a FIFO) is refused. If anything fails (a full disk), the temporary file is
removed and the target is unchanged.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections import Counter

from autograd.files import kind_of, write_atomically

from .layers import MLP, Layer, Neuron, parameter_count
from .module import Module

__all__ = ["FORMAT", "MAX_BYTES", "VERSION", "load", "save"]

FORMAT = "chainrule.nn"
VERSION = 1
MAX_BYTES = 64 * 2**20  # what load reads at most: a model of some 3 million parameters

_MODEL_TYPES: dict[str, type[Module]] = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}
# The keys of each type's ``config()``: the constructor arguments that fix the architecture.
_CONFIG_KEYS = {
    "Neuron": ("nin", "activation"),
    "Layer": ("nin", "nout", "activation"),
    "MLP": ("nin", "nouts", "activation", "output_activation"),
}
_SIZE_KEYS = ("nin", "nout")
_NAME_KEYS = ("activation", "output_activation")


def save(model: Module, path: str | os.PathLike) -> None:
    """Write ``model`` (a ``Neuron``, ``Layer`` or ``MLP``) to ``path`` as JSON.

    The file is written next to its destination and then renamed into place, so an
    interrupted save, or two saves at once, never leave a half-written model behind.
    """
    kind = type(model).__name__
    if _MODEL_TYPES.get(kind) is not type(model):
        raise TypeError(f"model must be an nn.Neuron, nn.Layer or nn.MLP, got {kind}")
    bad = [(name, p.data) for name, p in model.named_parameters() if not math.isfinite(p.data)]
    if bad:
        raise ValueError(f"cannot save: parameter {bad[0][0]!r} is {bad[0][1]!r}; "
                         "model files hold finite numbers only")
    header = {"format": FORMAT, "version": VERSION, "model": {"type": kind, **model.config()}}
    lines = [f" {_strict(key)}: {_strict(value)}," for key, value in header.items()]
    entries = [f"  {_strict(name)}: {_strict(value)}" for name, value in model.state_dict().items()]
    text = "{\n" + "\n".join(lines) + '\n "parameters": {\n' + ",\n".join(entries) + "\n }\n}\n"
    write_atomically(path, text.encode("utf-8"), "model")


def _strict(value) -> str:
    # JSON has no NaN or Infinity: such a number raises rather than being written as one.
    return json.dumps(value, allow_nan=False)


def load(path: str | os.PathLike, *, max_bytes: int = MAX_BYTES) -> Module:
    """Read a model written by ``save``; ``ValueError`` if the file is not exactly that.

    Only a regular file (or a symlink to one) of at most ``max_bytes`` bytes is read: a FIFO
    would block and a device such as ``/dev/zero`` never ends, so both are refused before
    any byte is read.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be an int of at least 1, got {max_bytes!r}")
    try:
        return _model_from(_parse(_read_regular_file(path, max_bytes)))
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)}: not a valid model file: {error}") from None


def _read_regular_file(path: str | os.PathLike, max_bytes: int) -> bytes:
    # O_NONBLOCK: opening a FIFO would otherwise wait for a writer, before fstat can tell.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"it is not a regular file (it is a {kind_of(info.st_mode)})")
        with os.fdopen(fd, "rb", closefd=False) as file:
            raw = file.read(max_bytes + 1)  # the file may have grown since fstat
    finally:
        os.close(fd)
    if max(len(raw), info.st_size) > max_bytes:
        raise ValueError(f"it holds {max(len(raw), info.st_size):,} bytes, more than max_bytes={max_bytes:,}; "
                         "pass a larger max_bytes to load it")
    return raw


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number (model files hold finite numbers only)")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    duplicates = sorted(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate keys {duplicates}")
    return dict(pairs)


def _parse(raw: bytes) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text ({error})") from None
    try:
        doc = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error})") from None
    except RecursionError:
        raise ValueError("arrays or objects nested too deeply to parse (a model file nests 3 levels)") from None
    _expect_dict(doc, "the file", ("format", "version", "model", "parameters"))
    if doc["format"] != FORMAT:
        raise ValueError(f"format must be {FORMAT!r}, got {doc['format']!r}")
    if type(doc["version"]) is not int or doc["version"] != VERSION:
        raise ValueError(f"version must be {VERSION}, got {doc['version']!r}")
    return doc


def _expect_dict(value, what: str, keys) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object, got {_json_type(value)}")
    missing = [k for k in keys if k not in value]
    unexpected = [k for k in value if k not in keys]
    if missing or unexpected:
        raise ValueError(f"{what} must have keys {list(keys)}: missing {missing}, unexpected {unexpected}")


def _json_type(value) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _check_size(value, key: str) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"model {key!r} must be a positive integer, got {value!r}")
    return value


def _checked_config(description) -> tuple[type[Module], dict]:
    if not isinstance(description, dict):
        raise ValueError(f"model must be a JSON object with a 'type' and the sizes, got {_json_type(description)}")
    kind = description.get("type")
    if not isinstance(kind, str) or kind not in _MODEL_TYPES:
        raise ValueError(f"model type must be one of {list(_MODEL_TYPES)}, got {kind!r}")
    config = {k: v for k, v in description.items() if k != "type"}
    _expect_dict(config, f"model ({kind})", _CONFIG_KEYS[kind])
    for key, value in config.items():
        if key in _SIZE_KEYS:
            _check_size(value, key)
        elif key in _NAME_KEYS and not isinstance(value, str):
            raise ValueError(f"model {key!r} must be a string, got {_json_type(value)}")
        elif key == "nouts":
            if not isinstance(value, list) or not value:
                raise ValueError(f"model 'nouts' must be a non-empty array of sizes, got {value!r}")
            for i, n in enumerate(value):
                _check_size(n, f"nouts[{i}]")
    return _MODEL_TYPES[kind], config


def _fits_a_float(x: int | float) -> bool:
    # JSON's 1e400 parses as inf, and float() of a 400-digit integer overflows.
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


def _parameter_count(config: dict) -> int:
    return parameter_count([config["nin"], *config.get("nouts", [config.get("nout", 1)])])


def _model_from(doc: dict) -> Module:
    cls, config = _checked_config(doc["model"])
    state = doc["parameters"]
    if not isinstance(state, dict):
        raise ValueError(f"parameters must be a JSON object, got {_json_type(state)}")
    held = sum(len(v) if isinstance(v, list) else 1 for v in state.values())
    # Checked before building anything, so an edited size cannot make us allocate a huge model.
    if held != _parameter_count(config):
        raise ValueError(f"the model described has {_parameter_count(config)} parameters, the file holds {held}")
    for name, value in state.items():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not _fits_a_float(v):
                raise ValueError(f"parameter entry {name!r} holds a number too large for a float")
    try:
        model = cls(**config)
    except TypeError as error:
        raise ValueError(str(error)) from None
    model.load_state_dict(state)
    return model
