"""``python -m nn --record NAME.html [--record-every K]``: the training player written into --out,
its flags checked before training, nothing written when training diverges."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browser import page_data

import nn.cli
from nn.cli import main, parse_args

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
SMALL = ["--samples", "30", "--hidden", "4", "--quiet"]


def frames_in(page: str) -> list[str]:
    return [c.split(":")[0] for c in page_data(page)["captions"]]


def test_the_player_is_written_into_out_with_a_frame_every_k_epochs(tmp_path):
    out = tmp_path / "out"
    assert main([*SMALL, "--epochs", "7", "--record", "training.html", "--record-every", "3", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["files"]["recording"] == "training.html" and (out / "training.html").is_file()
    page = (out / "training.html").read_text(encoding="utf-8")
    assert frames_in(page) == ["Before training (epoch 0 of 7)", "After epoch 3 of 7", "After epoch 6 of 7",
                               "After epoch 7 of 7"]
    assert page.count("var passes = ") == 1  # the largest-loss point's backward pass at each frame
    # a second run may replace the first one's player (it is one of the files a run writes)
    assert main([*SMALL, "--epochs", "2", "--record", "training.gif", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".html", ".gif")) == ["training.gif"]


def test_record_every_defaults_to_a_twentieth_of_the_epochs(tmp_path):
    assert parse_args(["--record", "t.html", "--out", str(tmp_path / "o")]).record_every == 5  # moons: 100 epochs
    assert parse_args(["--record", "t.html", "--epochs", "7", "--out", str(tmp_path / "o")]).record_every == 1
    assert parse_args(["--out", str(tmp_path / "o")]).record is None


@pytest.fixture
def no_training(monkeypatch):
    def fit(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(nn.cli, "fit", fit)


@pytest.mark.parametrize("argv, message", [
    (["--record-every", "3"], "--record-every applies with --record NAME.html"),
    (["--record", "sub/training.html"], "--record must be a file name ending in .html or .gif (written into --out), "
                                        "got 'sub/training.html'"),
    (["--record", "training.png"], "--record must be a file name ending in .html or .gif"),
    (["--record", "t.html", "--record-every", "0"], "--record-every must be at least 1, got 0"),
    (["--record", "t.html", "--epochs", "3000", "--record-every", "1"],
     "--record t.html: 3001 frames (one every 1 epochs) make a page of about 928 MB, more than 30 MB; "
     "choose a larger --record-every, such as 32"),
])
def test_bad_record_flags_are_refused_before_training(tmp_path, capsys, no_training, argv, message):
    with pytest.raises(SystemExit) as info:
        main([*argv, "--out", str(tmp_path / "out")])
    assert info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_suggested_record_every_fits(tmp_path):
    args = parse_args(["--record", "t.html", "--epochs", "3000", "--record-every", "32", "--out", str(tmp_path)])
    assert args.record_every == 32


def test_a_diverged_run_writes_no_player(tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["--activation", "linear", "--loss", "mse", "--optimizer", "sgd", "--lr", "10", "--epochs", "20",
              "--record", "training.html", "--out", str(out), "--quiet"])
    assert info.value.code == 1 and "training diverged" in capsys.readouterr().err
    assert not out.exists() and os.listdir(tmp_path) == []


def test_python_m_nn_record(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "nn", *SMALL, "--epochs", "4", "--record", "training.html",
                             "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "training.html" in result.stdout and (out / "training.html").stat().st_size > 10_000
