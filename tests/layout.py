"""Read a rendered drawing's geometry back from Graphviz's ``-Tjson`` and measure readability.

Shared by the drawing tests: whether every edge label sits on its own edge and nowhere near
another, whether anything overlaps, and where each node ended up.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

_LABEL = re.compile(r"^e\d+$")


@dataclass
class Geometry:
    boxes: dict[str, tuple[float, float, float, float]]  # name -> (left, bottom, right, top), points
    curves: list[tuple[str, str, list[tuple[float, float]]]]  # (tail, head, sampled points)
    circles: set[str]  # nodes drawn as circles inside their box
    y_down: bool = False  # SVG's y grows downwards, -Tjson's upwards

    def centre(self, name: str) -> tuple[float, float]:
        left, bottom, right, top = self.boxes[name]
        return (left + right) / 2, (bottom + top) / 2


def geometry(diagram) -> Geometry:
    """Node boxes and sampled edge curves of ``diagram`` as Graphviz lays it out."""
    doc = json.loads(diagram.pipe(format="json"))
    names = {}
    boxes = {}
    circles = set()
    for obj in doc.get("objects", []):
        if "pos" not in obj or "nodes" in obj:
            continue
        names[obj["_gvid"]] = obj["name"]
        if obj.get("shape") == "circle":
            circles.add(obj["name"])
        x, y = map(float, obj["pos"].split(","))
        w, h = float(obj["width"]) * 36.0, float(obj["height"]) * 36.0
        boxes[obj["name"]] = (x - w, y - h, x + w, y + h)
    curves = []
    for edge in doc.get("edges", []):
        curves.append((names[edge["tail"]], names[edge["head"]], _sample(edge.get("pos", ""))))
    return Geometry(boxes, curves, circles)


_SVG = "{http://www.w3.org/2000/svg}"


def svg_geometry(svg: str) -> Geometry:
    """The same geometry read from Graphviz's SVG, as a notebook shows it (y grows downwards
    here; distances and overlaps do not care)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    boxes, curves, circles = {}, [], set()
    for group in root.iter(f"{_SVG}g"):
        kind = group.get("class")
        title = group.find(f"{_SVG}title")
        if kind not in ("node", "edge") or title is None:
            continue
        name = title.text or ""
        if kind == "node":
            shape = next((e for e in group.iter() if e.tag in (f"{_SVG}polygon", f"{_SVG}ellipse", f"{_SVG}path")), None)
            if shape is None:
                continue
            if shape.tag == f"{_SVG}ellipse":
                cx, cy, rx, ry = (float(shape.get(k)) for k in ("cx", "cy", "rx", "ry"))
                boxes[name] = (cx - rx, cy - ry, cx + rx, cy + ry)
                circles.add(name)
                continue
            points = _numbers(shape.get("points") or shape.get("d"))
            xs, ys = points[0::2], points[1::2]
            boxes[name] = (min(xs), min(ys), max(xs), max(ys))
        else:
            tail, head = name.split("->")
            path = next((e for e in group.iter(f"{_SVG}path")), None)
            if path is not None:
                curves.append((tail, head, _sample(_svg_path_to_pos(path.get("d")))))
    return Geometry(boxes, curves, circles, y_down=True)


def _numbers(text: str) -> list[float]:
    return [float(t) for t in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _svg_path_to_pos(d: str) -> str:
    """Graphviz's edge paths are ``M x,y C x,y x,y x,y ...``: the same points as its ``pos``."""
    values = _numbers(d)
    return " ".join(f"{x},{y}" for x, y in zip(values[0::2], values[1::2]))


def _sample(pos: str, per_segment: int = 16) -> list[tuple[float, float]]:
    """Points along a Graphviz B-spline (``e,x,y`` / ``s,x,y`` end markers dropped)."""
    points = [tuple(map(float, t.split(","))) for t in pos.split() if not t.startswith(("e,", "s,"))]
    out = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        for k in range(per_segment + 1):
            t = k / per_segment
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out or points


def _distance_to_box(point, box) -> float:
    left, bottom, right, top = box
    dx = max(left - point[0], 0.0, point[0] - right)
    dy = max(bottom - point[1], 0.0, point[1] - top)
    return math.hypot(dx, dy)


def label_report(g: Geometry) -> dict:
    """For every edge label: the distance from its centre to its own edge and to the nearest
    other edge. A label is a node ``e<i>`` its edge runs through: the edge is drawn into the
    label and on out of it, so its own distance is 0 when both halves touch the label box.
    ``misattributed`` lists labels some other edge comes at least as near; ``touched`` lists
    labels whose box another edge's curve enters."""
    labels = [name for name in g.boxes if _LABEL.match(name)]
    report = {"labels": len(labels), "misattributed": [], "touched": []}
    for name in labels:
        box = g.boxes[name]
        centre = g.centre(name)
        own = [pts for tail, head, pts in g.curves if name in (tail, head)]
        # The two halves meet the label's box: the own edge passes through its centre.
        own_distance = 0.0 if len(own) == 2 and all(
            min(_distance_to_box(p, box) for p in pts) < 1.0 for pts in own) else math.inf
        others = [pts for tail, head, pts in g.curves if name not in (tail, head)]
        nearest = min((math.dist(centre, p) for pts in others for p in pts), default=math.inf)
        if nearest <= own_distance:
            report["misattributed"].append(name)
        if any(_distance_to_box(p, box) == 0.0 for pts in others for p in pts):
            report["touched"].append(name)
    return report


def overlaps(g: Geometry, ignore=()) -> list[tuple[str, str]]:
    """Pairs of boxes (nodes and labels) that overlap; ``ignore`` names boxes left out
    (a layer box contains its nodes on purpose)."""
    names = [n for n in g.boxes if n not in ignore]
    found = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (l1, b1, r1, t1), (l2, b2, r2, t2) = g.boxes[a], g.boxes[b]
            if not (min(r1, r2) - max(l1, l2) > 0.5 and min(t1, t2) - max(b1, b2) > 0.5):
                continue
            circle, other = (a, b) if a in g.circles else (b, a)
            if circle in g.circles:  # a circle only fills the middle of its box
                radius = (g.boxes[circle][2] - g.boxes[circle][0]) / 2
                if _distance_to_box(g.centre(circle), g.boxes[other]) > radius - 0.5:
                    continue
            found.append((a, b))
    return found


def box_problems(g: Geometry, caption_height: float = 16.0) -> list[str]:
    """What is wrong with a drawing's layer boxes (nodes named ``group ...``): boxes that
    overlap, nodes cut by a box's edge (each node lies wholly inside a box or wholly outside),
    and nodes over a box's caption (the strip along its top edge)."""
    boxes = {k: v for k, v in g.boxes.items() if k.startswith("group ")}
    problems = []
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (l1, b1, r1, t1), (l2, b2, r2, t2) = boxes[a], boxes[b]
            if min(r1, r2) - max(l1, l2) > 0 and min(t1, t2) - max(b1, b2) > 0:
                problems.append(f"{a} overlaps {b}")
    for name, (left, bottom, right, top) in g.boxes.items():
        if name in boxes:
            continue
        for key, (bl, bb, br, bt) in boxes.items():
            overlap = min(right, br) - max(left, bl) > 0 and min(top, bt) - max(bottom, bb) > 0
            inside = bl <= left and right <= br and bb <= bottom and top <= bt
            if overlap and not inside:
                problems.append(f"{name} is cut by {key}")
            # The caption strip is along the top: y grows upwards in -Tjson, downwards in SVG.
            strip = (bb, bb + caption_height) if g.y_down else (bt - caption_height, bt)
            if inside and min(top, strip[1]) - max(bottom, strip[0]) > 0.5:
                problems.append(f"{name} covers the caption of {key}")
    return problems
