"""Watching a network learn: the frames of an ``nn.Recording`` drawn, played, saved and shown live.

Each frame is one ``autograd.picture.Picture`` with a layout of its own, rendered by
``autograd.render`` like every other drawing and played by ``autograd.Player``.

With two input features (the 2-D toy sets):

* the network in columns, as ``nn.draw_network`` places it, every unit a small map of its
  activation over the plane (the inputs' maps are the plane's two coordinates), in diverging
  colours on one scale shared by every unit of every frame: blue > 0, white 0, orange < 0,
  the key under the curves giving the scale;
* the connections blue where the weight is positive, orange where negative, as wide as it
  is large against the largest weight of the whole recording;
* the model's output over the plane with its decision boundary in black, the training
  points filled and the test points as rings, a red ring round each point it gets wrong.

With other inputs (the digits): each first-layer unit's incoming weights as an image (8 x 8
for the digits) on one shared scale, and the confusion matrix. Always: the loss and
accuracy curves with the frame's epoch marked, and the epoch in the caption.

The pictures inside the nodes (maps, curves, key, matrix) are small PNG images made here with
Pillow; Graphviz places them, and the SVG carries them inline.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import math
import os
import time
import warnings
from functools import lru_cache
from pathlib import Path

from autograd import Player, format_number
from autograd.optional import require_numpy
from autograd.picture import Edge, Node, Picture
from autograd.render import Diagram, render

np = require_numpy("nn.training_view")  # before .matrix, so that the error names this module

from .matrix import forward, sample_losses  # noqa: E402
from .network import NEGATIVE, POSITIVE, animate_network, connection_colour, connection_width  # noqa: E402
from .recording import Recording, unit_names  # noqa: E402
from .train import targets_for  # noqa: E402

__all__ = ["MAX_PAGE_BYTES", "LiveView", "backward_player", "draw_frame", "frame_picture", "page_bytes", "player",
           "save"]

MAX_PAGE_BYTES = 30_000_000  # as the backprop player's guard: a page past this is too slow to use
WATCH_SHARE = 0.10  # the live view draws only while drawing has taken at most this share of training

_HEIGHT = 520.0  # points the tallest column may take
_PITCH = 34.0  # points from one unit to the next in a column, when they fit
_NAMED = 28.0  # the least pitch at which units keep their names under them
_COLUMN_GAP = 96.0  # points between the centres of two columns
_PANEL = 250.0  # side of the output's map, points
_CHART = (300.0, 118.0)  # the curves, points
_KEY = (300.0, 30.0)
_GRID_TILE = 44.0  # a first-layer weight image when the inputs are not 2-D
_MATRIX = 220.0  # side of the confusion matrix
_POINT = 7.0  # diameter of a data point, points
_PANEL_POINTS = 120  # pixels along each side of the output's map
_LEVELS = 24  # colour steps on each side of 0
_HI = 2  # pixels per point in the curves, key and matrix, so their text is sharp
_CLASS_COLOURS = ["#2563eb", "#f97316", "#16a34a", "#a855f7", "#dc2626", "#0891b2", "#ca8a04", "#db2777"]
_TRAIN_LINE, _TEST_LINE, _NOW, _LATER = "#111827", "#a855f7", "#dc2626", "#d1d5db"
_TEXT = "#374151"
_MISSING = (209, 213, 219)  # nan or inf in a map: grey
_WHITE = (255, 255, 255)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


# -- what every frame shares ---------------------------------------------------------------
class _Scales:
    """The colour scale of the maps, the largest weight (the widest connection) and the top
    of the loss axis, shared by the frames added (all of a player's, or a live view's so far)."""

    def __init__(self, frames=()):
        self._tops: list[float] = []
        self.weight, self._loss = 0.0, 0.0
        for frame in frames:
            self.add(frame)

    def add(self, frame) -> None:
        if frame.unit_maps is not None:
            values = np.concatenate([m.ravel() for m in frame.unit_maps.values()])
        else:
            values = _layer_weights(frame.state, 0).ravel()
        values = np.abs(values[np.isfinite(values)])
        # Each frame's 90th percentile: the large activations far out in the plane's corners
        # (a relu grows without bound) would otherwise wash every map out to white.
        if values.size:
            self._tops.append(float(np.percentile(values, 90)))
        weights = np.abs(np.concatenate([np.ravel(v) for name, v in frame.state.items() if name.endswith(".w")]))
        weights = weights[np.isfinite(weights)]
        self.weight = max(self.weight, float(weights.max()) if weights.size else 0.0)
        losses = [v for v in (*frame.loss, *frame.val_loss, float(np.mean(frame.point_losses))) if math.isfinite(v)]
        self._loss = max([self._loss, *losses])

    @property
    def colour(self) -> float:
        """The maps' colours run from -colour (full orange) to +colour (full blue)."""
        top = max(self._tops, default=0.0)
        return top if top > 0 else 1.0

    @property
    def loss(self) -> float:
        return self._loss or 1.0


def _layer_weights(state: dict, k: int) -> np.ndarray:
    """Layer ``k``'s weights from a ``state_dict``: ``W[j, i]`` is weight i of unit j."""
    rows, j = [], 0
    while f"layers.{k}.neurons.{j}.w" in state:
        rows.append(state[f"layers.{k}.neurons.{j}.w"])
        j += 1
    return np.asarray(rows, dtype=np.float64)


# -- small images ------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _palette() -> list[int]:
    """Index 0 .. 2L: full orange through white (index L) to full blue; then grey, black."""
    orange, blue = _rgb(NEGATIVE), _rgb(POSITIVE)
    colours = []
    for k in range(-_LEVELS, _LEVELS + 1):
        end, t = (blue, k / _LEVELS) if k >= 0 else (orange, -k / _LEVELS)
        colours.append(tuple(round(w + t * (e - w)) for w, e in zip(_WHITE, end)))
    colours += [_MISSING, (17, 24, 39)]
    return [c for colour in colours for c in colour]


_MISSING_INDEX, _BLACK_INDEX = 2 * _LEVELS + 1, 2 * _LEVELS + 2


def _diverging(values: np.ndarray, scale: float) -> np.ndarray:
    """Palette indices of ``values`` on the scale ±``scale`` (clipped beyond it)."""
    finite = np.isfinite(values)
    t = np.clip(np.where(finite, values, 0.0) / scale, -1.0, 1.0)
    index = np.rint(t * _LEVELS).astype(np.int64) + _LEVELS
    return np.where(finite, index, _MISSING_INDEX).astype(np.uint8)


def _indexed_png(index: np.ndarray, palette: list[int], upscale: int = 1) -> bytes:
    """A palette PNG of ``index`` (row 0 at the top), each pixel ``upscale`` pixels wide."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(index), mode="P")
    image.putpalette(palette)
    if upscale > 1:  # a sharp block per pixel, as a weight image should look
        image = image.resize((image.width * upscale, image.height * upscale), Image.Resampling.NEAREST)
    return _png(image)


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=8)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size)  # Pillow's own font: no matplotlib to import while training


def _map_png(values: np.ndarray, scale: float) -> bytes:
    """A unit's map (rows along y, upwards) as an image, the top row the largest y."""
    return _indexed_png(_diverging(values[::-1], scale), _palette())


def _plane_png(outputs: np.ndarray, threshold: float, scale: float) -> bytes:
    """The output over the plane (``outputs``: side x side x nout, rows upwards): one output
    in the diverging colours of output - threshold, several as the winning class's colour;
    the decision boundary black."""
    if outputs.shape[2] == 1:
        margin = outputs[:, :, 0] - threshold
        index, classes = _diverging(margin, scale), (margin > 0).astype(np.int64)
        palette = _palette()
    else:
        classes = outputs.argmax(axis=2)
        tints = [tuple(round(w + 0.32 * (c - w)) for w, c in zip(_WHITE, _rgb(colour))) for colour in _CLASS_COLOURS]
        palette = [c for tint in tints for c in tint] + [0] * 3 * (_BLACK_INDEX - len(tints)) + [17, 24, 39]
        index = (classes % len(_CLASS_COLOURS)).astype(np.uint8)
    edge = np.zeros(classes.shape, dtype=bool)  # where the class changes from a neighbour
    edge[:, 1:] |= classes[:, 1:] != classes[:, :-1]
    edge[1:, :] |= classes[1:, :] != classes[:-1, :]
    index = np.where(edge, _BLACK_INDEX, index).astype(np.uint8)
    return _indexed_png(index[::-1], palette)


def _canvas(size: tuple[float, float]):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (round(size[0] * _HI), round(size[1] * _HI)), "white")
    return image, ImageDraw.Draw(image)


def _quantized_png(image) -> bytes:
    # Few colours in a chart: a palette PNG is a fraction of the size.
    from PIL import Image

    return _png(image.quantize(colors=32, method=Image.Quantize.FASTOCTREE))


def _chart_png(recording: Recording, frame, scales: _Scales, known) -> bytes:
    """Loss and accuracy per epoch side by side: training (dark) and test (purple) up to this
    frame, what comes later in light grey (``known``: the last frame's history), and a red
    line at this frame's epoch."""
    image, pen = _canvas(_CHART)
    width, height = image.size
    font = _font(9 * _HI)
    last = max(recording.epochs, 1)
    half = width // 2
    top, bottom = 16 * _HI, height - 26 * _HI
    for left, name, key, ceiling in ((0, f"loss ({recording.loss})", "loss", scales.loss),
                                     (half, "accuracy", "accuracy", 1.0)):
        x0, x1 = left + 30 * _HI, left + half - 8 * _HI
        pen.text((x0, 2 * _HI), name, fill=_TEXT, font=font)
        pen.rectangle((x0, top, x1, bottom), outline="#9ca3af", width=1)
        for value, text in ((0.0, "0"), (ceiling, format_number(ceiling, 2))):
            y = bottom - (bottom - top) * value / ceiling
            pen.text((x0 - 3 * _HI, y), text, fill=_TEXT, font=font, anchor="rm")
        pen.text((x0, bottom + 2 * _HI), "0", fill=_TEXT, font=font, anchor="mt")
        pen.text((x1, bottom + 2 * _HI), str(recording.epochs), fill=_TEXT, font=font, anchor="mt")

        def points(values):
            return [(x0 + (x1 - x0) * (e + 1) / last, bottom - (bottom - top) * min(v, ceiling) / ceiling)
                    for e, v in enumerate(values) if math.isfinite(v)]

        for series in (getattr(known, key), getattr(known, "val_" + key)):
            if len(series) > 1:
                pen.line(points(series), fill=_LATER, width=_HI)
        for series, colour in ((getattr(frame, key), _TRAIN_LINE), (getattr(frame, "val_" + key), _TEST_LINE)):
            if len(series) > 1:
                pen.line(points(series), fill=colour, width=_HI)
            elif len(series) == 1:
                (x, y), = points(series)
                pen.ellipse((x - 2 * _HI, y - 2 * _HI, x + 2 * _HI, y + 2 * _HI), fill=colour)
        now = x0 + (x1 - x0) * frame.epoch / last
        pen.line([(now, top), (now, bottom)], fill=_NOW, width=_HI)
    x, y = 30 * _HI, height - 6 * _HI
    for words, colour in (("training", _TRAIN_LINE), ("test", _TEST_LINE if recording.X_val is not None else None),
                          (f"epoch {frame.epoch}", _NOW)):
        if colour is not None:  # a short stroke of the line's colour, then its name
            pen.line([(x, y), (x + 10 * _HI, y)], fill=colour, width=_HI)
            pen.text((x + 13 * _HI, y), words, fill=colour, font=font, anchor="lm")
            x += pen.textlength(words, font=font) + 26 * _HI
    return _quantized_png(image)


@lru_cache(maxsize=8)
def _key_png(scale: float, what: str) -> bytes:
    """The colour scale: a bar from -scale (orange) through 0 (white) to +scale (blue)."""
    from PIL import Image

    image, pen = _canvas(_KEY)
    width = image.width
    bar = np.linspace(-scale, scale, width - 60 * _HI)[None, :].repeat(8 * _HI, axis=0)
    strip = Image.fromarray(_diverging(bar, scale), mode="P")
    strip.putpalette(_palette())
    image.paste(strip.convert("RGB"), (30 * _HI, 2 * _HI))
    font = _font(9 * _HI)
    ticks = ((30 * _HI, format_number(-scale, 2)), (width // 2, "0"), (width - 30 * _HI, format_number(scale, 2)))
    for x, text in ticks:
        pen.text((x, 11 * _HI), text, fill=_TEXT, font=font, anchor="mt")
    pen.text((width // 2, 21 * _HI), what, fill=_TEXT, font=font, anchor="mt")
    return _quantized_png(image)


def _confusion_png(matrix: np.ndarray, title: str) -> bytes:
    """Counts of (true class, predicted class); the diagonal's right answers in blue, the
    mistakes in red."""
    image, pen = _canvas((_MATRIX, _MATRIX))
    k = len(matrix)
    font = _font(8 * _HI)
    left, top = 22 * _HI, 28 * _HI
    cell = (image.width - left - 4 * _HI) / k
    pen.text((image.width // 2, 2 * _HI), title, fill=_TEXT, font=_font(9 * _HI), anchor="mt")
    pen.text((left + k * cell / 2, 14 * _HI), "predicted", fill=_TEXT, font=font, anchor="mt")
    totals = matrix.sum(axis=1, keepdims=True).clip(min=1)
    blue, red = _rgb(POSITIVE), _rgb("#dc2626")
    for (i, j), count in np.ndenumerate(matrix):
        share = count / totals[i, 0]
        end = blue if i == j else red
        fill = tuple(round(w + share * (e - w)) for w, e in zip(_WHITE, end))
        box = (left + j * cell, top + i * cell, left + (j + 1) * cell, top + (i + 1) * cell)
        pen.rectangle(box, fill=fill, outline="#e5e7eb")
        if count:
            pen.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(count), font=font, anchor="mm",
                     fill="white" if share > 0.6 else _TEXT)
    for c in range(k):
        pen.text((left - 3 * _HI, top + (c + 0.5) * cell), str(c), fill=_TEXT, font=font, anchor="rm")
        pen.text((left + (c + 0.5) * cell, top - 2 * _HI), str(c), fill=_TEXT, font=font, anchor="mb")
    return _quantized_png(image)


# -- one frame as a picture ------------------------------------------------------------------
def frame_picture(recording: Recording, index: int, *, scales: _Scales | None = None) -> Picture:
    """Frame ``index`` of ``recording`` as a ``Picture`` (see the module's docstring);
    ``scales`` defaults to the ones every frame of the recording shares."""
    scales = scales or _Scales(recording.frames)
    frame = recording.frames[index]
    model = recording.model(index)
    nodes: list[Node] = []
    edges: list[Edge] = []
    if frame.unit_maps is not None:
        right = _network(recording, frame, scales, nodes, edges)
        top = max(n.position[1] + n.size[1] / 2 for n in nodes)
        nodes += _plane(recording, index, model, scales, right, top)
        left, chart_y = right, top - _PANEL - 14 - _CHART[1] / 2  # the curves under the output's map
        what = "each unit's activation over the plane (full colour beyond)"
        legend = (("edge", "connections: the weight, blue > 0, orange < 0, width ∝ size; "
                           "● training point, ○ test point, red ring: misclassified"),)
    else:
        right, top = _weight_grid(recording, frame, scales, nodes)
        left, chart_y = 0.0, min(n.position[1] - n.size[1] / 2 for n in nodes) - 14 - _CHART[1] / 2
        nodes.append(_confusion(recording, frame, (right + 12 + _MATRIX / 2, top - _MATRIX / 2)))
        what = "each pixel's weight into the unit (full colour beyond)"
        legend = ()
    nodes.append(Node("curves", ("",), tooltip=_curves_tooltip(frame), position=(left + _CHART[0] / 2, chart_y),
                      size=_CHART, image=_chart_png(recording, frame, scales, recording.frames[-1])))
    nodes.append(Node("key", ("",), tooltip=f"colour scale: ±{scales.colour!r}",
                      position=(left + _KEY[0] / 2, chart_y - _CHART[1] / 2 - 6 - _KEY[1] / 2), size=_KEY,
                      image=_key_png(scales.colour, what)))
    return Picture(tuple(nodes), tuple(edges), caption=_caption(recording, index, model), legend=legend)


def draw_frame(recording: Recording, index: int = -1) -> Diagram:
    """Frame ``index`` (default: the last) as a diagram Jupyter shows inline."""
    return render(frame_picture(recording, index))


def _network(recording: Recording, frame, scales: _Scales, nodes: list, edges: list) -> float:
    """The units as maps in columns and their connections; returns the x where they end."""
    config = recording.config
    names = unit_names(config)
    columns = [["x0", "x1"], *names]
    pitch = min(_PITCH, _HEIGHT / max(len(c) for c in columns))
    named = pitch >= _NAMED
    tile = pitch - (10.0 if named else 2.0)
    xs, ys = frame.grid
    gx, gy = np.meshgrid(xs, ys)
    maps = {"x0": gx, "x1": gy, **frame.unit_maps}
    layers = [_layer_weights(frame.state, k) for k in range(len(names))]
    biases = [[frame.state[f"layers.{k}.neurons.{j}.b"] for j in range(len(unit))] for k, unit in enumerate(names)]
    activations = [config["activation"]] * (len(names) - 1) + [config["output_activation"]]
    keys = {}
    for c, column in enumerate(columns):
        caption = "inputs" if c == 0 else f"L{c - 1}: {len(column)} {activations[c - 1]}"
        x = c * _COLUMN_GAP
        top = (len(column) - 1) / 2 * pitch + tile / 2
        nodes.append(Node(f"c{c}", (caption,), fill="transparent", color="transparent", shape="plaintext",
                          position=(x, top + 16), size=(_COLUMN_GAP - 6, 14)))
        for i, name in enumerate(column):
            key = keys[name] = f"u{len(keys)}"
            values = maps[name]
            if c == 0:
                tip = f"input {name}: the plane's {'horizontal' if i == 0 else 'vertical'} coordinate"
            else:
                low, high = np.nanmin(values), np.nanmax(values)
                tip = (f"{name} ({activations[c - 1]}), b = {format_number(biases[c - 1][i])}: "
                       f"from {format_number(low)} to {format_number(high)} over the plane")
            nodes.append(Node(key, (name if named else "",), "input" if c == 0 else "intermediate", tooltip=tip,
                              position=(x, ((len(column) - 1) / 2 - i) * pitch), size=(tile, tile),
                              image=_map_png(values, scales.colour)))
    for k, W in enumerate(layers):
        for j, row in enumerate(W):
            for i, w in enumerate(row):
                tail, head = keys[columns[k][i]], keys[columns[k + 1][j]]
                edges.append(Edge(tail, head, tooltip=f"L{k}.n{j}.w{i} = {format_number(w)}", arrow=False,
                                  color=connection_colour(w), width=connection_width(w, scales.weight)))
    return (len(columns) - 1) * _COLUMN_GAP + tile / 2 + 34


def _plane(recording: Recording, index: int, model, scales: _Scales, left: float, top: float) -> list[Node]:
    """The output over the plane with the data on it: one image and a node per point."""
    frame = recording.frames[index]
    xs, ys = frame.grid
    fine_x = np.linspace(xs[0], xs[-1], _PANEL_POINTS)
    fine_y = np.linspace(ys[0], ys[-1], _PANEL_POINTS)
    gx, gy = np.meshgrid(fine_x, fine_y)
    outputs = forward(model, np.column_stack([gx.ravel(), gy.ravel()]))
    outputs = outputs.reshape(_PANEL_POINTS, _PANEL_POINTS, -1)
    cx, cy = left + _PANEL / 2, top - _PANEL / 2
    one = outputs.shape[2] == 1
    what = ("the output - " + format_number(recording.threshold) if recording.threshold else "the output") if one \
        else "the class with the largest output"
    nodes = [Node("plane", ("",), tooltip=f"{what} over the plane, the decision boundary in black",
                  position=(cx, cy), size=(_PANEL, _PANEL),
                  image=_plane_png(outputs, recording.threshold, scales.colour))]
    inner = _PANEL - 2.0  # inside the image's 1-point border

    def place(point):
        return (cx - inner / 2 + inner * (point[0] - xs[0]) / (xs[-1] - xs[0]),
                cy - inner / 2 + inner * (point[1] - ys[0]) / (ys[-1] - ys[0]))

    def colour(label: int) -> str:
        if one:  # two classes on one output: the sides' colours, class 1 on the blue side
            return POSITIVE if label == 1 else NEGATIVE
        return _CLASS_COLOURS[label % len(_CLASS_COLOURS)]

    for i, (point, label, predicted) in enumerate(zip(recording.X, recording.y, frame.predictions)):
        wrong = frozenset({"highlight"}) if predicted != label else frozenset()
        tip = (f"training point {i}: class {label}, predicted {predicted}, "
               f"loss {format_number(frame.point_losses[i])}")
        nodes.append(Node(f"p{i}", ("",), shape="circle", fill=colour(label), color="white", emphasis=wrong,
                          tooltip=tip, position=place(point), size=(_POINT, _POINT)))
    if recording.X_val is not None:
        for i, (point, label, predicted) in enumerate(zip(recording.X_val, recording.y_val, frame.val_predictions)):
            wrong = frozenset({"highlight"}) if predicted != label else frozenset()
            nodes.append(Node(f"t{i}", ("",), shape="circle", fill="white", color=colour(label), emphasis=wrong,
                              tooltip=f"test point {i}: class {label}, predicted {predicted}",
                              position=place(point), size=(_POINT, _POINT)))
    return nodes


def _image_shape(nin: int) -> tuple[int, int]:
    side = math.isqrt(nin)
    return (side, side) if side * side == nin else (1, nin)


def _weight_grid(recording: Recording, frame, scales: _Scales, nodes: list) -> tuple[float, float]:
    """Each first-layer unit's incoming weights as an image, in rows of eight; returns where
    the grid ends on the right and its top."""
    W = _layer_weights(frame.state, 0)
    shape = _image_shape(recording.config["nin"])
    per_row = min(8, len(W))
    pitch_x, pitch_y = _GRID_TILE + 10, _GRID_TILE + 14
    top = 0.0
    nodes.append(Node("c0", (f"L0: {len(W)} {recording.config['activation']} units, each one's weights on the "
                             f"{shape[0]} x {shape[1]} input",), fill="transparent", color="transparent",
                      shape="plaintext", position=(per_row * pitch_x / 2, top - 8), size=(per_row * pitch_x, 14)))
    upscale = max(1, round(32 / max(shape)))
    for j, row in enumerate(W):
        b = frame.state[f"layers.0.neurons.{j}.b"]
        nodes.append(Node(f"u{j}", (f"L0.n{j}",), "intermediate",
                          tooltip=f"L0.n{j}: weights from {format_number(row.min())} to "
                                  f"{format_number(row.max())}, b = {format_number(b)}",
                          position=((j % per_row + 0.5) * pitch_x, top - 24 - (j // per_row + 0.5) * pitch_y),
                          size=(_GRID_TILE, _GRID_TILE),
                          image=_indexed_png(_diverging(row.reshape(shape), scales.colour), _palette(), upscale)))
    return per_row * pitch_x, top


def _confusion(recording: Recording, frame, at: tuple[float, float]) -> Node:
    held_out = recording.X_val is not None
    y = recording.y_val if held_out else recording.y
    predicted = frame.val_predictions if held_out else frame.predictions
    k = max(int(recording.y.max()) + 1, int(y.max()) + 1, 2, recording.config["nouts"][-1])
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (y, predicted), 1)
    on = "test set" if held_out else "training set"
    return Node("confusion", ("",), tooltip=f"true class (rows) against predicted (columns) on the {on}",
                position=at, size=(_MATRIX, _MATRIX),
                image=_confusion_png(matrix, f"{on}: accuracy {format_number(float(np.mean(predicted == y)), 3)}"))


def _curves_tooltip(frame) -> str:
    if not frame.loss:
        return "loss and accuracy per epoch: none yet (before training)"
    text = (f"epoch {frame.epoch}: training loss {format_number(frame.loss[-1])}, accuracy "
            f"{format_number(frame.accuracy[-1])} (means over the epoch's batches)")
    if frame.val_loss:
        text += (f"; test loss {format_number(frame.val_loss[-1])}, accuracy "
                 f"{format_number(frame.val_accuracy[-1])} (after the epoch)")
    return text


def _caption(recording: Recording, index: int, model) -> str:
    """The frame's text: its epoch, and the model's loss and accuracy then."""
    frame = recording.frames[index]
    when = f"Before training (epoch 0 of {recording.epochs})" if frame.epoch == 0 else \
        f"After epoch {frame.epoch} of {recording.epochs}"
    text = (f"{when}: training set loss "
            f"{format_number(float(np.mean(frame.point_losses)))}, accuracy "
            f"{format_number(float(np.mean(frame.predictions == recording.y)), 3)}")
    if recording.X_val is not None:
        outputs = forward(model, recording.X_val)
        val_loss = float(np.mean(sample_losses(recording.loss, outputs, recording.y_val)))
        text += (f"; test set loss {format_number(val_loss)}, accuracy "
                 f"{format_number(float(np.mean(frame.val_predictions == recording.y_val)), 3)}")
    worst = int(np.argmax(frame.point_losses))
    if frame.point_losses[worst] == 0:  # the hinge loss, every point past the margin
        return text + ".\nEvery training point's loss is 0: backpropagation sends nothing back."
    return (text + f".\nLargest loss: training point {worst} (class {recording.y[worst]}), "
                   f"loss {format_number(float(frame.point_losses[worst]))}.")


# -- the player, its files and its size ----------------------------------------------------------
def page_bytes(frames: int, config: dict, points: int, passes: int = 0) -> int:
    """About how large a player page of ``frames`` frames of an MLP with ``config`` over
    ``points`` data points (training and test), holding ``passes`` backward passes, is in
    bytes: what the size guard checks."""
    sizes = [config["nin"], *config["nouts"]]
    units, connections = sum(sizes), sum(a * b for a, b in zip(sizes, sizes[1:]))
    # A backward pass is a page of its own, a picture per layer and one more, packed with
    # gzip (to about a fifth) and written in base64 (a third more): about 110 B a unit and
    # 110 B a connection a picture.
    pass_bytes = (len(sizes)) * 110 * (units + connections)
    if config["nin"] != 2:  # a weight image per first-layer unit, no connections drawn
        units, connections, points = sizes[1], 0, 0
    # Measured on moons, spirals and digits pages: a unit's map about 1 KB, a connection's
    # line 250 B, a point 240 B, and 25 KB for the output's map, the curves, the key and the text.
    return frames * (25_000 + 1_000 * units + 250 * connections + 240 * points) + passes * pass_bytes


def player(recording: Recording, *, points=None, max_bytes: int = MAX_PAGE_BYTES) -> Player:
    """The frames as an ``autograd.Player``: the backprop player's page, controls and keys,
    counting frames, each frame's caption naming its epoch.

    With two input features, the page also holds, for every frame, the backward pass of the
    training points ``points`` (default None: the point with the largest loss at that
    frame; ``()`` for none), each packed with gzip: clicking one on the map (or the button
    under the picture) opens its pass at that frame in the backprop player
    (``backward_player``), stepped a layer at a time. A page of more than ``max_bytes``
    (about; see ``page_bytes``) is refused with ``ValueError`` before any drawing.
    """
    if not isinstance(recording, Recording):
        raise TypeError(f"recording must be an nn.Recording (history.recording), got {type(recording).__name__}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}")
    chosen = _check_points(points, len(recording.y)) if recording.grid is not None else ()
    passes = len(recording) * (1 if chosen is None else len(chosen))
    data = len(recording.y) + (0 if recording.y_val is None else len(recording.y_val))
    size = page_bytes(len(recording), recording.config, data, passes)
    if size > max_bytes:
        held = f" and {passes} backward passes" if passes else ""
        raise ValueError(
            f"{len(recording)} frames of MLP({recording.config['nin']}, {recording.config['nouts']}) over "
            f"{data} points{held} make a page of about {format_number(size / 1e6, 2)} MB, more than "
            f"max_bytes={max_bytes:,}: "
            f"keep fewer frames (a larger record=k in nn.fit, --record-every K on the command line)"
            f"{', or fewer points' if passes else ''}, or pass max_bytes={size} to make it anyway")
    scales = _Scales(recording.frames)
    pictures = [frame_picture(recording, k, scales=scales) for k in range(len(recording))]
    extra = ""
    if passes:
        held = {}
        for k, frame in enumerate(recording.frames):
            for i in [int(np.argmax(frame.point_losses))] if chosen is None else chosen:
                shown = backward_player(recording, k, i)
                page = base64.b64encode(gzip.compress(shown.html().encode("utf-8"), mtime=0)).decode("ascii")
                held.setdefault(str(k), {})[str(i)] = {"page": page, "height": shown.frame_height()}
        extra = _PASSES.replace("@passes@", json.dumps(held)).replace("@epochs@", json.dumps(
            [frame.epoch for frame in recording.frames]))
    return Player(pictures, f"training {_describe(recording)}", noun="frame", extra=extra)


def _check_points(points, n: int):
    if points is None:
        return None
    if isinstance(points, (str, bytes)) or not hasattr(points, "__iter__"):
        raise TypeError(f"points must be a list of training point indices, or None, got {type(points).__name__}")
    points = list(points)
    bad = [p for p in points if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 0 <= p < n]
    if bad:
        raise ValueError(f"points must be indices of training points, from 0 to {n - 1}, got {bad[0]!r}")
    return [int(p) for p in dict.fromkeys(points)]


def backward_player(recording: Recording, index: int, point: int) -> Player:
    """Training point ``point``'s backward pass through the model of frame ``index``, a layer
    a step (``nn.animate_network``), captioned with the point and the epoch."""
    frame = recording.frames[index]
    label = int(recording.y[point])
    (target,) = targets_for(recording.loss, np.array([label]), recording.config["nouts"][-1])
    when = "before training" if frame.epoch == 0 else f"after epoch {frame.epoch}"
    caption = (f"Training point {point} (class {label}), {when}: its {recording.loss} loss "
               f"{format_number(float(frame.point_losses[point]))}.")
    return animate_network(recording.model(index), recording.X[point], target, recording.loss, caption=caption)


def _describe(recording: Recording) -> str:
    c = recording.config
    return f"MLP({c['nin']}, {c['nouts']}) {c['activation']}, {recording.loss} loss, {recording.epochs} epochs"


def save(recording: Recording, path: str | os.PathLike, *, points=None, seconds_per_frame: float = 0.6,
         max_bytes: int = MAX_PAGE_BYTES) -> Path:
    """Write the player: ``*.html`` (one self-contained page, holding the backward passes of
    ``points`` as ``player`` says), ``*.gif`` (one frame per frame kept) or a folder of PNG
    frames (a path without a suffix)."""
    held = points if Path(path).suffix.lower() == ".html" else ()  # a GIF cannot open a pass
    return player(recording, points=held, max_bytes=max_bytes).save(path, seconds_per_frame=seconds_per_frame)


# What the training page adds to the player: the backward passes it holds, packed, opened in
# a frame under the picture when a point is chosen. DecompressionStream unpacks gzip in the
# browser (Chrome 80, Firefox 113, Safari 16.4 and later).
_PASSES = r"""<style>
#backprop-bar { margin-top: 6px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#backprop-bar button { font-size: 13px; padding: 3px 8px; cursor: pointer; }
#backprop-note { font-size: 13px; color: #4b5563; }
#view g.node.has-pass { cursor: pointer; }
#view g.node.has-pass ellipse { stroke-dasharray: 4 2; }
#backprop iframe { width: 100%; border: 1px solid #e5e7eb; }
</style>
<div id="backprop-bar"><button id="backprop-open"></button>
<span id="backprop-note">or click a training point on the map</span></div>
<div id="backprop" hidden><button id="backprop-close">close the backward pass (Esc)</button>
<iframe id="backprop-frame" title="the backward pass of one training point"></iframe></div>
<script>
(function () {
  "use strict";
  var passes = @passes@, epochs = @epochs@;
  var bar = document.getElementById("backprop-open"), note = document.getElementById("backprop-note");
  var box = document.getElementById("backprop"), view = document.getElementById("backprop-frame");
  var current = 0;
  function held(k) { return Object.keys(passes[String(k)] || {}); }
  function unpack(text) {
    var bytes = Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }
  function open(point) {
    var pass = (passes[String(current)] || {})[String(point)];
    if (pass === undefined) {
      note.textContent = "This page holds the backward pass of training point" +
        (held(current).length > 1 ? "s " : " ") + held(current).join(", ") + " at epoch " + epochs[current] +
        ", not of point " + point + ": recording.save(path, points=[" + point + "]) adds it.";
      return;
    }
    unpack(pass.page).then(function (page) {
      view.style.height = pass.height + "px";
      view.onload = function () {
        try {  // as tall as the pass's page drawn at this width, so it needs no scrolling of its own
          view.style.height = view.contentDocument.documentElement.scrollHeight + "px";
          view.contentDocument.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
        } catch (err) { /* a browser that keeps the frame's document to itself: the height given */ }
        view.contentWindow.focus();
      };
      view.srcdoc = page;
      box.hidden = false;
      document.body.setAttribute("data-backprop", String(point));
      note.textContent = "training point " + point + " at epoch " + epochs[current];
    });
  }
  function close() {
    box.hidden = true;
    view.removeAttribute("srcdoc");
    document.body.removeAttribute("data-backprop");
  }
  document.addEventListener("playerstep", function (e) {
    current = e.detail;
    close();
    var points = held(current);
    bar.textContent = "Step through the backward pass of training point " + points[0] + " at epoch " +
      epochs[current];
    note.textContent = "or click a training point on the map";
    // The player has just drawn this frame's picture into #view.
    document.querySelectorAll("#view g.node").forEach(function (node) {
      var title = node.querySelector("title"), match = title && /^p(\d+)$/.exec(title.textContent);
      if (match) { node.classList.toggle("has-pass", points.indexOf(match[1]) >= 0); }
    });
  });
  bar.addEventListener("click", function () { open(held(current)[0]); });
  document.getElementById("backprop-close").addEventListener("click", close);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
  // A press and release in one place on a point opens it; the player drags the picture with
  // the pointer it captures, so a click event would not name the point.
  var pressed = null, picture = document.getElementById("view");
  picture.addEventListener("pointerdown", function (e) {
    pressed = {node: e.target.closest && e.target.closest("g.node"), x: e.clientX, y: e.clientY};
  }, true);
  picture.addEventListener("pointerup", function (e) {
    var node = pressed && Math.abs(e.clientX - pressed.x) + Math.abs(e.clientY - pressed.y) < 5 && pressed.node;
    var title = node && node.querySelector("title"), match = title && /^p(\d+)$/.exec(title.textContent);
    pressed = null;
    if (match) { open(Number(match[1])); }
  }, true);
})();
</script>"""


# -- live, in Jupyter ---------------------------------------------------------------------------
class LiveView:
    """One Jupyter output that ``fit(..., watch=True)`` updates in place as frames come.

    Drawing a frame takes time (about 0.1 s for ``make demo``'s network on a 2-core
    machine), so a frame is drawn only while the drawing done so far, this one and one more
    kept in reserve for the last frame (which ``finish`` always draws) stay within
    ``WATCH_SHARE`` of the training time so far. A drawing is taken to cost as much as the
    dearest one so far, and ``FIRST_GUESS`` before any. So the drawing costs at most a tenth
    of the training, once training takes longer than about two drawings' worth of budget
    (2 to 3 s); ``make demo``'s run (3 s) gets its last frame and at most one before it,
    a 20-second run a frame every few seconds. Plain IPython display calls: no ipywidgets
    needed. Outside Jupyter it warns and only records.
    """

    FIRST_GUESS = 0.15  # seconds a drawing is taken to cost until one is measured

    def __init__(self, recording: Recording, start: float):
        self.recording, self.start = recording, start
        self.scales = _Scales()
        self.spent = self.cost = 0.0
        self.shown = -1
        self.handle = None
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            get_ipython = None
        if get_ipython is None or get_ipython() is None:
            warnings.warn("watch=True shows the training in Jupyter; here nothing is shown, and the frames "
                          "are recorded as with record= alone", stacklevel=3)
            return
        c = recording.config
        # Raw SVG (with its caption in it), not HTML: front ends that sanitize HTML, and
        # GitHub's notebook pages, show an SVG output as it is.
        self.handle = display({"text/plain": f"Training MLP({c['nin']}, {c['nouts']}) for {recording.epochs} epochs. "
                                             "A frame is drawn here whenever drawing costs under a tenth of the "
                                             "training time so far, and the last one at the end."},
                              raw=True, display_id=True)

    def offer(self) -> None:
        """Show the newest frame if the budget allows."""
        if self.handle is None:
            return
        trained = time.perf_counter() - self.start - self.spent
        if self.spent + 2 * (self.cost or self.FIRST_GUESS) <= WATCH_SHARE * trained:
            self._show()

    def finish(self) -> None:
        """Show the last frame, with a PNG beside its SVG: the output a notebook stores, which
        a client that draws no SVG (JupyterLab, untrusted) shows as the PNG."""
        if self.handle is not None:
            self._show(stored=True)

    def _show(self, stored: bool = False) -> None:
        began = time.perf_counter()
        index = len(self.recording) - 1
        for frame in self.recording.frames[self.shown + 1 :]:  # the frames since the last drawing
            self.scales.add(frame)
        picture = frame_picture(self.recording, index, scales=self.scales)
        diagram = render(picture)
        shown = diagram._repr_mimebundle_() if stored else {"image/svg+xml": diagram.pipe(format="svg", encoding="utf-8")}
        self.handle.update({**shown, "text/plain": picture.caption}, raw=True)
        self.shown = index
        cost = time.perf_counter() - began
        self.cost = max(self.cost, cost)
        self.spent += cost
        self.recording.watch_seconds = self.spent
