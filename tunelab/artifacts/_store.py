"""Artifact stores: where the bytes of uploaded files live (the metadata lives in the study's storage)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from tunelab.artifacts.exceptions import ArtifactNotFound

_logger = logging.getLogger("tunelab.artifacts")


@runtime_checkable
class ArtifactStore(Protocol):
    """What an artifact backend offers: read, write and remove the bytes stored under an artifact id.

    ``open_reader`` and ``remove`` raise :class:`ArtifactNotFound` for an id that holds nothing.
    """

    def open_reader(self, artifact_id: str) -> BinaryIO: ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None: ...

    def remove(self, artifact_id: str) -> None: ...


class FileSystemArtifactStore:
    """Artifacts as files under ``base_path`` (a local directory or a shared mount), one file per id.

    An id is a relative path inside ``base_path``; one that is absolute, empty, or
    resolves outside ``base_path`` (``..``, a symlink out) is refused with a
    ValueError.  A write goes to a temporary file that is renamed into place, so a
    reader never sees half a file.
    """

    def __init__(self, base_path: str | os.PathLike) -> None:
        if not isinstance(base_path, (str, os.PathLike)):
            raise TypeError(f"FileSystemArtifactStore: argument 'base_path' must be a path; got {base_path!r}")
        self._base_path = Path(base_path)

    def _path(self, artifact_id: str) -> Path:
        if not isinstance(artifact_id, str) or not artifact_id or "\x00" in artifact_id:
            raise ValueError(f"FileSystemArtifactStore: 'artifact_id' must be a non-empty string without NUL; "
                             f"got {artifact_id!r}")
        if os.path.isabs(artifact_id) or Path(artifact_id).drive:
            raise ValueError(f"FileSystemArtifactStore: 'artifact_id' must be a relative path inside the store; "
                             f"got the absolute path {artifact_id!r}")
        base = self._base_path.resolve()
        path = (base / artifact_id).resolve()
        if path == base or base not in path.parents:
            raise ValueError(f"FileSystemArtifactStore: 'artifact_id' {artifact_id!r} points outside the store's "
                             f"base_path")
        return path

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The stored bytes, opened for reading (close it, or use it in a ``with``)."""
        path = self._path(artifact_id)
        try:
            return open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ArtifactNotFound(f"no artifact with id {artifact_id!r} in {self._base_path}") from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store the bytes read from ``content_body`` under ``artifact_id`` (replacing what was there)."""
        path = self._path(artifact_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(content_body, out)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def remove(self, artifact_id: str) -> None:
        """Delete the bytes stored under ``artifact_id``."""
        path = self._path(artifact_id)
        try:
            os.remove(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ArtifactNotFound(f"no artifact with id {artifact_id!r} in {self._base_path}") from None


class Backoff:
    """Wrap an artifact store so that failing calls are retried with exponential backoff.

    Waits ``min_delay * multiplier**k`` seconds (at most ``max_delay``) before
    retry ``k + 1``, up to ``max_retries`` attempts in all.  A missing artifact
    and a bad id (ValueError, TypeError) are not retried: they will not heal.
    """

    def __init__(self, backend: ArtifactStore, *, max_retries: int = 10, multiplier: float = 2,
                 min_delay: float = 0.1, max_delay: float = 30) -> None:
        from tunelab._validation import Interval, validate

        validate({"max_retries": [Interval(int, 1, None)], "multiplier": [Interval(float, 0, None, "neither")],
                  "min_delay": [Interval(float, 0, None, "neither")],
                  "max_delay": [Interval(float, min_delay if isinstance(min_delay, (int, float)) else 0, None,
                                         "neither")]},
                 {"max_retries": max_retries, "multiplier": multiplier, "min_delay": min_delay,
                  "max_delay": max_delay}, "Backoff")
        if not isinstance(backend, ArtifactStore):
            raise TypeError(f"Backoff: argument 'backend' must be an artifact store (open_reader, write, remove); "
                            f"got {backend!r}")
        self._backend = backend
        self._max_retries, self._multiplier = int(max_retries), float(multiplier)
        self._min_delay, self._max_delay = float(min_delay), float(max_delay)

    def _delay(self, attempt: int) -> float:
        return min(self._min_delay * self._multiplier ** attempt, self._max_delay)

    def _retry(self, what: str, artifact_id: str, call, before_retry=None):
        for attempt in range(self._max_retries):
            try:
                return call()
            except (ArtifactNotFound, ValueError, TypeError):
                raise
            except Exception as exc:
                if attempt == self._max_retries - 1:
                    raise
                _logger.warning("%s of artifact %s failed (attempt %d of %d): %s", what, artifact_id,
                                attempt + 1, self._max_retries, exc)
            time.sleep(self._delay(attempt))
            if before_retry is not None:
                before_retry()

    def open_reader(self, artifact_id: str) -> BinaryIO:
        return self._retry("reading", artifact_id, lambda: self._backend.open_reader(artifact_id))

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Write, retrying from the stream's start position; a stream that cannot seek gets one attempt."""
        seekable = getattr(content_body, "seekable", lambda: False)()
        if not seekable:
            self._backend.write(artifact_id, content_body)
            return
        start = content_body.tell()
        self._retry("writing", artifact_id, lambda: self._backend.write(artifact_id, content_body),
                    lambda: content_body.seek(start))

    def remove(self, artifact_id: str) -> None:
        self._retry("removing", artifact_id, lambda: self._backend.remove(artifact_id))
