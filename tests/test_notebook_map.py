"""notebooks/README.md maps the lecture notes to the notebooks: every notebook it links exists,
and every section and cell id it names is in the notebook it names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TOP_README = NOTEBOOKS.parent / "README.md"
README = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
# [7]: 07_two_views_of_backprop.ipynb
REFS = dict(re.findall(r"^\[(\w+)\]: (\S+)$", README, re.M))
# | deck section | [7] | section | cells |  (the lecture notes' tables, after their heading)
MAP_ROWS = re.findall(r"^\|[^|\n]*\| \[(\w+)\] \| ([^|\n]*) \| ([^|\n]*) \|$",
                      README.split("## The lecture notes, section by section", 1)[1], re.M)


def _cells(name: str) -> list[dict]:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]


def _without_parentheses(text: str) -> str:
    """The text with every (balanced) parenthesised remark taken out."""
    out, depth = [], 0
    for ch in text:
        depth += ch == "("
        if depth == 0:
            out.append(ch)
        depth -= ch == ")" and depth > 0
    return "".join(out)


def _named_ids(cells_column: str) -> list[tuple[str, ...]]:
    """Each id or id range (first, last) that a map row names."""
    named = []
    for item in _without_parentheses(cells_column).split(","):
        item = item.strip()
        if item:
            named.append(tuple(part.strip() for part in item.split("–")))
    return named


def _headings(cells: list[dict]) -> list[str]:
    found = []
    for cell in cells:
        if cell["cell_type"] == "markdown":
            found += re.findall(r"^#{2,3} (.+)$", "".join(cell["source"]), re.M)
    return found


def test_the_map_has_its_rows():
    assert len(MAP_ROWS) > 150
    assert sorted(REFS, key=int) == [str(n) for n in range(1, 14)]


def test_every_notebook_link_resolves():
    assert set(REFS.values()) == {p.name for p in NOTEBOOKS.glob("*.ipynb")}  # one label per notebook
    for label in re.findall(r"\| \[(\w+)\] \|", README):
        assert label in REFS, f"[{label}] is used in a table but names no notebook"
    texts = {"notebooks/README.md": (README, NOTEBOOKS),
             "README.md": (TOP_README.read_text(encoding="utf-8"), TOP_README.parent)}
    for page in sorted((TOP_README.parent / "docs").rglob("*.md")):  # the documentation site's pages
        texts[str(page.relative_to(TOP_README.parent))] = (page.read_text(encoding="utf-8"), page.parent)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        markdown = "".join("".join(c["source"]) for c in _cells(path.name) if c["cell_type"] == "markdown")
        texts[path.name] = (markdown, NOTEBOOKS)
    for where, (text, folder) in texts.items():
        for target in re.findall(r"\]\(([^)#\s]+\.ipynb)(?:#[^)]*)?\)", text):
            assert (folder / target).is_file(), f"{where} links {target}, which does not exist"
    assert len(re.findall(r"\]\(notebooks/\d\d_\w+\.ipynb\)", texts["README.md"][0])) >= 13
    assert len(re.findall(r"\]\(\.\./\.\./notebooks/\d\d_\w+\.ipynb\)", texts["docs/guide/notebooks.md"][0])) >= 13


@pytest.mark.parametrize("label, section, cells", MAP_ROWS, ids=[f"row{i}" for i in range(len(MAP_ROWS))])
def test_every_cell_and_section_the_map_names_exists(label, section, cells):
    notebook = _cells(REFS[label])
    ids = [cell.get("id") for cell in notebook]
    for named in _named_ids(cells):
        for cid in named:
            assert cid in ids, f"{cid} is not a cell of {REFS[label]}"
        if len(named) == 2:
            assert ids.index(named[0]) < ids.index(named[1]), f"{named[0]}–{named[1]} runs backwards in {REFS[label]}"
    headings = _headings(notebook)
    for part in re.split(r";|›", section):
        part = part.strip()
        if part in ("introduction", "left out", "not taught"):
            continue
        if re.fullmatch(r"§\d+( to §\d+)?", part):  # a numbered section, or the first and last of a run
            for number in re.findall(r"\d+", part):
                assert any(heading.startswith(f"{number}. ") for heading in headings), f"no section {number}"
            continue
        name = re.sub(r"^§\d+ ", "", part)
        assert any(name in heading for heading in headings), f"no heading {name!r} in {REFS[label]}"
