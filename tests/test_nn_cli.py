"""``python -m nn``: defaults that fit, held-out scores, every output file, flags checked before
training, and an --out folder that always holds one whole run."""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import nn.cli
import nn
from nn import MLP, data, evaluate, load
from nn.cli import draw_sample, main, parse_args

pytest.importorskip("matplotlib")
ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
METRICS_KEYS = {
    "dataset", "task", "samples", "features", "classes", "noise", "test_fraction", "train_samples", "test_samples",
    "hidden", "activation", "loss", "optimizer", "lr", "momentum", "weight_decay", "epochs", "batch_size",
    "engine", "seed", "parameters", "train_accuracy", "test_accuracy", "train_loss", "test_loss",
    "confusion_matrix", "seconds", "total_seconds", "history", "files",
}


def run(tmp_path, *args):
    out = tmp_path / "out"
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    return out, json.loads((out / "metrics.json").read_text())


def dot_available():
    return shutil.which("dot") is not None


needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's dot program is not installed")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".partial-" in p.name or ".previous-" in p.name]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: flags and --out must be refused before it."""
    def fit(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(nn.cli, "fit", fit)


@needs_dot
def test_default_run_on_moons_fits_holds_out_a_fifth_and_writes_everything(tmp_path, capsys):
    out, metrics = run(tmp_path)
    assert set(metrics) == METRICS_KEYS
    assert metrics["dataset"] == "moons" and metrics["samples"] == 100
    assert (metrics["train_samples"], metrics["test_samples"]) == (80, 20)
    assert metrics["train_accuracy"] >= 0.99 and metrics["test_accuracy"] >= 0.95
    assert metrics["epochs"] == 100 == len(metrics["history"]["loss"]) == len(metrics["history"]["test_loss"])
    # the test set is scored after every epoch; after the last one the model is the saved one
    assert metrics["history"]["test_accuracy"][-1] == metrics["test_accuracy"]
    assert metrics["history"]["test_loss"][-1] == metrics["test_loss"]
    assert metrics["seconds"] > 0
    written = {"model.json", "loss.png", "confusion_matrix.png", "decision_boundary.png", "network.svg",
               "metrics.json"}
    assert set(os.listdir(out)) == written == set(metrics["files"].values())
    for png in ("loss.png", "decision_boundary.png", "confusion_matrix.png"):
        assert (out / png).read_bytes().startswith(PNG)
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith("moons: test accuracy 1.000, train accuracy 1.000")
    assert "on the training set (the last epoch's mean over its batches, taken while training, was" in summary[0]

    # the saved model is the trained one: on the same split it scores what metrics.json says
    X, y = data.make_moons(n_samples=100, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, 0.2, seed=0)
    model = load(out / "model.json")
    assert evaluate(model, X_train, y_train, "hinge") == (metrics["train_loss"], metrics["train_accuracy"])
    assert evaluate(model, X_test, y_test, "hinge") == (metrics["test_loss"], metrics["test_accuracy"])
    counts = np.array(metrics["confusion_matrix"]["counts"])
    assert metrics["confusion_matrix"]["on"] == "test set"
    assert counts.sum(axis=1).tolist() == np.bincount(y_test).tolist()
    assert np.trace(counts) / counts.sum() == metrics["test_accuracy"]

    # the SVG is the network on the first test sample: its layers, a and δ on the units
    svg = ET.parse(out / "network.svg").getroot()
    text = [t.text or "" for t in svg.iter() if t.tag.endswith("text")]
    for caption in ("inputs: 2", "L0: 16 relu units", "L1: 16 relu units", "L2: 1 linear unit"):
        assert caption in text
    # the sample drawn is the test sample with the largest loss
    per_sample = [float(nn.losses.hinge(model(x), 1.0 if c == 1 else -1.0).data) for x, c in zip(X_test, y_test)]
    worst = int(np.argmax(per_sample))
    assert any(t.startswith(f"Sample {worst} of the test set, the one with the largest loss, class ") for t in text)
    assert sum(t.startswith("δ ") for t in text) == 33


@needs_dot
def test_default_run_on_three_spirals_reaches_095(tmp_path):
    _, metrics = run(tmp_path, "--dataset", "spirals")
    assert metrics["classes"] == 3 and metrics["loss"] == "cross_entropy"
    assert metrics["train_accuracy"] >= 0.95 and metrics["test_accuracy"] >= 0.9


@needs_dot
def test_digits_for_two_epochs_writes_the_digit_pictures(tmp_path):
    out, metrics = run(tmp_path, "--dataset", "digits", "--epochs", "2", "--hidden", "8")
    assert set(metrics) == METRICS_KEYS
    assert metrics["task"] == "ten-class" and metrics["classes"] == 10 and metrics["loss"] == "cross_entropy"
    assert metrics["activation"] == "tanh" and metrics["features"] == 64 and metrics["noise"] is None
    assert (metrics["samples"], metrics["train_samples"], metrics["test_samples"]) == (1797, 1438, 359)
    assert set(os.listdir(out)) == {"model.json", "loss.png", "confusion_matrix.png", "test_images.png",
                                    "network.svg", "metrics.json"}
    assert (out / "test_images.png").read_bytes().startswith(PNG)
    assert len(metrics["history"]["test_accuracy"]) == 2
    model = load(out / "model.json")
    assert model.config() == {"nin": 64, "nouts": [8, 10], "activation": "tanh", "output_activation": "linear"}
    X, y = data.load_digits()
    _, X_test, _, y_test = data.train_test_split(X, y, 0.2, seed=0)
    assert evaluate(model, X_test, y_test, "cross_entropy") == (metrics["test_loss"], metrics["test_accuracy"])
    counts = np.array(metrics["confusion_matrix"]["counts"])
    assert metrics["confusion_matrix"]["labels"] == [str(d) for d in range(10)]
    assert counts.sum(axis=1).tolist() == np.bincount(y_test).tolist()
    assert np.trace(counts) / 359 == metrics["test_accuracy"]
    # the network on a test image: 64 pixel inputs, 8 hidden units, 10 outputs
    picture = (out / "network.svg").read_text()
    assert {"inputs: 64", "L0: 8 tanh units", "L1: 10 linear units"} <= set(re.findall(r">([^<>]+)</text>", picture))
    assert picture.count('class="node"') == 64 + 8 + 10 + 3  # units and the three column boxes


@needs_dot
def test_digits_two_vs_rest_has_one_sigmoid_output_and_two_classes(tmp_path):
    _, metrics = run(tmp_path, "--dataset", "digits", "--task", "two-vs-rest", "--epochs", "1", "--hidden", "4")
    assert metrics["task"] == "two-vs-rest" and metrics["classes"] == 2
    assert metrics["loss"] == "binary_cross_entropy"
    assert metrics["confusion_matrix"]["labels"] == ["not 2", "2"]
    counts = np.array(metrics["confusion_matrix"]["counts"])
    X, y = data.load_digits()
    _, _, _, y_test = data.train_test_split(X, y == 2, 0.2, seed=0)
    assert counts.sum(axis=1).tolist() == [int(np.sum(~y_test)), int(np.sum(y_test))]  # 324 others, 35 twos


@needs_dot
def test_flags_reach_the_model_and_progress_lines_print_off_a_terminal(tmp_path, capsys):
    out = tmp_path / "o"
    main(["--dataset", "blobs", "--classes", "4", "--samples", "40", "--hidden", "5", "--activation", "tanh",
          "--optimizer", "sgd", "--lr", "0.05", "--epochs", "10", "--batch-size", "0", "--seed", "3",
          "--test-fraction", "0", "--out", str(out)])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"] == 4 and metrics["batch_size"] is None and metrics["momentum"] == 0.9
    assert metrics["test_samples"] == 0 and metrics["test_accuracy"] is None and metrics["history"]["test_loss"] == []
    assert metrics["confusion_matrix"]["on"] == "training set (no test set)"
    model = load(out / "model.json")
    assert model.config() == {"nin": 2, "nouts": [5, 4], "activation": "tanh", "output_activation": "linear"}
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("training MLP(") and "40 samples, none held out" in lines[0]
    assert [line.split()[1] for line in lines[1:-1]] == [f"{e}/10" for e in range(1, 11)]
    assert "test loss" not in lines[1]
    assert lines[-1].startswith("blobs: train accuracy") and "(no test set)" in lines[-1]


def test_help_prints_every_default_once(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    options = re.split(r"\n  (?=-)", text.split("options:", 1)[1])
    helps = {entry.split()[0].rstrip(","): " ".join(entry.split()) for entry in options if entry.strip()}
    assert "--dataset" in helps and "--optimizer" in helps and "--test-fraction" in helps
    for flag, entry in helps.items():
        if flag in ("-h", "--quiet"):
            assert "default" not in entry
        else:
            assert entry.count("(default:") == 1, entry
            assert "(default: None)" not in entry, entry
    assert "(default: moons)" in helps["--dataset"] and "(default: adam)" in helps["--optimizer"]
    assert "(default: 0.2)" in helps["--test-fraction"]
    assert "(default: 100; 60 for spirals, 10 for digits)" in helps["--epochs"]
    assert "(default: 16 16; 32 for digits)" in helps["--hidden"]
    # the defaults the help states are the ones used
    args = nn.cli.parse_args(["--out", "unused"])
    assert (args.dataset, args.optimizer, args.test_fraction, args.lr, args.batch_size, args.seed) == \
        ("moons", "adam", 0.2, 0.01, 32, 0)
    digits = nn.cli.parse_args(["--dataset", "digits", "--out", "unused"])
    assert (digits.epochs, digits.hidden, digits.activation, digits.task) == (10, [32], "tanh", "ten-class")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--classes", "3"], "--classes applies to spirals and blobs; moons has 2 classes"),
        (["--batch-size", "-1"], "--batch-size must be >= 0 (0 means the full batch), got -1"),
        (["--epochs", "0"], "--epochs must be from 1 to 1,000,000, got 0"),
        (["--samples", "1"], "--samples must be from the number of classes (2) to 1,000,000, got 1"),
        (["--hidden", "16", "0"], "--hidden must be sizes of at least 1, got [16, 0]"),
        (["--lr", "-1"], "--lr must be in (0, 10], got -1.0"),
        (["--lr", "0"], "--lr must be in (0, 10], got 0.0"),
        (["--lr", "inf"], "--lr must be in (0, 10], got inf"),
        (["--lr", "1e300"], "--lr must be in (0, 10], got 1e+300"),
        (["--lr", "nan"], "--lr must be in (0, 10], got nan"),
        (["--momentum", "inf"], "--momentum must be in [0, 1), got inf"),
        (["--momentum", "1"], "--momentum must be in [0, 1), got 1.0"),
        (["--weight-decay", "inf"], "--weight-decay must be in [0, 1], got inf"),
        (["--weight-decay", "nan"], "--weight-decay must be in [0, 1], got nan"),
        (["--noise", "inf"], "--noise must be in [0, 10] (the points lie within about 2 of the origin), got inf"),
        (["--noise", "-0.1"], "--noise must be in [0, 10] (the points lie within about 2 of the origin), got -0.1"),
        (["--seed", "-1"], "--seed must be an int >= 0, got -1"),
        (["--test-fraction", "1"], "--test-fraction must be in [0, 1) (0 holds out nothing), got 1.0"),
        (["--test-fraction", "-0.2"], "--test-fraction must be in [0, 1) (0 holds out nothing), got -0.2"),
        (["--dataset", "spirals", "--loss", "hinge"], "--loss hinge separates two classes; spirals has 3"),
        (["--dataset", "digits", "--loss", "binary_cross_entropy"],
         "--loss binary_cross_entropy separates two classes; digits has 10"),
        (["--dataset", "rings"], "invalid choice: 'rings'"),
        (["--task", "two-vs-rest"], "--task applies to digits; moons has its own classes"),
        (["--dataset", "digits", "--samples", "100"], "--samples applies to the generated 2-D sets"),
        (["--dataset", "digits", "--noise", "0.1"], "--noise applies to the generated 2-D sets"),
        (["--dataset", "digits", "--classes", "3"], "--classes applies to spirals and blobs; digits has 10 classes"),
        (["--out", ""], "--out must name a folder, got ''"),
        (["--out", "  "], "--out must name a folder, got '  '"),
    ],
)
def test_bad_flags_exit_with_a_message_before_training(capsys, no_training, args, message):
    with pytest.raises(SystemExit) as info:
        main(args if "--out" in args else [*args, "--out", "unused"])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_test_fraction_that_holds_out_nothing_is_refused_before_training(tmp_path, capsys, no_training):
    with pytest.raises(SystemExit) as info:
        main(["--samples", "10", "--test-fraction", "0.01", "--out", str(tmp_path / "o")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--test-fraction 0.01: test_fraction 0.01 of 10 samples gives a test set of 0" in err
    assert not (tmp_path / "o").exists() and leftovers(tmp_path) == []


def test_out_that_is_a_file_is_refused_before_training(tmp_path, capsys, no_training):
    target = tmp_path / "results"
    target.write_text("mine")
    with pytest.raises(SystemExit) as info:
        main(["--out", str(target)])
    assert info.value.code == 2
    assert f"--out {target} is a file, not a folder" in capsys.readouterr().err
    assert target.read_text() == "mine"


def test_out_holding_other_files_is_refused_before_training(tmp_path, capsys, no_training):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "metrics.json").write_text("{}")
    with pytest.raises(SystemExit) as info:
        main(["--out", str(folder)])
    assert info.value.code == 2
    assert "holds files this program did not write (notes.txt)" in capsys.readouterr().err
    assert snapshot(folder) == {"metrics.json": b"{}", "notes.txt": b"mine"}


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create entries in. Root ignores permission bits, so as
    root the test uses /sys, which the kernel keeps read-only for everyone."""
    if os.name == "posix" and os.geteuid() == 0:
        if not Path("/sys").is_dir():
            pytest.skip("running as root without /sys: no folder is read-only for root here")
        return Path("/sys")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_out_in_a_read_only_folder_is_refused_before_training(tmp_path, capsys, no_training):
    parent = _read_only_folder(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["--out", str(parent / "out"), "--quiet"])
    assert info.value.code == 2
    assert f"--out {parent / 'out'}: cannot write there:" in capsys.readouterr().err
    assert not (parent / "out").exists()


@needs_dot
def test_a_second_run_replaces_the_first_runs_files_all_together(tmp_path):
    out = tmp_path / "out"
    main(["--samples", "20", "--epochs", "2", "--out", str(out), "--quiet"])
    assert "decision_boundary.png" in os.listdir(out)
    main(["--dataset", "digits", "--epochs", "1", "--hidden", "2", "--out", str(out), "--quiet"])
    metrics = json.loads((out / "metrics.json").read_text())
    # nothing of the moons run is left beside the digits run's files
    assert metrics["dataset"] == "digits"
    assert set(os.listdir(out)) == set(metrics["files"].values())
    assert "decision_boundary.png" not in os.listdir(out)
    assert leftovers(tmp_path) == []


@needs_dot
def test_a_run_that_diverges_writes_nothing_and_keeps_the_last_run(tmp_path, capsys):
    out = tmp_path / "out"
    main(["--samples", "20", "--epochs", "2", "--out", str(out), "--quiet"])
    before = snapshot(out)
    # a linear network under mse with SGD at lr 10 grows geometrically until it overflows
    with pytest.raises(SystemExit) as info:
        main(["--activation", "linear", "--loss", "mse", "--optimizer", "sgd", "--lr", "10", "--epochs", "20",
              "--out", str(out), "--quiet"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "training diverged: the loss was nan in epoch" in err and "try a smaller --lr than 10" in err
    assert snapshot(out) == before and leftovers(tmp_path) == []


@needs_dot
def test_a_failure_while_writing_keeps_the_last_run(tmp_path, monkeypatch):
    out = tmp_path / "out"
    main(["--samples", "20", "--epochs", "2", "--out", str(out), "--quiet"])
    before = snapshot(out)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(nn.cli.plots, "confusion_matrix", broken)
    with pytest.raises(OSError, match="disk full"):
        main(["--samples", "20", "--epochs", "3", "--seed", "1", "--out", str(out), "--quiet"])
    assert snapshot(out) == before and leftovers(tmp_path) == []


@needs_dot
def test_python_dash_m_nn(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nn", "--dataset", "xor", "--samples", "20", "--epochs", "2",
         "--out", str(tmp_path / "o")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("xor: test accuracy")
    assert np.isfinite(json.loads((tmp_path / "o" / "metrics.json").read_text())["train_loss"])


@needs_dot
def test_the_network_picture_shows_this_samples_deltas_and_leaves_the_grads(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():  # leftovers of a training step stay as they were
        p.grad = 7.0
    args = parse_args(["--out", str(tmp_path / "o")])
    path = draw_sample(model, np.array([2.0, 4.0]), 1, args, ["0", "1"], "Sample 5 of the test set", tmp_path / "g.svg")
    assert path.name == "g.svg" and all(p.grad == 7.0 for p in model.parameters())
    text = path.read_text()
    assert "Sample 5 of the test set, class 1, through the trained network, hinge loss:" in text
    # hinge on one output with label +1: the output's delta is -1 while the margin is under 1
    score = model([2.0, 4.0]).data
    assert (f"δ {-1 if score < 1 else 0}" in text) and "x = (2, 4)" in text


def test_the_network_picture_without_graphviz_falls_back_to_dot_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` to be found
    args = parse_args(["--out", str(tmp_path / "o")])
    path = draw_sample(MLP(2, [3, 1], seed=0), np.array([1.0, 1.0]), 0, args, ["0", "1"], "x", tmp_path / "g.svg")
    assert path.name == "g.gv" and path.read_text().startswith("digraph")
    assert not (tmp_path / "g.svg").exists()
    assert "wrote the DOT source" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["dir/model.pt", "model.pth", ".pt", ""])
def test_torch_out_must_be_a_file_name_ending_in_pt(name, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--torch-out", name, "--out", str(tmp_path / "o")])
    assert stopped.value.code == 2
    assert "--torch-out must be a file name ending in .pt" in capsys.readouterr().err


def test_torch_out_without_torch_is_refused_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(SystemExit):
        parse_args(["--torch-out", "--out", str(tmp_path / "o")])
    assert "--torch-out needs PyTorch, an optional dependency of chainrule: pip install torch" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@needs_dot
def test_torch_out_writes_the_trained_model_as_a_state_dict(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch (optional) is not installed: pip install torch")
    out, metrics = run(tmp_path, "--epochs", "2", "--torch-out", "net.pt")
    assert metrics["files"]["torch_model"] == "net.pt" and (out / "net.pt").exists()
    model = load(out / "model.json")
    net = nn.to_torch(model)
    for p in net.parameters():
        p.data.zero_()
    net.load_state_dict(torch.load(out / "net.pt"))
    x = [0.3, -0.7]
    # to 1e-12, as nn.to_torch promises: PyTorch sums a layer in its own order
    assert abs(net(torch.tensor([x], dtype=torch.float64)).item() - model(x).data) <= 1e-12
    # a later run without the flag may replace a folder holding an earlier run's .pt
    run(tmp_path, "--epochs", "1")


def test_a_run_whose_final_losses_are_not_finite_writes_nothing(tmp_path, capsys):
    # The report: every epoch's mean loss was finite, but the trained model's was inf, and
    # metrics.json said "train_loss": Infinity, which is not JSON.
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["--optimizer", "sgd", "--lr", "10", "--momentum", "0.99", "--loss", "mse", "--epochs", "4",
              "--batch-size", "0", "--out", str(out), "--quiet"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "training diverged: the trained model's loss on the training set is" in err
    assert f"Nothing was written to {out}" in err
    assert not out.exists() and leftovers(tmp_path) == []


def test_metrics_json_is_strict_json(tmp_path):
    out, _ = run(tmp_path, "--samples", "20", "--epochs", "1")
    text = (out / "metrics.json").read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"metrics.json holds {name}"))


@pytest.mark.parametrize("args, message", [
    (["--hidden", "1000000000"],
     "--hidden 1000000000 makes a model of 4,000,000,001 parameters, more than the limit of 1,000,000"),
    (["--hidden", "5000", "5000"], "--hidden 5000 5000 makes a model of 25,025,001 parameters, more than the limit"),
    (["--dataset", "blobs", "--classes", "100000", "--samples", "100000"],
     "--classes must be from 2 to 100, got 100000"),
    (["--samples", "1000000000"], "--samples must be from the number of classes (2) to 1,000,000, got 1000000000"),
    (["--epochs", str(10**30)], f"--epochs must be from 1 to 1,000,000, got {10**30}"),
    (["--hidden", "700", "700"],
     "--batch-size 32: a step through 493,501 parameters records about 31,584,064 edges, more than the limit "
     "of 10,000,000; use a smaller --batch-size (at most 10) or --hidden"),
    (["--batch-size", "0", "--samples", "1000000", "--hidden", "64"],
     "--batch-size 0 (the full batch of 800,000 samples): a step through 257 parameters records about "),
    (["--noise", "1e308"], "--noise must be in [0, 10] (the points lie within about 2 of the origin), got 1e+308"),
], ids=["hidden 1e9", "hidden 5000 5000", "classes 100000", "samples 1e9", "epochs 1e30", "hidden 700 700",
        "a full batch of 800,000", "noise 1e308"])
def test_sizes_beyond_the_limits_are_refused_in_one_line_before_any_work(capsys, monkeypatch, args, message):
    # The report: --hidden 1000000000 ran 69 s and then raised MemoryError; --epochs 10**30
    # raised OverflowError. The flags are checked before any data or model is made.
    def no_work(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(nn.cli, "MLP", no_work)
    monkeypatch.setattr(nn.cli, "make_dataset", no_work)
    with pytest.raises(SystemExit) as info:
        main([*args, "--out", "unused"])
    assert info.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], errors


def test_the_limits_are_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for limit in ("at most 1,000,000 (--samples)", "2 to 100", "at most 1,000,000 parameters", "1 to 1,000,000",
                  "at most 10,000,000 edges", "in [0, 10]"):
        assert limit in text, limit


def test_out_on_a_mount_point_is_refused_before_training(tmpfs, capsys, no_training):
    mount_point = tmpfs("volume", "1m")  # a file system of its own, as a container volume is
    # The report: the run trained, then renaming --out failed with EBUSY and every output was lost.
    with pytest.raises(SystemExit) as info:
        main(["--out", str(mount_point), "--quiet"])
    assert info.value.code == 2
    assert (f"--out {mount_point} is a mount point, which a run cannot replace; name a folder inside it"
            in capsys.readouterr().err)
    assert os.listdir(mount_point) == [] and leftovers(mount_point.parent) == []


@pytest.mark.parametrize("out", [".", "..", "./"])
def test_out_that_is_or_holds_the_working_directory_is_refused(tmp_path, monkeypatch, capsys, no_training, out):
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    with pytest.raises(SystemExit) as info:
        main(["--out", out, "--quiet"])
    assert info.value.code == 2
    assert f"--out {out} is the working directory or holds it, which a run would replace" in capsys.readouterr().err
    assert os.listdir(here) == [] and leftovers(tmp_path) == []


def test_the_limits_of_out_are_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "not a mount point or the working directory" in " ".join(capsys.readouterr().out.split())


@needs_dot
def test_an_interrupt_between_the_two_renames_puts_the_last_run_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    main(["--samples", "20", "--epochs", "1", "--out", str(out), "--quiet"])
    before = snapshot(out)
    renames = []
    real_rename = os.rename

    def rename(source, target):
        renames.append(target)
        if len(renames) == 2:  # --out has moved aside; the new run is not in its place yet
            raise KeyboardInterrupt
        real_rename(source, target)

    monkeypatch.setattr(nn.cli.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        main(["--samples", "20", "--epochs", "1", "--seed", "1", "--out", str(out), "--quiet"])
    monkeypatch.undo()
    assert snapshot(out) == before and leftovers(tmp_path) == []


def test_a_swap_interrupted_by_a_kill_is_restored_by_the_next_run(tmp_path, capsys, no_training):
    # What a SIGKILL between publish's renames leaves: --out missing, the last run aside.
    aside = tmp_path / ".out.previous-4242-0a1b2c3d"
    aside.mkdir()
    (aside / "metrics.json").write_text("{}")
    out = tmp_path / "out"
    args = parse_args(["--out", str(out)])
    assert args.out == out and snapshot(out) == {"metrics.json": b"{}"} and leftovers(tmp_path) == []
    assert f"put back {out}, the last run's files, from {aside.name}" in capsys.readouterr().err
    # And once the swap had finished, only the folder put aside is left to remove.
    aside.mkdir()
    (aside / "metrics.json").write_text("{}")
    parse_args(["--out", str(out)])
    assert snapshot(out) == {"metrics.json": b"{}"} and leftovers(tmp_path) == []


def test_sigterm_cleans_up_as_sigint_does(tmp_path):
    # The report: SIGTERM (what `kill` and container stops send) left .out.partial-* behind.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen([sys.executable, "-m", "nn", "--epochs", "1000000", "--out", str(tmp_path / "out"),
                            "--quiet"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(600):  # until training has started: its staging folder is there
            if leftovers(tmp_path) or run.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"])
        assert leftovers(tmp_path), run.communicate(timeout=60)
        run.terminate()
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 143, err.decode()
    assert "python -m nn: error: terminated (SIGTERM); nothing was written to" in err.decode()
    assert leftovers(tmp_path) == [] and not (tmp_path / "out").exists()
