"""Pausing Python's cyclic garbage collector around bulk record building."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector paused while many records are built at once (100,000 trials, each with several
    dicts): its collections would walk every young object again and again, a third of such a build's time.
    Trial records hold no reference cycles, so nothing is left for it to find; it is restored afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # everything allocated meanwhile would sit in the youngest generation, and the first collection
            # after the pause would walk it all (0.13 s after a 100,000-trial read); freeze + unfreeze moves
            # it to the oldest generation in O(1), where only full collections look (not while a caller
            # keeps objects frozen on purpose, as a pre-forking server does: unfreeze would release them)
            gc.freeze()
            gc.unfreeze()
        if was:
            gc.enable()
