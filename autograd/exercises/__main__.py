"""``python -m autograd.exercises grade NOTEBOOK.ipynb``: run a learner's notebook, print each task's verdict.

This RUNS the learner's code, in a fresh Jupyter kernel with your rights, files and network:
run it where that is acceptable (a container, a throwaway account), not on your own account.

The tasks a notebook grades are read from its code cells before it runs (their
``grade("task", ...)`` calls); the verdicts come back through the file that ``grade`` appends
to when ``CHAINRULE_GRADE_LOG`` is set. Exit status: 0 when every task passed, 1 when any
failed, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .checks import FILL
from .grading import LOG

if TYPE_CHECKING:  # nbformat takes a second to import: not for --help or a missing file
    from nbformat import NotebookNode

# The fallback for a cell that is not Python (an IPython magic such as %time or !pip in it).
GRADE_CALL = re.compile(r"\bgrade\(\s*(?:task\s*=\s*)?(['\"])(\w+)\1")


class UsageError(Exception):
    """Bad input found before any kernel starts; its message is the line printed."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        path = Path(args.notebook)
        nb = load(path)
        tasks = graded_tasks(nb)
        if not tasks:
            raise UsageError(f"{path}: no graded task in it (no code cell calls grade(\"task\", ...))")
        _check_kernel(args.kernel)
    except UsageError as error:
        print(f"{parser.prog} grade: error: {error}", file=sys.stderr)
        return 2
    verdicts = run(nb, path.resolve().parent, args.timeout, args.kernel, tasks)
    for name, (ok, hint) in verdicts.items():
        print(f"PASS  {name}" if ok else f"FAIL  {name}: {_one_line(hint)}")
    passed = sum(ok for ok, _ in verdicts.values())
    print(f"{passed} of {len(verdicts)} task{'s' if len(verdicts) != 1 else ''} passed")
    return 0 if passed == len(verdicts) else 1


def _parser() -> argparse.ArgumentParser:
    warning = "This runs the learner's code: do it in a container or a throwaway account."
    parser = argparse.ArgumentParser(prog="python -m autograd.exercises", epilog=warning,
                                     description="Grade a class's notebooks of chainrule exercises.")
    commands = parser.add_subparsers(dest="command")
    grade = commands.add_parser("grade", help="run a notebook and print each graded task's verdict", epilog=warning,
                                description="Run NOTEBOOK in a fresh kernel and print each graded task's verdict; "
                                            "exit 0 when all passed, 1 when any failed, 2 on bad usage.")
    grade.add_argument("notebook", help="the learner's .ipynb file")
    grade.add_argument("--timeout", type=_seconds, default=120.0, help="time limit per cell, s (default 120)")
    grade.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _check_kernel(name: str) -> None:
    try:
        import nbclient  # noqa: F401  (what runs the notebook, below: missing, it is said here)
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError as missing:
        raise UsageError(f"grading needs nbclient, nbformat and ipykernel ({missing}): "
                         "pip install 'chainrule[exercises]'") from None

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise UsageError(f"no Jupyter kernel named {name!r} (`jupyter kernelspec list` shows them)") from None


def load(path: Path) -> NotebookNode:
    """The notebook at ``path``, as version 4, or a ``UsageError`` saying what is wrong with it."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if not path.is_file():
        raise UsageError(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not valid JSON ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot be read ({error})") from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise UsageError(f"{path}: not a Jupyter notebook (its JSON has no nbformat version)")
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises ValueError, TypeError, AttributeError, ValidationError...
        raise UsageError(f"{path}: not a valid notebook ({_one_line(getattr(error, 'message', str(error)))})") from None
    return nb


def graded_tasks(nb: NotebookNode) -> dict[str, list[int]]:
    """Each task the notebook grades, in order of first appearance: the indices of the cells grading it."""
    tasks: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for name in _grade_calls(cell.source):
                cells = tasks.setdefault(name, [])
                if index not in cells:
                    cells.append(index)
    return tasks


def _grade_calls(source: str) -> list[str]:
    """The task names of the ``grade("task", ...)`` and ``something.grade(...)`` calls in a cell, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [match[1] for match in GRADE_CALL.findall(source)]
    calls = sorted((node for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and (getattr(node.func, "id", None) == "grade" or getattr(node.func, "attr", None) == "grade")),
                   key=lambda node: (node.lineno, node.col_offset))
    tasks = (call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "task"), None)
             for call in calls)
    return [task.value for task in tasks if isinstance(task, ast.Constant) and isinstance(task.value, str)]


def run(nb: NotebookNode, folder: Path, timeout: float, kernel: str,
        tasks: dict[str, list[int]]) -> dict[str, tuple[bool, str]]:
    """Run ``nb`` in a fresh kernel in ``folder``; each task's (passed, hint)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    for cell in nb.cells:  # the outputs saved with the notebook say nothing about this run
        if cell.cell_type == "code":
            cell.outputs = []
    handle, log = tempfile.mkstemp(prefix="chainrule-grades-", suffix=".jsonl")
    os.close(handle)
    env = {**os.environ, LOG: log}
    env.pop(FILL, None)  # grade the learner's own answers, never ones filled in with the solutions
    # timeout_func, because the timeout trait takes whole seconds only; "immediate", because a
    # kernel stuck in an endless loop does not answer a polite shutdown.
    client = NotebookClient(nb, timeout_func=lambda cell: timeout, kernel_name=kernel, allow_errors=True,
                            shutdown_kernel="immediate", resources={"metadata": {"path": str(folder)}})
    stopped: tuple[int, str] | None = None  # the cell the run stopped at, and why
    try:
        # The kernel process's own stderr carries only Jupyter's warnings, not the learner's output.
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    stopped = index, f"ran past the {timeout:g} s limit (an endless loop?)"
                    break
                except DeadKernelError:
                    stopped = index, "killed the kernel (out of memory, or an exit()?)"
                    break
        logged = _read_log(log)
    finally:
        os.unlink(log)
    return {name: _verdict(nb, cells, logged.get(name), stopped) for name, cells in tasks.items()}


def _read_log(path: str) -> dict[str, tuple[bool, str]]:
    """The last verdict logged for each task: a learner who grades a task twice is judged on the last try."""
    verdicts: dict[str, tuple[bool, str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by a kernel killed while writing it
            continue
        verdicts[entry["task"]] = (bool(entry["passed"]), entry["hint"])
    return verdicts


def _verdict(nb: NotebookNode, cells: list[int], logged: tuple[bool, str] | None,
             stopped: tuple[int, str] | None) -> tuple[bool, str]:
    if stopped is not None and cells[-1] >= stopped[0]:  # a cell grading it did not finish or never ran
        at, why = stopped
        return False, f"the cell that grades it {why}" if at in cells else f"not reached: an earlier cell {why}"
    if logged is not None:
        return logged
    errors = [out for i in cells for out in nb.cells[i].outputs if out.output_type == "error"]
    if errors:
        return False, f"not graded: the cell raised {errors[0].ename}: {errors[0].evalue}"
    return False, "not graded: its grade() call did not run"


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())


if __name__ == "__main__":
    sys.exit(main())
