"""nn on the tape: fit, evaluate, predict and the command line give the scalar engine's numbers.

The oracle is the same run on the scalar engine (engine="scalar"): after three epochs of
mini-batches the weights must agree to 1e-9 relative to max(|w|, 1e-3), for every
activation, every loss, SGD with momentum and Adam, on moons and on the digits.
"""

import itertools
import json
import re

import numpy as np
import pytest

import nn
from nn import MLP, SGD, Adam, data, evaluate, fit, predict
from nn.cli import main
from nn.train import sample_losses

DIGITS_X, DIGITS_Y = data.load_digits()


def dataset(name: str):
    if name == "moons":
        return data.make_moons(n_samples=60, noise=0.1, seed=3)
    # 150 digits keep the scalar run short; "digits" is ten classes, "2 vs rest" two
    X, y = DIGITS_X[:150], DIGITS_Y[:150]
    return (X, y) if name == "digits" else (X, (y == 2).astype(np.int64))


def outputs(loss: str, classes: int) -> int:
    return classes if loss == "cross_entropy" or (loss == "mse" and classes > 2) else 1


def train(engine: str, name: str, activation: str, loss: str, optimizer: str):
    X, y = dataset(name)
    model = MLP(X.shape[1], [12, outputs(loss, int(y.max()) + 1)], activation=activation, seed=1)
    opt = (Adam(model.parameters(), lr=0.01) if optimizer == "adam"
           else SGD(model.parameters(), lr=0.05, momentum=0.9))
    history = fit(model, X, y, loss=loss, optimizer=opt, epochs=3, batch_size=16, seed=2, progress=False,
                  validation=(X[:20], y[:20]), engine=engine)
    return model, history


def assert_same_weights(ours, theirs):
    a = np.array([p.data for p in ours.parameters()])
    b = np.array([p.data for p in theirs.parameters()])
    relative = np.abs(a - b) / np.maximum(np.abs(b), 1e-3)
    assert np.all(relative <= 1e-9), relative.max()


# moons and digits with an output per class; "2 vs rest" digits for the losses of one output
RUNS = [(name, activation, loss, optimizer)
        for activation, loss, optimizer in itertools.product(nn.ACTIVATIONS, nn.LOSSES, ("sgd", "adam"))
        for name in (("moons", "digits") if loss in ("cross_entropy", "mse") else ("moons", "2 vs rest"))]


@pytest.mark.parametrize("name, activation, loss, optimizer", RUNS)
def test_fit_on_the_tape_ends_with_the_scalar_engines_weights(name, activation, loss, optimizer):
    tape_model, tape_history = train("tape", name, activation, loss, optimizer)
    scalar_model, scalar_history = train("scalar", name, activation, loss, optimizer)
    assert_same_weights(tape_model, scalar_model)
    for key in ("loss", "val_loss"):
        assert getattr(tape_history, key) == pytest.approx(getattr(scalar_history, key), rel=1e-9, abs=1e-12)
    assert tape_history.accuracy == scalar_history.accuracy
    assert tape_history.val_accuracy == scalar_history.val_accuracy


@pytest.mark.parametrize("loss", nn.LOSSES)
def test_evaluate_predict_and_sample_losses_on_the_tape(loss):
    X, y = DIGITS_X[:200], DIGITS_Y[:200]
    if loss in ("hinge", "binary_cross_entropy"):
        y = (y == 2).astype(np.int64)
    model = MLP(64, [8, outputs(loss, int(y.max()) + 1)], activation="tanh", seed=0)
    mean, accuracy = evaluate(model, X, y, loss, engine="tape")
    expected_mean, expected_accuracy = evaluate(model, X, y, loss)
    assert mean == pytest.approx(expected_mean, rel=1e-12) and accuracy == expected_accuracy
    assert sample_losses(model, X, y, loss, "tape") == pytest.approx(sample_losses(model, X, y, loss), rel=1e-12)
    threshold = 0.5 if loss == "mse" else 0.0
    assert predict(model, X, threshold, engine="tape").tolist() == predict(model, X, threshold).tolist()


def test_the_command_line_on_the_tape_trains_the_same_model(tmp_path):
    runs = {}
    for engine in ("scalar", "tape"):
        out = tmp_path / engine
        main(["--dataset", "digits", "--epochs", "1", "--hidden", "8", "--quiet", "--engine", engine,
              "--out", str(out)])
        runs[engine] = json.loads((out / "metrics.json").read_text()), nn.load(out / "model.json")
    (tape_metrics, tape_model), (scalar_metrics, scalar_model) = runs["tape"], runs["scalar"]
    assert tape_metrics["engine"] == "tape" and scalar_metrics["engine"] == "scalar"
    assert_same_weights(tape_model, scalar_model)
    for key in ("test_accuracy", "train_accuracy"):
        assert tape_metrics[key] == scalar_metrics[key]
    for key in ("test_loss", "train_loss"):
        assert tape_metrics[key] == pytest.approx(scalar_metrics[key], rel=1e-9)
    assert tape_metrics["confusion_matrix"] == scalar_metrics["confusion_matrix"]
    # the same sample drawn, the one with the largest loss (drawn with Values either way)
    drawn = [re.search(r"Sample \d+ of the test set", (tmp_path / e / "network.svg").read_text()).group()
             for e in ("tape", "scalar")]
    assert drawn[0] == drawn[1]


def test_a_model_whose_graph_depends_on_its_input_is_refused():
    class Doubling(MLP):
        """Doubles a positive output: a Python if on the data, which the tape cannot replay."""

        def __call__(self, x):
            out = super().__call__(x)
            return out * 2.0 if out.data > 0 else out

    X, y = data.make_moons(n_samples=40, seed=0)
    model = Doubling(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="fn built another graph than on the example"):
        fit(model, X, y, epochs=1, engine="tape", progress=False)
    with pytest.raises(ValueError, match="fn built another graph than on the example"):
        predict(model, X, engine="tape")


@pytest.mark.parametrize("call", [
    lambda m, X, y: fit(m, X, y, epochs=1, engine="gpu", progress=False),
    lambda m, X, y: evaluate(m, X, y, engine="Tape"),
    lambda m, X, y: predict(m, X, engine=None),
    lambda m, X, y: sample_losses(m, X, y, engine="fast"),
])
def test_an_unknown_engine_is_refused_before_any_work(call):
    X, y = data.make_moons(n_samples=10, seed=0)
    with pytest.raises(ValueError, match=r"engine must be one of \['scalar', 'tape'\], got"):
        call(MLP(2, [3, 1], seed=0), X, y)


def test_an_optimizer_with_a_step_of_its_own_is_stepped_on_the_values():
    class Clipped(SGD):
        """Clips each gradient to [-0.1, 0.1] in its own step."""

        def step(self):
            for p in self.params:
                p.grad = min(max(p.grad, -0.1), 0.1)
            super().step()

    X, y = dataset("moons")
    models = []
    for engine in ("tape", "scalar"):
        model = MLP(2, [8, 1], seed=0)
        fit(model, X, y, optimizer=Clipped(model.parameters(), lr=0.1), epochs=3, batch_size=16, seed=0,
            progress=False, engine=engine)
        models.append(model)
    assert_same_weights(*models)
    assert [p.grad for p in models[0].parameters()] == pytest.approx([p.grad for p in models[1].parameters()],
                                                                     rel=1e-9, abs=1e-12)


def test_after_fit_the_grads_are_the_last_batchs_on_both_engines():
    X, y = dataset("moons")
    grads = []
    for engine in ("tape", "scalar"):
        model = MLP(2, [8, 1], activation="tanh", seed=0)
        fit(model, X, y, epochs=2, batch_size=16, seed=0, progress=False, engine=engine)
        grads.append([p.grad for p in model.parameters()])
    assert grads[0] == pytest.approx(grads[1], rel=1e-9, abs=1e-12)
