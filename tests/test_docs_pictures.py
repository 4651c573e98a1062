"""The players in docs/ each show one backward pass from fresh gradients: no caption tells of a
gradient a leaf already held from an earlier pass ("with the 0.4624 it held, ... becomes ..."),
unless the player is listed below as meant to show one."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PLAYERS = sorted(DOCS.glob("*.html"))
# A player meant to show gradients accumulating over passes: its file name, and why.
MEANT_TO_HOLD: dict[str, str] = {}
HELD = re.compile(r"with the \S+ it held")


def test_docs_has_players():
    assert len(PLAYERS) >= 2


@pytest.mark.parametrize("player", PLAYERS, ids=lambda p: p.name)
def test_a_stored_player_shows_fresh_gradients(player):
    held = HELD.findall(player.read_text(encoding="utf-8"))
    if player.name in MEANT_TO_HOLD:
        assert held, f"{player.name} is listed as showing a held gradient, and shows none"
    else:
        assert held == [], f"{player.name} adds to gradients an earlier pass left: {held[:3]}"


def test_make_pictures_draws_every_player_from_fresh_gradients(tmp_path):
    spec = importlib.util.spec_from_file_location("make_pictures", DOCS / "make_pictures.py")
    make_pictures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_pictures)
    written = make_pictures.main(tmp_path)
    players = [path for path in written if path.suffix == ".html"]
    assert [path.name for path in players] == [path.name for path in PLAYERS if path.name not in MEANT_TO_HOLD]
    for path in players:
        assert HELD.findall(path.read_text(encoding="utf-8")) == [], path.name
