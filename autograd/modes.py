"""Context managers that switch graph recording and anomaly checks on and off, per thread.

As PyTorch's grad mode, each switch holds in the thread that entered the block: a thread
evaluating a model under ``no_grad()`` leaves another thread's training recording its graph.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .value import _Mode, _Switched

_counting = threading.Lock()


@contextmanager
def _switched(mode: str, value: bool) -> Iterator[None]:
    """Set this thread's ``mode`` to ``value`` inside the block, and count the open block so
    the hot path knows to read the thread-local state."""
    with _counting:
        _Switched.blocks += 1
    previous = getattr(_Mode, mode)
    setattr(_Mode, mode, value)
    try:
        yield
    finally:
        setattr(_Mode, mode, previous)
        with _counting:
            _Switched.blocks -= 1


def no_grad():
    """Ops inside record no parents: their results are plain leaves (fast evaluation).

    Only in this thread; other threads keep recording.
    """
    return _switched("recording", False)


def detect_anomaly():
    """The first op whose output (forward) or gradient contribution (backward) is nan or
    +-inf raises ``FloatingPointError`` naming the op and its input values.

    Only in this thread; other threads run unchecked.
    """
    return _switched("anomaly", True)
