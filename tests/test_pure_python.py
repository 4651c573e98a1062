"""chainrule without numpy (and without tqdm and Pillow): what runs in the browser, through Pyodide.

The oracle is numpy itself: a run in a fresh interpreter where importing numpy fails must
give what the same run gives with numpy (``tests/test_pcg64.py``: the generator alone).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nn

ROOT = Path(__file__).resolve().parents[1]


# -- a fresh interpreter without numpy, tqdm and Pillow gives the same numbers ----------

_BLOCK = """
import sys

class _Missing:
    # As where the packages are not installed (the browser): importing them fails.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"numpy", "tqdm", "PIL"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Missing())
"""

_RUN = """
import json, sys
import nn
from nn.data import make_blobs, make_circles, make_moons, make_spirals, make_xor

def rows(X):
    return [[float(v).hex() for v in row] for row in (X.tolist() if hasattr(X, "tolist") else X)]

out = {"numpy": "numpy" in sys.modules, "tqdm": "tqdm" in sys.modules}
for name, make, loss, nout in [("moons", make_moons, "hinge", 1), ("circles", make_circles, "binary_cross_entropy", 1),
                               ("xor", make_xor, "mse", 1), ("spirals", make_spirals, "cross_entropy", 3),
                               ("blobs", make_blobs, "mse", 3)]:
    for seed in (0, 1, 12345):
        X, y = make(seed=seed)
        out[f"{name}/{seed}/X"], out[f"{name}/{seed}/y"] = rows(X), [int(c) for c in y]
    X, y = make(seed=3)
    model = nn.MLP(2, [8, 8, nout], seed=1)
    h = nn.fit(model, X, y, loss=loss, epochs=4, batch_size=16, seed=7, validation=(X, y), progress=True)
    out[f"{name}/fit"] = {
        "loss": [v.hex() for v in h.loss], "accuracy": h.accuracy, "val_loss": [v.hex() for v in h.val_loss],
        "weights": [p.data.hex() for p in model.parameters()], "grads": [p.grad.hex() for p in model.parameters()],
        "predict": [int(c) for c in nn.predict(model, X)],
        "evaluate": [float(v).hex() for v in nn.evaluate(model, X, y, loss=loss)],
        "sample_losses": [float(v).hex() for v in nn.train.sample_losses(model, X, y, loss=loss)],
    }
model = nn.MLP(2, [4, 1], seed=2)
X, y = make_moons(40, seed=0)
sgd = nn.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
nn.fit(model, X, y, optimizer=sgd, epochs=3, batch_size=8, seed=1)
out["sgd"] = [p.data.hex() for p in model.parameters()]
split = nn.data.train_test_split(*make_spirals(seed=4), test_fraction=0.3, seed=9)
out["split"] = [rows(split[0]), rows(split[1]), [int(c) for c in split[2]], [int(c) for c in split[3]]]
json.dump(out, sys.stdout)
"""


def _python(code: str, *, blocked: bool, tmp_path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    script = tmp_path / ("blocked.py" if blocked else "plain.py")
    script.write_text((_BLOCK if blocked else "") + textwrap.dedent(code))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pure")
    return (json.loads(_python(_RUN, blocked=False, tmp_path=folder)),
            json.loads(_python(_RUN, blocked=True, tmp_path=folder)))


def test_the_run_without_numpy_is_the_run_with_numpy_bit_for_bit(runs):
    with_numpy, without = runs
    assert with_numpy.pop("numpy") and not without.pop("numpy")
    assert with_numpy.pop("tqdm") and not without.pop("tqdm")
    assert with_numpy.keys() == without.keys()
    for key in with_numpy:
        assert without[key] == with_numpy[key], key


def _digest(values) -> str:
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:16]


def test_with_numpy_the_numbers_are_those_before_numpy_became_optional():
    # Digests of the float64 bits chainrule gave before numpy became optional (seed 0,
    # default sizes; and a 3-epoch fit of MLP(2, [8, 8, 1], seed=0) on those moons).
    recorded = {"moons": "2c386db6bb3c0dc5", "circles": "fa69529419938f25", "xor": "93dcd5bef9f67e06",
                "spirals": "25bbc122b44d4841", "blobs": "1a0ef5edda289f8a", "fit": "f49e41a32c3b05e9"}
    got = {}
    for name, make in nn.data.DATASETS.items():
        X, y = make(seed=0)
        assert isinstance(X, np.ndarray) and X.dtype == np.float64 and y.dtype == np.int64
        got[name] = _digest(([[v.hex() for v in row] for row in X.tolist()], y.tolist()))
    X, y = nn.data.make_moons(seed=0)
    model = nn.MLP(2, [8, 8, 1], seed=0)
    h = nn.fit(model, X, y, epochs=3, batch_size=16, seed=0)
    got["fit"] = _digest([[v.hex() for v in h.loss], [p.data.hex() for p in model.parameters()]])
    assert got == recorded


def test_cos_and_sin_of_numpy_are_maths_on_the_datasets_angles():
    # The pure datasets use math.cos/sin where numpy uses np.cos/np.sin: the same doubles here
    # (checked for every angle the toy sets use, and many more). Another libm (the browser's)
    # may round differently in the last bit; see docs/pure-python.md.
    t = np.concatenate([np.linspace(0.0, np.pi, 1001), np.linspace(0.0, 2 * np.pi, 1000, endpoint=False),
                        np.random.default_rng(0).uniform(-20.0, 20.0, 200_000)])
    assert np.cos(t).tolist() == [math.cos(v) for v in t.tolist()]
    assert np.sin(t).tolist() == [math.sin(v) for v in t.tolist()]


# -- what needs numpy says so; autograd and drawing run without it ------------------

_NEEDS_NUMPY = """
import json, sys, subprocess
import autograd, nn
from autograd import Value, draw, draw_step, animate, explain_paths, backward_steps
from autograd.optional import NumpyMissing
from autograd.render import set_graphviz

out = {}
def caught(name, call):
    try:
        call()
    except ModuleNotFoundError as error:
        out[name] = [type(error).__name__, isinstance(error, NumpyMissing), str(error)]
    else:
        out[name] = None

X, y = nn.data.make_moons(20, seed=0)
model = nn.MLP(2, [3, 1], seed=0)
caught("import nn.matrix", lambda: __import__("nn.matrix"))
caught("nn.matrix", lambda: nn.matrix)
caught("nn.training_view", lambda: nn.training_view)
caught("load_digits", nn.data.load_digits)
caught("tape fit", lambda: nn.fit(model, X, y, epochs=1, engine="tape"))
caught("tape predict", lambda: nn.predict(model, X, engine="tape"))
caught("record", lambda: nn.fit(model, X, y, epochs=1, record=1))
caught("trace", lambda: autograd.trace(lambda a: a * a, 2.0))
caught("png", lambda: draw(Value(2.0) * 3.0).png())
namespace = {}
exec("from nn import *", namespace)
out["star"] = sorted(k for k in namespace if not k.startswith("_"))

# the engine, its drawings and the network view, with Graphviz behind set_graphviz, as in a
# page (no process can be started; the function stands for viz.js)
start = subprocess.Popen
def no_processes(*args, **kwargs):
    raise OSError(138, "emscripten does not support processes")
subprocess.Popen = no_processes
def graphviz(source, format, engine):
    done = start(["dot", f"-K{engine}", f"-T{format}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return done.communicate(source.encode())[0]
set_graphviz(graphviz)
import warnings
warnings.simplefilter("error", RuntimeWarning)  # no fallback to a plain drawing: the function lays out
a, b = Value(2.0, "a"), Value(-3.0, "b")
loss = (a * b + a).tanh()
loss.backward()
out["grad"] = [a.grad, b.grad]
out["draw"] = sorted(draw(loss)._repr_mimebundle_())
out["draw_step"] = len(draw_step(loss, 1).pipe(format="svg"))
out["paths"] = len(explain_paths(a, loss))
out["animate"] = len(animate(loss).html())
svg = draw(model([0.5, -1.0])).pipe(format="svg", encoding="utf-8")
out["mlp"] = ["L0: 3 " in svg, "L1: 1 " in svg, "stroke-dasharray" in svg]
out["network"] = nn.draw_network(model, [0.5, -1.0]).pipe(format="svg", encoding="utf-8").count("<svg")
out["modules"] = sorted(m for m in ("numpy", "tqdm", "PIL") if m in sys.modules)
json.dump(out, sys.stdout)
"""


@pytest.fixture(scope="module")
def without_numpy(tmp_path_factory):
    return json.loads(_python(_NEEDS_NUMPY, blocked=True, tmp_path=tmp_path_factory.mktemp("needs")))


@pytest.mark.parametrize("name, needs", [
    ("import nn.matrix", "nn.matrix"), ("nn.matrix", "nn.matrix"), ("nn.training_view", "nn.training_view"),
    ("load_digits", "nn.data.load_digits"), ("tape fit", 'engine="tape"'), ("tape predict", 'engine="tape"'),
    ("record", "fit(record=...)"), ("trace", "autograd.trace"),
])
def test_what_needs_numpy_says_so(without_numpy, name, needs):
    kind, is_numpy_missing, message = without_numpy[name]
    assert kind == "NumpyMissing" and is_numpy_missing
    assert message.startswith(needs) and message.endswith("needs numpy: pip install numpy")


def test_png_without_pillow_says_so(without_numpy):
    kind, is_numpy_missing, message = without_numpy["png"]
    assert kind == "ModuleNotFoundError" and not is_numpy_missing
    assert "Pillow" in message and "pip install pillow" in message


def test_star_import_leaves_out_what_needs_numpy(without_numpy):
    assert "MLP" in without_numpy["star"] and "fit" in without_numpy["star"]
    assert "matrix" not in without_numpy["star"] and "training_view" not in without_numpy["star"]


def test_autograd_and_its_drawings_run_without_numpy_tqdm_pillow_or_processes(without_numpy):
    t = math.tanh(-4.0)
    assert without_numpy["grad"] == [(1 - t * t) * (-3.0 + 1.0), (1 - t * t) * 2.0]
    assert without_numpy["draw"] == ["image/svg+xml"]  # no Pillow for the PNG beside it
    assert without_numpy["draw_step"] > 1000 and without_numpy["animate"] > 1000
    assert without_numpy["paths"] > 0
    assert without_numpy["mlp"] == [True, True, True]  # the layer boxes are drawn (dashed), captioned
    assert without_numpy["network"] == 1
    assert without_numpy["modules"] == []
