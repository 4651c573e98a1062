"""autograd.render: nodes that are pictures, plain lines, and colours a node sets itself."""

import base64
import io
import re
import shutil

import pytest
from browser import page_data

from autograd.picture import Edge, Node, Picture
from autograd.player import Player
from autograd.render import render

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def png(colour: tuple[int, int, int], size=(4, 3)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


RED, BLUE = png((255, 0, 0)), png((0, 0, 255), (5, 5))


def picture() -> Picture:
    return Picture((
        Node("a", ("unit a",), position=(0.0, 0.0), size=(40.0, 30.0), image=RED, tooltip="the red one"),
        Node("b", ("",), position=(200.0, 0.0), size=(20.0, 20.0), image=BLUE, emphasis=frozenset({"highlight"})),
        Node("c", ("",), shape="circle", position=(100.0, 60.0), size=(8.0, 8.0), fill="#123456", color="white"),
    ), (Edge("a", "b", arrow=False, color="#2563eb", width=2.0), Edge("a", "c")))


def test_svg_carries_each_picture_inline_and_reads_no_file():
    svg = render(picture()).pipe(format="svg").decode("utf-8")
    hrefs = re.findall(r'xlink:href="([^"]+)"', svg)
    assert hrefs == ["data:image/png;base64," + base64.b64encode(RED).decode(),
                     "data:image/png;base64," + base64.b64encode(BLUE).decode()]
    # each picture drawn at its node's size, the text in small print under the first
    assert re.search(r'<image [^>]*width="38px" height="28px"', svg)  # inside a 1-point border
    assert re.search(r'font-size="8.00">unit a</text>', svg)
    assert 'xlink:title="the red one"' in svg
    assert 'stroke="#dc2626"' in svg  # the highlighted picture's border is red
    assert 'fill="#123456" stroke="white"' in svg  # a node's own colours
    assert render(picture()).pipe(format="svg", encoding="utf-8") == svg


def test_a_plain_line_has_no_arrowhead():
    svg = render(picture()).pipe(format="svg").decode("utf-8")
    edges = re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg, re.S)
    assert ["<polygon" in e for e in edges] == [False, True]


def test_png_output_draws_the_pictures():
    from PIL import Image

    image = Image.open(io.BytesIO(render(picture()).pipe(format="png"))).convert("RGB")
    colours = {image.getpixel((x, y)) for x in range(image.width) for y in range(image.height)}
    assert (255, 0, 0) in colours and (0, 0, 255) in colours


def test_a_diagram_with_pictures_is_not_rendered_to_a_file(tmp_path):
    with pytest.raises(ValueError, match=r"drawn with \.pipe\(format='svg' or 'png'\)"):
        render(picture()).render(outfile=tmp_path / "x.svg")
    assert list(tmp_path.iterdir()) == []


def test_a_player_of_pictures_counts_its_own_noun_and_tells_scripts_each_frame():
    frames = [picture(), picture()]
    player = Player(frames, "two frames", noun="frame", extra='<p id="more">more</p>')
    page = player.html()
    assert '<span id="counter">frame 0 of 1</span>' in page and page_data(page)["noun"] == "frame"
    assert 'counter.textContent = data.noun + " " + k + " of " + last;' in page
    assert 'document.dispatchEvent(new CustomEvent("playerstep", {detail: k}));' in page
    assert page.index('<p id="more">more</p>') < page.index("<script")
    # The two frames are alike: each node's picture is stored once, and both frames use it.
    data = page_data(page)
    assert "".join(data["parts"]).count("data:image/png;base64,") == 2
    assert [[data["parts"][i].count("data:image/png") for i in frame] for frame in data["frames"]] \
        == [[data["parts"][i].count("data:image/png") for i in data["frames"][0]]] * 2


def test_jupyters_png_of_a_diagram_with_pictures_draws_them():
    """The PNG a notebook stores beside the SVG (for clients that draw no SVG) is made from a
    copy of the diagram at another resolution: the copy must carry the pictures too."""
    from PIL import Image

    bundle = render(picture())._repr_mimebundle_()
    image = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24)}
    assert (255, 0, 0) in colours and (0, 0, 255) in colours  # both node pictures, red and blue
