"""Turn a ``Picture`` into a Graphviz diagram.

Two rules keep every number on its own edge:

* An edge's text is a small node of its own that the edge passes through: the arrow runs
  from the tail into the number and on from the number to the head, so the number cannot
  be read as another edge's. ``ordering=in`` then puts the numbers in front of a node in
  the order of its inputs.
* Layer boxes are drawn after the layout, around where ``dot`` put their nodes. ``dot``'s own
  clusters would scramble that input order, so a picture with groups is laid out once
  without them, and then drawn with every node and curve pinned where ``dot`` put it (and
  the boxes added) by ``neato -n2``. A player pins all of its frames to one layout, so
  nothing moves from frame to frame but the text.

Every Graphviz run goes through one function: the ``dot`` and ``neato`` programs by default
(through the ``graphviz`` package, which starts a process), or the one given to
``set_graphviz(run)``, called as ``run(source, format, engine)`` and returning what
``<engine> -T<format>`` prints (``engine`` is ``"dot"``, or ``"nop2"`` for a pinned diagram:
Graphviz's name for ``neato -n2``). That is how a page that runs chainrule in the browser
(Pyodide, which cannot start processes) lays out and draws with its own Graphviz (viz.js).
Where no process can be started and no function is set, a picture with groups is drawn
plainly instead, its groups as Graphviz clusters, with a warning.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
import tempfile
import threading
import warnings
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import graphviz

from .files import write_atomically
from .picture import Edge, Node, Picture

# One font stack for Graphviz, which measures the text to size each box, and for the browser,
# which draws it: Liberation Sans, Arial and Helvetica share their widths, so text fits its box
# on Linux (Debian's fonts-liberation), Windows and macOS alike. Graphviz writes the stack into
# the SVG as it is. (Graphviz's own "Helvetica" is measured with fontconfig's sans-serif,
# DejaVu Sans on Debian, while browsers draw Liberation Sans for it.)
FONT = "Liberation Sans,Arial,Helvetica,sans-serif"
MONO = "Liberation Mono,Courier New,Courier,monospace"
PNG_DPI = 96  # the pixels a browser gives a point of SVG: the PNG shows as large as the SVG
# A PNG of more pixels than this (1,500 x 1,000) is drawn at fewer dots an inch instead: a
# notebook column would show it scaled down anyway, and a notebook stays small.
MAX_PNG_PIXELS = 1_500_000
FILL = {  # by role: light fills so the black text stays readable
    "input": "#dbeafe",
    "parameter": "#fde68a",
    "intermediate": "#f3f4f6",
    "output": "#bbf7d0",
}
RED = "#dc2626"
_BORDER = "#4b5563"
_EDGE = "#6b7280"
_FAINT = "#6b7280"
_PENDING = "#c0c4cc"
_GROUP = "#9ca3af"
_LEGEND_TEXT = {
    "current": "red: this step / highlighted",
    "incomplete": "dashed: gradient still being summed",
    "pending": "grey: not computed yet",
}
_SWATCHES_A_ROW = 5
_GROUP_PAD = 7.0  # points between a layer's nodes and its box
_CAPTION_HEIGHT = 16.0
_CAPTION_INSET = 3.0  # points between a layer box's caption and its top edge
_CAPTION_CHAR = 6.5  # points per character of an 11-point caption, a generous average
# Where a diagram's DOT text says its node images are; Diagram.pipe writes them to a
# temporary folder and puts its name in place of this.
_IMAGES = "@chainrule-images@"

INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is not on PATH, and it is what turns the graph into a picture "
    "(building the graph worked: its DOT text is in `.source`). The pip package `graphviz` "
    "alone is not enough. Install Graphviz, then restart Python: "
    "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
    "macOS `brew install graphviz`, Windows `winget install graphviz`, "
    "conda `conda install -c conda-forge graphviz`, others https://graphviz.org/download/"
)


NO_PROCESSES = (
    "This Python cannot start processes ({error}), and Graphviz runs as one. A page that runs "
    "chainrule in the browser sets autograd.render.set_graphviz(run), run(source, format, engine) "
    "calling its own Graphviz (such as viz.js); the DOT text is in `.source`."
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program and it is not installed."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_GRAPHVIZ)


class NoProcessesError(OSError):
    """Rendering needs Graphviz, which runs as a process, and this Python cannot start one (in
    the browser, through Pyodide), and no ``set_graphviz`` function is set."""


GraphvizRun = Callable[[str, str, str], bytes]
_run: GraphvizRun | None = None
_warned = threading.Event()  # the fallback to a plain drawing warns once


def set_graphviz(run: GraphvizRun | None) -> GraphvizRun | None:
    """Route every Graphviz run of chainrule through ``run(source, format, engine) -> bytes``,
    which must return what ``<engine> -T<format>`` prints for the DOT text ``source``:
    ``engine`` is ``"dot"`` (layout, and plain drawings) or ``"nop2"`` (``neato -n2``: a diagram
    whose nodes and edges are pinned), ``format`` is ``"json"``, ``"svg"`` or ``"png"``.
    ``None`` goes back to the Graphviz programs. Returns the function set before.

    In a browser page with viz.js (``@viz-js/viz``) and Pyodide, for example::

        set_graphviz(lambda source, format, engine:
                     js.viz.renderString(source, to_js({"format": format, "engine": engine})).encode())
    """
    global _run
    if run is not None and not callable(run):
        raise TypeError(f"set_graphviz takes a function run(source, format, engine) -> bytes, or None, "
                        f"got {type(run).__name__}")
    previous, _run = _run, run
    return previous


@contextmanager
def using_graphviz(run: GraphvizRun | None):
    """``set_graphviz(run)`` for the duration of a ``with`` block."""
    previous = set_graphviz(run)
    try:
        yield
    finally:
        set_graphviz(previous)


def graphviz_run() -> GraphvizRun | None:
    """The function set by ``set_graphviz``, or ``None`` (the Graphviz programs)."""
    return _run


def _through_hook(source: str, format: str, engine: str) -> bytes:
    out = _run(source, format, engine)
    if isinstance(out, str):  # a JavaScript string arrives as str
        out = out.encode("utf-8")
    if not isinstance(out, (bytes, bytearray)):
        raise TypeError(f"the set_graphviz function must return bytes (or str), got {type(out).__name__}")
    return bytes(out)


@contextmanager
def dot_required():
    """Turn graphviz's missing-executable error into one that says how to install it."""
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound as missing:
        raise GraphvizNotFoundError() from missing


@contextmanager
def _starting_graphviz():
    """``dot_required``, and the OSError of a process that cannot be started as
    ``NoProcessesError`` (graphviz has turned a missing program's into ExecutableNotFound)."""
    with dot_required():
        try:
            yield
        except OSError as error:
            no_processes = NoProcessesError(NO_PROCESSES.format(error=error))
            no_processes.errno = error.errno
            raise no_processes from error


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering says how to install Graphviz when it is missing.

    Jupyter shows it inline; ``render(outfile="graph.svg")`` writes a file. A diagram whose
    layout is pinned renders with ``neato -n2``, which draws it exactly where it was laid out.
    A diagram with node images (``images``, PNG bytes by file name) is rendered with
    ``pipe``: Graphviz reads them from a temporary folder, and SVG gets them inline, so the
    SVG stands alone.
    """

    nodes_drawn = 0
    pinned = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.images: dict[str, bytes] = {}

    def __repr__(self) -> str:
        # Stable text (no memory address), so stored notebook outputs do not change per run.
        return f"<autograd.draw.Diagram of {self.nodes_drawn} nodes>"

    def pipe(self, format: str | None = None, *args, encoding: str | None = None, **kwargs):
        format = format or self.format
        if not self.images:
            out = self._run_graphviz(format, args, kwargs)
        else:
            with tempfile.TemporaryDirectory(prefix="chainrule-images-") as folder:
                for name, png in self.images.items():
                    (Path(folder) / name).write_bytes(png)
                out = self._run_graphviz(format, args, kwargs, folder)
            if format == "svg":
                for name, png in self.images.items():
                    data = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                    out = out.replace(f'"{folder}/{name}"'.encode(), f'"{data}"'.encode())
        return out.decode(encoding) if encoding else out

    @property
    def layout_engine(self) -> str:
        """The Graphviz engine that draws this diagram: ``nop2`` (``neato -n2``) when pinned."""
        return "nop2" if self.pinned else self.engine

    def _run_graphviz(self, format: str, args: tuple, kwargs: dict, images: str | None = None) -> bytes:
        """One Graphviz run on this diagram's DOT text (its node images read from the folder
        ``images``): through the set_graphviz function if there is one, else the program."""
        source = self.source if images is None else self.source.replace(_IMAGES, images)
        if _run is not None:
            if args or kwargs:
                raise TypeError(f"pipe through the set_graphviz function takes format and encoding only, "
                                f"got {[*args, *kwargs]}")
            return _through_hook(source, format, self.layout_engine)
        if self.pinned:
            kwargs = {"neato_no_op": 2, **kwargs}
        with _starting_graphviz():
            if images is None:
                return super().pipe(format, *args, **kwargs)
            return graphviz.Source(source, engine=self.engine).pipe(format, *args, **kwargs)

    def render(self, *args, **kwargs):
        if _run is not None:
            return self._render_through_hook(*args, **kwargs)
        if self.images:
            raise ValueError("a diagram with pictures in its nodes is drawn with .pipe(format='svg' or 'png'), "
                             "which puts them in; .render would leave them out")
        if self.pinned:
            kwargs.setdefault("neato_no_op", 2)
        with dot_required():
            return super().render(*args, **kwargs)

    def _render_through_hook(self, filename=None, directory=None, *, format: str | None = None,
                             outfile=None) -> str:
        """``render`` for the set_graphviz function: the DOT text saved as ``filename`` (in
        ``directory``) and the drawing written beside it, or to ``outfile`` (its format from its
        suffix unless ``format`` is given). Returns the drawing's path."""
        if outfile is not None:
            outfile = Path(outfile)
            format = format or outfile.suffix.lstrip(".") or self.format
            if filename is None:
                filename = outfile.with_suffix(".gv").name
                directory = directory or outfile.parent
        format = format or self.format
        source = Path(self.save(filename, directory=directory))
        out = outfile if outfile is not None else source.with_name(f"{source.name}.{format}")
        write_atomically(out, self.pipe(format=format), "drawing")  # whole or not at all
        return str(out)

    def copy(self) -> Diagram:
        # The copy renders as the original does: pinned, with neato -n2.
        copied = super().copy()
        copied.nodes_drawn, copied.pinned, copied.images = self.nodes_drawn, self.pinned, dict(self.images)
        return copied

    def png(self, dpi: float | None = None) -> bytes:
        """The diagram as a PNG of ``dpi`` pixels an inch (by default PNG_DPI, fewer for a
        picture of more than MAX_PNG_PIXELS), in a palette: a quarter of the size of
        Graphviz's own PNG, as sharp, every fill its exact colour. Needs Pillow."""
        Image = pillow_image("Diagram.png")

        if dpi is None:
            dpi = png_dpi(self.pipe(format="svg", encoding="utf-8"))
        copied = self.copy()
        copied.graph_attr["dpi"] = f"{dpi:.2f}"  # on a copy: dpi scales the SVG too
        image = Image.open(io.BytesIO(copied.pipe(format="png")))
        return palette_png(image)

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict[str, str]:
        # The SVG, with its tooltips, wherever the client draws SVG; the same picture as a PNG
        # beside it for the clients that draw no SVG (JupyterLab in an untrusted notebook,
        # which every downloaded notebook is) or prefer an image (GitHub).
        # Where Pillow is missing (in the browser) the SVG alone.
        svg = self.pipe(format="svg", encoding="utf-8")
        bundle = {"image/svg+xml": lambda: svg,
                  "image/png": lambda: base64.b64encode(self.png(png_dpi(svg))).decode("ascii")}
        if not _has_pillow():
            del bundle["image/png"]
        return {kind: make() for kind, make in bundle.items()
                if (include is None or kind in include) and kind not in (exclude or ())}


def _has_pillow() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def pillow_image(what: str):
    """Pillow's ``Image`` module, or an ImportError saying that ``what`` needs Pillow."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ModuleNotFoundError(f"{what} makes PNG images with Pillow, which is not installed here: "
                                  f"pip install pillow (SVG needs no Pillow)", name="PIL") from error
    return Image


def png_dpi(svg: str) -> float:
    """The dots an inch of the PNG of the picture ``svg`` draws: PNG_DPI, or fewer, so that it
    has at most MAX_PNG_PIXELS."""
    width, height = map(float, re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg).groups())
    pixels = width * height * (PNG_DPI / 72) ** 2
    return PNG_DPI * min(1.0, math.sqrt(MAX_PNG_PIXELS / pixels)) if pixels else PNG_DPI


def palette_png(image) -> bytes:
    """A Pillow image as a PNG in a palette of 64 colours, on white. A drawing has a few flat
    colours and their anti-aliased edges: median cut keeps the flat ones exact."""
    from PIL import Image

    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    out = io.BytesIO()
    flat.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class Layout:
    """Where ``dot`` put everything, in points: node centres and sizes, edge curves by
    ``(tail, head)`` (a list, for parallel edges), the bounding box and the caption's centre."""

    nodes: Mapping[str, tuple[float, float, float, float]]
    curves: Mapping[tuple[str, str], tuple[str, ...]]
    bb: tuple[float, float, float, float]
    caption_at: tuple[float, float] | None
    caption_size: tuple[float, float]


# -- the picture as DOT ------------------------------------------------------------------
def label_key(index: int) -> str:
    """The name of the node that carries edge ``index``'s text."""
    return f"e{index}"


def render(picture: Picture, *, layout: Layout | None = None) -> Diagram:
    """The diagram of ``picture``.

    A picture with fixed positions is drawn where its nodes say. Otherwise ``dot`` lays it
    out; with groups (or a ``layout`` given, as the player does, so frames with different
    text share one layout) the result is pinned there, node sizes included, and the group
    boxes are added. Without Graphviz installed the unpinned diagram is returned, whose
    ``.source`` is readable and whose rendering says how to install it. Where no process can
    be started and no ``set_graphviz`` function is set, the unpinned diagram with its groups
    as Graphviz clusters is returned, with a warning (once).
    """
    if picture.fixed_layout:
        return _fixed(picture)
    plain = _dot_diagram(picture)
    if layout is None and not picture.groups:
        return plain
    try:
        layout = layout or lay_out(picture)
    except GraphvizNotFoundError:
        return plain
    except NoProcessesError as error:
        if not _warned.is_set():
            _warned.set()
            warnings.warn(f"Pictures with groups are drawn plainly here, their groups as Graphviz clusters, "
                          f"without the layout run first. {error}", RuntimeWarning, stacklevel=2)
        return _clustered(picture)
    return _pinned(picture, layout)


def lay_out(picture: Picture) -> Layout:
    """Run ``dot`` on ``picture`` (without its group boxes) and read back where it put everything."""
    raw = _dot_diagram(picture).pipe(format="json")
    doc = json.loads(raw)
    nodes, names = {}, {}
    for obj in doc.get("objects", []):
        if "pos" in obj and "nodes" not in obj:  # subgraphs have no pos; only nodes do
            x, y = map(float, obj["pos"].split(","))
            nodes[obj["name"]] = (x, y, float(obj["width"]) * 72.0, float(obj["height"]) * 72.0)
            names[obj["_gvid"]] = obj["name"]
    found: dict[tuple[str, str], list[str]] = {}
    for edge in sorted(doc.get("edges", []), key=lambda e: e["_gvid"]):
        found.setdefault((names[edge["tail"]], names[edge["head"]]), []).append(edge.get("pos", ""))
    curves = {pair: tuple(c) for pair, c in found.items()}
    bb = tuple(map(float, doc["bb"].split(",")))
    caption_at = tuple(map(float, doc["lp"].split(","))) if "lp" in doc else None
    caption_size = (float(doc.get("lwidth", 0.0)) * 72.0, float(doc.get("lheight", 0.0)) * 72.0)
    return Layout(nodes, curves, bb, caption_at, caption_size)


def _new_diagram(picture: Picture, **graph) -> Diagram:
    g = Diagram(
        graph_attr={"rankdir": picture.rankdir, "nodesep": "0.12", "ranksep": "0.22",
                    "bgcolor": "white", "fontname": FONT, "fontsize": "11", **graph},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": "11",
                   # room around the text as the browser draws it, clear of the rounded corners
                   "color": _BORDER, "margin": "0.1,0.08"},
        edge_attr={"fontname": FONT, "fontsize": "10", "color": _EDGE, "arrowsize": "0.6"},
    )
    g.nodes_drawn = len(picture.nodes)
    if picture.caption or picture.legend:
        g.attr(label=f"<{_caption_table(picture)}>", labelloc="b", labeljust="l")
    return g


def _dot_diagram(picture: Picture) -> Diagram:
    spacing = {}
    if picture.groups and picture.rankdir in ("TB", "BT"):
        # Layers stacked one above the other: room between them for two box edges and a caption.
        spacing["ranksep"] = f"{(2 * _GROUP_PAD + _CAPTION_HEIGHT + 4.0) / 72:.2f}"
    g = _new_diagram(picture, ordering="in", **spacing)
    for node in picture.nodes:
        _add_node(g, node, None)
    for i, edge in enumerate(picture.edges):
        _add_edge(g, i, edge, None)
    return g


def _clustered(picture: Picture) -> Diagram:
    """``_dot_diagram`` with each group as a Graphviz cluster: the drawing for where no layout
    can be run first (``dot`` may then put a node's inputs out of order)."""
    g = _dot_diagram(picture)
    for group in picture.groups:
        with g.subgraph(name=f"cluster_{group.key}") as box:
            box.attr(label=f"<{html_lines(group.caption)}>", labeljust="l", style="rounded,dashed", color=_GROUP,
                     fontcolor="#4b5563", fontsize="11", tooltip=tooltip(group.caption))
            for node in picture.nodes:
                if node.group == group.key:
                    box.node(node.key)
    return g


def _add_edge(g: Diagram, i: int, edge: Edge, sizes, pins: Mapping[str, str] | None = None,
              curves=None) -> None:
    """The edge, through a node of its own that shows its text when it has any. ``pins`` and
    ``curves`` (lists of curves by ``(tail, head)``, used up as they are drawn) place it where
    a layout put it; a pinned edge keeps its text node (empty if need be) when the layout had one."""
    style = _edge_attrs(edge)
    key = label_key(i)
    through_label = bool(edge.label) if pins is None else key in pins
    if not through_label:
        g.edge(edge.tail, edge.head, **style, **_pin_curve(curves, edge.tail, edge.head))
        return
    g.node(key, **_label_attrs(key, edge, sizes), **({"pos": pins[key]} if pins else {}))
    first = {"arrowhead": "none", **style}
    if edge.span > 1:
        first["minlen"] = str(edge.span)
    g.edge(edge.tail, key, **first, **_pin_curve(curves, edge.tail, key))
    g.edge(key, edge.head, **style, **_pin_curve(curves, key, edge.head))


def _add_node(g: Diagram, node: Node, sizes, **place) -> None:
    if node.image is not None:
        g.images[f"{len(g.images)}.png"] = node.image
        g.node(node.key, **_image_attrs(node, f"{_IMAGES}/{len(g.images) - 1}.png"), **place)
    else:
        g.node(node.key, **_node_attrs(node, sizes), **place)


def _image_attrs(node: Node, path: str) -> dict[str, str]:
    """A node that is a picture (``node.size`` points) with its lines in small print under it."""
    width, height = (round(v) for v in node.size or (48.0, 48.0))
    red = bool(node.emphasis & {"current", "highlight"})
    border = f'BORDER="{2 if red else 1}" COLOR="{RED if red else node.color or _GROUP}"'
    rows = [f'<TR><TD FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}" {border}>'
            f'<IMG SRC="{path}" SCALE="BOTH"/></TD></TR>']
    text = "<BR/>".join(html_lines(line) for line in node.lines if line)
    if text:
        rows.append(f'<TR><TD BGCOLOR="white"><FONT POINT-SIZE="8">{text}</FONT></TD></TR>')  # lines stay behind
    label = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>'
    return {"label": f"<{label}>", "shape": "plain", "style": "solid",
            "tooltip": tooltip(node.tooltip or node.lines[0])}


def _node_attrs(node: Node, sizes) -> dict[str, str]:
    attrs = {"label": f"<{_node_html(node)}>", "fillcolor": node.fill or FILL.get(node.role, FILL["intermediate"]),
             "tooltip": tooltip(node.tooltip or node.lines[0])}
    if node.color:
        attrs["color"] = node.color
    if node.shape != "box":
        attrs.update(shape=node.shape, style="filled", margin="0.02", fontsize="10")
    if node.role == "output":
        attrs["penwidth"] = "2"
    if "incomplete" in node.emphasis:
        attrs["style"] = attrs.get("style", "rounded,filled") + ",dashed"
    if "pending" in node.emphasis:
        attrs.update(fillcolor="white", color=_PENDING, fontcolor="#9ca3af", style="rounded,filled,dotted")
    if node.emphasis & {"current", "highlight"}:
        attrs.update(color=RED, penwidth="3")
    attrs.update(_fixed_size(sizes, node.key))
    return attrs


def _label_attrs(key: str, edge: Edge, sizes) -> dict[str, str]:
    red = bool(edge.emphasis & {"current", "highlight"})
    attrs = {"label": html_lines(edge.label), "shape": "box", "style": "filled", "fillcolor": "white",
             "color": "white", "penwidth": "0", "margin": "0.03,0.01", "fontsize": "10", "width": "0", "height": "0",
             "fontcolor": RED if red else "#374151", "tooltip": tooltip(edge.tooltip or edge.label)}
    attrs["label"] = f"<{attrs['label']}>"
    attrs.update(_fixed_size(sizes, key))
    return attrs


def _edge_attrs(edge: Edge) -> dict[str, str]:
    attrs = {"tooltip": tooltip(edge.tooltip or edge.label)}
    if edge.color:
        attrs["color"] = edge.color
    if not edge.arrow:
        attrs["arrowhead"] = "none"
    if edge.width is not None:
        attrs["penwidth"] = f"{edge.width:.2f}"
    if "dead" in edge.emphasis:
        attrs["style"] = "dotted"
    if "pending" in edge.emphasis:
        attrs.update(color=_PENDING, style="dotted")
    if edge.emphasis & {"current", "highlight"}:
        attrs.update(color=RED, penwidth=f"{max(edge.width or 0.0, 2.5):.2f}")
    return attrs


def _fixed_size(sizes, key: str) -> dict[str, str]:
    if not sizes or key not in sizes:
        return {}
    w, h = sizes[key]
    return {"width": f"{w:.4f}", "height": f"{h:.4f}", "fixedsize": "true"}


# -- text --------------------------------------------------------------------------------
# dot (2.43) refuses a quoted or HTML-like string of more than 16,384 bytes as written in
# the DOT source. Texts are kept under it, shortened visibly (…): a line to LINE_CHARS
# characters, a text to so many bytes. Tooltips keep the whole text wherever it fits.
LINE_CHARS = 240
_TEXT_LINES = 12  # of one text of a node or an edge; a caption shows as many as fit
_TEXT_BYTES = 3_000  # one text of a node (which has at most five) or of an edge
_CAPTION_BYTES = 12_000  # the text under a picture, which shares its label with the key
_TOOLTIP_BYTES = 16_000
_TOOLTIP_LINES = 100


def html_lines(text: str, align: str = "CENTER", budget: int = _TEXT_BYTES, max_lines: int | None = _TEXT_LINES) -> str:
    """Any text as the body of a Graphviz HTML label: escaped, one line per line.

    Characters that cannot be shown (lone surrogates, control characters) are written as
    their Python escapes, so every label is valid UTF-8 that ``dot`` accepts. A line over
    ``LINE_CHARS`` characters is cut, ending in …, and lines past ``max_lines`` or
    ``budget`` bytes are counted instead of shown (``… 3 more lines``), so no label is too
    long for ``dot``.
    """
    br = "<BR/>" if align == "CENTER" else f'<BR ALIGN="{align}"/>'
    lines = printable(text).split("\n")
    shown, size = [], 0
    for i, line in enumerate(lines):
        escaped = html.escape(line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…", quote=False)
        size += len(escaped.encode("utf-8")) + len(br)
        if size > budget or (max_lines is not None and i == max_lines - 1 and len(lines) > max_lines):
            left = len(lines) - i
            shown.append(f"… {left} more line{'s' if left > 1 else ''}")
            break
        shown.append(escaped)
    body = br.join(shown)
    return body + br if align != "CENTER" else body


def printable(text: str) -> str:
    """``text`` with what cannot be shown (lone surrogates, control characters) written as
    its Python escape, so it encodes as UTF-8 and shows the same in every output."""
    if text.isprintable():  # most text: nothing to escape (a lone surrogate is not printable)
        return text
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() or c == "\n" else c.encode("unicode_escape").decode("ascii") for c in text)


def tooltip(text: str) -> str:
    """Any text as a DOT tooltip: printable, and its backslashes kept as backslashes. A text
    too long for ``dot`` is cut where it would pass the limit, and says how long it was; so
    is one of more than ``_TOOLTIP_LINES`` lines (``dot`` takes time quadratic in them)."""
    text = printable(text)
    lines = text.split("\n")
    if len(lines) > _TOOLTIP_LINES:
        text = "\n".join(lines[: _TOOLTIP_LINES - 1] + [f"… ({len(lines):,} lines in all)"])
    kept = _within_bytes(text, _TOOLTIP_BYTES)
    if kept != text:
        note = f"… ({len(text):,} characters in all)"
        text = _within_bytes(kept, _TOOLTIP_BYTES - len(note)) + note
    return text.replace("\\", "\\\\") or " "


def _within_bytes(text: str, budget: int) -> str:
    """The longest start of ``text`` that takes at most ``budget`` bytes as a DOT quoted
    string (UTF-8, a backslash before each quote and backslash)."""
    size = 0
    for i, c in enumerate(text):
        size += len(c.encode("utf-8")) + (c in '"\\')
        if size > budget:
            return text[:i]
    return text


def _node_html(node: Node) -> str:
    parts = []
    for i, line in enumerate(node.lines):
        body = html_lines(line)
        if i == 0 and node.shape == "box":
            body = f"<B>{body}</B>"
        if i in node.faint:
            body = f'<FONT COLOR="{_FAINT}"><I>{body}</I></FONT>'
        parts.append(body)
    return "<BR/>".join(parts)


def _caption_table(picture: Picture) -> str:
    """The caption's lines, then the key: a row of swatches, each with what it means, and
    under it what the edge labels mean (so the key is never much wider than the picture)."""
    rows = []
    if picture.caption:  # monospaced, so the columns of a step's text line up
        rows.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT FACE="{MONO}" POINT-SIZE="10">'
                    f'{html_lines(picture.caption, "LEFT", _CAPTION_BYTES, None)}</FONT></TD></TR>')
    swatches = [(kind, text) for kind, text in picture.legend if kind != "edge"]
    words = [text for kind, text in picture.legend if kind == "edge"]
    for group in (swatches[i : i + _SWATCHES_A_ROW] for i in range(0, len(swatches), _SWATCHES_A_ROW)):
        cells = "".join(_legend_cell(kind, text) for kind, text in group)
        rows.append(f'<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="4" CELLPADDING="2"><TR>{cells}'
                    f"</TR></TABLE></TD></TR>")
    rows.extend(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9">{html_lines(text)}</FONT></TD></TR>' for text in words)
    return f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">{"".join(rows)}</TABLE>'


def _legend_cell(kind: str, text: str) -> str:
    font = '<FONT POINT-SIZE="9">'
    if kind in FILL:
        return f'<TD BGCOLOR="{FILL[kind]}" BORDER="1" COLOR="{_BORDER}">{font}{html_lines(text)}</FONT></TD>'
    if kind == "current":
        return f'<TD BORDER="2" COLOR="{RED}">{font}{html_lines(text)}</FONT></TD>'
    if kind == "incomplete":
        return f'<TD BORDER="1" STYLE="dashed" COLOR="{_BORDER}">{font}<I>{html_lines(text)}</I></FONT></TD>'
    if kind == "pending":
        return f'<TD BORDER="1" STYLE="dotted" COLOR="{_PENDING}">{font}{html_lines(text)}</FONT></TD>'
    return f"<TD>{font}{html_lines(text)}</FONT></TD>"


# -- pinned layouts ----------------------------------------------------------------------
def _pin_curve(curves, tail: str, head: str) -> dict[str, str]:
    """The layout's next curve from ``tail`` to ``head``, as the ``pos`` of that segment."""
    if curves is None or not curves.get((tail, head)):
        return {}
    curve, *rest = curves[(tail, head)]
    curves[(tail, head)] = rest
    return {"pos": curve} if curve else {}


def _pinned(picture: Picture, layout: Layout) -> Diagram:
    """The picture drawn exactly where ``layout`` says, with a box around each group."""
    boxes = _group_boxes(picture, layout)
    x0, y0, x1, y1 = layout.bb
    for left, bottom, right, top in (b for b, _ in boxes):
        x0, y0, x1, y1 = min(x0, left), min(y0, bottom), max(x1, right), max(y1, top)
    caption = layout.caption_at
    if caption is not None:
        # The caption sits under everything, boxes included.
        lowest = min([bottom for (_, bottom, _, _), _ in boxes], default=layout.bb[1])
        height = layout.caption_size[1]
        cy = min(caption[1], lowest - 4.0 - height / 2)
        y0 = min(y0, cy - height / 2)
        caption = (caption[0], cy)
    dx, dy = -x0, -y0  # neato -n2 expects the drawing to start at the origin
    pins = {key: f"{x + dx:.2f},{y + dy:.2f}!" for key, (x, y, _, _) in layout.nodes.items()}
    curves = {pair: [_shift_curve(c, dx, dy) for c in found] for pair, found in layout.curves.items()}
    # Each edge runs on through its text's node, whose white box then hides the line under
    # the text only: a frame's text may be shorter than the layout's longest.
    texts = {i: label_key(i) for i, edge in enumerate(picture.edges) if label_key(i) in layout.nodes}
    for i, key in texts.items():
        edge, centre = picture.edges[i], pins[key].rstrip("!")
        curves[(edge.tail, key)] = [_extend(c, centre, at_end=True) for c in curves.get((edge.tail, key), [])]
        curves[(key, edge.head)] = [_extend(c, centre, at_end=False) for c in curves.get((key, edge.head), [])]
    graph = {"bb": f"0,0,{x1 + dx:.2f},{y1 + dy:.2f}", "splines": "true"}
    if caption is not None:
        graph["lp"] = f"{caption[0] + dx:.2f},{caption[1] + dy:.2f}"
    g = _new_diagram(picture, outputorder="edgesfirst", **graph)
    g.engine = "neato"
    g.pinned = True
    for (left, bottom, right, top), group in boxes:
        g.node(f"group {group.key}", **_box_attrs(group, left, bottom, right, top, dx, dy))
    sizes = {key: (w / 72, h / 72) for key, (_, _, w, h) in layout.nodes.items() if key not in texts.values()}
    for node in picture.nodes:
        _add_node(g, node, sizes, pos=pins[node.key])
    for i, edge in enumerate(picture.edges):
        _add_edge(g, i, edge, sizes, pins, curves)
    return g


def _shift_curve(curve: str, dx: float, dy: float) -> str:
    points = []
    for token in curve.split():
        prefix = ""
        if token[:2] in ("e,", "s,"):
            prefix, token = token[:2], token[2:]
        x, y = map(float, token.split(","))
        points.append(f"{prefix}{x + dx:.2f},{y + dy:.2f}")
    return " ".join(points)


def _extend(curve: str, point: str, at_end: bool) -> str:
    """The curve with a straight piece added from its end to ``point`` (or from ``point`` to
    its start); ``e,``/``s,`` arrow markers stay in front."""
    tokens = curve.split()
    markers = [t for t in tokens if t[:2] in ("e,", "s,")]
    points = [t for t in tokens if t[:2] not in ("e,", "s,")]
    if not points:
        return curve
    if at_end:
        points += [points[-1], point, point]
    else:
        points = [point, point, points[0]] + points
    return " ".join(markers + points)


def group_width(content: float, caption: str) -> float:
    """How wide a group's box is drawn around nodes spanning ``content`` points: padded, and
    wide enough for its caption."""
    return max(content, _CAPTION_CHAR * len(caption)) + 2 * _GROUP_PAD


def _group_boxes(picture: Picture, layout: Layout) -> list:
    """Each group's box (left, bottom, right, top), around its nodes and their edges' text."""
    members: dict[str, list[str]] = {}
    for node in picture.nodes:
        if node.group is not None:
            members.setdefault(node.group, []).append(node.key)
    group_of = {node.key: node.group for node in picture.nodes}
    for i, edge in enumerate(picture.edges):
        if edge.label and group_of.get(edge.head) is not None:
            members[group_of[edge.head]].append(label_key(i))
    boxes = []
    for group in picture.groups:
        keys = [k for k in members.get(group.key, []) if k in layout.nodes]
        if not keys:
            continue
        left = min(layout.nodes[k][0] - layout.nodes[k][2] / 2 for k in keys) - _GROUP_PAD
        right = max(layout.nodes[k][0] + layout.nodes[k][2] / 2 for k in keys) + _GROUP_PAD
        bottom = min(layout.nodes[k][1] - layout.nodes[k][3] / 2 for k in keys) - _GROUP_PAD
        top = max(layout.nodes[k][1] + layout.nodes[k][3] / 2 for k in keys) + _GROUP_PAD + _CAPTION_HEIGHT
        short = group_width(right - left - 2 * _GROUP_PAD, group.caption) - (right - left)
        if short > 0:  # the caption is wider than the nodes: widen the box around them
            left, right = left - short / 2, right + short / 2
        boxes.append(((left, bottom, right, top), group))
    return boxes


# -- fixed layouts (the network view) ----------------------------------------------------
def _fixed(picture: Picture) -> Diagram:
    """Nodes where the picture puts them, straight edges with their text pinned on them, a
    box around each group; ``neato -n2`` draws it as placed."""
    where = {node.key: node.position for node in picture.nodes}
    sizes = {node.key: node.size or (54.0, 36.0) for node in picture.nodes}
    placed = Layout({key: (*where[key], *sizes[key]) for key in where}, {}, (0.0, 0.0, 0.0, 0.0), None, (0.0, 0.0))
    g = _new_diagram(picture, splines="false", outputorder="edgesfirst")
    g.engine = "neato"
    g.pinned = True
    for (left, bottom, right, top), group in _group_boxes(picture, placed):
        g.node(f"group {group.key}", **_box_attrs(group, left, bottom, right, top, 0.0, 0.0))
    for node in picture.nodes:
        w, h = sizes[node.key]
        _add_node(g, node, {node.key: (w / 72, h / 72)}, pos=_point(*where[node.key]))
    for i, edge in enumerate(picture.edges):
        style = _edge_attrs(edge)
        if not edge.label:
            g.edge(edge.tail, edge.head, **style)
            continue
        (tx, ty), (hx, hy), t = where[edge.tail], where[edge.head], edge.label_at
        key = label_key(i)
        g.node(key, **_label_attrs(key, edge, None), pos=_point(tx + t * (hx - tx), ty + t * (hy - ty)))
        g.edge(edge.tail, key, arrowhead="none", **style)
        g.edge(key, edge.head, **style)
    return g


def _point(x: float, y: float) -> str:
    return f"{x:.2f},{y:.2f}!"


def _box_attrs(group, left: float, bottom: float, right: float, top: float, dx: float, dy: float) -> dict:
    """A group's box: a dashed rounded node of its own, captioned in its top left corner (as
    a cluster would be), drawn under everything else."""
    # The caption padded clear of the box's rounded corner and top edge.
    width = max(right - left - 2 * _GROUP_PAD - 2 * _CAPTION_INSET, 1.0)
    caption = (f'<<TABLE BORDER="0" CELLPADDING="{_CAPTION_INSET:.0f}" CELLSPACING="0"><TR>'
               f'<TD WIDTH="{width:.0f}" ALIGN="LEFT">{html_lines(group.caption)}</TD></TR></TABLE>>')
    return {"label": caption, "shape": "box", "style": "rounded,dashed", "color": _GROUP,
            "fontcolor": "#4b5563", "fontsize": "11", "labelloc": "t", "fixedsize": "true",
            "width": f"{(right - left) / 72:.4f}", "height": f"{(top - bottom) / 72:.4f}",
            "tooltip": tooltip(group.caption), "pos": _point((left + right) / 2 + dx, (bottom + top) / 2 + dy)}


def legend_text(kind: str) -> str:
    """The key's words for an emphasis that has no text of its own in the picture."""
    return _LEGEND_TEXT[kind]
