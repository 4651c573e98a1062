"""Writing a file whole or not at all: the one way chainrule writes what a user keeps
(player pages and frames, ``nn.save``'s model files, ``nn.save_torch``'s state dicts).

The bytes go to a temporary file with a name of its own beside the target (so concurrent
saves never share one), are flushed to disk, and the temporary file is renamed over the
target, whose directory entry is flushed too. So the target is either as it was or
complete, whatever interrupts the save: a failure (a full disk) removes the temporary
file and says that the previous file is kept.

A symlink is written through, to the file it points to. A target that exists must be a
regular file: renaming over a device node (``/dev/null``, as root) or a FIFO would put a
regular file in its place, so those are refused. The file keeps its permissions; a new one
gets the usual ``0666`` less the umask.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

_KINDS = {stat.S_IFDIR: "directory", stat.S_IFIFO: "FIFO", stat.S_IFCHR: "character device",
          stat.S_IFBLK: "block device", stat.S_IFSOCK: "socket"}


def kind_of(mode: int) -> str:
    """What ``os.stat(...).st_mode`` says a file is, in words: ``"FIFO"``, ``"directory"``..."""
    return "regular file" if stat.S_ISREG(mode) else _KINDS.get(stat.S_IFMT(mode), "special file")


def write_atomically(path: str | os.PathLike, data: bytes, what: str = "file") -> Path:
    """Replace the file at ``path`` (through any symlinks) by one holding ``data``, all at
    once; returns the path of the file written. ``what`` names it in errors ("model")."""
    target = Path(os.path.realpath(path))
    mode = _existing_mode(target, what)
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"the directory to save the {what} in does not exist",
                                str(target.parent))
    temporary, fd = _new_temporary_file(target)
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if mode is not None:
                os.chmod(temporary, mode)
            os.replace(temporary, target)
        except OSError as failure:
            message = f"cannot save {target}: {failure.strerror or failure}; the previous file is kept"
            raise (OSError(failure.errno, message) if failure.errno else OSError(message)) from failure
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
    return target


def _existing_mode(target: Path, what: str) -> int | None:
    """The permissions of the regular file at ``target``, None if there is none; refuses
    anything else there."""
    try:
        info = target.stat()
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"cannot save a {what} over a directory", str(target))
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"cannot save a {what} to {target}: it is not a regular file "
                         f"(it is a {kind_of(info.st_mode)}); save to a regular file")
    return stat.S_IMODE(info.st_mode)


def _new_temporary_file(target: Path) -> tuple[Path, int]:
    """A new file beside ``target`` with a name no other save uses, opened for writing."""
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.partial")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _fsync_directory(directory: Path) -> None:
    """Flush the directory entry of a rename to disk, so the new file survives a power cut."""
    if os.name != "posix":  # other systems cannot open a directory for fsync
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
