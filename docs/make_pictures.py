"""Draw the pictures the README shows, into docs/: run `.venv/bin/python docs/make_pictures.py`.

Every picture is made by the public API, from the same code as the README's examples.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nn
from autograd import Parameter, Value, animate, draw

HERE = Path(__file__).resolve().parent


def readme_example():
    """The README's stepping example: z = x*w + b, L = z*z."""
    x, w, b = Value(2.0, "x"), Parameter(-3.0, "w"), Parameter(1.0, "b")
    z = x * w + b
    z.label = "z"
    loss = z * z
    loss.label = "L"
    return loss


def one_sample(model: nn.MLP):
    """One sample's loss, built after zeroing the model's gradients: each picture shows one
    pass's gradients, never the sum with those an earlier picture left in the leaves."""
    model.zero_grad()
    return nn.losses.mse(model([0.5, -1.0]), 0.25)


def main(out: Path = HERE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    small = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    written = [out / "network_graph.svg", out / "draw_network.svg", out / "backward_steps.gif",
               out / "backward_steps.html", out / "mlp_backward.html", out / "training_frame.svg"]
    loss = one_sample(small)
    loss.backward()
    written[0].write_bytes(draw(loss).pipe(format="svg"))
    net = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
    written[1].write_bytes(nn.draw_network(net, x=[0.5, -1.0], target=0.25, loss="mse").pipe(format="svg"))
    player = animate(readme_example())
    player.save(written[2], seconds_per_frame=2.0)
    player.save(written[3])
    animate(one_sample(small)).save(written[4])  # the player runs the backward pass itself
    written[5].write_bytes(training_frame().pipe(format="svg"))
    return written


def training_frame():
    """Epoch 15 of a moons run recorded every 5 epochs, as Watching a network learn shows it."""
    X, y = nn.data.make_moons(n_samples=100, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = nn.data.train_test_split(X, y, 0.2, seed=0)
    model = nn.MLP(2, [8, 8, 1], seed=0)
    history = nn.fit(model, X_train, y_train, epochs=40, batch_size=32, seed=0, validation=(X_test, y_test),
                     record=5, progress=False)
    return nn.training_view.draw_frame(history.recording, 3)


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"wrote {path}")
