"""draw_network: the neuron-level picture, checked against the seeds' matrix algorithm."""

import math
import re
import shutil
import sys

import numpy as np
import pytest
from layout import box_problems, geometry, label_report, overlaps

import nn
from autograd import format_number
from nn import MLP, losses, matrix

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
network = sys.modules["nn.network"]


def picture_of(model, **kwargs):
    """The Picture draw_network renders (the function draws; this reads what it drew)."""
    seen = []
    real = network.render
    try:
        network.render = lambda p: seen.append(p) or real(p)
        nn.draw_network(model, **kwargs)
    finally:
        network.render = real
    return seen[0]


def units(p):
    return [n for n in p.nodes if n.shape == "circle"]


def test_a_wide_network_has_every_unit_and_connection_and_no_numbers_on_them():
    model = MLP(2, [16, 16, 1], seed=0)
    p = picture_of(model, x=[0.5, -1.0], target=1.0, loss="mse")
    assert len(units(p)) == 2 + 16 + 16 + 1
    assert len(p.edges) == 2 * 16 + 16 * 16 + 16 * 1 == 304
    assert all(e.label == "" for e in p.edges) and all(e.tooltip for e in p.edges)  # over 60: tooltips only
    assert [g.caption for g in p.groups] == ["inputs: 2", "L0: 16 relu units", "L1: 16 relu units", "L2: 1 linear unit"]


@pytest.mark.parametrize("loss, target, activation", [("mse", 1.0, "relu"), ("mse", 0.3, "tanh"),
                                                      ("cross_entropy", 2, "sigmoid")])
def test_delta_on_each_unit_is_the_gradient_of_the_loss_by_z(loss, target, activation):
    nouts = [16, 16, 1] if loss == "mse" else [5, 3]
    model = MLP(2, nouts, activation=activation, seed=1)
    x = [0.5, -1.0]
    p = picture_of(model, x=x, target=target, loss=loss)
    # The seeds' layer-wise algorithm in numpy: db = dz = delta, independent of the scalar engine.
    expected = [db for _, db in matrix.gradients(model, np.array(x), target, loss=loss)]
    hidden = [u for u in units(p) if u.role != "input"]
    k = 0
    for layer, deltas in zip(model.layers, expected):
        for j in range(layer.nout):
            tip = hidden[k].tooltip
            delta = float(re.search(r"δ = dL/dz = (\S+)", tip).group(1))
            assert math.isclose(delta, deltas[j], rel_tol=1e-10, abs_tol=1e-14), (k, delta, deltas[j])
            assert f"δ {format_number(delta)}" in hidden[k].lines
            k += 1


def test_connections_carry_weights_or_their_gradients_coloured_by_sign():
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    x, target = np.array([0.5, -1.0]), 0.25
    p = picture_of(model, x=x, target=target, loss="mse")
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert len(p.edges) == len(weights) == 9
    for edge, w in zip(p.edges, weights):
        assert edge.label in ("", format_number(w))
        assert edge.color == ("#2563eb" if w > 0 else "#ea580c")
    assert sum(bool(e.label) for e in p.edges) >= 7  # room for nearly every number on a small network
    by_size = sorted(zip(map(abs, weights), [e.width for e in p.edges]))
    assert [w for _, w in by_size] == sorted(w for _, w in by_size) and by_size[-1][1] == 4.0
    grads = picture_of(model, x=x, target=target, loss="mse", show="grad")
    (dW0, _), (dW1, _) = matrix.gradients(model, x, target, loss="mse")
    expected = [dW0[j, i] for j in range(3) for i in range(2)] + [dW1[0, i] for i in range(3)]
    for edge, g in zip(grads.edges, expected):
        found = float(re.search(r"dL/dL\d\.n\d\.w\d = (\S+)", edge.tooltip).group(1))
        assert math.isclose(found, g, rel_tol=1e-10, abs_tol=1e-15)
        assert edge.label in ("", format_number(found))


def test_without_a_sample_it_shows_the_parameters_and_with_one_the_activations():
    model = MLP(3, [2, 1], activation="sigmoid", seed=3)
    model.layers[0].neurons[1].b.data = 0.125
    arch = picture_of(model)
    assert [u.lines for u in units(arch)][:5] == [("x0",), ("x1",), ("x2",), ("b 0",), ("b 0.125",)]
    forward = picture_of(model, x=[1.0, 2.0, 3.0])
    z = model.layers[0].neurons[1].b.data + sum(w.data * v for w, v in zip(model.layers[0].neurons[1].w, [1, 2, 3]))
    a = 1 / (1 + math.exp(-z))
    assert units(forward)[4].lines == (f"a {format_number(a)}", "b 0.125")
    assert units(forward)[0].lines == ("x0", "1")
    assert "One sample, x = (1, 2, 3)." in forward.caption


def test_the_models_gradients_are_left_as_they_were():
    model = MLP(2, [4, 1], seed=0)
    for p in model.parameters():
        p.grad = 7.0
    nn.draw_network(model, x=[1.0, 2.0], target=0.0, loss=losses.mse)
    assert all(p.grad == 7.0 for p in model.parameters())


@needs_dot
def test_numbers_sit_on_their_own_connections():
    model = MLP(2, [4, 4, 1], activation="tanh", seed=0)
    diagram = nn.draw_network(model, x=[0.5, -1.0], target=0.25, loss="mse")
    g = geometry(diagram)
    report = label_report(g)
    assert report["labels"] >= 14  # of 28: numbers go only where they fit clear of other lines
    assert report["misattributed"] == [] and report["touched"] == []
    assert overlaps(g, ignore=[k for k in g.boxes if k.startswith("group ")]) == []
    assert box_problems(g) == []


@pytest.mark.parametrize("kwargs, error, message", [
    ({"show": "w"}, ValueError, "show must be 'weight' or 'grad', got 'w'"),
    ({"x": [1.0, 2.0], "target": 1.0}, ValueError, "target and loss go together"),
    ({"target": 1.0, "loss": "mse"}, ValueError, "a target needs a sample: give x too"),
    ({"show": "grad", "x": [1.0, 2.0]}, ValueError, "show='grad' needs x, target and loss"),
    ({"x": [1.0, 2.0], "target": 1.0, "loss": "l1"}, ValueError, "loss must be one of"),
    ({"x": [1.0, 2.0], "target": 1.0, "loss": print}, TypeError, "loss must be a loss name or a function of nn.losses"),
    ({"x": [1.0, 2.0, 3.0]}, ValueError, "draw_network expects 2 inputs, got 3"),
    ({"max_labels": -1}, ValueError, "max_labels must be an int >= 0, got -1"),
    ({"precision": 0}, ValueError, "precision must be from 1 to 17"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        nn.draw_network(MLP(2, [2, 1], seed=0), **kwargs)
    with pytest.raises(TypeError, match="model must be an nn.MLP, got Neuron"):
        nn.draw_network(nn.Neuron(2))


# -- the backward pass a layer a step -------------------------------------------------------------
def test_animate_network_reveals_the_seeds_deltas_a_layer_a_step():
    model = MLP(2, [4, 3, 2], activation="tanh", seed=5)
    x, target = [0.3, -0.8], [1.0, 0.0]
    steps = network._step_pictures(model, x, target, "mse", 60, 4, "Point 7:")
    oracle = matrix.gradients(model, x, target, loss="mse")  # numpy, the seeds' algorithm: db = δ
    assert len(steps) == 4
    layout = [(n.key, n.position, n.size) for n in steps[-1].nodes]
    for step, p in enumerate(steps):
        assert p.caption.startswith(f"Point 7:\nStep {step} of 3: ")
        assert [(n.key, n.position, n.size) for n in p.nodes] == layout  # one layout for every step
        hidden = units(p)[2:]
        starts = [0, 4, 7]
        for k, (_, db) in enumerate(oracle):
            known = k >= 3 - step
            for j, delta in enumerate(db):
                node = hidden[starts[k] + j]
                line = next(line for line in node.lines if line.startswith("δ"))
                assert line == (f"δ {format_number(delta)}" if known else "δ ?")
                assert (node.lines.index(line) in node.faint) == (not known)
                assert ("current" in node.emphasis) == (step > 0 and k == 3 - step)
        # the connections into a layer carry dL/dw once its δ is known, and wait in grey before
        edges = iter(p.edges)
        for k, (dW, _) in enumerate(oracle):
            for j in range(dW.shape[0]):
                for i in range(dW.shape[1]):
                    edge = next(edges)
                    if k >= 3 - step:
                        assert edge.label in ("", format_number(dW[j, i])) and "pending" not in edge.emphasis
                        assert edge.color == network.connection_colour(dW[j, i])
                    else:
                        assert edge.label == "" and edge.emphasis == frozenset({"pending"})
    assert "Step 1 of 3: layer L2's δ = dL/dz, straight from the loss" in steps[1].caption
    assert "Step 3 of 3: layer L0's δ = dL/dz, the δ of L1 sent back along the weights" in steps[3].caption


@needs_dot
def test_animate_network_is_a_player_whose_last_step_is_the_whole_backward_pass():
    model = MLP(2, [3, 1], activation="sigmoid", seed=1)
    player = nn.animate_network(model, [0.2, 0.4], 1.0, "binary_cross_entropy")
    assert len(player) == 3 and player.captions[0].startswith("Step 0 of 2: the forward pass")
    whole = picture_of(model, x=[0.2, 0.4], target=1.0, loss="binary_cross_entropy", show="grad")
    last = network._step_pictures(model, [0.2, 0.4], 1.0, "binary_cross_entropy", 60, 4, None)[-1]
    assert [n.lines for n in last.nodes] == [n.lines for n in whole.nodes]
    assert [(e.label, e.color, e.width) for e in last.edges] == [(e.label, e.color, e.width) for e in whole.edges]
    assert "step 0 of 2" in player.html()


def test_animate_network_needs_a_target():
    with pytest.raises(ValueError, match="animate_network steps through a backward pass: give x, target and loss"):
        nn.animate_network(MLP(2, [2, 1], seed=0), [0.1, 0.2], None, None)
