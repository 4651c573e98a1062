"""nn.fit(..., record=k): which frames are kept, and that each holds what the model computed then.

The oracle for the unit maps and the losses is the scalar engine itself: a model loaded with a
frame's state, run one grid point (or one sample) at a time, layer by layer."""

import numpy as np
import pytest

import nn
from autograd import no_grad
from nn import MLP, SGD, data, fit, losses
from nn.matrix import sample_losses
from nn.recording import GRID_POINTS, Recording


def moons(n=40):
    return data.make_moons(n_samples=n, noise=0.1, seed=0)


def spirals(n=60):
    return data.make_spirals(n_samples=n, n_classes=3, seed=0)


@pytest.mark.parametrize("epochs, every, kept", [
    (12, 5, [0, 5, 10, 12]),
    (12, 4, [0, 4, 8, 12]),
    (3, 10, [0, 3]),
    (1, 1, [0, 1]),
    (0, 2, [0]),
])
def test_a_frame_before_training_every_k_epochs_and_after_the_last(epochs, every, kept):
    X, y = moons(20)
    history = fit(MLP(2, [4, 1], seed=0), X, y, epochs=epochs, record=every, progress=False)
    assert [f.epoch for f in history.recording.frames] == kept
    assert history.recording.every == every and history.recording.epochs == epochs


def test_each_frame_holds_the_state_and_the_history_of_its_epoch():
    X, y = moons(30)
    X_val, y_val = moons(10)
    model = MLP(2, [5, 1], seed=3)
    states = [model.state_dict()]  # before training, then after each epoch
    history = fit(model, X, y, epochs=7, batch_size=8, seed=1, validation=(X_val, y_val), record=3,
                  callback=lambda epoch, h: states.append(model.state_dict()), progress=False)
    for frame in history.recording.frames:
        assert frame.state == states[frame.epoch]
        assert frame.loss == tuple(history.loss[: frame.epoch])
        assert frame.accuracy == tuple(history.accuracy[: frame.epoch])
        assert frame.val_loss == tuple(history.val_loss[: frame.epoch])
        assert frame.val_accuracy == tuple(history.val_accuracy[: frame.epoch])
    last = history.recording.model(-1)
    assert last.state_dict() == model.state_dict() and last is not model
    # After an epoch, the validation scores are those of the frame's state.
    frame = history.recording.frames[1]
    assert np.mean(frame.val_predictions == y_val) == history.val_accuracy[frame.epoch - 1]


def scalar_unit_maps(model: MLP, xs, ys) -> dict[str, np.ndarray]:
    """Every unit's activation at every grid point, one scalar forward pass per point."""
    maps = {f"L{k}.n{j}": np.empty((len(ys), len(xs))) for k, layer in enumerate(model.layers)
            for j in range(layer.nout)}
    with no_grad():
        for r, yv in enumerate(ys):
            for c, xv in enumerate(xs):
                values = [float(xv), float(yv)]
                for k, layer in enumerate(model.layers):
                    values = [v.data for v in layer(values)]
                    for j, v in enumerate(values):
                        maps[f"L{k}.n{j}"][r, c] = v
    return maps


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("dataset", ["moons", "spirals"])
def test_unit_maps_are_what_the_loaded_state_computes(activation, dataset):
    X, y = moons() if dataset == "moons" else spirals()
    nout, loss = (1, "hinge") if dataset == "moons" else (3, "cross_entropy")
    model = MLP(2, [6, 5, nout], activation=activation, seed=2)
    history = fit(model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.3), epochs=6, batch_size=16,
                  seed=0, record=3, progress=False)
    recording = history.recording
    for index in (0, -1):  # the initial weights and the trained ones
        frame = recording.frames[index]
        xs, ys = frame.grid
        assert xs.shape == ys.shape == (GRID_POINTS,)
        loaded = MLP(2, [6, 5, nout], activation=activation)
        loaded.load_state_dict(frame.state)
        expected = scalar_unit_maps(loaded, xs, ys)
        assert frame.unit_maps.keys() == expected.keys()
        for name, values in expected.items():
            assert frame.unit_maps[name].shape == (len(ys), len(xs))
            np.testing.assert_allclose(frame.unit_maps[name], values, rtol=0, atol=1e-12, err_msg=name)
    # the plane holds every point, training data in the middle
    xs, ys = recording.frames[0].grid
    assert xs[0] < X[:, 0].min() and X[:, 0].max() < xs[-1] and ys[0] < X[:, 1].min() and X[:, 1].max() < ys[-1]
    assert xs[-1] - xs[0] == pytest.approx(ys[-1] - ys[0], rel=1e-12)  # square: the maps are not stretched


@pytest.mark.parametrize("loss, nout", [("hinge", 1), ("binary_cross_entropy", 1), ("mse", 1), ("mse", 2),
                                        ("cross_entropy", 2)])
def test_the_loss_and_prediction_of_every_training_point(loss, nout):
    X, y = moons(24)
    model = MLP(2, [5, nout], activation="tanh", seed=4)
    history = fit(model, X, y, loss=loss, epochs=3, batch_size=8, seed=0, record=2, progress=False)
    frame = history.recording.frames[-1]
    targets = nn.train.targets_for(loss, y, nout)
    one = {"hinge": losses.hinge, "binary_cross_entropy": losses.binary_cross_entropy, "mse": losses.mse,
           "cross_entropy": losses.cross_entropy}[loss]
    with no_grad():
        expected = [one(model(row), target).data for row, target in zip(X.tolist(), targets)]
    np.testing.assert_allclose(frame.point_losses, expected, rtol=1e-13, atol=1e-14)
    threshold = 0.5 if loss == "mse" else 0.0
    assert frame.predictions.tolist() == nn.predict(model, X, threshold).tolist()


def test_sample_losses_refuses_what_it_cannot_score():
    with pytest.raises(ValueError, match="loss must be 'hinge', 'binary_cross_entropy', 'cross_entropy' or 'mse', "
                                         "got 'l1'"):
        sample_losses("l1", np.zeros((2, 1)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"outputs must be \(n, nout\) and y n labels, got shapes \(2,\) and \(2,\)"):
        sample_losses("hinge", np.zeros(2), np.array([0, 1]))


def test_inputs_that_are_not_two_d_have_no_maps():
    X, y = data.load_digits()
    history = fit(MLP(64, [4, 10], activation="tanh", seed=0), X[:40], y[:40], loss="cross_entropy", epochs=2,
                  record=1, progress=False)
    frame = history.recording.frames[-1]
    assert frame.grid is None and frame.unit_maps is None and frame.point_losses.shape == (40,)


def test_without_record_there_is_no_recording():
    X, y = moons(10)
    assert fit(MLP(2, [2, 1], seed=0), X, y, epochs=1, progress=False).recording is None


@pytest.mark.parametrize("kwargs, error, message", [
    ({"record": 0}, ValueError, "record must be an int >= 1 (keep a frame every `record` epochs), got 0"),
    ({"record": -3}, ValueError, "record must be an int >= 1 (keep a frame every `record` epochs), got -3"),
    ({"record": 2.0}, TypeError, "record must be an int (keep a frame every `record` epochs) or None, got float"),
    ({"record": True}, TypeError, "record must be an int (keep a frame every `record` epochs) or None, got bool"),
    ({"record": "5"}, TypeError, "record must be an int (keep a frame every `record` epochs) or None, got str"),
    ({"record": 1, "watch": "yes"}, TypeError, "watch must be a bool, got str"),
    ({"watch": True}, ValueError, "watch=True shows the recording as it is made: give record=k too"),
])
def test_bad_record_arguments_are_refused_before_training(kwargs, error, message):
    X, y = moons(10)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        fit(model, X, y, epochs=2, progress=False, **kwargs)
    assert model.state_dict() == before


def test_record_needs_an_mlp():
    X, y = moons(10)
    neuron = nn.Neuron(2, activation="linear", seed=0)
    with pytest.raises(TypeError, match="record needs an nn.MLP .* got Neuron"):
        fit(neuron, X, y, epochs=1, record=1, progress=False)


def test_the_recording_says_what_it_holds():
    X, y = moons(10)
    recording = fit(MLP(2, [3, 1], seed=0), X, y, epochs=20, record=2, progress=False).recording
    assert isinstance(recording, Recording) and len(recording) == 11
    assert repr(recording) == ("<nn.Recording of 11 frames (epochs 0, 2, 4, 6, 8, 10, ...) "
                               "of MLP(2, [3, 1], 'relu', 'linear')>")
    assert 0 < recording.seconds
