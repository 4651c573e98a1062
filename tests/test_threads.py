"""Threads: no_grad() and detect_anomaly() hold in the thread that entered them, as PyTorch's
grad mode does, and backward passes on graphs that share nodes do not mix their sums.

Every test runs real threads; Events and Barriers force the interleavings that matter.
"""

from __future__ import annotations

import math
import sys
import threading

import pytest

import nn
from autograd import Value, animate, backward_steps, detect_anomaly, draw_step, grad, no_grad, ops


class Worker(threading.Thread):
    """A thread that records the exception it died of, so the test can re-raise it."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.work = target
        self.error: BaseException | None = None

    def run(self):
        try:
            self.work()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            self.error = error

    def finish(self):
        self.join(timeout=60)
        assert not self.is_alive(), "worker thread hung"
        if self.error is not None:
            raise self.error


def interleaved(*targets) -> None:
    """Run each target in a thread of its own, switching threads as often as possible (in
    the middle of passes), until all are done; re-raise what any died of."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [Worker(target) for target in targets]
        for t in workers:
            t.start()
        for t in workers:
            t.finish()
    finally:
        sys.setswitchinterval(previous)


def inside(mode, entered: threading.Event, leave: threading.Event) -> Worker:
    """A thread that enters ``mode()`` and stays inside until ``leave`` is set."""

    def hold():
        with mode():
            entered.set()
            assert leave.wait(timeout=60)

    worker = Worker(hold)
    worker.start()
    assert entered.wait(timeout=60)
    return worker


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    entered, leave = threading.Event(), threading.Event()
    evaluating = inside(no_grad, entered, leave)
    try:
        x = Value(3.0)
        y = (x * x).tanh() + 2.0 * x
        assert y.op == "+" and len(y.parents) == 2
        y.backward()
        assert x.grad == pytest.approx(2 * 3.0 * (1 - math.tanh(9.0) ** 2) + 2.0, rel=1e-15)
    finally:
        leave.set()
        evaluating.finish()


def test_training_beside_an_evaluating_thread_gets_real_gradients():
    # The repro of the report: nn.evaluate (which runs under no_grad) in a loop in one thread
    # while another trains; every step's gradients must equal those of a lone step.
    X, y = nn.data.make_moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [8, 1], seed=1)
    expected = _gradients(model, X, y)
    stop = threading.Event()

    def evaluate_forever():
        while not stop.is_set():
            nn.evaluate(model, X, y, "hinge")

    evaluator = Worker(evaluate_forever)
    evaluator.start()
    try:
        previous = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)  # switch threads often, so the blocks overlap the steps
        try:
            for _ in range(20):
                assert _gradients(model, X, y) == expected
        finally:
            sys.setswitchinterval(previous)
    finally:
        stop.set()
        evaluator.finish()


def _gradients(model, X, y) -> list[float]:
    model.zero_grad()
    nn.losses.hinge([model(x) for x in X], nn.data.signed_labels(y)).backward()
    return [p.grad for p in model.parameters()]


@pytest.mark.parametrize("mode", [no_grad, detect_anomaly])
def test_overlapping_blocks_in_two_threads_leave_every_thread_at_the_defaults(mode):
    # A enters, B enters, A leaves, B leaves: B must not restore what A had set.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    a_leave, b_leave = threading.Event(), threading.Event()

    def block(entered, leave, done=None):
        with mode():
            entered.set()
            assert leave.wait(timeout=60)
        if done is not None:
            done.set()

    a = Worker(lambda: block(a_in, a_leave, a_out))
    a.start()
    assert a_in.wait(timeout=60)
    b = Worker(lambda: block(b_in, b_leave))
    b.start()
    assert b_in.wait(timeout=60)
    a_leave.set()
    assert a_out.wait(timeout=60)
    b_leave.set()
    a.finish()
    b.finish()
    assert len((Value(2.0) * 3.0).parents) == 2  # recording
    assert math.isnan(Value(-1.0).log().data)  # no anomaly check


def test_detect_anomaly_in_one_thread_does_not_check_another():
    entered, leave = threading.Event(), threading.Event()
    checking = inside(detect_anomaly, entered, leave)
    try:
        x = Value(0.0)
        y = x.sqrt() * 0.0  # nan gradient: would raise under anomaly mode
        assert math.isinf(Value(1000.0).exp().data)
        y.backward()
        assert math.isnan(x.grad)
    finally:
        leave.set()
        checking.finish()


def test_a_new_thread_starts_recording_and_unchecked():
    results = {}

    def fresh():
        results["parents"] = len((Value(2.0) * 3.0).parents)
        results["log"] = Value(-1.0).log().data

    with no_grad(), detect_anomaly():
        worker = Worker(fresh)
        worker.start()
        worker.finish()
        assert (Value(2.0) * 3.0).parents == ()  # this thread's switches still hold
    assert results["parents"] == 2 and math.isnan(results["log"])


def test_backward_in_two_threads_on_shared_nodes_adds_what_sequential_calls_add():
    # Both graphs run through a shared interior node h; every gradient is an exact small
    # integer, so any order of the calls gives exactly the same sums.
    x, w = Value(1.0, "x"), Value(2.0, "w")
    h = x * w  # shared by both graphs
    first = ops.sum([h * float(k % 4) for k in range(4000)])  # d/dh = 6000
    second = ops.sum([h * 2.0 + x for _ in range(3000)])  # d/dh = 6000, d/dx = 3000 more
    once_first = grad(first, [x, w])
    once_second = grad(second, [x, w])
    rounds = 15
    barrier = threading.Barrier(2)

    def repeat(root):
        barrier.wait(timeout=60)
        for _ in range(rounds):
            root.backward()

    interleaved(lambda: repeat(first), lambda: repeat(second))
    assert x.grad == rounds * (once_first[0] + once_second[0]) == rounds * (12000.0 + 15000.0)
    assert w.grad == rounds * (once_first[1] + once_second[1]) == rounds * (6000.0 + 6000.0)


def _step_once(root):
    next(iter(backward_steps(root)))  # a pass paused after step 0 and dropped


def _step_to_the_end(root):
    list(backward_steps(root))


@pytest.mark.parametrize("stepping", [
    lambda root: draw_step(root, 1),
    _step_once,
    lambda root: animate(root),
    _step_to_the_end,
], ids=["draw_step", "a pass dropped after step 0", "animate", "a pass run to the end"])
def test_stepping_and_drawing_in_one_thread_lose_nothing_of_training_in_another(stepping):
    # The report's race: one thread backpropagates w * 3 again and again while another
    # steps through w * 5. A stepped pass must be serialized with backward() and put back
    # only what it changed itself; w.grad then ends at an exact sum of small integers.
    w = Value(1.0, "w")
    rounds = 20_000
    done = threading.Event()
    passes_to_the_end = []
    barrier = threading.Barrier(2)

    def train():
        barrier.wait(timeout=60)
        try:
            for _ in range(rounds):
                (w * 3.0).backward()
        finally:
            done.set()

    def step():
        barrier.wait(timeout=60)
        while not done.is_set():
            stepping(w * 5.0)
            if stepping is _step_to_the_end:
                passes_to_the_end.append(1)

    interleaved(train, step)
    assert w.grad == 3.0 * rounds + 5.0 * len(passes_to_the_end)
