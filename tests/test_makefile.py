"""The Makefile's `notebook` target: --allow-root exactly when run as root, and the URL printed.

JupyterLab is replaced by a stand-in `python` that prints how it was called, so the recipe
itself runs (its shell, `id -u`, the token) without starting a server.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("dot") is None,
    reason="needs make, and Graphviz's dot (the target's graphviz step would install it)",
)


def run_notebook_target(tmp_path: Path, uid: int | None) -> str:
    venv, bin_dir, fake = tmp_path / "venv", tmp_path / "bin", tmp_path / "fake"
    for folder in (venv, bin_dir, fake):
        folder.mkdir(parents=True)
    for stamp in (".installed-notebook", ".installed-test"):  # newer than pyproject.toml: up to date
        (venv / stamp).touch()
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nif [ "$1" = "-c" ]; then exec {sys.executable} "$@"; fi\n'
                      'echo "ARGS: $*"\necho "TOKEN: $JUPYTER_TOKEN"\n')
    python.chmod(0o755)
    env = dict(os.environ)
    if uid is not None:  # an `id` that says who we are
        fake_id = fake / "id"
        fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
        fake_id.chmod(0o755)
        env["PATH"] = f"{fake}{os.pathsep}{env['PATH']}"
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "notebook", f"VENV={venv}", f"BIN={bin_dir}",
                             "PORT=9123"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("uid, allow_root", [(0, True), (1000, False)])
def test_notebook_passes_allow_root_only_for_root_and_prints_the_url(tmp_path, uid, allow_root):
    out = run_notebook_target(tmp_path, uid)
    url = re.search(r"open (http://localhost:9123/lab\?token=([0-9a-f]{48}))", out)
    assert url, out
    args = re.search(r"ARGS: (.*)", out).group(1).split()
    assert args[:3] == ["-m", "jupyter", "lab"] and "notebooks" in args and "--port=9123" in args
    assert ("--allow-root" in args) == allow_root
    # the printed URL carries the token the server is given, which is not on its command line
    assert re.search(r"TOKEN: (\S+)", out).group(1) == url.group(2)
    assert url.group(2) not in " ".join(args)


def test_notebook_tokens_differ_between_runs(tmp_path):
    first = re.search(r"token=(\w+)", run_notebook_target(tmp_path / "a", None)).group(1)
    second = re.search(r"token=(\w+)", run_notebook_target(tmp_path / "b", None)).group(1)
    assert first != second
