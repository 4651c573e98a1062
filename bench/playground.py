"""The playground's four figures, measured in headless Chromium against CPython on this machine.

    python bench/playground.py [--out out/playground] [--loads 3] [--runs 15]

1. Opening the page to ready (Python and Graphviz loaded, chainrule imported), from a local
   server, in a fresh browser profile each time (nothing cached): median of ``--loads``.
2. One Run and drawing of a 30-op expression (the page's call into Python, ``draw``'s SVG
   from viz.js, and its answer), median of ``--runs``.
3. Training steps a second on the same MLP (moons, 2-8-8-2 tanh, batches of 16), in the page
   and in CPython, each measured on its own; and their ratio.
4. The built folder's size.
Goals (issue 28): at most 3 s, at most 100 ms, within 3x of CPython, at most 20 MB.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "playground"), str(ROOT / "tests")]
import app  # noqa: E402
import build  # noqa: E402

# 30 ops: 6 inputs, 30 operations on them
EXPRESSION = "\n".join([
    "a = Value(0.5)", "b = Value(-1.2)", "c = Value(2.0)", "d = Value(0.3)", "e = Value(-0.7)", "f = Value(1.1)",
    "g = a * b + c * d", "h = (g.tanh() + e) * f", "i = (a + h) * (b - d)", "j = i.sigmoid() * c + e.exp()",
    "k = (j * j + a) / (d + 2.0)", "m = k.tanh() * h + (g - f) * b", "n = (m + i) * (a - e) + j * d",
    "L = n.tanh() + (k * m).sigmoid()",
])
TRAINER = {"dataset": "moons", "hidden": [8, 8], "activation": "tanh", "lr": 0.1, "batch_size": 16, "seed": 0}
STEPS = 200


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def call(driver, name: str, *args):
    """``app.<name>(*args)`` in the page: (its answer, the milliseconds the page waited for it)."""
    out = driver.execute_async_script("""var done = arguments[arguments.length - 1], t = performance.now();
        window.playground.call.apply(null, arguments[0]).then(function (r) { done([r, performance.now() - t]); });""",
                                      [name, *args])
    return out[0], out[1]


def main(argv: list[str] | None = None) -> int:
    from browser import chromium
    from test_playground import open_page

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "playground")
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    folder = build.build(args.out)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(build.Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/#code=" + "a%20%3D%20Value(1.0)"  # shown, not run
    flags = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
    print(f"CPU: {cpu()}; Python {platform.python_version()}")

    loads = []
    for _ in range(args.loads):
        with chromium(1200, 900, flags=flags) as driver:  # a fresh profile: nothing cached
            loads.append(open_page(driver, url))
    with chromium(1200, 900, flags=flags) as driver:
        open_page(driver, url)
        again = open_page(driver, url.replace("#", "?again#"))  # the browser's caches warm
        runs = []
        for _ in range(args.runs):
            result, ms = call(driver, "run", EXPRESSION)
            assert result["ok"], result
            runs.append(ms)
        nodes = result["nodes"]
        call(driver, "train_start", json.dumps(TRAINER))
        call(driver, "train_steps", 10)  # warm up
        _, page_ms = call(driver, "train_steps", STEPS)
    server.shutdown()

    trainer = app.Trainer(**TRAINER)
    for _ in range(10):
        trainer.step()
    start = time.perf_counter()
    for _ in range(STEPS):
        trainer.step()
    cpython_s = time.perf_counter() - start
    page_rate, cpython_rate = STEPS / (page_ms / 1000), STEPS / cpython_s
    size = build.folder_size(folder)

    print(f"open to ready (fresh profile, median of {len(loads)}): {statistics.median(loads):.2f} s "
          f"(each: {', '.join(f'{s:.2f}' for s in loads)}; again with the browser's caches warm: {again:.2f} s)   goal <= 3 s")
    print(f"Run + draw of a 30-op expression ({nodes} nodes), median of {len(runs)}: "
          f"{statistics.median(runs):.0f} ms (min {min(runs):.0f}, max {max(runs):.0f})   goal <= 100 ms")
    print(f"training steps/s, moons 2-8-8-2 tanh, batch 16: page {page_rate:.0f}, CPython {cpython_rate:.0f}, "
          f"CPython / page = {cpython_rate / page_rate:.2f}x   goal <= 3x")
    print(f"built folder: {size / 1e6:.1f} MB ({folder})   goal <= 20 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
