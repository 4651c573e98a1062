"""The README's examples run, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
# Each Python example, and the output it prints when the README shows it ("prints" and a
# text block right after the example).
BLOCKS = re.findall(r"```python\n(.*?)```(?:\s*prints\s*```text\n(.*?)```)?", README.read_text(encoding="utf-8"), re.S)


def _printed_claims(block: str) -> list[str]:
    """Each ``print(...)  # text`` line claims that ``text`` is a line of the output."""
    return [m.group(1).strip() for m in re.finditer(r"^\s*print\(.*\)\s*#\s*(.+)$", block, re.M)]


def test_the_readme_has_examples():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs_and_prints_what_it_says(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that save files write them here
    block, shown = BLOCKS[index]
    if re.search(r"^(?:import|from) torch\b", block, re.M):
        pytest.importorskip("torch", reason=f"README example {index + 1} needs PyTorch (optional: pip install torch)")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"README.md example {index + 1}", "exec"), {"__name__": "readme_example"})
    if shown:
        assert out.getvalue() == shown
        return
    printed = out.getvalue().splitlines()
    claims = _printed_claims(block)
    for claim in claims:
        assert claim in printed, f"README claims {claim!r} is printed; the output was {printed}"
