"""Files and folders that only the service account may read: patient data on disk.

The SQLite database (and its WAL and shared-memory files, which SQLite creates with the
database's own mode), exports and QR codes are created 0600, their folders 0700. `pathbot`
also runs with umask 077 (bot/cli/main.py), so a file made any other way is private too. A
database file that already exists, made before any of this or copied in, is tightened to
owner-only when pathbot opens it (`make_owner_only`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077


@contextmanager
def private_umask() -> Iterator[None]:
    """Everything created inside is readable by its owner only."""
    previous = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """`path` and any missing parents, created 0700 (an existing folder is left as it is)."""
    folder = Path(path)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(p, DIR_MODE)  # mkdir's mode passes through the umask; this does not
    return folder


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """open(path, mode) for writing, the file created (or truncated) with mode 0600."""
    if not any(m in mode for m in "wax"):
        raise ValueError("open_private writes; use open() to read")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if "x" in mode else 0)
    flags |= os.O_APPEND if "a" in mode else (0 if "x" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a file that existed keeps its mode through os.open
        return os.fdopen(fd, mode.replace("x", "w"), **kwargs)
    except BaseException:
        os.close(fd)
        raise


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create an empty file 0600 unless it exists (an SQLite database before SQLite opens it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def make_owner_only(path: str | os.PathLike[str]) -> int | None:
    """Take group's and others' access away from an existing file; returns the mode it had if
    that changed anything (None if it was private already or does not exist)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    if not mode & 0o077:
        return None
    os.chmod(path, mode & 0o700)
    return mode
