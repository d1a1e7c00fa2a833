"""A journal in one file: a JSON operation per line, appended under a lock that spans processes.

Readers take only complete lines (up to the last newline), so they never see a line
still being written.  A writer that was killed mid-write leaves a last line without its
newline; the next writer, holding the lock, cuts that torn tail before it appends, so
the file stays a sequence of whole lines.  Locks: :class:`JournalFileFlock` (the
default where ``fcntl`` exists: the operating system releases it when its process
dies), or Optuna's two lock-file classes, :class:`JournalFileSymlinkLock` and
:class:`JournalFileOpenLock`, which treat a lock file older than ``grace_period``
seconds as left by a dead process.  Every process on one journal must use the same kind.
"""

from __future__ import annotations

import abc
import json
import logging
import os
import threading
import time
import uuid
from typing import Any, Iterator

from tunelab.storage.journal import BaseJournalBackend

log = logging.getLogger("tunelab")

__all__ = ["BaseJournalFileLock", "JournalFileBackend", "JournalFileFlock", "JournalFileOpenLock",
           "JournalFileSymlinkLock"]

_CHUNK = 1 << 20


class BaseJournalFileLock(abc.ABC):
    """A lock several processes take on one journal file; ``with lock:`` holds it."""

    @abc.abstractmethod
    def acquire(self) -> bool:
        """Block until this process holds the lock; True."""

    @abc.abstractmethod
    def release(self) -> None:
        """Give the lock back."""

    def __enter__(self) -> "BaseJournalFileLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _pause(attempt: int) -> None:
    time.sleep(min(0.05, 0.001 * (1 << min(attempt, 6))))


class JournalFileFlock(BaseJournalFileLock):
    """``fcntl.flock`` on ``filepath + ".lock"``: released by the OS if the holder dies, so no grace period."""

    def __init__(self, filepath: str):
        import fcntl  # noqa: F401  (Unix only: fail at construction, with the reason, elsewhere)

        self._lock_path = os.fspath(filepath) + ".lock"
        self._fd: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_lock_path": self._lock_path, "_fd": None}

    def acquire(self) -> bool:
        import fcntl

        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


class _LockFile(BaseJournalFileLock):
    """A lock that is the existence of ``filepath + ".lock"``; one older than ``grace_period`` s is broken."""

    def __init__(self, filepath: str, grace_period: int | None = 30):
        if grace_period is not None and not grace_period > 0:
            raise ValueError(f"{type(self).__name__}: argument 'grace_period' must be > 0 or None; got "
                             f"{grace_period!r}")
        self._lock_path = os.fspath(filepath) + ".lock"
        self.grace_period = grace_period

    @abc.abstractmethod
    def _create(self) -> None:
        """Create the lock file atomically; FileExistsError if it exists."""

    def acquire(self) -> bool:
        attempt = 0
        while True:
            try:
                self._create()
                return True
            except FileExistsError:
                self._break_if_stale()
            _pause(attempt)
            attempt += 1

    def _break_if_stale(self) -> None:
        """Remove a lock file older than ``grace_period`` (its holder died), one breaker at a time.

        A breaker first takes ``lock + ".break"`` (O_EXCL), then removes the lock only if it is
        still the very file judged stale (same inode and mtime), so a fresh lock taken
        meanwhile by another process is left alone.
        """
        if self.grace_period is None:
            return
        try:
            judged = os.lstat(self._lock_path)
        except FileNotFoundError:
            return
        age = time.time() - judged.st_mtime
        if age <= self.grace_period:
            return
        breaker = self._lock_path + ".break"
        try:
            os.close(os.open(breaker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:  # another process is breaking it; one that died mid-break is cleared later
            try:
                if time.time() - os.lstat(breaker).st_mtime > self.grace_period:
                    os.unlink(breaker)
            except FileNotFoundError:
                pass
            return
        try:
            try:
                now = os.lstat(self._lock_path)
            except FileNotFoundError:
                return
            if (now.st_ino, now.st_mtime_ns) == (judged.st_ino, judged.st_mtime_ns):
                os.unlink(self._lock_path)
                log.warning("journal: broke a lock file %.0f s old (grace_period=%s): its holder is gone",
                            age, self.grace_period)
        finally:
            os.unlink(breaker)

    def release(self) -> None:
        try:
            os.unlink(self._lock_path)
        except FileNotFoundError:  # broken by another process after grace_period
            log.warning("journal: lock file %s vanished before release (held longer than grace_period?)",
                        self._lock_path)


class JournalFileSymlinkLock(_LockFile):
    """Optuna's lock by a symbolic link ``filepath + ".lock"`` (creating a link is atomic)."""

    def _create(self) -> None:
        os.symlink(f"{os.getpid()}-{uuid.uuid4().hex}", self._lock_path)


class JournalFileOpenLock(_LockFile):
    """Optuna's lock by a file ``filepath + ".lock"`` opened with ``O_CREAT | O_EXCL``."""

    def _create(self) -> None:
        os.close(os.open(self._lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))


def _default_lock(path: str) -> BaseJournalFileLock:
    try:
        return JournalFileFlock(path)
    except ImportError:  # no fcntl (Windows)
        return JournalFileOpenLock(path)


class JournalFileBackend(BaseJournalBackend):
    """Optuna's ``JournalFileBackend(file_path, lock_obj=None)``: the journal as a file of JSON lines.

    The file is created if missing; its path is made absolute.  ``lock_obj``: one of this module's locks on the same
    path (default :class:`JournalFileFlock`, or an open-file lock where there is no ``fcntl``).
    A network file system must honour the lock for several machines to share the file.
    """

    def __init__(self, file_path: str | os.PathLike, lock_obj: BaseJournalFileLock | None = None):
        if not isinstance(file_path, (str, os.PathLike)):
            raise TypeError(f"JournalFileBackend: argument 'file_path' must be a path; got {file_path!r}")
        if lock_obj is not None and not isinstance(lock_obj, BaseJournalFileLock):
            raise TypeError("JournalFileBackend: argument 'lock_obj' must be JournalFileSymlinkLock(path), "
                            f"JournalFileOpenLock(path) or JournalFileFlock(path); got {lock_obj!r}")
        self._path = os.path.abspath(os.fspath(file_path))  # worker processes may start elsewhere
        self._lock = lock_obj if lock_obj is not None else _default_lock(self._path)
        self._thread_lock = threading.Lock()
        self._offset = 0  # bytes of whole lines read so far
        self._count = 0  # operations read so far
        try:
            with open(self._path, "ab"):
                pass
        except OSError as exc:
            raise ValueError(f"JournalFileBackend: cannot open the journal file {self._path!r}: {exc}") from None

    @property
    def file_path(self) -> str:
        return self._path

    def __getstate__(self) -> dict[str, Any]:
        return {"file_path": self._path, "lock_obj": self._lock}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["file_path"], state["lock_obj"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"JournalFileBackend({self._path!r})"

    # ------------------------------------------------------------------ reading
    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        with self._thread_lock:
            if log_number_from < self._count:  # asked for earlier operations: read from the start
                self._offset = self._count = 0
            out = []
            for op in self._new_operations():
                if self._count >= log_number_from:
                    out.append(op)
                self._count += 1
            return out

    def _new_operations(self) -> Iterator[dict[str, Any]]:
        """Complete lines after ``_offset``; advances ``_offset`` past each line it yields."""
        try:
            if os.stat(self._path).st_size <= self._offset:
                return
        except FileNotFoundError:
            raise ValueError(f"JournalFileBackend: the journal file {self._path!r} was removed") from None
        with open(self._path, "rb") as f:
            f.seek(self._offset)
            pending = b""
            while chunk := f.read(_CHUNK):
                pending += chunk
                end = pending.rfind(b"\n")
                if end < 0:
                    continue
                whole, pending = pending[:end + 1], pending[end + 1:]
                ops = _parse_all(whole)
                if ops is not None:  # the usual case: every line an object, decoded in one call
                    for op in ops:
                        yield op
                    self._offset += len(whole)
                    continue
                for line in whole.splitlines(keepends=True):
                    self._offset += len(line)
                    op = _parse(line, self._path, self._offset)
                    if op is not None:
                        yield op

    # ------------------------------------------------------------------ writing
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = b"".join(json.dumps(op, separators=(",", ":")).encode() + b"\n" for op in logs)
        with self._thread_lock, self._lock:
            fd = os.open(self._path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                _cut_torn_tail(fd, self._path)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)


def _parse_all(lines: bytes) -> list[dict[str, Any]] | None:
    """Whole lines of JSON objects decoded as one JSON array (per-line calls cost a quarter of a replay).

    None when any line is blank or not an object, so that the caller parses line by line and warns
    about the bad ones. Lines hold no raw newline: ``json.dumps`` escapes them.
    """
    try:
        ops = json.loads(b"[" + lines[:-1].replace(b"\n", b",") + b"]")
    except ValueError:
        return None
    if all(type(op) is dict for op in ops) and len(ops) == lines.count(b"\n"):
        return ops
    return None


def _parse(line: bytes, path: str, offset: int) -> dict[str, Any] | None:
    try:
        op = json.loads(line.decode("utf-8"))  # str: json skips guessing the encoding of every line
    except ValueError:
        op = None
    if not isinstance(op, dict):
        if line.strip():
            log.warning("journal %s: skipped a line that is not a JSON object (ending at byte %d)", path, offset)
        return None
    return op


def _cut_torn_tail(fd: int, path: str) -> None:
    """Remove a last line without its newline (its writer died mid-write); the lock is held."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = size
    while end > 0:
        start = max(0, end - _CHUNK)
        found = os.pread(fd, end - start, start).rfind(b"\n")
        if found >= 0:
            cut = start + found + 1
            break
        end = start
    else:
        cut = 0
    os.ftruncate(fd, cut)
    log.warning("journal %s: removed %d bytes of a half-written last line (its writer stopped mid-write)",
                path, size - cut)
