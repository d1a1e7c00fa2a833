"""paused_gc: bulk record building without the cyclic collector walking the new records again and again."""

from __future__ import annotations

import gc

from tunelab._gc import paused_gc


def test_objects_built_while_paused_go_to_the_oldest_generation():
    assert gc.isenabled()
    gc.collect()  # every generation's count at zero: the first collection after the pause is a young one
    with paused_gc():
        assert not gc.isenabled()
        kept = [{"n": i, "params": {}} for i in range(50_000)]
    assert gc.isenabled()
    young = {id(o) for generation in (0, 1) for o in gc.get_objects(generation=generation)}
    assert sum(id(d) in young for d in kept[::100]) == 0  # young collections do not walk them again
    assert gc.get_freeze_count() == 0


def test_a_callers_frozen_objects_stay_frozen():
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with paused_gc():
            kept = [{"n": i} for i in range(1_000)]
        assert gc.get_freeze_count() == frozen  # nothing of the caller's released ...
        assert len(kept) == 1_000
    finally:
        gc.unfreeze()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
