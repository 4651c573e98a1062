"""Sphinx configuration of chainrule's documentation site: `make docs` builds it into site/.

The pages are Markdown (MyST), the notebooks are rendered from their stored outputs (myst-nb,
never executed here), and the API reference comes from the docstrings (autodoc). Nothing is
fetched from the network, at build time or when a page is read: MathJax is served from the
site itself (a copy from the jupyter-server-mathjax package), and the theme's fonts are the
reader's own.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import jupyter_server_mathjax

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2] if HERE.parent.parent.name == "build" else HERE.parent  # docs/build.py builds from build/docs/src
sys.path.insert(0, str(ROOT))  # the packages of this checkout, not an installed copy
sys.path.insert(0, str(HERE / "_ext"))

project = "chainrule"
author = "chainrule's authors"
copyright = "chainrule's authors, MIT licence"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_nb",
    "drawing",  # docs/_ext/drawing.py: the gallery's pictures, drawn at build time
]

root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "notebooks/.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}

# Every reference must resolve: -W turns each warning into an error, and nitpicky makes an
# unresolved cross-reference a warning.
nitpicky = True
# Types from outside the project (no intersphinx: the build is offline) and annotations that
# name no documented object.
nitpick_ignore_regex = [
    ("py:class", r"(collections\.abc|typing|os|pathlib|numbers|random|contextlib|types)\..*"),
    ("py:class", r"(numpy|np|graphviz|torch|matplotlib|PIL|tqdm)(\..*)?"),
    ("py:class", r"(Iterable|Iterator|Callable|Sequence|Mapping|Any|PathLike|Generator|ndarray|Path|"
                 r"Number|Real|Self|TypeAlias|ArrayLike|NDArray|Random|Diagram|Digraph|Figure|Axes|Image)"),
    ("py:class", r"(float|int|str|bool|bytes|dict|list|tuple|set|object|type|None|NoneType|complex)"),
    ("py:class", r"optional"),
    # Internal types that signatures name: a drawing's description and renderer, a pass's state,
    # a private helper of the training view.
    ("py:class", r"autograd\.(render\.(Diagram|Layout)|picture\.Picture|steps\.(BackwardState|_\w+))"),
    ("py:class", r"nn\.training_view\._\w+"),
]
# notebooks/README.md, the map of the lecture notes, steps from its title to level-3 headings.
suppress_warnings = ["myst.header"]

# -- MyST and the notebooks -----------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist", "html_image"]
myst_heading_anchors = 4  # `page.md#a-heading` links resolve, as on GitHub
myst_update_mathjax = False  # MathJax 2 is configured below
nb_execution_mode = "off"  # the notebooks' stored outputs are what the site shows
# A player is a PNG output (its first step) followed by a script output that puts the player in
# its place: the script must reach the page. Drawings are SVG with a PNG twin: show the SVG.
nb_mime_priority_overrides = [
    ("html", "application/javascript", 5),
    ("html", "image/svg+xml", 10),
    ("html", "text/html", 15),
    ("html", "image/png", 20),
    ("html", "text/plain", 100),
]
nb_merge_streams = True

# -- MathJax, from the site ----------------------------------------------------------------
# MathJax 2 as Jupyter serves it (jupyter-server-mathjax): its one-file configuration, and the
# STIX web fonts, which it loads from the site too.
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"  # under _static/, copied at the end
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True},
    "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web", "imageFont": None},
    "showMathMenu": False,
    "messageStyle": "none",
}
# What MathJax loads for that configuration (its translations and SVG output stay out).
MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS-MML_HTMLorMML-full.js", "extensions", "jax/input", "jax/element",
                 "jax/output/HTML-CSS", "fonts/HTML-CSS/STIX-Web/woff"]

# -- API reference --------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
autosummary_generate = False
add_module_names = True
python_display_short_literal_types = True

# -- HTML -----------------------------------------------------------------------------------
html_theme = "furo"
html_title = "chainrule"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_js_files = ["players.js"]
html_extra_path = ["backward_steps.html", "mlp_backward.html"]  # the players the guide links
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {"navigation_with_keys": True}
# The search box's index and the page's own ids are all local; Furo loads no web font.


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        source = MATHJAX / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)


def setup(app):
    app.connect("build-finished", _copy_mathjax)
