"""nn.to_torch / nn.from_torch / nn.save_torch against PyTorch itself (float64, when it is
installed): outputs and gradients of every activation and loss, exact round trips, every
refusal naming its layer; and the clear error when PyTorch is missing (always run)."""

import random
import subprocess
import sys

import numpy as np
import pytest

import nn
from autograd import ops
from nn import MLP, Layer, Neuron, losses

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]
TOL = 1e-12  # float64 on both sides; only the order of the sums differs


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is optional (pip install torch); the bridge tests need it")


def random_mlp(nin, nouts, activation, output_activation, seed):
    model = MLP(nin, nouts, activation, output_activation, seed=seed)
    rng = random.Random(seed)
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data = rng.uniform(-0.5, 0.5)  # biases start at 0: give them values to test
    return model


def weight_grads(model):
    return [(np.array([[p.grad for p in n.w] for n in layer.neurons]), np.array([n.b.grad for n in layer.neurons]))
            for layer in model.layers]


def linears(torch, net):
    return [m for m in net.modules() if isinstance(m, torch.nn.Linear)]


def assert_close(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=TOL, atol=TOL)


def assert_same_gradients(torch, model, net):
    for (dW, db), linear in zip(weight_grads(model), linears(torch, net), strict=True):
        assert_close(dW, linear.weight.grad.numpy())
        assert_close(db, linear.bias.grad.numpy())


def bits(model):
    return [p.data.hex() for p in model.parameters()]


# -- to_torch: outputs and gradients --------------------------------------------------------
SHAPES = [(2, [1]), (3, [4, 1]), (2, [5, 3, 1]), (4, [1, 1, 1]), (3, [6, 2]), (2, [4, 4, 3]), (5, [3, 7, 4])]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("nin, nouts", SHAPES, ids=[f"{nin}-{'-'.join(map(str, nouts))}" for nin, nouts in SHAPES])
def test_to_torch_outputs_equal_the_model(torch, activation, nin, nouts):
    for seed, output_activation in enumerate(ACTIVATIONS):
        model = random_mlp(nin, nouts, activation, output_activation, seed)
        net = nn.to_torch(model)
        X = np.random.default_rng(seed).normal(size=(6, nin)) * 2
        theirs = net(torch.tensor(X)).detach().numpy()
        assert theirs.dtype == np.float64 and theirs.shape == (6, nouts[-1])
        for x, row in zip(X, theirs):
            out = model(x)
            assert_close([v.data for v in (out if isinstance(out, list) else [out])], row)


def _torch_loss(torch, loss, out, y):
    """The PyTorch expression the README maps each chainrule loss to."""
    F = torch.nn.functional
    if loss == "mse":
        return F.mse_loss(out, torch.tensor(y, dtype=torch.float64))
    if loss == "hinge":
        return torch.relu(1 - torch.tensor(y, dtype=torch.float64) * out[:, 0]).mean()
    if loss == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(out[:, 0], torch.tensor(y, dtype=torch.float64))
    return F.cross_entropy(out, torch.tensor(y))


def _targets(loss, rng, n, nout):
    if loss == "mse":
        return rng.normal(size=(n, nout)).tolist()
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], size=n).tolist()
    if loss == "binary_cross_entropy":
        return rng.uniform(size=n).tolist()
    return rng.integers(0, nout, size=n).tolist()


LOSS_SHAPES = {
    "mse": [(2, [3, 1]), (3, [4, 4, 2])],
    "hinge": [(2, [1]), (2, [5, 3, 1])],
    "binary_cross_entropy": [(3, [4, 1]), (2, [2, 2, 1])],
    "cross_entropy": [(2, [3]), (3, [5, 4, 3])],
}


@pytest.mark.parametrize("loss", list(LOSS_SHAPES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_torch_gradients_equal_for_every_loss(torch, loss, activation):
    for seed, (nin, nouts) in enumerate(LOSS_SHAPES[loss]):
        output_activation = ACTIVATIONS[(seed + ACTIVATIONS.index(activation)) % len(ACTIVATIONS)]
        model = random_mlp(nin, nouts, activation, output_activation, seed)
        net = nn.to_torch(model)
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(7, nin)) * 2
        y = _targets(loss, rng, len(X), nouts[-1])
        # chainrule's one-output model gives one Value per sample, so mse wants flat targets
        flat = loss == "mse" and nouts[-1] == 1
        ours = getattr(losses, loss)([model(x) for x in X], [row[0] for row in y] if flat else y)
        ours.backward()
        theirs = _torch_loss(torch, loss, net(torch.tensor(X)), y)
        theirs.backward()
        assert_close(ours.data, theirs.item())
        assert_same_gradients(torch, model, net)


def test_hinge_maps_to_relu_not_clamp_at_the_kink(torch):
    # A score of exactly 1 with label +1 sits on the kink: relu's gradient there is 0, in
    # chainrule and in torch.relu; clamp(min=0) would pass 1 through instead.
    model = MLP(2, [1], seed=0)
    for p in model.parameters():
        p.data = 0.0
    model.layers[0].neurons[0].b.data = 1.0
    x = [0.5, -2.0]
    losses.hinge([model(x)], [1]).backward()
    net = nn.to_torch(model)
    score = net(torch.tensor([x], dtype=torch.float64))[:, 0]
    torch.relu(1 - score).mean().backward()
    assert net[0].bias.grad.item() == model.layers[0].neurons[0].b.grad == 0.0
    score = net(torch.tensor([x], dtype=torch.float64))[:, 0]
    net.zero_grad()
    (1 - score).clamp(min=0).mean().backward()
    assert net[0].bias.grad.item() == -1.0


def test_to_torch_builds_the_layers_in_order(torch):
    net = nn.to_torch(MLP(3, [4, 2, 1], activation="leaky_relu", output_activation="sigmoid", seed=0))
    assert [type(m).__name__ for m in net] == ["Linear", "LeakyReLU", "Linear", "LeakyReLU", "Linear", "Sigmoid"]
    assert net[1].negative_slope == nn.layers.LEAKY_RELU_SLOPE == 0.01
    assert [(m.in_features, m.out_features) for m in linears(torch, net)] == [(3, 4), (4, 2), (2, 1)]
    assert all(p.dtype == torch.float64 and p.requires_grad for p in net.parameters())
    net = nn.to_torch(MLP(2, [3, 1], activation="linear", seed=0))
    assert [type(m).__name__ for m in net] == ["Linear", "Linear"]  # "linear" adds no module


def test_to_torch_leaves_torch_global_random_state_alone(torch):
    before = torch.get_rng_state()
    nn.to_torch(MLP(4, [8, 8, 2], seed=0))
    assert torch.equal(torch.get_rng_state(), before)
    torch.nn.Linear(4, 8)  # the usual constructor would have drawn from it
    assert not torch.equal(torch.get_rng_state(), before)


def test_to_torch_wants_an_mlp(torch):
    for bad in (Layer(2, 3, seed=0), Neuron(2, seed=0), "model"):
        with pytest.raises(TypeError, match=f"nn.to_torch: model must be an nn.MLP, got {type(bad).__name__}"):
            nn.to_torch(bad)


# -- round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_round_trip_through_torch_is_bit_identical(torch, activation):
    for seed, (nin, nouts) in enumerate(SHAPES):
        model = random_mlp(nin, nouts, activation, ACTIVATIONS[seed % len(ACTIVATIONS)], seed)
        model.layers[0].neurons[0].w[0].data = -0.0
        model.layers[-1].neurons[0].b.data = 5e-324
        model.layers[0].neurons[-1].b.data = 0.1 + 0.2
        back = nn.from_torch(nn.to_torch(model))
        # A one-layer MLP has no hidden layer: from_torch gives it MLP's default activation.
        assert back.config() == (model.config() if len(nouts) > 1 else {**model.config(), "activation": "relu"})
        assert bits(back) == bits(model)
        assert [p.label for p in back.parameters()] == [p.label for p in model.parameters()]


def test_round_trip_from_torch_is_bit_identical(torch):
    g = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5, dtype=torch.float64), torch.nn.Tanh(),
                              torch.nn.Linear(5, 2, dtype=torch.float64))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
        net[0].weight[0, 0] = -0.0
        net[0].bias[1] = -0.0
        net[2].bias[1] = 2.0**-1074
    back = nn.to_torch(nn.from_torch(net))
    assert str(back) == str(net)
    for (name, ours), (their_name, theirs) in zip(back.state_dict().items(), net.state_dict().items(), strict=True):
        assert name == their_name
        assert ours.dtype == torch.float64
        assert ours.numpy().tobytes() == theirs.numpy().tobytes()  # every bit, the sign of zero included


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_from_torch_converts_every_weight_exactly(torch, dtype):
    dtype = getattr(torch, dtype)
    g = torch.Generator().manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)).to(dtype)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    model = nn.from_torch(net)
    # The oracle: numpy widens each number to float64 on its own (bfloat16 through float32, exact).
    expected = []
    for linear in linears(torch, net):
        w, b = linear.weight.detach(), linear.bias.detach()
        if dtype == torch.bfloat16:
            w, b = w.float(), b.float()
        for row, bias in zip(w.numpy().astype(np.float64), b.numpy().astype(np.float64)):
            expected.extend([*row.tolist(), float(bias)])
    assert bits(model) == [x.hex() for x in expected]
    # back in the original dtype, the weights are the original tensors
    for ours, theirs in zip(nn.to_torch(model).parameters(), net.parameters(), strict=True):
        assert torch.equal(ours.to(dtype), theirs.detach())


# -- from_torch: what it accepts computes the same --------------------------------------------
def _randomize(torch, net, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.rand(p.shape, generator=g, dtype=p.dtype) * 2 - 1)
    return net


def _functional_net(torch):
    F = torch.nn.functional

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.out = torch.nn.Linear(3, 6), torch.nn.Linear(6, 4), torch.nn.Linear(4, 2)

        def forward(self, x):
            x = F.leaky_relu(self.fc1(x), 0.01)
            x = F.leaky_relu(self.fc2(x), negative_slope=0.01, inplace=False)
            return torch.sigmoid(self.out(x))

    return Net()


def _methods_net(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(3, 5))
            self.head = torch.nn.Linear(5, 3)

        def forward(self, x):
            return self.head(self.body(x).tanh()).sigmoid()

    return Net()


# Modules whose forward applies layers in turn, in the ways people write them, and the MLP
# each one is: (nin, nouts, activation, output_activation).
FORMS = {
    "sequential": (lambda t: t.nn.Sequential(t.nn.Linear(3, 5), t.nn.ReLU(), t.nn.Linear(5, 5), t.nn.ReLU(),
                                             t.nn.Linear(5, 2)),
                   (3, [5, 5, 2], "relu", "linear")),
    "nested": (lambda t: t.nn.Sequential(t.nn.Sequential(t.nn.Linear(3, 4), t.nn.Sigmoid()),
                                         t.nn.Sequential(t.nn.Linear(4, 1), t.nn.Sigmoid())),
               (3, [4, 1], "sigmoid", "sigmoid")),
    "identity-steps": (lambda t: t.nn.Sequential(t.nn.Identity(), t.nn.Linear(3, 4), t.nn.Dropout(0.5).eval(),
                                                 t.nn.ReLU(inplace=True), t.nn.Flatten(), t.nn.Linear(4, 4),
                                                 t.nn.Identity(), t.nn.ReLU(), t.nn.Dropout(0.0), t.nn.Linear(4, 2)),
                       (3, [4, 4, 2], "relu", "linear")),
    "functional": (_functional_net, (3, [6, 4, 2], "leaky_relu", "sigmoid")),
    "methods": (_methods_net, (3, [5, 3], "tanh", "sigmoid")),
    "float32": (lambda t: t.nn.Sequential(t.nn.Linear(3, 4), t.nn.Tanh(), t.nn.Linear(4, 3)),
                (3, [4, 3], "tanh", "linear")),
    "wide-deep": (lambda t: t.nn.Sequential(*[m for i in range(5) for m in (t.nn.Linear(3 if i == 0 else 9, 9),
                                                                            t.nn.LeakyReLU())],
                                            t.nn.Linear(9, 1)),
                  (3, [9, 9, 9, 9, 9, 1], "leaky_relu", "linear")),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_from_torch_outputs_and_gradients_equal_the_module(torch, form):
    make, (nin, nouts, activation, output_activation) = FORMS[form]
    net = _randomize(torch, make(torch), seed=len(form))
    if form != "float32":
        net = net.double()
    model = nn.from_torch(net)
    assert model.config() == {"nin": nin, "nouts": nouts, "activation": activation,
                              "output_activation": output_activation}
    oracle = net.double() if form == "float32" else net  # float32 weights widen exactly
    X = np.random.default_rng(0).normal(size=(5, nin)) * 2
    out = oracle(torch.tensor(X))
    out.sum().backward()
    outputs = []
    for x, row in zip(X, out.detach().numpy()):
        ours = model(x)
        ours = ours if isinstance(ours, list) else [ours]
        assert_close([v.data for v in ours], row)
        outputs.extend(ours)
    ops.sum(outputs).backward()
    assert_same_gradients(torch, model, oracle)


def test_a_leading_flatten_takes_each_sample_flattened(torch):
    net = _randomize(torch, torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4), torch.nn.Tanh(),
                                                torch.nn.Linear(4, 2)).double(), seed=3)
    model = nn.from_torch(net)
    images = np.random.default_rng(1).normal(size=(3, 2, 3))
    for image, row in zip(images, net(torch.tensor(images)).detach().numpy()):
        assert_close([v.data for v in model(image.reshape(-1))], row)


def test_from_torch_labels_every_parameter_after_its_place(torch):
    model = nn.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2)))
    for i, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            assert [p.label for p in neuron.w] == [f"L{i}.n{j}.w{k}" for k in range(len(neuron.w))]
            assert neuron.b.label == f"L{i}.n{j}.b"
    assert model.layers[1].neurons[0].w[1].label == "L1.n0.w1"


def test_from_torch_keeps_a_single_layers_output_activation(torch):
    model = nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh()))
    assert model.config()["nouts"] == [3] and model.output_activation == "tanh"
    assert [type(m).__name__ for m in nn.to_torch(model)] == ["Linear", "Tanh"]


# -- from_torch: refusals --------------------------------------------------------------------
def _custom(torch, forward, **layers):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            for name, layer in layers.items():
                setattr(self, name, layer)

    Net.forward = forward
    return Net()


def _scaled_relu(torch):
    class ScaledReLU(torch.nn.ReLU):  # a subclass with its own forward is not a ReLU
        def forward(self, x):
            return 2 * torch.relu(x)

    return torch.nn.Sequential(torch.nn.Linear(2, 2), ScaledReLU())


def _hooked(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    net[1].register_forward_hook(lambda module, inputs, output: output * 3)
    return net


def _shared(torch):
    linear = torch.nn.Linear(3, 3)
    return torch.nn.Sequential(linear, torch.nn.ReLU(), linear)


REFUSALS = {
    "conv": (lambda t: t.nn.Sequential(t.nn.Linear(2, 4), t.nn.ReLU(), t.nn.Conv1d(1, 1, 3)),
             r"step '2' is Conv1d\(.*a convolution"),
    "dropout-training": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Dropout(0.2), t.nn.Linear(3, 1)),
                         r"step '1' is Dropout\(p=0.2.*in training mode.*module.eval\(\)"),
    "batchnorm": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.BatchNorm1d(3), t.nn.ReLU()),
                  r"step '1' is BatchNorm1d\(3.*batch statistics"),
    "gelu": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.GELU(), t.nn.Linear(3, 1)),
             r"step '1' is GELU\(.*an MLP is made of Linear layers"),
    "no-bias": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(3, 1, bias=False)),
                r"Linear '2' has no bias"),
    "sizes": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(4, 1)),
              r"Linear '2' takes 4 inputs but Linear '0' before it gives 3"),
    "softmax-last": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Softmax(dim=1)),
                     r"step '1' is Softmax\(dim=1\): an MLP outputs logits"),
    "leaky-slope": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.LeakyReLU(0.2), t.nn.Linear(3, 1)),
                    r"step '1' is LeakyReLU\(negative_slope=0.2\), but an MLP's leaky_relu has slope 0.01"),
    "leaky-slope-function": (
        lambda t: _custom(t, lambda self, x: t.nn.functional.leaky_relu(self.a(x), 0.1), a=t.nn.Linear(2, 2)),
        r"step 'leaky_relu' is leaky_relu with slope 0.1"),
    "mixed-hidden": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(3, 3), t.nn.Tanh(),
                                               t.nn.Linear(3, 1)),
                     r"step '3' makes a hidden layer tanh but the first hidden layer is relu \('1'\)"),
    "mixed-hidden-linear": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Linear(3, 3), t.nn.Sigmoid(),
                                                      t.nn.Linear(3, 1)),
                            r"step '2' makes a hidden layer sigmoid but the first hidden layer is linear \('0'\)"),
    "two-activations": (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Sigmoid()),
                        r"step '2' \(sigmoid\) is a second activation after Linear '0' \(already relu\)"),
    "activation-first": (lambda t: t.nn.Sequential(t.nn.Tanh(), t.nn.Linear(2, 3)),
                         r"step '0' \(tanh\) comes before the first Linear"),
    "no-linear": (lambda t: t.nn.Sequential(t.nn.Identity()), r"Sequential has no Linear layer"),
    "flatten-batch": (lambda t: t.nn.Sequential(t.nn.Flatten(0), t.nn.Linear(2, 3)),
                      r"step '0' is Flatten\(start_dim=0, end_dim=-1\); only Flatten\(\) with start_dim=1"),
    "residual": (lambda t: _custom(t, lambda self, x: self.b(self.a(x)) + self.a(x), a=t.nn.Linear(2, 2),
                                   b=t.nn.Linear(2, 2)),
                 r"does not read the result of the step before it"),
    "scaled": (lambda t: _custom(t, lambda self, x: 2 * self.a(x), a=t.nn.Linear(2, 2)),
               r"step 'mul' \(call_function .*mul.*\) is not a layer an MLP has"),
    "relu-subclass": (_scaled_relu, r"step 'mul' \(call_function"),
    "control-flow": (lambda t: _custom(t, lambda self, x: self.a(x) if x.sum() > 0 else x, a=t.nn.Linear(2, 2)),
                     r"the forward of Net cannot be traced as a fixed sequence of layers \(TraceError"),
    "two-inputs": (lambda t: _custom(t, lambda self, x, y: self.a(x), a=t.nn.Linear(2, 2)),
                   r"the forward of Net takes 2 inputs; an MLP takes one"),
    "tuple-output": (lambda t: _custom(t, lambda self, x: (self.a(x), x), a=t.nn.Linear(2, 2)),
                     r"the forward of Net returns \(a, x\), expected the result of its last step"),
    "hook": (_hooked, r"ReLU '1' has a forward hook"),
    "shared": (_shared, r"Linear '0' is applied twice"),
    "complex-weights": (lambda t: t.nn.Sequential(t.nn.utils.skip_init(t.nn.Linear, 2, 2, dtype=t.complex64)),
                        r"Linear '0' holds torch.complex64 weights, expected a real floating dtype"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_from_torch_refuses_what_an_mlp_cannot_express_naming_the_layer(torch, case):
    make, message = REFUSALS[case]
    with pytest.raises(ValueError, match=message):
        nn.from_torch(make(torch))


def test_from_torch_wants_a_module(torch):
    with pytest.raises(TypeError, match="nn.from_torch: module must be a torch.nn.Module, got MLP"):
        nn.from_torch(MLP(2, [1], seed=0))


# -- save_torch ------------------------------------------------------------------------------
def test_saved_state_dict_loads_into_to_torch_module(torch, tmp_path):
    model = random_mlp(2, [5, 3], "tanh", "linear", seed=7)
    nn.save_torch(model, tmp_path / "model.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    net = nn.to_torch(MLP(2, [5, 3], "tanh", seed=99))  # the same shape, other weights
    net.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    X = np.random.default_rng(2).normal(size=(4, 2))
    assert torch.equal(net(torch.tensor(X)), nn.to_torch(model)(torch.tensor(X)))
    assert bits(nn.from_torch(net)) == bits(model)


def test_an_interrupted_save_leaves_the_earlier_file(torch, tmp_path, monkeypatch):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the earlier file")

    def broken_save(obj, f):
        f.write(b"half a fi")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        nn.save_torch(MLP(2, [1], seed=0), target)
    assert target.read_bytes() == b"the earlier file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_save_torch_checks_its_arguments_first(torch, tmp_path):
    with pytest.raises(TypeError, match="nn.save_torch: model must be an nn.MLP, got Layer"):
        nn.save_torch(Layer(2, 2, seed=0), tmp_path / "m.pt")
    with pytest.raises(TypeError):
        nn.save_torch(MLP(2, [1], seed=0), 3)
    assert list(tmp_path.iterdir()) == []


# -- without PyTorch (these run whether or not it is installed) -----------------------------
def test_require_torch_returns_torch_or_says_who_needs_it(monkeypatch):
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        assert nn.torch_bridge.require_torch("--torch-out") is torch
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"^--torch-out needs PyTorch, an optional dependency of chainrule: "
                                          r"pip install torch$"):
        nn.torch_bridge.require_torch("--torch-out")


def test_import_nn_does_not_import_torch():
    code = "import sys, nn; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "False\n"


@pytest.mark.parametrize("call", [lambda: nn.to_torch(MLP(2, [1], seed=0)), lambda: nn.from_torch(object()),
                                  lambda: nn.save_torch(MLP(2, [1], seed=0), "never-written.pt")],
                         ids=["to_torch", "from_torch", "save_torch"])
def test_without_torch_the_error_says_how_to_install_it(call, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail, as when it is absent
    with pytest.raises(ImportError, match=r"nn\.\w+ needs PyTorch, an optional dependency of chainrule: "
                                          r"pip install torch"):
        call()
    assert list(tmp_path.iterdir()) == []


# -- sizes -------------------------------------------------------------------------------------
def test_the_size_is_checked_before_anything_is_built(torch, monkeypatch):
    # The report: a meta-device Linear(10**5, 10**5) ran 23.6 s and raised MemoryError, and
    # Linear(3000, 3000) took 54 s and 3 GB, building the whole MLP before reading a weight.
    def no_model(*args, **kwargs):
        raise AssertionError("an MLP was built")

    monkeypatch.setattr(nn.torch_bridge, "MLP", no_model)
    for n in (10**5, 3000):
        with pytest.raises(ValueError, match=rf"nn.from_torch: the module has {(n + 1) * n:,} parameters, more "
                                             rf"than max_parameters=1,000,000; pass a larger max_parameters"):
            nn.from_torch(torch.nn.Sequential(torch.nn.Linear(n, n, device="meta")))
    with pytest.raises(ValueError, match="more than max_parameters=7"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2)), max_parameters=7)
    monkeypatch.undo()
    assert len(nn.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2)), max_parameters=8).parameters()) == 8
    with pytest.raises(ValueError, match=r"nn.from_torch: Linear '0' holds no data \(on the meta device\)"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2, device="meta")))
    with pytest.raises(ValueError, match="max_parameters must be an int of at least 1, got 0"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2)), max_parameters=0)
