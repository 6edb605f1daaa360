"""All-or-nothing writes to a folder: the writers' lock, the commit point and crash recovery.

The protocol under :class:`~synthohive.connectors.folder.FolderConnector` (and the Delta
connector's lock).

A folder holds one ``<table><suffix>`` file per table and, once a write is over, nothing else of
ours: folders written by other tools read the same way. While a write session runs, the folder
also holds hidden entries of that session:

* ``.shv-lock`` - the writers' lock: an ``flock`` on this file, so one session writes a folder at
  a time (the kernel drops it when its holder dies: a stale lock never blocks). It records the
  holder's pid and host for error messages and is deleted on release.
* ``.shv-stage-<token>/`` - the new table files, written while the session appends.
* ``.shv-commit-<token>/`` - the same folder after the commit point.

``commit`` closes and fsyncs every staged file and the stage folder, renames
``.shv-stage-<token>`` to ``.shv-commit-<token>`` (one rename: the commit point for every table
of the session), moves each file over its target with ``os.replace``, removes the empty folder
and releases the lock. ``abort`` (or an exception in the ``with`` block) deletes the stage folder.

Recovery, by whoever next takes the lock (a writer before it stages; a reader that finds
``.shv-`` entries and a free lock): a ``.shv-commit-*`` folder is rolled forward (its remaining
files moved into place) and ``.shv-stage-*`` folders are deleted. A write killed at any point
thus reads as all-old (before the commit point) or all-new (after). A reader that finds the lock
held by a live writer leaves its files alone and reads committed tables from its commit folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from synthohive._io import default_file_mode
from synthohive.log import get_logger

log = get_logger(__name__)

__all__ = [
    "COMMIT_PREFIX",
    "LOCK_FILE",
    "OWN_PREFIX",
    "STAGE_PREFIX",
    "FolderLock",
    "commit_dirs",
    "fsync_dir",
    "fsync_file",
    "publish",
    "recover",
    "recover_when_free",
]

OWN_PREFIX = ".shv-"
LOCK_FILE = ".shv-lock"
STAGE_PREFIX = ".shv-stage-"
COMMIT_PREFIX = ".shv-commit-"


# --- the writers' lock -----------------------------------------------------------------------
if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    _UNLINK_ON_RELEASE = False  # an open file cannot be deleted there
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    _UNLINK_ON_RELEASE = True


class FolderLock:
    """The exclusive lock of a folder's writers: an ``flock`` on ``<folder>/.shv-lock``.

    Held from a session's first ``append`` to its ``commit``/``abort``. The kernel releases it
    when the holder dies, so a lock left by a killed process is simply taken over; the file
    names the holder (pid, host, start) for the message a second writer gets.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, timeout: float = 0.0, purpose: str = "write") -> bool:
        """Take the lock, waiting up to ``timeout`` seconds; False when another holds it."""
        deadline = time.monotonic() + timeout
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, default_file_mode())
            try:
                locked = _try_lock(fd)
                # the previous holder may have deleted the file before we locked it
                if locked and _same_file(fd, self.path):
                    owner = {
                        "pid": os.getpid(),
                        "host": socket.gethostname(),
                        "since": datetime.now(UTC).isoformat(timespec="seconds"),
                        "purpose": purpose,
                    }
                    os.ftruncate(fd, 0)
                    os.write(fd, json.dumps(owner).encode())
                    self._fd = fd
                    return True
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
            if not locked:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        """Delete the lock file (while still holding it) and drop the lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _UNLINK_ON_RELEASE:
                with contextlib.suppress(OSError):
                    self.path.unlink()
        finally:
            os.close(fd)

    def holder(self) -> str:
        """Who holds the lock, as recorded in the lock file (for messages)."""
        try:
            owner = json.loads(self.path.read_text(encoding="utf-8"))
            return f"pid {owner['pid']} on host {owner['host']}, since {owner['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), path.stat())
    except FileNotFoundError:
        return False


# --- commit and recovery ---------------------------------------------------------------------
def fsync_file(path: Path) -> None:
    """Persist a file's contents."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Persist a folder's entries (renames); a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(committed: Path, folder: Path, order: Sequence[str] = ()) -> None:
    """Move every file of a commit folder over its target, then remove the folder."""
    names = {p.name for p in committed.iterdir()}
    for name in [*(n for n in order if n in names), *sorted(names.difference(order))]:
        (committed / name).replace(folder / name)
    fsync_dir(folder)
    committed.rmdir()


def commit_dirs(folder: Path) -> list[Path]:
    """The commit folders in ``folder`` (committed writes not yet moved into place)."""
    try:
        return sorted(p for p in folder.iterdir() if p.name.startswith(COMMIT_PREFIX))
    except OSError:
        return []


def recover(folder: Path) -> None:
    """Finish or discard what killed writers left in ``folder`` (the caller holds its lock):
    commit folders are rolled forward, stage folders deleted."""
    for path in sorted(folder.iterdir()):
        name = path.name
        if not path.is_dir() or path.is_symlink():
            continue
        if name.startswith(COMMIT_PREFIX):
            publish(path, folder)
            log.warning("folder_write_rolled_forward", folder=str(folder), leftover=name)
        elif name.startswith(STAGE_PREFIX):
            shutil.rmtree(path)
            log.warning("folder_write_discarded", folder=str(folder), leftover=name)


def recover_when_free(folder: Path, settle: Callable[[Path], None]) -> bool:
    """Run ``settle(folder)`` (crash recovery) when no writer holds the folder's lock; True
    when it ran. A folder we cannot lock or write is logged and left as it is."""
    lock = FolderLock(folder)
    try:
        if lock.acquire(0.0, purpose="recover"):
            try:
                settle(folder)
            finally:
                lock.release()
            return True
    except OSError as exc:
        log.warning("folder_recovery_failed", folder=str(folder), error=str(exc))
    return False
