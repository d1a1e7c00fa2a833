"""What the dashboard computes once per state of a study, so a page view or a refresh does not redo it.

Two kinds of value:

- quick ones derived from the trials in memory (summary, decimated history, its SVG): recomputed
  whenever the trials changed, kept in a :class:`Snapshots` entry keyed by :func:`snapshot_key`;
- slow ones (the keep-going verdict: a Gaussian process; importance and other figures: seconds on
  100,000 trials): kept in a :class:`Slow` cache by study *version* (the number of finished trials).
  While the study runs, a stale value is served at once and recomputed in a background thread, at
  most every ten times as long as the last computation took (at least a second), so no request waits
  for a refit once a value exists and a cheap value stays current.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Hashable, Sequence

from tunelab.dashboard.data import _fingerprint, unfinished_trials
from tunelab.trial import FrozenTrial


def snapshot_key(trials: Sequence[FrozenTrial], unfinished: Sequence[FrozenTrial] | None = None) -> tuple:
    """Changes whenever a trial is added or an unfinished one changes (finished trials never change)."""
    if unfinished is None:
        unfinished = unfinished_trials(trials)
    prints = tuple((t.number, _fingerprint(t)) for t in unfinished)
    return (len(trials), trials[-1].number if trials else -1, prints)


def version_of(trials: Sequence[FrozenTrial], unfinished: Sequence[FrozenTrial] | None = None) -> tuple[int, int]:
    """(trials, finished trials): what the slow values depend on."""
    if unfinished is None:
        unfinished = unfinished_trials(trials)
    return (len(trials), len(trials) - len(unfinished))


class Snapshots:
    """One derived value per (study, name), recomputed when the study's snapshot key changes."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[tuple, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, snap: tuple, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] == snap:
            return hit[1]
        value = compute()
        with self._lock:
            self._entries[key] = (snap, value)
        return value


#: A slow value is recomputed at most every this many times as long as its last computation took ...
REFRESH_FACTOR = 10.0
#: ... and not more often than this (seconds).
MIN_REFRESH = 1.0
#: A value whose last computation took at most this long (seconds) is recomputed in the request that finds
#: it stale, so small studies show current values; slower ones are recomputed in the background.
INLINE_SECONDS = 0.2


class Slow:
    """Slow values by key: computed on first use (one computation per key at a time), then served at once;
    when the version moved on, recomputed at most every ``min_interval`` seconds (None: ten times the last
    computation's duration, at least a second): in the request itself when that computation took at most
    :data:`INLINE_SECONDS`, else in the background while the stale value is served."""

    def __init__(self, min_interval: float | None = None) -> None:
        self.min_interval = min_interval
        # key -> (version, value, monotonic time when the value may be refreshed, seconds it took)
        self._entries: dict[Hashable, tuple[Any, Any, float, float]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()
        self._guard = threading.Lock()

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def peek(self, key: Hashable) -> tuple[Any, Any] | None:
        """(version, value) if a value exists, without computing anything."""
        with self._guard:
            hit = self._entries.get(key)
        return None if hit is None else (hit[0], hit[1])

    def get(self, key: Hashable, version: Any, compute: Callable[[], Any]) -> tuple[Any, Any]:
        """(version the value was computed at, value)."""
        with self._guard:
            hit = self._entries.get(key)
        if hit is None:
            with self._lock(key):  # a second caller waits for the first computation instead of repeating it
                with self._guard:
                    hit = self._entries.get(key)
                if hit is None:
                    hit = self._compute(version, compute)
                    with self._guard:
                        self._entries[key] = hit
            return hit[0], hit[1]
        if hit[0] != version and time.monotonic() >= hit[2]:
            if hit[3] <= INLINE_SECONDS:
                with self._lock(key):
                    with self._guard:
                        hit = self._entries[key]
                    if hit[0] != version:
                        hit = self._compute(version, compute)
                        with self._guard:
                            self._entries[key] = hit
            else:
                self._refresh(key, version, compute)
        return hit[0], hit[1]

    def _wait(self, seconds: float) -> float:
        if self.min_interval is not None:
            return self.min_interval
        return max(MIN_REFRESH, REFRESH_FACTOR * seconds)

    def _compute(self, version: Any, compute: Callable[[], Any]) -> tuple[Any, Any, float, float]:
        started = time.monotonic()
        value = compute()
        done = time.monotonic()
        return (version, value, done + self._wait(done - started), done - started)

    def _refresh(self, key: Hashable, version: Any, compute: Callable[[], Any]) -> None:
        with self._guard:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                with self._lock(key):
                    hit = self._compute(version, compute)
                    with self._guard:
                        self._entries[key] = hit
            except Exception:  # the old value stays; tried again later
                with self._guard:
                    old = self._entries.get(key)
                    if old is not None:
                        self._entries[key] = (old[0], old[1], time.monotonic() + self._wait(MIN_REFRESH), old[3])
            finally:
                with self._guard:
                    self._refreshing.discard(key)

        threading.Thread(target=run, name=f"tunelab-dashboard-refresh-{key}", daemon=True).start()
