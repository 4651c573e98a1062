"""The ``drawing`` directive: Python code whose last line is a drawing, shown as the code and
then the picture it draws, made when the site is built (so the gallery is never stale).

    ```{drawing}
    from autograd import Value, draw
    x = Value(2.0, "x")
    draw(x * x)
    ```

The picture is put in the page as inline SVG, so its tooltips (full-precision numbers) work.
"""

from __future__ import annotations

import ast
import re

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class Drawing(SphinxDirective):
    has_content = True

    def run(self):
        code = "\n".join(self.content)
        where = f"{self.get_source_info()[0]}:{self.lineno}"
        try:
            tree = ast.parse(code, where)
        except SyntaxError as error:
            raise self.error(f"the drawing's code does not parse: {error}") from error
        if not tree.body or not isinstance(tree.body[-1], ast.Expr):
            raise self.error("the drawing's last line must be an expression: the drawing to show")
        last = ast.Expression(tree.body.pop().value)
        namespace: dict = {"__name__": "drawing"}
        exec(compile(tree, where, "exec"), namespace)
        diagram = eval(compile(last, where, "eval"), namespace)
        if not hasattr(diagram, "pipe"):
            raise self.error(f"the drawing's last line gives {type(diagram).__name__}, not a drawing")
        svg = diagram.pipe(format="svg").decode("utf-8")
        svg = svg[svg.index("<svg"):]
        svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)  # Graphviz's comments
        literal = nodes.literal_block(code, code, language="python")
        picture = nodes.raw("", f'<div class="drawing">{svg}</div>', format="html")
        return [literal, picture]


def setup(app):
    app.add_directive("drawing", Drawing)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
