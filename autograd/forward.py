"""Forward mode: tangents flow from the inputs to the output along the recorded edges.

Backpropagation sends ``d root / d node`` backwards; forward mode sends ``d node / d input``
forwards, over the same edges and the same local derivatives::

    tangent(node) = sum over its edges of local_grad * tangent(parent)

in topological order, starting from the tangents given to some nodes (the seeds). One pass
gives the derivative of every node along one direction of the inputs, so the Jacobian of
``R^n -> R^m`` takes n forward passes or m backward ones: two ways of factoring the same
sum over paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .backprop import _first_term, _order, _require_value, _times_without_ones, local_derivatives, topological_order
from .backprop import contribution as _contribution  # the name `contribution` is taken below
from .value import Value, _as_float, _is_number


def forward_tangents(root: Value, seeds: Mapping, create_graph: bool = False) -> dict:
    """The tangent of every node of ``root``'s graph, given the tangents of some nodes.

    ``seeds`` maps nodes to their tangents, e.g. ``{x: 1.0}`` for ``d node / dx``. A seeded
    node is an input: its tangent is its seed, whatever its parents send. Every other node
    gets ``sum(local_grad * tangent(parent))`` over its edges, in topological order, from
    the ``.local_grads`` the forward pass recorded (no new graph, no finite differences).
    Nodes that no seed reaches get 0.0 and cost no multiplication. The amount an edge
    carries is ``local_grad * tangent(parent)``.

    With ``create_graph=True`` the tangents are Values built from each op's derivative
    formula (``local_derivatives(node, create_graph=True)``), so they can be differentiated
    again; seeds may then be Values too. The result maps each node of
    ``topological_order(root)`` to its tangent, in that order.
    """
    checked = _checked_seeds(seeds, create_graph)
    order = topological_order(root)
    tangent, _ = _push(order, checked, create_graph)
    if not create_graph:
        return {node: tangent.get(node, 0.0) for node in order}
    return {node: _as_value(tangent.get(node, 0.0)) for node in order}


def _push(order: Sequence[Value], seeds: Mapping, create_graph: bool = False) -> tuple[dict, int]:
    """One forward pass over ``order`` (parents before children): the tangents of the nodes
    the seeds reach, and how many edge multiplications it took."""
    times = _times_without_ones if create_graph else _contribution
    tangent: dict = {}
    multiplications = 0
    for node in order:
        if node in seeds:
            tangent[node] = seeds[node]
            continue
        reached = [parent in tangent for parent in node.parents]
        if not any(reached):
            continue
        total = None
        for parent, local, hit in zip(node.parents, local_derivatives(node, create_graph), reached):
            if hit:
                # The one place an edge's contribution is formed.
                contribution = times(local, tangent[parent])
                multiplications += 1
                total = _first_term(contribution) if total is None else total + contribution
        tangent[node] = total
    return tangent, multiplications


def _joint_order(outputs: Sequence[Value]) -> list[Value]:
    """A topological order of every node that some output depends on, each node once."""
    for i, output in enumerate(outputs):
        _require_value(output, f"outputs[{i}]")
    return _order(outputs)


def _require_bool(create_graph) -> None:
    if not isinstance(create_graph, bool):
        raise TypeError(f"create_graph must be a bool, got {type(create_graph).__name__}")


def _checked_seeds(seeds, create_graph: bool) -> dict:
    _require_bool(create_graph)
    if not isinstance(seeds, Mapping):
        raise TypeError(f"seeds must be a mapping {{Value: tangent}}, got {type(seeds).__name__}")
    checked = {}
    for node, t in seeds.items():
        if not isinstance(node, Value):
            raise TypeError(f"seeds keys must be Values, got {type(node).__name__}")
        checked[node] = _tangent_number(t, "seeds values", create_graph)
    return checked


def _tangent_number(t, name: str, keep_values: bool):
    """A tangent as given: a float, or a Value when the tangent may carry a graph."""
    if isinstance(t, Value):
        return t if keep_values else t.data
    if not _is_number(t):
        raise TypeError(f"{name} must be a number or a Value, got {type(t).__name__}")
    return _as_float(t, name)


def _as_value(t) -> Value:
    return t if isinstance(t, Value) else Value(t)
