"""``python -m nn``: the defaults reach the promised accuracies and every output file is sound."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from nn import MLP, data, evaluate, load
from nn.cli import draw_one_neuron, main

pytest.importorskip("matplotlib")
ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def run(tmp_path, *args):
    out = tmp_path / "out"
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    return out, json.loads((out / "metrics.json").read_text())


def dot_available():
    import shutil

    return shutil.which("dot") is not None


needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's dot program is not installed")


@needs_dot
def test_default_run_on_moons_fits_and_writes_everything(tmp_path, capsys):
    out, metrics = run(tmp_path)
    assert metrics["dataset"] == "moons" and metrics["samples"] == 100
    assert metrics["train_accuracy"] >= 0.99
    assert metrics["epochs"] == 100 == len(metrics["history"]["loss"])
    assert metrics["final_loss"] < metrics["history"]["loss"][0]
    assert metrics["seconds"] > 0
    for name in ("model.json", "loss.png", "decision_boundary.png", "neuron_graph.svg", "metrics.json"):
        assert (out / name).stat().st_size > 0
    for png in ("loss.png", "decision_boundary.png"):
        assert (out / png).read_bytes().startswith(PNG)
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith("moons: train accuracy 1.000")

    # the saved model is the trained one: it scores the same on the same data
    X, y = data.make_moons(n_samples=100, noise=0.1, seed=0)
    assert evaluate(load(out / "model.json"), X, y, "hinge") == (metrics["final_loss"], metrics["train_accuracy"])

    # the SVG is one neuron: inputs x0, x1, parameters w0, w1, b, the dot node z and a = relu(z)
    svg = ET.parse(out / "neuron_graph.svg").getroot()
    text = " ".join(t.text or "" for t in svg.iter() if t.tag.endswith("text"))
    for word in ("x0", "x1", "w0", "w1", "b", "z", "a", "dot", "relu", "grad"):
        assert word in text.split() or f"{word} " in text


@needs_dot
def test_default_run_on_three_spirals_reaches_095(tmp_path):
    _, metrics = run(tmp_path, "--dataset", "spirals")
    assert metrics["classes"] == 3 and metrics["loss"] == "cross_entropy"
    assert metrics["train_accuracy"] >= 0.95


@needs_dot
def test_flags_reach_the_model_and_progress_lines_print_off_a_terminal(tmp_path, capsys):
    out = tmp_path / "o"
    main(["--dataset", "blobs", "--classes", "4", "--samples", "40", "--hidden", "5", "--activation", "tanh",
          "--optimizer", "sgd", "--lr", "0.05", "--epochs", "10", "--batch-size", "0", "--seed", "3",
          "--out", str(out)])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"] == 4 and metrics["batch_size"] is None and metrics["momentum"] == 0.9
    model = load(out / "model.json")
    assert model.config() == {"nin": 2, "nouts": [5, 4], "activation": "tanh", "output_activation": "linear"}
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("training MLP(")
    assert [line.split()[1] for line in lines[1:-1]] == [f"{e}/10" for e in range(1, 11)]
    assert lines[-1].startswith("blobs: train accuracy")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--classes", "3"], "--classes applies to spirals and blobs; moons has 2 classes"),
        (["--batch-size", "-1"], "--batch-size must be >= 0"),
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--samples", "1"], "--samples must be at least the number of classes (2), got 1"),
        (["--hidden", "16", "0"], "--hidden sizes must be at least 1, got [16, 0]"),
        (["--lr", "-1"], "--lr must be >= 0, got -1.0"),
        (["--weight-decay", "nan"], "--weight-decay must be >= 0, got nan"),
        (["--dataset", "spirals", "--loss", "hinge"], "--loss hinge separates two classes; spirals has 3"),
        (["--dataset", "rings"], "invalid choice: 'rings'"),
    ],
)
def test_bad_flags_exit_with_a_message(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main([*args, "--out", str(tmp_path)])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


@needs_dot
def test_python_dash_m_nn(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nn", "--dataset", "xor", "--samples", "20", "--epochs", "2", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("xor: train accuracy")
    assert np.isfinite(json.loads((tmp_path / "metrics.json").read_text())["final_loss"])


@needs_dot
def test_neuron_graph_shows_this_samples_gradients_only(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():  # leftovers of a training step must not show in the drawing
        p.grad = 7.0
    neuron = model.layers[0].neurons[0]
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.5, -0.25, 0.125
    path = draw_one_neuron(model, np.array([2.0, 4.0]), tmp_path / "g.svg")
    assert path.name == "g.svg"
    # z = 1 - 1 + 0.125 > 0: da/dw = x, da/db = 1
    assert [p.grad for p in neuron.w] == [2.0, 4.0] and neuron.b.grad == 1.0
    text = path.read_text()
    for shown in ("grad 2", "grad 4", "data 0.125"):
        assert shown in text


def test_neuron_graph_without_graphviz_falls_back_to_dot_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` to be found
    path = draw_one_neuron(MLP(2, [3, 1], seed=0), np.array([1.0, 1.0]), tmp_path / "g.svg")
    assert path.name == "g.gv" and path.read_text().startswith("digraph")
    assert not (tmp_path / "g.svg").exists()
    assert "wrote the DOT source" in capsys.readouterr().err
