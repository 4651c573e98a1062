"""nn.Module, Neuron, Layer, MLP: structure, forward values, names, state, initialisation, errors."""

import math
import random

import numpy as np
import pytest

from autograd import Parameter, Value, topological_order
from nn import ACTIVATIONS, MLP, Layer, Module, Neuron
from nn.layers import init_bound


def set_weights(neuron, ws, b):
    for p, w in zip(neuron.w, ws):
        p.data = w
    neuron.b.data = b


# -- Neuron --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "activation, expected",
    [
        ("relu", 0.0),  # z = -0.3 + 0.2 - 0.4 = -0.5
        ("leaky_relu", -0.005),
        ("tanh", math.tanh(-0.5)),
        ("sigmoid", 1 / (1 + math.exp(0.5))),
        ("linear", -0.5),
    ],
)
def test_neuron_computes_activation_of_weighted_sum(activation, expected):
    n = Neuron(2, activation)
    set_weights(n, [0.5, -0.25], 0.2)  # z = 0.5*(-0.6) + (-0.25)*1.6 + 0.2 = -0.5
    out = n([-0.6, 1.6])
    assert out.data == pytest.approx(expected, abs=1e-15)


def test_neuron_preactivation_is_one_dot_node_with_an_edge_per_weight_input_and_bias():
    n = Neuron(3, "tanh", seed=1)
    x = [Value(1.0), Value(2.0), Value(3.0)]
    a = n(x)
    (z,) = a.parents
    assert a.op == "tanh" and z.op == "dot"
    assert z.parents == (*n.w, *x, n.b)
    # d z / d w_i = x_i, d z / d x_i = w_i, d z / d b = 1: the seeds' forward-pass rule.
    assert z.local_grads == (1.0, 2.0, 3.0, *(w.data for w in n.w), 1.0)
    # the whole neuron: 3 inputs, 3 weights, bias, one dot, one tanh
    assert len(topological_order(a)) == 9


def test_linear_neuron_adds_no_activation_node():
    n = Neuron(2, "linear", seed=0)
    assert n([1.0, 2.0]).op == "dot"


def test_parameters_are_tagged_for_drawing():
    m = MLP(2, [3, 1], seed=0)
    assert all(type(p) is Parameter for p in m.parameters())
    # labelled after their place, so a drawing of the whole network tells them apart
    assert [p.label for p in m.layers[0].neurons[0].w] == ["L0.n0.w0", "L0.n0.w1"]
    assert m.layers[1].neurons[0].b.label == "L1.n0.b"
    labels = [p.label for p in m.parameters()]
    assert len(set(labels)) == len(labels) == 3 * 3 + 4
    assert [p.label for p in Layer(2, 2, seed=0).parameters()] == ["n0.w0", "n0.w1", "n0.b", "n1.w0", "n1.w1", "n1.b"]
    n = Neuron(2, seed=0)
    assert [p.label for p in n.parameters()] == ["w0", "w1", "b"]
    n.label_parameters()  # the same scheme gives a lone neuron's names
    assert [p.label for p in n.parameters()] == ["w0", "w1", "b"]
    m.layers[0].neurons[1].w[0].label = "mine"
    m.label_parameters()  # and puts back what a user overwrote
    assert [p.label for p in m.parameters()] == labels


def test_the_nodes_a_network_computes_are_named_after_their_place():
    m = MLP(2, [3, 2, 1], activation="tanh", seed=0)
    out = m([0.5, -1.0])
    assert out.label == "L2.n0.z"  # a linear output: its pre-activation is the output
    h1 = out.parents[2:4]  # the dot's inputs come after its two weights
    assert [a.label for a in h1] == ["L1.n0.a", "L1.n1.a"]
    assert [a.op for a in h1] == ["tanh", "tanh"] and [a.parents[0].label for a in h1] == ["L1.n0.z", "L1.n1.z"]
    first = h1[0].parents[0]
    assert [p.label for p in first.parents] == ["L1.n0.w0", "L1.n0.w1", "L1.n0.w2",
                                                "L0.n0.a", "L0.n1.a", "L0.n2.a", "L1.n0.b"]
    x0, x1 = first.parents[3].parents[0].parents[2:4]
    assert (x0.label, x1.label) == ("x0", "x1")  # numbers given to the network are its inputs
    given = [Value(0.5, "mine"), Value(-1.0)]
    assert m(given).label == "L2.n0.z" and given[0].label == "mine"  # Values keep their own labels
    layer = Layer(2, 2, "sigmoid", seed=0)
    assert [a.label for a in layer([1.0, 2.0])] == ["n0.a", "n1.a"]
    lone = Neuron(2, "relu", seed=0)
    a = lone([1.0, 2.0])
    assert (a.label, a.parents[0].label) == ("a", "z")
    m.layers[1].neurons[0].b.label = "renamed"
    m.label_parameters()  # names are worked out again from the parameters' places
    assert m([0.5, -1.0]).parents[2].label == "L1.n0.a"


def test_every_path_through_a_network_reads_differently():
    from autograd import explain_paths, paths
    from nn import losses

    m = MLP(2, [3, 1], activation="tanh", seed=0)
    loss = losses.mse(m([0.5, -1.0]), 0.25)
    assert loss.label == "loss"
    w = m.layers[0].neurons[1].w[0]
    assert [p.route() for p in paths(loss, w)] == ["L0.n1.w0 -> L0.n1.z -> L0.n1.a -> L1.n0.z -> <-> -> loss"]
    (x0,) = [node for node in topological_order(loss) if node.label == "x0"]
    routes = [p.route() for p in paths(loss, x0)]  # one path through each first-layer unit
    assert routes == [f"x0 -> L0.n{j}.z -> L0.n{j}.a -> L1.n0.z -> <-> -> loss" for j in range(3)]
    assert sum(f"path {k}: " in explain_paths(loss, x0) for k in (1, 2, 3)) == 3


def test_neuron_gradients_by_hand():
    n = Neuron(2, "relu")
    set_weights(n, [2.0, -1.0], 0.5)
    x = [Value(3.0), Value(4.0)]
    a = n(x)  # z = 6 - 4 + 0.5 = 2.5 > 0, so da/dz = 1
    a.backward()
    assert a.data == 2.5
    assert [w.grad for w in n.w] == [3.0, 4.0]
    assert [xi.grad for xi in x] == [2.0, -1.0]
    assert n.b.grad == 1.0


# -- Layer and MLP -------------------------------------------------------------------------
def test_layer_returns_a_list_even_for_one_neuron():
    layer = Layer(2, 1, seed=0)
    out = layer([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)


def test_layer_equals_its_neurons_one_by_one():
    layer = Layer(3, 4, "tanh", seed=3)
    x = [0.3, -1.2, 2.0]
    assert [v.data for v in layer(x)] == [n(x).data for n in layer.neurons]


def test_mlp_returns_single_value_for_one_output_and_list_otherwise():
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_mlp_forward_matches_hand_computation():
    m = MLP(2, [2, 1], activation="tanh", output_activation="sigmoid")
    h0, h1 = m.layers[0].neurons
    (o,) = m.layers[1].neurons
    set_weights(h0, [0.1, 0.2], 0.3)
    set_weights(h1, [-0.4, 0.5], -0.6)
    set_weights(o, [0.7, -0.8], 0.9)
    x = [1.5, -2.5]
    a0 = math.tanh(0.1 * 1.5 + 0.2 * -2.5 + 0.3)
    a1 = math.tanh(-0.4 * 1.5 + 0.5 * -2.5 - 0.6)
    expected = 1 / (1 + math.exp(-(0.7 * a0 - 0.8 * a1 + 0.9)))
    assert m(x).data == pytest.approx(expected, rel=1e-15)


def test_hidden_layer_of_width_one_works():
    # micrograd's Layer returns a bare Value for width 1 and the next layer fails on it.
    m = MLP(3, [1, 1, 2], activation="leaky_relu", seed=4)
    out = m([1.0, -1.0, 0.5])
    assert len(out) == 2
    (out[0] + out[1]).backward()
    assert any(p.grad != 0.0 for p in m.layers[0].parameters())


@pytest.mark.parametrize(
    "x", [[0.5, -1.0], (0.5, -1.0), np.array([0.5, -1.0]), [Value(0.5), Value(-1.0)], [np.float64(0.5), -1]]
)
def test_inputs_may_be_floats_values_or_numpy_rows(x):
    m = MLP(2, [3, 1], seed=0)
    assert m(x).data == m([0.5, -1.0]).data


def test_value_inputs_receive_gradients():
    m = MLP(2, [3, 1], activation="tanh", seed=0)
    x = [Value(0.5), Value(-1.0)]
    m(x).backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0


@pytest.mark.parametrize("model", [Neuron(2), Layer(2, 3), MLP(2, [3, 1])], ids=["Neuron", "Layer", "MLP"])
def test_wrong_input_length_names_expected_and_actual(model):
    with pytest.raises(ValueError, match=r"expects 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])


def test_bad_inputs_are_rejected_clearly():
    m = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"one sample.*shape \(4, 2\)"):
        m(np.zeros((4, 2)))
    with pytest.raises(TypeError, match="input 1 must be a number or a Value, got str"):
        m([1.0, "2"])
    with pytest.raises(TypeError, match="input 0 must be a number or a Value, got bool"):
        m([True, 2.0])
    with pytest.raises(TypeError, match="sequence of 2 numbers or Values in order, got float"):
        m(1.0)


@pytest.mark.parametrize("model", [Neuron(2), Layer(2, 3), MLP(2, [3, 1])], ids=["Neuron", "Layer", "MLP"])
@pytest.mark.parametrize("x, kind", [({0: 5.0, 1: 7.0}, "dict"), ({5.0, 7.0}, "set"), (frozenset({5.0, 7.0}), "frozenset")])
def test_unordered_inputs_are_refused(model, x, kind):
    # A dict iterates over its keys (0 and 1 here, silently used as the inputs), a set in no
    # defined order.
    with pytest.raises(TypeError, match=f"takes a sequence of 2 numbers or Values in order, got {kind}"):
        model(x)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Neuron(2, "softmax"), ValueError, r"activation must be one of \['leaky_relu', 'linear', 'relu', 'sigmoid', 'tanh'\], got 'softmax'"),
        (lambda: MLP(2, [3, 1], output_activation="gelu"), ValueError, "output_activation must be one of"),
        (lambda: Neuron(0), ValueError, "nin must be a positive int, got 0"),
        (lambda: Neuron(2.0), TypeError, "nin must be a positive int, got float"),
        (lambda: Layer(2, -1), ValueError, "nout must be a positive int, got -1"),
        (lambda: MLP(2, 3), TypeError, r"nouts must be a list of layer sizes"),
        (lambda: MLP(2, []), ValueError, "at least one layer size"),
        (lambda: MLP(2, [3, 0]), ValueError, r"nouts\[1\] must be a positive int, got 0"),
        (lambda: MLP(2, [3], seed=1.5), TypeError, "seed must be an int, a random.Random or None, got float"),
    ],
)
def test_bad_constructor_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_activation_names():
    assert sorted(ACTIVATIONS) == ["leaky_relu", "linear", "relu", "sigmoid", "tanh"]


# -- initialisation ------------------------------------------------------------------------
def test_same_seed_same_model_and_global_random_state_untouched():
    random.seed(123)
    before = random.getstate()
    a, b = MLP(2, [8, 8, 1], seed=7), MLP(2, [8, 8, 1], seed=7)
    assert random.getstate() == before
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in MLP(2, [8, 8, 1], seed=8).parameters()] != [p.data for p in a.parameters()]


def test_a_shared_generator_continues_its_stream():
    rng = random.Random(5)
    first, second = Neuron(3, seed=rng), Neuron(3, seed=rng)
    assert [p.data for p in first.w] != [p.data for p in second.w]
    replay = random.Random(5)
    expected = [replay.uniform(-init_bound(3, "relu"), init_bound(3, "relu")) for _ in range(6)]
    assert [p.data for p in first.w + second.w] == expected


@pytest.mark.parametrize(
    "activation, bound",
    [("relu", math.sqrt(6 / 50)), ("leaky_relu", math.sqrt(6 / 50)), ("tanh", math.sqrt(3 / 50)),
     ("sigmoid", math.sqrt(3 / 50)), ("linear", math.sqrt(3 / 50))],
)
def test_initialisation_scheme(activation, bound):
    layer = Layer(50, 40, activation, seed=0)
    ws = np.array([[w.data for w in n.w] for n in layer.neurons])
    assert init_bound(50, activation) == bound
    assert np.all(np.abs(ws) <= bound)
    assert np.abs(ws).max() > 0.95 * bound  # the whole interval is used
    # uniform(-a, a) has variance a^2/3: 2/nin (He) or 1/nin (LeCun); 2000 draws -> ~3% error.
    assert ws.var() == pytest.approx(bound**2 / 3, rel=0.1)
    assert all(n.b.data == 0.0 for n in layer.neurons)


# -- Module --------------------------------------------------------------------------------
def test_named_parameters_are_stable_dotted_names():
    m = MLP(2, [2, 1], seed=0)
    names = [name for name, _ in m.named_parameters()]
    assert names == [
        "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0", "layers.0.neurons.1.w.1", "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.b",
    ]
    assert [p for _, p in m.named_parameters()] == m.parameters()
    assert m.parameters()[4] is m.layers[0].neurons[1].w[1]
    assert len(MLP(2, [16, 16, 1]).parameters()) == 3 * 16 + 17 * 16 + 17


def test_zero_grad():
    m = MLP(2, [3, 1], seed=0)
    m([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_state_dict_round_trip_in_place():
    a, b = MLP(2, [3, 2], seed=1), MLP(2, [3, 2], seed=2)
    state = a.state_dict()
    assert state["layers.0.neurons.2.w"] == [p.data for p in a.layers[0].neurons[2].w]
    assert state["layers.1.neurons.1.b"] == a.layers[1].neurons[1].b.data
    params_before = b.parameters()
    b.load_state_dict(state)
    assert b.parameters() == params_before  # the same Parameter objects, updated in place
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    state["layers.1.neurons.1.b"] = 99.0
    assert a.layers[1].neurons[1].b.data != 99.0  # state_dict is a copy


def test_load_state_dict_is_strict_and_names_every_problem():
    m = MLP(2, [2, 1], seed=0)
    before = [p.data for p in m.parameters()]
    state = m.state_dict()
    del state["layers.0.neurons.1.b"]
    state["layers.9.neurons.0.b"] = 1.0
    state["layers.0.neurons.0.w"] = [1.0, 2.0, 3.0]
    state["layers.1.neurons.0.b"] = [1.0]
    state["layers.1.neurons.0.w"] = [1.0, "x"]
    with pytest.raises(ValueError) as info:
        m.load_state_dict(state)
    message = str(info.value)
    assert "missing entries ['layers.0.neurons.1.b']" in message
    assert "unexpected entries ['layers.9.neurons.0.b']" in message
    assert "'layers.0.neurons.0.w' expected a list of 2 numbers, got a list of 3" in message
    assert "'layers.1.neurons.0.b' expected a number, got a list of 1" in message
    assert "'layers.1.neurons.0.w' expected 2 numbers, item 1 is str" in message
    assert [p.data for p in m.parameters()] == before  # nothing was changed
    with pytest.raises(TypeError, match="state must be a mapping"):
        m.load_state_dict([1.0])


def test_repr_is_readable():
    assert repr(MLP(2, [16, 1], seed=0)) == (
        "MLP(nin=2, nouts=[16, 1], activation='relu', output_activation='linear')"
    )
    assert repr(Layer(3, 4, "tanh")) == "Layer(nin=3, nout=4, activation='tanh')"
    assert repr(Neuron(5, "sigmoid")) == "Neuron(nin=5, activation='sigmoid')"


def test_a_custom_module_finds_its_parameters():
    class Affine(Module):
        def __init__(self):
            self.scale = Parameter(2.0)
            self.inner = Neuron(1, "linear", seed=0)
            self.extra = [Layer(1, 1, seed=0)]
            self._cache = Parameter(5.0)  # private attributes are not state

    names = [name for name, _ in Affine().named_parameters()]
    assert names == ["scale", "inner.w.0", "inner.b", "extra.0.neurons.0.w.0", "extra.0.neurons.0.b"]
    assert repr(Affine()) == "Affine()"
