"""``Module``: the parameter bookkeeping every network part shares, with PyTorch's names.

A module's state is found by walking its public attributes in the order they were set:

* a ``Parameter`` is a scalar entry (``"b"``),
* a tuple or list of Parameters is a vector entry (``"w"``, a neuron's weights),
* a ``Module``, or a list of Modules, is searched recursively (``"layers.0.neurons.3"``).

``named_parameters()`` lists every scalar (``"layers.0.neurons.3.w.1"``); ``state_dict()``
keeps a vector entry whole (``"layers.0.neurons.3.w": [...]``), so a file or a dict that gives
a neuron the wrong number of weights is caught as a mis-shaped entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from numbers import Real

from autograd import Parameter

# A state entry: one scalar Parameter or a vector of them.
Entry = Parameter | tuple[Parameter, ...]


class Module:
    """Base class of ``Neuron``, ``Layer`` and ``MLP``."""

    def _named_entries(self, prefix: str = "") -> Iterator[tuple[str, Entry]]:
        """``(name, Parameter or tuple of Parameters)`` for every state entry, in a stable order."""
        for attr, value in vars(self).items():
            if not attr.startswith("_"):
                yield from _entries(prefix + attr, value)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` for every trainable scalar, e.g. ``"layers.0.neurons.3.w.1"``."""
        named = []
        for name, entry in self._named_entries():
            if isinstance(entry, tuple):
                named.extend((f"{name}.{i}", p) for i, p in enumerate(entry))
            else:
                named.append((name, entry))
        return named

    def label_parameters(self) -> None:
        """Label every parameter after its place, for drawings of a whole network.

        ``layers.1.neurons.0.w.2`` becomes ``L1.n0.w2`` and ``layers.1.neurons.0.b`` becomes
        ``L1.n0.b``. ``Layer`` and ``MLP`` call this when they are built; a lone ``Neuron``
        keeps ``w0, w1, ..., b``. The nodes a neuron computes are named after the same place
        (``L1.n0.z``, ``L1.n0.a``).
        """
        for name, p in self.named_parameters():
            p.label = name.replace("layers.", "L").replace("neurons.", "n").replace("w.", "w")
        for module in reversed(self.modules()):  # a layer reads its neurons' names
            module._name_outputs()

    def modules(self) -> list[Module]:
        """This module and every module inside it, parents before children (as PyTorch's)."""
        found, stack = [], [self]
        while stack:
            module = stack.pop()
            found.append(module)
            inner = [v for attr, value in vars(module).items() if not attr.startswith("_")
                     for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, Module)]
            stack.extend(reversed(inner))
        return found

    def _name_outputs(self) -> None:
        """Work out the labels this module gives the nodes it computes (none by default)."""

    def parameters(self) -> list[Parameter]:
        """Every trainable scalar, in the order of ``named_parameters()``."""
        params: list[Parameter] = []
        for _, entry in self._named_entries():
            if isinstance(entry, tuple):
                params.extend(entry)
            else:
                params.append(entry)
        return params

    def config(self) -> dict:
        """The constructor arguments that rebuild this architecture (used by ``repr`` and files)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({args})"

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (gradients accumulate across ``backward`` calls)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float | list[float]]:
        """A copy of the parameter values: a float per scalar entry, a list per vector entry."""
        return {
            name: [p.data for p in entry] if isinstance(entry, tuple) else entry.data
            for name, entry in self._named_entries()
        }

    def load_state_dict(self, state: Mapping) -> None:
        """Copy values from ``state`` into the parameters, in place (optimizers keep working).

        Strict, as PyTorch's default: missing, unexpected and mis-shaped entries, and numbers
        too large for a float, raise one ``ValueError`` naming all of them, and nothing is
        changed: everything is checked before the first parameter is assigned.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping of names to values, got {type(state).__name__}")
        entries = dict(self._named_entries())
        problems = []
        missing = [name for name in entries if name not in state]
        unexpected = [str(name) for name in state if name not in entries]
        if missing:
            problems.append(f"missing entries {missing}")
        if unexpected:
            problems.append(f"unexpected entries {unexpected}")
        problems.extend(
            _shape_problem(name, entry, state[name]) for name, entry in entries.items() if name in state
        )
        problems = [p for p in problems if p]
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for name, entry in entries.items():
            if isinstance(entry, tuple):
                for p, v in zip(entry, state[name]):
                    p.data = float(v)
            else:
                entry.data = float(state[name])


def _entries(name: str, value) -> Iterator[tuple[str, Entry]]:
    if isinstance(value, Parameter):
        yield name, value
    elif isinstance(value, Module):
        yield from value._named_entries(name + ".")
    elif isinstance(value, (list, tuple)) and value:
        if all(isinstance(v, Parameter) for v in value):
            yield name, tuple(value)
        else:
            for i, v in enumerate(value):
                yield from _entries(f"{name}.{i}", v)


def _is_number(x) -> bool:
    if isinstance(x, bool) or not isinstance(x, Real):
        return False
    try:
        float(x)
    except OverflowError:
        return False
    return True


def _describe(x) -> str:
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)}"
    if isinstance(x, Real) and not isinstance(x, bool):
        return f"{type(x).__name__} too large for a float"
    return type(x).__name__


def _shape_problem(name: str, entry: Entry, value) -> str:
    """'' when ``value`` fits ``entry``, else what is wrong with it."""
    if not isinstance(entry, tuple):
        return "" if _is_number(value) else f"entry {name!r} expected a number, got {_describe(value)}"
    n = len(entry)
    if not isinstance(value, (list, tuple)) or len(value) != n:
        return f"entry {name!r} expected a list of {n} numbers, got {_describe(value)}"
    bad = [i for i, v in enumerate(value) if not _is_number(v)]
    if bad:
        return f"entry {name!r} expected {n} numbers, item {bad[0]} is {_describe(value[bad[0]])}"
    return ""
