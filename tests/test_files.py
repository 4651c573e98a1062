"""Files written by nn.save and Player.save: whole or not at all, never onto what is not a
regular file, through symlinks, and a full disk keeps the previous file."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

import nn
from autograd import Value, animate

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def save_model(path: Path, large: bool = False) -> None:
    nn.save(nn.MLP(2, [5_000 if large else 2, 1], seed=0), path)


def save_player(path: Path, large: bool = False) -> None:
    x = Value(0.5, "x" * (40_000 if large else 1))
    animate((x * 2.0).tanh()).save(path)


def save_torch(path: Path, large: bool = False) -> None:
    pytest.importorskip("torch", reason="PyTorch (optional) is not installed: pip install torch")
    nn.save_torch(nn.MLP(2, [5_000 if large else 2, 1], seed=0), path)


SAVERS = [pytest.param(save_model, "model.json", id="nn.save"),
          pytest.param(save_player, "steps.html", id="Player.save", marks=needs_dot),
          pytest.param(save_torch, "model.pt", id="nn.save_torch")]


def _fifo(folder: Path, name: str) -> Path:
    os.mkfifo(folder / name)
    return folder / name


def _device(folder: Path, name: str) -> Path:
    # A character device like /dev/null (1, 3); making one needs root. Saving onto the real
    # /dev/null as root would have replaced it with a regular file.
    try:
        os.mknod(folder / name, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    return folder / name


def _link_to_fifo(folder: Path, name: str) -> Path:
    (folder / f"link-{name}").symlink_to(_fifo(folder, name))
    return folder / f"link-{name}"


@pytest.mark.parametrize("make", [_fifo, _device, _link_to_fifo], ids=["a FIFO", "a device", "a link to a FIFO"])
@pytest.mark.parametrize("saver, name", SAVERS)
def test_a_target_that_is_not_a_regular_file_is_refused_and_left_as_it_was(tmp_path, saver, name, make):
    target = make(tmp_path, name)
    kind = stat.S_IFMT(os.stat(target).st_mode)
    entries = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ValueError, match=r"is not a regular file \(it is a (FIFO|character device)\); "
                                         r"save to a regular file"):
        saver(target)
    assert stat.S_IFMT(os.stat(target).st_mode) == kind != stat.S_IFREG
    assert sorted(p.name for p in tmp_path.iterdir()) == entries


@pytest.mark.parametrize("saver, name", SAVERS)
def test_saving_through_a_symlink_writes_the_file_it_points_to(tmp_path, saver, name):
    real = tmp_path / "real" / name
    real.parent.mkdir()
    real.write_text("earlier")
    link = tmp_path / name
    link.symlink_to(real)
    saver(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() != b"earlier" and len(real.read_bytes()) > 100
    assert sorted(p.name for p in real.parent.iterdir()) == [name]


@pytest.mark.parametrize("saver, name", SAVERS)
def test_a_full_disk_gives_a_clear_error_and_keeps_the_previous_file(tmpfs, saver, name):
    tiny_disk = tmpfs("disk", "64k")  # fills up at once
    target = tiny_disk / name
    saver(target)
    before = target.read_bytes()
    with pytest.raises(OSError) as failed:
        saver(target, large=True)  # 20,001 parameters, or a page with a 40,000-letter label: over 64 KiB
    assert failed.value.errno == errno.ENOSPC
    assert str(failed.value) == f"[Errno 28] cannot save {target}: No space left on device; the previous file is kept"
    assert target.read_bytes() == before
    assert sorted(p.name for p in tiny_disk.iterdir()) == [name]
