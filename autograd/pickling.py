"""Pickling and deep-copying graphs of any depth.

``pickle`` and ``copy.deepcopy`` follow references recursively: a node, then its parents,
then theirs. A chain a few hundred ops deep would exceed Python's recursion limit, so a node
made by an op is written as its fields and its parents, preceded by a *prelude*: every op
node it depends on that the same pickle has not written yet, in topological order. Each node
of the prelude finds its parents already written (or a leaf, written on the spot), so the
walk never goes more than one node deep; a node shared by several paths, or by several
objects pickled together, stays one node; and pickling every node of a graph (a list of
them, in any order) writes and walks each once, so the time and size are linear in nodes.

Ops are written by name: the built-in ones as the module attribute that holds them, read
back only from the engine's own table of ops (any other name is refused), ``x**e`` as its
exponent, ``leaky_relu`` as its slope. A user-defined ``Op`` is written as its name, its two
functions (which pickle finds by their qualified names) and its formula; a lambda or a nested
function has no such name, and pickling an op made of one raises ``TypeError`` naming it
(``copy.deepcopy`` shares ops, so it works). A local derivative ``MASKED``, a 0.0 known by
its identity, is written as such, so it still masks after a round trip.
"""

from __future__ import annotations

import copyreg
import pickle
import threading
import weakref
from functools import cache

from . import ops, value
from .backprop import topological_order
from .value import MASKED, Op, Value, _new, _NumberOp, _OpNode


class _Written(threading.local):
    """The op nodes written by the pickle (or deepcopy) under way in this thread. That
    operation is known by its first prelude, which its memo keeps alive until it ends; once
    that is gone, the next node reduced starts another operation."""

    nodes: set | None = None
    first = None  # a weak reference to that first prelude


_written = _Written()


class _Prelude:
    """The op nodes a node depends on that are not written yet, in topological order, to be
    written before it."""

    __slots__ = ("nodes", "__weakref__")

    def __init__(self, nodes: list[Value]):
        self.nodes = nodes

    def __reduce__(self):
        return list, (), None, iter(self.nodes)


def _reduce_node(node: Value):
    state = _written
    starts = state.first is None or state.first() is None
    if starts:
        state.nodes = set()
    # Nodes written already (by this pickle: a node's prelude, or a node met earlier) are
    # left out, so pickling many nodes of one graph writes each once, in linear time. A
    # node of a prelude finds all it depends on written: its own prelude is empty.
    order = topological_order(node, known=state.nodes)
    ancestors = [n for n in order[:-1] if n.parents]
    prelude = _Prelude(ancestors) if ancestors or starts else ()
    if starts:
        state.first = weakref.ref(prelude, lambda _, nodes=state.nodes: nodes.clear())
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
def _built_in_ops() -> dict[tuple[str, str], Op]:
    """``(module, attribute) -> op`` for every op the engine defines."""
    return {
        (module.__name__, name): obj
        for module in (value, ops)
        for name, obj in vars(module).items()
        if type(obj) is Op
    }


@cache
def _where_built_in() -> dict[int, tuple[str, str]]:
    return {id(op): where for where, op in _built_in_ops().items()}


def _built_in_op(module: str, name: str) -> Op:
    # Only from the table: an unpickler that admits this function must not be handed any
    # other attribute of any module (os.system) through it.
    op = _built_in_ops().get((module, name))
    if op is None:
        raise pickle.UnpicklingError(f"{module}.{name} is not an op of chainrule")
    return op


def _reduce_op(op: Op):
    where = _where_built_in().get(id(op))
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
