"""The Makefile's `notebook` target (--allow-root exactly when run as root, and the URL printed)
and its `refresh-notebooks` target (every notebook re-run in place, the exercises unanswered).

Python is replaced by a stand-in `python` that prints how it was called, so the recipes
themselves run (their shell, `id -u`, the token) without starting a server or a kernel.
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


def run_notebook_target(tmp_path: Path, uid: int | None, target: str = "notebook", torch: bool = True,
                        args: tuple[str, ...] = (), ok: bool = True) -> str:
    venv, bin_dir, fake = tmp_path / "venv", tmp_path / "bin", tmp_path / "fake"
    for folder in (venv, bin_dir, fake):
        folder.mkdir(parents=True)
    for stamp in (".installed-notebook", ".installed-test"):  # newer than pyproject.toml: up to date
        (venv / stamp).touch()
    python = bin_dir / "python"
    # Whether PyTorch imports is the fake's to say: the tests' own interpreter may lack it.
    has_torch = f'case "$2" in *"import torch"*) exit {0 if torch else 1};; esac; '
    python.write_text(f'#!/bin/sh\nif [ "$1" = "-c" ]; then {has_torch}exec {sys.executable} "$@"; fi\n'
                      'echo "ARGS: $*"\necho "TOKEN: $JUPYTER_TOKEN"\necho "FILL: ${CHAINRULE_FILL_ANSWERS-unset}"\n')
    python.chmod(0o755)
    env = dict(os.environ, CHAINRULE_FILL_ANSWERS="1")  # as after a `make test` in the same shell
    if uid is not None:  # an `id` that says who we are
        fake_id = fake / "id"
        fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
        fake_id.chmod(0o755)
        env["PATH"] = f"{fake}{os.pathsep}{env['PATH']}"
    result = subprocess.run(["make", "-s", "-C", str(ROOT), target, f"VENV={venv}", f"BIN={bin_dir}",
                             "PORT=9123", *args], capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode == 0) == ok, result.stderr
    return result.stdout if ok else result.stderr


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


def test_refresh_notebooks_reruns_every_notebook_in_place_unanswered(tmp_path):
    out = run_notebook_target(tmp_path, None, "refresh-notebooks")
    args = re.search(r"ARGS: (.*)", out).group(1).split()
    assert args[:4] == ["-m", "jupyter", "nbconvert", "--to"] and "--execute" in args and "--inplace" in args
    assert "--ExecutePreprocessor.record_timing=False" in args
    assert sorted(a for a in args if a.endswith(".ipynb")) == sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert re.search(r"FILL: (\S+)", out).group(1) == "unset"  # the stored exercises show no answer


def test_refresh_notebooks_without_torch_says_so_unless_told(tmp_path):
    error = run_notebook_target(tmp_path / "a", None, "refresh-notebooks", torch=False, ok=False)
    assert "PyTorch is not installed" in error and "WITHOUT_TORCH=1" in error
    out = run_notebook_target(tmp_path / "b", None, "refresh-notebooks", torch=False, args=("WITHOUT_TORCH=1",))
    assert "nbconvert" in out
