"""Decimation keeps the best, the Pareto front and an even sample, deterministically."""

from __future__ import annotations

import numpy as np

from tunelab.analysis.decimate import decimate, pareto_mask


def test_small_inputs_are_kept_whole():
    assert list(decimate(np.array([3.0, 1.0, 2.0]), 10)) == [0, 1, 2]


def test_keeps_the_best_and_the_named_rows():
    rng = np.random.default_rng(0)
    loss = rng.random(100_000)
    loss[77_777] = -1.0
    idx = decimate(loss, 1000, keep=[5, 99_999])
    assert len(idx) <= 1000
    assert {77_777, 5, 99_999} <= set(idx.tolist())
    assert np.all(np.diff(idx) > 0)
    assert np.array_equal(idx, decimate(loss, 1000, keep=[5, 99_999]))


def test_keeps_the_whole_pareto_front():
    rng = np.random.default_rng(1)
    pts = rng.random((3000, 2))
    front = np.flatnonzero(pareto_mask(pts))
    brute = [i for i in range(len(pts)) if not np.any(np.all(pts <= pts[i], axis=1) & np.any(pts < pts[i], axis=1))]
    assert front.tolist() == brute
    idx = decimate(np.vstack([pts, rng.random((50_000, 2)) + 1]), 300)  # the extra rows are all dominated
    assert set(front.tolist()) <= set(idx.tolist()) and len(idx) <= 300


def test_pareto_mask_three_objectives_and_nan_rows():
    pts = np.array([[1, 1, 1], [0, 2, 2], [2, 2, 2], [1, 1, 1]], dtype=float)
    assert pareto_mask(pts).tolist() == [True, True, False, True]
    loss = np.array([np.nan] * 10 + [5.0])
    assert 10 in decimate(loss, 3).tolist()
