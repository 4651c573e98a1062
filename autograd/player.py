"""A player for the steps of a pass that needs no kernel: HTML, GIF and PNG frames.

``animate(root)`` draws every step of ``backward_steps`` (or ``forward_steps``) as a
``Picture``, lays all of them out once, so nothing moves between frames but the text and the
colours, and renders each frame. Jupyter shows the result inline as a small web page;
``save`` writes that page as one self-contained HTML file (SVG frames inline, a few lines of
plain JavaScript, nothing fetched), or a GIF, or a folder of PNG frames, for places that
strip JavaScript.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from .backprop import topological_order
from .files import write_atomically
from .picture import Picture
from .render import Layout, lay_out, printable, render
from .steps import backward_steps_apart, check_leaves, forward_steps
from .value import Value

DIRECTIONS = ("backward", "forward", "both")
MAX_FRAME_NODES = 10_000  # frames x nodes: about 3 KB of page each, so at most about 30 MB


class Player:
    """The frames of one or two passes, ready to show (Jupyter) or ``save``.

    ``captions`` holds each frame's text; ``svgs()`` and ``pngs()`` render the frames.
    ``noun`` is what the counter counts (``step 3 of 8``). ``extra`` is HTML put on the page
    under the caption, whose scripts learn of each new frame from a ``playerstep`` event on
    ``document`` (``event.detail`` is the frame's number): how ``nn``'s training player adds
    what belongs to training alone.
    """

    def __init__(self, pictures: list[Picture], title: str, *, noun: str = "step", extra: str = ""):
        self.title, self.noun, self.extra = printable(title), noun, extra
        self.captions = [p.caption for p in pictures]
        self._pictures = [replace(p, caption="", legend=_union_legend(pictures)) for p in pictures]
        self._layout: Layout | None = None
        self._svgs: list[str] | None = None

    def __len__(self) -> int:
        return len(self._pictures)

    def __repr__(self) -> str:
        return f"<autograd.Player of {len(self)} frames: {self.title}>"

    # -- rendering -----------------------------------------------------------------------
    def layout(self) -> Layout:
        """One layout for every frame: each node as large as its largest text in any frame."""
        if self._layout is None:
            self._layout = lay_out(_envelope(self._pictures))
        return self._layout

    def _render_all(self, fmt: str) -> list:
        # Pictures with a layout of their own are drawn where they say.
        layout = None if self._pictures[0].fixed_layout else self.layout()
        diagrams = [render(p, layout=layout) for p in self._pictures]
        if fmt == "png":  # points as pixels: a frame as wide as its SVG is at 100%
            for d in diagrams:
                d.graph_attr["dpi"] = "72"
        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            return list(pool.map(lambda d: d.pipe(format=fmt), diagrams))

    def svgs(self) -> list[str]:
        """Each frame as SVG text (without its caption, which the page shows as text)."""
        if self._svgs is None:
            self._svgs = [b.decode("utf-8") for b in self._render_all("svg")]
        return self._svgs

    def pngs(self) -> list[bytes]:
        """Each frame as a PNG image, its caption written under the picture."""
        from PIL import Image

        images = [Image.open(io.BytesIO(raw)).convert("RGB") for raw in self._render_all("png")]
        images = [_with_caption(image, caption) for image, caption in zip(images, self.captions)]
        width = max(i.width for i in images)
        height = max(i.height for i in images)
        frames = []
        for image in images:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(image, (0, 0))
            out = io.BytesIO()
            canvas.save(out, format="PNG")
            frames.append(out.getvalue())
        return frames

    def html(self) -> str:
        """The player as one self-contained HTML page."""
        frames = "\n".join(
            f'<div class="frame" data-step="{k}"{"" if k == 0 else " hidden"}>{_inline_svg(svg, k)}</div>'
            for k, svg in enumerate(self.svgs())
        )
        texts = [printable(caption) for caption in self.captions]
        return _PAGE.format(title=html.escape(self.title), frames=frames, captions=_script_text(texts), noun=self.noun,
                            last=len(self) - 1, first_caption=html.escape(texts[0]), extra=self.extra)

    def height(self) -> int:
        """Pixels the page needs to show its tallest frame whole (at full size), with its controls."""
        return max(_svg_height(svg) for svg in self.svgs()) + 170

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and styles to itself in any notebook front end.
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" style="width: 100%; '
                f'height: {self.height()}px; border: 0;" title="{html.escape(self.title)}"></iframe>')

    # -- files ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, seconds_per_frame: float = 1.5) -> Path:
        """Write the player: ``*.html`` (the page), ``*.gif`` (an animation, one frame per
        step), or a folder (a path without a suffix) of ``step_000.png``, ... frames.
        Files are written whole or not at all, through a symlink to its file, and never onto
        a device or a FIFO (``autograd.files.write_atomically``). Returns the path written."""
        path = Path(path)
        if isinstance(seconds_per_frame, bool) or not isinstance(seconds_per_frame, (int, float)) \
                or not 0.02 <= seconds_per_frame <= 60:
            raise ValueError(f"seconds_per_frame must be a number from 0.02 to 60, got {seconds_per_frame!r}")
        suffix = path.suffix.lower()
        if suffix == ".html":
            write_atomically(path, self.html().encode("utf-8"), "page")
        elif suffix == ".gif":
            write_atomically(path, self._gif(seconds_per_frame), "GIF")
        elif suffix == "":
            path.mkdir(parents=True, exist_ok=True)
            for k, png in enumerate(self.pngs()):
                write_atomically(path / f"step_{k:03d}.png", png, "frame")
        else:
            raise ValueError(f"save writes .html, .gif or a folder of PNG frames (a path without a suffix), "
                             f"got {path.name!r}")
        return path

    def _gif(self, seconds_per_frame: float) -> bytes:
        from PIL import Image

        frames = [Image.open(io.BytesIO(png)).quantize(colors=64, method=Image.Quantize.FASTOCTREE)
                  for png in self.pngs()]
        out = io.BytesIO()
        frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                       duration=int(seconds_per_frame * 1000), loop=0, disposal=1)
        return out.getvalue()


def animate(root: Value, direction: str = "backward", *, leaves: bool = False, tangents=None,
            max_frame_nodes: int = MAX_FRAME_NODES, **draw_options) -> Player:
    """A player over the steps of ``root``'s backward pass, forward pass, or both (forward
    first). Each frame is ``draw_step``'s picture of one step; ``draw_options`` go to ``draw``.
    ``tangents`` (``{x: 1.0}``) shows forward mode in the forward frames: each node's tangent,
    and what each edge sends.

    The backward pass is computed apart from the graph, from the grads its leaves hold
    now, and changes no grad. A pass of more than ``max_frame_nodes`` frames x
    nodes is refused with ``ValueError`` before any drawing.
    """
    from .draw import count_nodes, picture

    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(map(repr, DIRECTIONS))}, got {direction!r}")
    if isinstance(max_frame_nodes, bool) or not isinstance(max_frame_nodes, int) or max_frame_nodes < 1:
        raise ValueError(f"max_frame_nodes must be a positive int, got {max_frame_nodes!r}")
    check_leaves(leaves)
    # Every frame shows every node: a graph of more nodes than that is refused unwalked.
    if count_nodes(root, max_frame_nodes) > max_frame_nodes:
        raise ValueError(f"the graph has more than {max_frame_nodes} nodes, more than max_frame_nodes="
                         f"{max_frame_nodes} frames x nodes: the player would be too large to be useful. "
                         "Animate a smaller graph")
    order = topological_order(root)
    interior = sum(1 for node in order if node.parents)
    frames = 0
    if direction in ("forward", "both"):
        frames += interior + 1
    if direction in ("backward", "both"):
        frames += (len(order) if leaves else interior) + 1
    if frames * len(order) > max_frame_nodes:
        raise ValueError(
            f"{frames} frames of {len(order)} nodes is {frames * len(order)} frames x nodes, more than "
            f"max_frame_nodes={max_frame_nodes}: the player would be too large to be useful. Animate a "
            f"smaller graph, or pass max_frame_nodes={frames * len(order)} to make it anyway"
        )
    picture(root, tangents=tangents, **draw_options)  # every option checked before the work starts
    pictures = []
    if direction in ("forward", "both"):
        pictures += [picture(root, step=step, **draw_options) for step in forward_steps(root, tangents)]
    if direction in ("backward", "both"):
        pictures += [picture(root, step=step, **draw_options) for step in backward_steps_apart(root, order, leaves)]
    name = root.label or root.op or "root"
    return Player(pictures, f"{direction} pass of {name}" if direction != "both" else f"forward and backward passes of {name}")


def step_slider(root: Value, direction: str = "backward", **options):
    """A notebook slider over ``animate(root, direction, **options)``'s frames.

    Needs a kernel and ``ipywidgets``; without ipywidgets it returns the player itself
    (which moves without a kernel too) and says how to get the slider.
    """
    player = animate(root, direction, **options)
    try:
        import ipywidgets
    except ImportError:
        warnings.warn("step_slider needs ipywidgets (pip install ipywidgets); showing the player instead",
                      stacklevel=2)
        return player
    svgs = player.svgs()
    view = ipywidgets.HTML()
    slider = ipywidgets.IntSlider(value=0, min=0, max=len(svgs) - 1, description="step")

    def show(change=None) -> None:
        k = slider.value
        view.value = _inline_svg(svgs[k], k) + f"<pre>{html.escape(printable(player.captions[k]))}</pre>"

    slider.observe(show, names="value")
    show()
    return ipywidgets.VBox([slider, view])


# -- helpers -----------------------------------------------------------------------------
def _union_legend(pictures: list[Picture]) -> tuple:
    """Every frame shows the same key (so the layout does not change), in first-seen order."""
    entries: dict = {}
    for p in pictures:
        for kind, text in p.legend:
            if kind != "edge":
                entries.setdefault(kind, text)
    edge = [text for p in pictures for kind, text in p.legend if kind == "edge"]
    return tuple(entries.items()) + ((("edge", max(edge, key=len)),) if edge else ())


def _envelope(pictures: list[Picture]) -> Picture:
    """The first frame with every node's and edge's text as long as in its longest frame."""
    first = pictures[0]
    nodes = []
    for i, node in enumerate(first.nodes):
        versions = [p.nodes[i] for p in pictures]
        depth = max(len(v.lines) for v in versions)
        lines = tuple(max((v.lines[j] for v in versions if j < len(v.lines)), key=len) for j in range(depth))
        emphasis = frozenset().union(*(v.emphasis for v in versions)) & {"current"}
        nodes.append(replace(node, lines=lines, emphasis=emphasis, faint=frozenset()))
    edges = [replace(e, label=max((p.edges[i].label for p in pictures), key=len))
             for i, e in enumerate(first.edges)]
    return replace(first, nodes=tuple(nodes), edges=tuple(edges))


def _script_text(value) -> str:
    """``value`` as JSON to embed in a ``<script>``: every ``<`` written ``\\u003c``, so no
    text (``</script>``, ``<!--<script>``) can end the script or change how it is parsed."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")


def _inline_svg(svg: str, k: int) -> str:
    """An SVG document as an element of a page: no XML prolog, ids unique to its frame."""
    body = svg[svg.index("<svg"):]
    return re.sub(r'\bid="', f'id="f{k}_', body)


def _svg_height(svg: str) -> int:
    match = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', svg)
    return int(float(match.group(1)) * 4 / 3) if match else 400


def _with_caption(image, caption: str):
    """The image with ``caption`` written under it, in the font matplotlib ships."""
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    # Monospaced, as the page shows it, so the step text's columns line up.
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans Mono"), 13)
    lines = caption.splitlines() or [""]
    line_height = 18
    draw = ImageDraw.Draw(image)
    width = max([image.width] + [int(draw.textlength(line, font=font)) + 24 for line in lines])
    out = Image.new("RGB", (width, image.height + line_height * len(lines) + 16), "white")
    out.paste(image, (0, 0))
    pen = ImageDraw.Draw(out)
    for i, line in enumerate(lines):
        pen.text((12, image.height + 6 + i * line_height), line, fill="#111827", font=font)
    return out


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 8px; color: #111827; background: white; }}
.controls {{ display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }}
.controls button {{ font-size: 14px; min-width: 2.4em; padding: 2px 8px; cursor: pointer; }}
.controls input[type=range] {{ flex: 1 1 200px; }}
.counter {{ font-variant-numeric: tabular-nums; min-width: 7em; }}
.frame svg {{ max-width: 100%; height: auto; }}
.caption {{ white-space: pre-wrap; font-family: Menlo, Consolas, monospace; font-size: 13px;
           background: #f9fafb; border: 1px solid #e5e7eb; padding: 6px 8px; margin-top: 6px; }}
</style></head>
<body>
<div class="controls" role="toolbar" aria-label="{noun} controls">
<button id="first" title="first {noun} (Home)">&#x23EE;</button>
<button id="prev" title="previous {noun} (left arrow)">&#x25C0;</button>
<button id="play" title="play / pause (space)">&#x25B6;</button>
<button id="next" title="next {noun} (right arrow)">&#x25B6;&#x25B6;</button>
<button id="last" title="last {noun} (End)">&#x23ED;</button>
<input id="slider" type="range" min="0" max="{last}" value="0" aria-label="{noun}">
<span class="counter" id="counter">{noun} 0 of {last}</span>
<label>speed <select id="speed"><option value="3000">0.5x</option><option value="1500" selected>1x</option>
<option value="750">2x</option><option value="375">4x</option></select></label>
</div>
<div id="frames">
{frames}
</div>
<div class="caption" id="caption" aria-live="polite">{first_caption}</div>
{extra}
<script>
(function () {{
  "use strict";
  var captions = {captions};
  var frames = document.querySelectorAll("#frames .frame");
  var slider = document.getElementById("slider"), counter = document.getElementById("counter");
  var caption = document.getElementById("caption"), play = document.getElementById("play");
  var speed = document.getElementById("speed");
  var last = frames.length - 1, current = 0, timer = null;
  function show(k) {{
    k = Math.max(0, Math.min(last, k));
    frames[current].hidden = true;
    frames[k].hidden = false;
    current = k;
    slider.value = k;
    counter.textContent = "{noun} " + k + " of " + last;
    caption.textContent = captions[k];
    document.body.setAttribute("data-step", String(k));
    document.dispatchEvent(new CustomEvent("playerstep", {{ detail: k }}));
  }}
  function pause() {{
    if (timer !== null) {{ clearInterval(timer); timer = null; }}
    play.innerHTML = "&#x25B6;";
    document.body.setAttribute("data-playing", "false");
  }}
  function start() {{
    if (current === last) {{ show(0); }}
    play.innerHTML = "&#x23F8;";
    document.body.setAttribute("data-playing", "true");
    timer = setInterval(function () {{
      if (current >= last) {{ pause(); }} else {{ show(current + 1); }}
    }}, Number(speed.value));
  }}
  play.addEventListener("click", function () {{ if (timer === null) {{ start(); }} else {{ pause(); }} }});
  document.getElementById("first").addEventListener("click", function () {{ pause(); show(0); }});
  document.getElementById("last").addEventListener("click", function () {{ pause(); show(last); }});
  document.getElementById("prev").addEventListener("click", function () {{ pause(); show(current - 1); }});
  document.getElementById("next").addEventListener("click", function () {{ pause(); show(current + 1); }});
  slider.addEventListener("input", function () {{ pause(); show(Number(slider.value)); }});
  speed.addEventListener("change", function () {{ if (timer !== null) {{ pause(); start(); }} }});
  document.addEventListener("keydown", function (e) {{
    if (e.target && e.target.tagName === "SELECT") {{ return; }}
    if (e.key === "ArrowRight") {{ pause(); show(current + 1); e.preventDefault(); }}
    else if (e.key === "ArrowLeft") {{ pause(); show(current - 1); e.preventDefault(); }}
    else if (e.key === "Home") {{ pause(); show(0); e.preventDefault(); }}
    else if (e.key === "End") {{ pause(); show(last); e.preventDefault(); }}
    else if (e.key === " ") {{ if (timer === null) {{ start(); }} else {{ pause(); }} e.preventDefault(); }}
  }});
  show(0);
  document.body.setAttribute("data-playing", "false");
}})();
</script>
</body></html>
"""
