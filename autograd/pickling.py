"""Pickling and deep-copying graphs of any depth.

``pickle`` and ``copy.deepcopy`` follow references recursively: a node, then its parents,
then theirs. A chain a few hundred ops deep would exceed Python's recursion limit, so a node
made by an op is written as its fields and its parents, preceded by a *prelude*: every op
node it depends on, in topological order. Each node of the prelude finds its parents already
written (or a leaf, written on the spot), so the walk never goes more than one node deep,
and a node shared by several paths, or by several objects pickled together, stays one node.

Ops are written by name: the built-in ones as the module attribute that holds them, ``x**e``
as its exponent, ``leaky_relu`` as its slope. A user-defined ``Op`` is written as its name,
its two functions (which pickle finds by their qualified names) and its formula; a lambda
or a nested function has no such name, and pickling an op made of one raises ``TypeError``
naming it (``copy.deepcopy`` shares ops, so it works). A local derivative ``MASKED``, a 0.0 known by
its identity, is written as such, so it still masks after a round trip.
"""

from __future__ import annotations

import copyreg
import importlib
import threading
from functools import cache

from . import ops, value
from .backprop import topological_order
from .value import MASKED, Op, Value, _new, _NumberOp, _OpNode


class _PreludeUnderWay(threading.local):
    """The prelude this thread is writing and the position of the next node in it."""

    nodes: list = []
    next = 0


_under_way = _PreludeUnderWay()


class _Prelude:
    """The op nodes a node depends on, in topological order, to be written before it."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: list[Value]):
        self.nodes = nodes

    def __reduce__(self):
        # Reached only when the prelude is really written (pickle, deepcopy), not by
        # copy.copy, which keeps a node's fields as they are.
        _under_way.nodes, _under_way.next = self.nodes, 0
        return list, (), None, iter(self.nodes)


def _reduce_node(node: Value):
    state = _under_way
    if state.next < len(state.nodes) and state.nodes[state.next] is node:
        # Written as part of a prelude: its parents are written already.
        state.next += 1
        if state.next == len(state.nodes):
            state.nodes, state.next = [], 0
        prelude = ()
    else:
        prelude = _Prelude([n for n in topological_order(node)[:-1] if n.parents])
    local_grads = node.local_grads
    if type(local_grads) is tuple and MASKED in local_grads:  # == 0.0: maybe a mask
        # pickle writes floats by value, so MASKED would come back as a plain 0.0
        local_grads = tuple(_MASK_WRITTEN if g is MASKED else g for g in local_grads)
    return _restore_node, (prelude, node.data, node.grad, node.label, node._fn, local_grads, node.parents)


# How a MASKED local derivative is written (no local derivative is ever None).
_MASK_WRITTEN = None


def _restore_node(prelude, data, grad, label, fn, local_grads, parents) -> Value:
    node = _new(_OpNode)
    node.data, node.grad, node.label = data, grad, label
    if type(local_grads) is tuple and _MASK_WRITTEN in local_grads:
        local_grads = tuple(MASKED if g is _MASK_WRITTEN else g for g in local_grads)
    node._fn, node.local_grads, node.parents = fn, local_grads, parents
    return node


@cache
def _built_in_ops() -> dict[int, tuple[str, str]]:
    """``id(op) -> (module, attribute)`` for every op the engine defines."""
    return {
        id(obj): (module.__name__, name)
        for module in (value, ops)
        for name, obj in vars(module).items()
        if type(obj) is Op
    }


def _built_in_op(module: str, name: str) -> Op:
    return getattr(importlib.import_module(module), name)


def _reduce_op(op: Op):
    where = _built_in_ops().get(id(op))
    if where is not None:
        return _built_in_op, where
    for role in ("forward", "derivative"):
        fn = getattr(op, role)
        if fn is not None and "<" in getattr(fn, "__qualname__", ""):
            raise TypeError(
                f"cannot pickle op {op.name!r}: its {role} is a lambda or a nested function, "
                "which pickle cannot find by name; define it with def at the top of a module"
            )
    return Op, (op.name, op.forward, op.derivative, op.formula)


def _reduce_number_op(op: _NumberOp):
    return op.make, (op.number,)


copyreg.pickle(_OpNode, _reduce_node)
copyreg.pickle(Op, _reduce_op)
copyreg.pickle(_NumberOp, _reduce_number_op)
