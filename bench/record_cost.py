"""What recording costs on make demo's run, in this process only; prints JSON.

    python bench/record_cost.py --repeats 3 [--watch]

make demo's run is ``python -m nn`` with its defaults: moons (80 training points, 20 held
out), MLP(2, [16, 16, 1]) relu, hinge loss, Adam at 0.01, 100 epochs of mini-batches of 32.
Each repeat trains it without recording, then with ``record=5`` (the CLI's default for 100
epochs: 21 frames), from the same initial weights, and then draws the player page (what
``--record training.html`` writes). Prints the training seconds of each, the time spent
keeping frames (``Recording.seconds``), the time to draw and write the page, and its bytes.

``--watch`` instead runs, in a fresh Jupyter kernel (nbclient, from the test extra), the
same training with ``record=5`` and then with ``record=5, watch=True``, each ``--repeats``
times in turns, and prints their seconds and the live view's own drawing time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import textwrap
import time
from pathlib import Path

from nn import MLP, cli, fit

RECORD_EVERY = 5


def demo(record=None, watch=False):
    """make demo's training (python -m nn's defaults), recorded every ``record`` epochs."""
    args = cli.parse_args(["--out", tempfile.mkdtemp(prefix="chainrule-bench-")])
    X, y, _ = cli.make_dataset(args)
    X_train, X_test, y_train, y_test = cli.split(args, X, y)
    model = MLP(X.shape[1], [*args.hidden, 1], activation=args.activation, seed=args.seed)
    return fit(model, X_train, y_train, loss=args.loss, optimizer=cli.make_optimizer(args, model),
               epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, validation=(X_test, y_test),
               progress=False, record=record, watch=watch)


def costs(repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        plain = demo()
        recorded = demo(record=RECORD_EVERY)
        recording = recorded.recording
        with tempfile.TemporaryDirectory() as folder:
            t0 = time.perf_counter()
            page = recording.save(Path(folder) / "training.html")
            drawing = time.perf_counter() - t0
            size = page.stat().st_size
            t0 = time.perf_counter()
            bare = recording.save(Path(folder) / "bare.html", points=())
            bare_drawing = time.perf_counter() - t0
            bare_size = bare.stat().st_size
        runs.append({"plain_s": plain.seconds, "recorded_s": recorded.seconds, "keeping_s": recording.seconds,
                     "frames": len(recording), "page_s": drawing, "page_bytes": size,
                     "page_without_passes_s": bare_drawing, "page_without_passes_bytes": bare_size})
    return {"runs": runs}


_CELL = """
import json, statistics
from bench.record_cost import demo
runs = []
for _ in range({repeats}):
    recorded = demo(record={every})
    watched = demo(record={every}, watch=True)
    runs.append({{"recorded_s": recorded.seconds, "watched_s": watched.seconds,
                  "drawing_s": watched.recording.watch_seconds}})
print("RESULT " + json.dumps(runs))
"""


def watch_costs(repeats: int) -> dict:
    import nbformat
    from nbclient import NotebookClient

    root = Path(__file__).resolve().parents[1]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(
        _CELL.format(repeats=repeats, every=RECORD_EVERY)))])
    NotebookClient(notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
    outputs = notebook.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    updates = sum(1 for o in outputs if o.get("output_type") == "display_data")
    return {"runs": json.loads(text.split("RESULT ", 1)[1]), "displays": updates}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--watch", action="store_true", help="measure watch=True in a Jupyter kernel")
    args = parser.parse_args(argv)
    print(json.dumps(watch_costs(args.repeats) if args.watch else costs(args.repeats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
