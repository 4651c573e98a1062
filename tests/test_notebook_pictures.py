"""Every picture stored in the notebooks, measured as a reader sees it: each edge label on its
own edge with no other edge through it, and nothing overlapping."""

import json
import re
from pathlib import Path

import pytest
from layout import box_problems, label_report, overlaps, svg_geometry

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _pictures():
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            for output in cell.get("outputs", []):
                svg = output.get("data", {}).get("image/svg+xml")
                if svg and 'class="graph"' in "".join(svg):  # Graphviz's, not matplotlib's
                    yield pytest.param("".join(svg), id=f"{path.stem}-cell{i}")


PICTURES = list(_pictures())


def test_the_notebooks_have_pictures():
    assert len(PICTURES) >= 20


@pytest.mark.parametrize("svg", PICTURES)
def test_a_stored_picture_is_readable(svg):
    g = svg_geometry(svg)
    report = label_report(g)
    assert report["misattributed"] == [] and report["touched"] == []
    # A training frame (nn.training_view) draws its data points on the output's map, the node
    # "plane", by design: training points p0, p1, ... and test points t0, t1, ... overlap it
    # and each other, as points on a scatter plot do.
    on_the_map = [k for k in g.boxes if "plane" in g.boxes and re.fullmatch(r"[pt]\d+", k)] + \
        (["plane"] if "plane" in g.boxes else [])
    assert overlaps(g, ignore=[k for k in g.boxes if k.startswith("group ")] + on_the_map) == []
    assert box_problems(g) == []


def test_the_pictures_have_edge_labels_to_measure():
    labels = sum(label_report(svg_geometry(p.values[0]))["labels"] for p in PICTURES)
    assert labels > 150


def test_the_measure_sees_a_label_another_edge_runs_through():
    import graphviz

    # e0 is the text of the edge a -> b; the edge c -> d is drawn straight through it.
    g = graphviz.Digraph(engine="neato", graph_attr={"splines": "false"})
    for name, pos in {"a": "0,0!", "b": "2,0!", "c": "1,-1!", "d": "1,1!"}.items():
        g.node(name, pos=pos, shape="box")
    g.node("e0", label="0.5", pos="1,0!", shape="box")
    g.edge("a", "e0")
    g.edge("e0", "b")
    g.edge("c", "d")
    report = label_report(svg_geometry(g.pipe(format="svg", encoding="utf-8")))
    assert report["labels"] == 1 and report["touched"] == ["e0"]
