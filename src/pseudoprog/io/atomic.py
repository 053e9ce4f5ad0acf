"""Atomic file output: write to a temporary file beside the target, then rename.

A reader never sees a half-written file, and a failure leaves the previous file (or none).

Every file and directory written here gets the mode the user's umask gives a new one (0644
and 0755 under umask 022), the same as a file written with :func:`open`: the temporary file
is created with mode 0666 and the directories with 0777, and the kernel removes the umask
bits. (:func:`tempfile.mkstemp` would create 0600 files, and the rename would keep that mode.)
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_directory", "atomic_path", "atomic_write_bytes", "atomic_write_text"]

_ATTEMPTS = 100
_FILE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


def _new_file(directory: Path, prefix: str, suffix: str) -> Path:
    """Create an empty file of a new unique name in ``directory``, as ``open()`` would.

    Mode 0666 less the umask (not mkstemp's 0600), so that the renamed file is readable like
    any other file the user writes.
    """
    for _ in range(_ATTEMPTS):
        path = directory / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            fd = os.open(path, _FILE_FLAGS, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise FileExistsError(f"no unused temporary file name in {directory}")


def _new_directory(parent: Path, prefix: str) -> Path:
    """Create a directory of a new unique name in ``parent``: mode 0777 less the umask."""
    for _ in range(_ATTEMPTS):
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            path.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no unused temporary directory name in {parent}")


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Use it for writers that want a file name (e.g. ``nibabel.save``). The temporary file keeps
    the target's suffixes so that writers choosing a format by extension still work. It exists
    (empty) with the mode the umask gives a new file; writers that truncate it keep that mode.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(target.suffixes)
    tmp = _new_file(target.parent, f".{target.name}.", f".tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(
    target: str | os.PathLike[str], text: str, *, encoding: str = "utf-8"
) -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


@contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory; on success its files are moved into ``target``.

    Files are renamed one by one, each atomically, only after everything was written, so a
    failure while writing leaves ``target`` as it was. Only files move: ``target`` and the
    subdirectories are created here with the umask's directory mode, never with the
    staging directory's.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    staging = _new_directory(target, ".staging-")
    try:
        yield staging
        for item in sorted(staging.rglob("*")):
            if item.is_file():
                dest = target / item.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
