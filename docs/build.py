"""Build the documentation site from nothing: `make docs` runs `python docs/build.py site`.

The sources are put together in build/docs/src: docs/ and, as src/notebooks/, the notebooks
(with the map of the lecture notes, notebooks/README.md). Sphinx builds them into
build/docs/html (myst-nb keeps the notebooks' outputs beside it, in build/docs/jupyter_execute),
which then becomes the site's folder. Sphinx builds every page afresh (-E) with warnings as errors (-W --keep-going: a broken
reference fails the build, after all of them are reported), then check_links.py walks the built
pages and fails on any local link or resource that is missing or any resource fetched from
the network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "build" / "docs"
SOURCES = WORK / "src"
sys.path.insert(0, str(HERE))

from check_links import check  # noqa: E402


LINK = re.compile(r"(\]\(|href=\")([^)\"#\s]+)")


def _to_copied_notebooks(text: str, page: Path) -> str:
    """The page's links into notebooks/, which are written from docs/ (so that they work where
    the Markdown is read, on GitHub say), made to point to the notebooks' copy beside it."""
    source = HERE / page.relative_to(SOURCES)

    def relink(match: re.Match) -> str:
        target = (source.parent / match.group(2)).resolve()
        if target != ROOT / "notebooks" and ROOT / "notebooks" not in target.parents:
            return match.group(0)
        copied = SOURCES / target.relative_to(ROOT)
        return match.group(1) + os.path.relpath(copied, page.parent)

    return LINK.sub(relink, text)


def build(out: Path) -> None:
    where = out.resolve()
    if where in (HERE, ROOT, ROOT / "notebooks", WORK.parent) or HERE in where.parents or WORK in (where, *where.parents):
        raise ValueError(f"the site goes to a folder of its own, not {out}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(WORK, ignore_errors=True)
    leftovers = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    shutil.copytree(HERE, SOURCES, ignore=leftovers)
    shutil.copytree(ROOT / "notebooks", SOURCES / "notebooks", ignore=leftovers)
    for page in SOURCES.rglob("*.md"):
        if SOURCES / "notebooks" not in page.parents:
            page.write_text(_to_copied_notebooks(page.read_text(encoding="utf-8"), page), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="chainrule-doctrees-") as doctrees:
        subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", "-q",
                        "-d", doctrees, str(SOURCES), str(WORK / "html")], check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(WORK / "html", out)
    problems = check(out)
    if problems:
        raise SystemExit("\n".join(problems) + f"\n{len(problems)} broken link(s) or network resource(s) in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python docs/build.py SITE_FOLDER")
    try:
        build(Path(sys.argv[1]))
    except ValueError as error:
        raise SystemExit(str(error)) from None
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"sphinx-build failed (status {error.returncode}): see the messages above") from None
    print(f"built {sys.argv[1]}/index.html")
