"""bench/demo_step.py: every engine runs micrograd's demo step from the same weights and floats,
so their loss curves agree (what bench/run.py checks before it compares times)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("micrograd", reason="micrograd 0.1.0 is the bench extra (make bench installs it)")


def demo_step(engine: str, steps: int = 3) -> dict:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "demo_step.py"), engine, "--steps", str(steps)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_chainrule_and_micrograd_train_the_same_network():
    ours, theirs = demo_step("chainrule"), demo_step("micrograd")
    assert ours["engine"] == "chainrule" and len(ours["seconds"]) == len(ours["losses"]) == 3
    # the same floats through the same network: equal up to the order of float additions
    assert ours["losses"] == pytest.approx(theirs["losses"], rel=1e-13, abs=0)
    assert ours["losses"][2] < ours["losses"][0]  # it trains


def test_torch_scalars_train_the_same_network():
    pytest.importorskip("torch", reason="PyTorch is an optional oracle")
    assert demo_step("torch")["losses"] == pytest.approx(demo_step("chainrule")["losses"], rel=1e-13, abs=0)


def test_naming_the_nodes_changes_no_number():
    named, unnamed = demo_step("chainrule"), demo_step("chainrule-unnamed")
    assert named["losses"] == unnamed["losses"]  # bit for bit: labels are not arithmetic


def test_the_tape_and_torch_batched_tensors_train_the_same_network():
    # the tape's loss is the mean over samples of (hinge + L2 term): the same sum, reordered
    ours = demo_step("chainrule")["losses"]
    assert demo_step("tape")["losses"] == pytest.approx(ours, rel=1e-13, abs=0)
    pytest.importorskip("torch", reason="PyTorch is an optional oracle")
    assert demo_step("torch-batched")["losses"] == pytest.approx(ours, rel=1e-13, abs=0)
