"""Build the playground: a static folder that runs chainrule in the browser, and serve it.

    python playground/build.py [--out out/playground] [--serve] [--port 8000]

1. ``npm ci`` in playground/ installs the pinned packages of package-lock.json: Pyodide (CPython
   compiled to WebAssembly) and @viz-js/viz (Graphviz compiled to WebAssembly). It runs once:
   a stamp in node_modules records the lock file it installed, and a second build skips it.
2. The folder gets only the files the page loads: Pyodide's interpreter and standard library,
   viz.js, one zip of Python (``autograd``, ``nn``, the page's ``app.py`` and the pure-Python
   ``graphviz`` package as installed here) and the page itself. Nothing is fetched from
   anywhere else when it runs.
3. ``--serve`` serves it on 127.0.0.1 (a page opened from disk cannot load WebAssembly).
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAGE = ("index.html", "playground.js", "worker.js", "style.css")
PYODIDE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
           "pyodide-lock.json")
VIZ = "viz.js"  # the ES module: the worker is a module worker
PACKAGES = ("autograd", "nn")
STAMP = ".chainrule-lock-sha256"
MIN_PYTHON = (3, 10)


class BuildError(RuntimeError):
    """The build cannot go on; the message says what to do."""


def npm_install(folder: Path = HERE) -> bool:
    """``npm ci`` in ``folder`` unless node_modules already holds what its lock file pins.
    Returns whether npm ran."""
    lock = folder / "package-lock.json"
    if not lock.is_file():
        raise BuildError(f"{lock} is missing: it pins the npm packages the playground is built from")
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = folder / "node_modules" / STAMP
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not installed, and the playground is built from npm packages (Pyodide and "
                         "viz.js). Install Node.js with npm (Debian/Ubuntu: sudo apt-get install nodejs npm; "
                         "others: https://nodejs.org), then run make playground again")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"npm ci failed in {folder}:\n{done.stdout}{done.stderr}")
    stamp.write_text(digest + "\n")
    return True


def _pyodide_python(pyodide: Path) -> tuple[int, ...]:
    info = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]
    return tuple(int(part) for part in info["python"].split(".")[:2])


def _python_zip(target: Path) -> None:
    """autograd/, nn/, the page's app.py and the installed graphviz package, in one zip."""
    spec = importlib.util.find_spec("graphviz")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("the Python package graphviz is not installed where the build runs: "
                         "pip install graphviz (make playground uses the project's .venv, which has it)")
    graphviz_dir = Path(next(iter(spec.submodule_search_locations)))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for base, name in [(ROOT, p) for p in PACKAGES] + [(graphviz_dir.parent, graphviz_dir.name)]:
            for path in sorted((base / name).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                    out.write(path, path.relative_to(base).as_posix())
        out.write(HERE / "app.py", "app.py")


def build(out: Path) -> Path:
    """Build the playground into ``out`` (replaced whole) and return it."""
    npm_install()
    modules = HERE / "node_modules"
    pyodide, viz = modules / "pyodide", modules / "@viz-js" / "viz" / "dist"
    version = _pyodide_python(pyodide)
    if version < MIN_PYTHON:
        raise BuildError(f"the pinned Pyodide runs Python {version[0]}.{version[1]}; chainrule needs "
                         f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]} or later: pin a newer pyodide in playground/package.json")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".playground-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; any server should read it
    try:
        for name in PYODIDE:
            shutil.copy2(pyodide / name, staging / name)
        shutil.copy2(viz / VIZ, staging / VIZ)
        _python_zip(staging / "chainrule.zip")
        for name in PAGE:
            shutil.copy2(HERE / name, staging / name)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the types WebAssembly and modules need, and a quiet log."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
                      ".zip": "application/zip", ".json": "application/json"}

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def serve(folder: Path, port: int) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, directory=str(folder)))
    print(f"The playground is at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build chainrule's playground (and serve it).")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "playground", help="the folder to build into")
    parser.add_argument("--serve", action="store_true", help="then serve it on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the port to serve on (default 8000)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be from 0 to 65535, got {args.port}")
    try:
        out = build(args.out)
    except BuildError as failed:
        print(f"make playground: {failed}", file=sys.stderr)
        return 1
    print(f"Built the playground in {out} ({folder_size(out) / 1e6:.1f} MB)", flush=True)
    if args.serve:
        serve(out, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
