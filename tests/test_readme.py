"""The examples of the README and of the documentation site's pages (docs/**/*.md) run, and
print what the text says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
# Each Python example, and the output it prints when the text shows it ("prints" and a text
# block right after the example).
EXAMPLE = re.compile(r"```python\n(.*?)```(?:\s*prints\s*```text\n(.*?)```)?", re.S)
BLOCKS = [(page.relative_to(ROOT).as_posix(), number, block, shown)
          for page in PAGES
          for number, (block, shown) in enumerate(EXAMPLE.findall(page.read_text(encoding="utf-8")), 1)]


def _printed_claims(block: str) -> list[str]:
    """Each ``print(...)  # text`` line claims that ``text`` is a line of the output."""
    return [m.group(1).strip() for m in re.finditer(r"^\s*print\(.*\)\s*#\s*(.+)$", block, re.M)]


def test_the_readme_and_the_guide_have_examples():
    where = [page for page, *_ in BLOCKS]
    assert where.count("README.md") >= 1
    assert len(BLOCKS) >= 25
    for page in ("engine", "chain-rule", "nn", "transforms", "numerics", "tape", "gallery"):
        assert f"docs/guide/{page}.md" in where, page


@pytest.mark.parametrize("page, number, block, shown", BLOCKS, ids=[f"{page}-{number}" for page, number, *_ in BLOCKS])
def test_example_runs_and_prints_what_it_says(page, number, block, shown, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that save files write them here
    if re.search(r"^(?:import|from) torch\b", block, re.M):
        pytest.importorskip("torch", reason=f"{page} example {number} needs PyTorch (optional: pip install torch)")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"{page} example {number}", "exec"), {"__name__": "readme_example"})
    if shown:
        assert out.getvalue() == shown
        return
    printed = out.getvalue().splitlines()
    claims = _printed_claims(block)
    for claim in claims:
        assert claim in printed, f"{page} claims {claim!r} is printed; the output was {printed}"


def test_the_readme_is_a_landing_page_whose_links_resolve():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    assert "make docs" in text and "pip install ." in text and "make demo" in text and "make test" in text
    pictures = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    assert "docs/backward_steps.gif" in pictures and any(p.endswith(".svg") for p in pictures), pictures
    links = [target for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text) if "://" not in target]
    for target in links:
        assert (ROOT / target).exists(), f"README.md links {target}, which does not exist"
    # Every page of the guide is linked from the landing page.
    for page in sorted((ROOT / "docs" / "guide").glob("*.md")):
        assert f"docs/guide/{page.name}" in links, page.name
