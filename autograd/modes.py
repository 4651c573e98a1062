"""Context managers that switch graph recording and anomaly checks on and off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .value import _Mode


@contextmanager
def no_grad() -> Iterator[None]:
    """Ops inside record no parents: their results are plain leaves (fast evaluation)."""
    previous = _Mode.recording
    _Mode.recording = False
    try:
        yield
    finally:
        _Mode.recording = previous


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """The first op whose output (forward) or gradient contribution (backward) is nan or
    +-inf raises ``FloatingPointError`` naming the op and its input values."""
    previous = _Mode.anomaly
    _Mode.anomaly = True
    try:
        yield
    finally:
        _Mode.anomaly = previous
