"""nn.fit / evaluate / predict: the loop's arithmetic, accuracies reached, quiet progress, errors."""

import numpy as np
import pytest

from autograd import Value
from nn import MLP, SGD, Adam, data, evaluate, fit, losses, predict


def test_one_full_batch_epoch_is_one_optimizer_step_on_the_mean_loss():
    X, y = data.make_moons(n_samples=20, seed=0)
    model, twin = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=1)
    history = fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    # the same step by hand
    scores = [twin(row) for row in X]
    loss = losses.hinge(scores, data.signed_labels(y))
    loss.backward()
    for p in twin.parameters():
        p.data -= 0.1 * p.grad
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]
    assert history.loss == [loss.data]
    assert history.accuracy == [np.mean([(s.data > 0) == label for s, label in zip(scores, y)])]


def test_mini_batches_visit_every_sample_once_per_epoch():
    X, y = data.make_blobs(n_samples=10, seed=0)
    seen = []

    class Spy(MLP):
        def __call__(self, x):
            seen.append(tuple(x))
            return super().__call__(x)

    fit(Spy(2, [3], seed=0), X, y, loss="cross_entropy", epochs=2, batch_size=4, seed=0, progress=False)
    probe, rows = seen[0], [tuple(r) for r in X.tolist()]
    epochs = [seen[1:11], seen[11:21]]  # after the probe that counts the outputs
    assert probe in rows
    assert all(sorted(e) == sorted(rows) for e in epochs)
    assert epochs[0] != epochs[1]  # reshuffled


def test_same_seed_same_training():
    X, y = data.make_spirals(n_samples=30, seed=0)
    runs = []
    for _ in range(2):
        model = MLP(2, [8, 3], seed=2)
        runs.append(fit(model, X, y, loss="cross_entropy", epochs=3, batch_size=8, seed=5, progress=False).loss)
    assert runs[0] == runs[1]


@pytest.mark.parametrize("loss, nout, threshold", [("binary_cross_entropy", 1, 0.0), ("mse", 1, 0.5), ("mse", 2, 0.0)])
def test_other_losses_train_too(loss, nout, threshold):
    X, y = data.make_circles(n_samples=60, seed=1)
    model = MLP(2, [8, nout], activation="tanh", seed=0)
    fit(model, X, y, loss=loss, optimizer=Adam(model.parameters(), lr=0.05), epochs=60, batch_size=20,
        progress=False)
    assert evaluate(model, X, y, loss)[1] >= 0.95
    assert np.mean(predict(model, X, threshold=threshold) == y) >= 0.95


def test_evaluate_builds_no_graph_and_matches_the_loss():
    X, y = data.make_blobs(n_samples=12, seed=0)
    model = MLP(2, [5, 3], seed=0)
    value, accuracy = evaluate(model, X, y, "cross_entropy")
    outputs = [model(row) for row in X]
    assert value == pytest.approx(losses.cross_entropy(outputs, y).data, rel=1e-15)
    assert accuracy == np.mean([np.argmax([v.data for v in o]) == label for o, label in zip(outputs, y)])
    assert all(p.grad == 0.0 for p in model.parameters())


def test_predict_under_no_grad():
    model = MLP(2, [3, 1], seed=0)
    preds = predict(model, np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert preds.dtype == np.int64 and set(preds.tolist()) <= {0, 1}


def test_progress_bar_is_quiet_off_a_terminal_and_on_when_asked(capsys):
    X, y = data.make_moons(n_samples=10, seed=0)
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2)  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "2/2" in err and "loss=" in err


def test_callback_sees_each_epoch():
    X, y = data.make_moons(n_samples=10, seed=0)
    calls = []
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3, progress=False,
        callback=lambda epoch, history: calls.append((epoch, len(history.loss))))
    assert calls == [(0, 1), (1, 2), (2, 3)]


@pytest.mark.parametrize(
    "kwargs, model_nouts, message",
    [
        ({"loss": "svm"}, [1], r"loss must be one of \['hinge', 'binary_cross_entropy', 'cross_entropy', 'mse'\]"),
        ({"loss": "hinge"}, [3], "loss 'hinge' needs a model with one output, this one has 3"),
        ({"loss": "cross_entropy"}, [1], "needs a model with one output per class"),
        ({"epochs": -1}, [1], "epochs must be an int >= 0, got -1"),
        ({"batch_size": -1}, [1], r"batch_size must be an int >= 1, or None or 0 for the full batch, got -1"),
        ({"batch_size": 2.0}, [1], r"batch_size must be an int >= 1, or None or 0 for the full batch, got 2.0"),
    ],
)
def test_bad_arguments(kwargs, model_nouts, message):
    X, y = data.make_moons(n_samples=10, seed=0)
    with pytest.raises(ValueError, match=message):
        fit(MLP(2, model_nouts, seed=0), X, y, progress=False, **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer": "adam"}, r"optimizer must be an nn.optim optimizer such as Adam\(model.parameters\(\), "
                                r"lr=0.01\), got str"),
        ({"callback": 5}, r"callback must be callable as callback\(epoch, history\), got int"),
        ({"validation": np.zeros((3, 2))}, r"validation must be a pair \(X_val, y_val\), got ndarray"),
    ],
)
def test_wrong_types_fail_before_the_first_epoch(kwargs, message):
    X, y = data.make_moons(n_samples=10, seed=0)
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(TypeError, match=message):
        fit(model, X, y, epochs=1, progress=False, **kwargs)
    assert [p.data for p in model.parameters()] == before


def test_bad_validation_data_fails_before_the_first_epoch():
    X, y = data.make_blobs(n_samples=12, seed=0)
    model = MLP(2, [3, 3], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"X_val must be a 2-D numeric array"):
        fit(model, X, y, loss="cross_entropy", validation=(X[:, 0], y), progress=False)
    with pytest.raises(ValueError, match=r"y_val must be a 1-D int array of 12 class labels, got shape \(11,\)"):
        fit(model, X, y, loss="cross_entropy", validation=(X, y[:11]), progress=False)
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 3\)"):
        fit(model, X, y, loss="cross_entropy", validation=(X, y + 1), progress=False)
    assert [p.data for p in model.parameters()] == before


def test_batch_size_zero_is_the_full_batch_as_none():
    X, y = data.make_moons(n_samples=16, seed=0)
    runs = []
    for batch_size in (None, 0, 16):
        model = MLP(2, [4, 1], seed=3)
        runs.append((fit(model, X, y, epochs=3, batch_size=batch_size, seed=0, progress=False).loss,
                     [p.data for p in model.parameters()]))
    assert runs[0] == runs[1] == runs[2]


def test_validation_is_scored_after_every_epoch():
    X, y = data.make_spirals(n_samples=60, seed=0)
    X_train, X_val, y_train, y_val = data.train_test_split(X, y, 0.25, seed=0)
    model = MLP(2, [8, 3], seed=0)
    expected = []

    def score_by_hand(epoch, history):
        # the held-out loss from the unfused nn.losses graph, the accuracy from numpy argmax
        outputs = [model(row) for row in X_val]
        predicted = np.argmax([[v.data for v in o] for o in outputs], axis=1)
        expected.append((losses.cross_entropy(outputs, y_val).data, np.mean(predicted == y_val)))

    history = fit(model, X_train, y_train, loss="cross_entropy", epochs=4, batch_size=15, seed=0,
                  validation=(X_val, y_val), progress=False, callback=score_by_hand)
    assert len(history.val_loss) == len(history.val_accuracy) == len(history.loss) == 4
    assert history.val_loss == [loss for loss, _ in expected]
    assert history.val_accuracy == [accuracy for _, accuracy in expected]
    assert history.val_loss[-1] < history.val_loss[0]


def test_without_validation_the_history_has_none():
    X, y = data.make_moons(n_samples=10, seed=0)
    history = fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=False)
    assert history.val_loss == [] and history.val_accuracy == []


def test_progress_bar_shows_the_validation_scores(capsys):
    X, y = data.make_moons(n_samples=20, seed=0)
    fit(MLP(2, [2, 1], seed=0), X[:15], y[:15], epochs=2, validation=(X[15:], y[15:]), progress=True)
    err = capsys.readouterr().err
    assert "val_loss=" in err and "val_acc=" in err


def test_bad_data():
    model = MLP(2, [1], seed=0)
    X, y = data.make_moons(n_samples=10, seed=0)
    with pytest.raises(ValueError, match=r"X must be a 2-D numeric array .* got shape \(10,\)"):
        fit(model, X[:, 0], y)
    with pytest.raises(ValueError, match=r"y must be a 1-D int array of 10 class labels, got shape \(9,\)"):
        fit(model, X, y[:9])
    with pytest.raises(ValueError, match=r"y must be a 1-D int array .* of float64"):
        fit(model, X, y.astype(float))
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 2\) .* from 0 to 2"):
        fit(model, X, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        fit(model, np.zeros((10, 3)), y)


def test_fit_accepts_value_free_lists():
    model = MLP(1, [1], output_activation="linear", seed=0)
    history = fit(model, [[0.0], [1.0]], [0, 1], loss="mse", epochs=1, progress=False)
    assert len(history.loss) == 1 and isinstance(model([1.0]), Value)
