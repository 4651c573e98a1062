"""Memory per op: at most 250 bytes (tracemalloc), the engine's budget; micrograd needs 688 to
1,168 on the same chains (measured by `make bench`). Allocation counts do not depend on the
machine's speed, so unlike timings this is a test."""

import gc
import sys
import tracemalloc

import pytest

from autograd import Value, no_grad

N = 20_000  # ops; enough that the few fixed allocations do not matter


def bytes_per_op(c) -> tuple[float, Value]:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = Value(1.0)
        for _ in range(N // 2):
            y = y * c + c
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / N, y


@pytest.mark.parametrize("constant", ["value", "float"])
def test_a_long_chain_costs_at_most_250_bytes_per_op(constant):
    c = Value(1.0 + 1e-7) if constant == "value" else 1.0 + 1e-7
    per_op, y = bytes_per_op(c)
    assert len(y.parents) == 2  # the chain was recorded
    # a float constant becomes a new leaf at each use, so it costs more than a shared Value
    assert per_op <= 250, f"{per_op:.0f} bytes per op"
    assert per_op >= 100, f"{per_op:.0f} bytes per op: the chain was not built"


def test_no_grad_keeps_no_graph():
    with no_grad():
        per_op, y = bytes_per_op(Value(1.0 + 1e-7))
    assert y.parents == ()
    # only the last node and its float survive: nothing per op
    assert per_op < 1, f"{per_op:.2f} bytes per op"


def test_a_leaf_stores_no_edges():
    leaf, node = Value(2.0), Value(2.0) * 3.0
    assert leaf.parents == () and leaf.local_grads == () and leaf.op == ""
    # three slots fewer: parents, local_grads and the op live only on nodes made by ops
    assert sys.getsizeof(node) - sys.getsizeof(leaf) == 3 * 8
