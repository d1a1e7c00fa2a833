"""The learning-rate range test: on digits it brackets a good learning rate; on toy curves it reads the slope."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_helpers import SMALL_CONFIG
from tunelab.nn.lr_range import _propose, lr_range_test
from tunelab.nn.trainer import train


def test_range_on_digits_contains_a_good_learning_rate(digits):
    found = lr_range_test(digits, "adam", steps=120)
    assert found.low < 1e-3 < found.high < 0.1  # Adam's well-known default inside, divergence outside
    assert found.low < found.suggestion < found.high
    assert found.high / found.low >= 10 - 1e-9
    assert found.diverged_at is not None and found.diverged_at > found.high
    assert "fell fastest" in found.reason and "proposed range" in found.reason
    middle = math.sqrt(found.low * found.high)
    assert train({**SMALL_CONFIG, "width": 64, "lr": middle, "epochs": 4}, digits).value > 0.93


def _curve(centre: float, blow_up: float, n: int = 150):
    lrs = list(np.logspace(-6, 1, n))
    x = np.log10(lrs)
    loss = 2.3 - 2.0 / (1 + np.exp(-(x - math.log10(centre)) * 4)) + np.exp((x - math.log10(blow_up)) * 3)
    return lrs, list(loss)


def test_proposal_follows_the_steepest_fall_on_a_synthetic_curve():
    lrs, loss = _curve(centre=1e-3, blow_up=1e-1)
    found = _propose("adam", lrs, loss, loss, diverge=4.0, lr_max=10.0)
    assert found.low < 1e-3 < found.high
    assert 3e-4 < found.suggestion < 3e-3
    lowest = lrs[int(np.argmin(loss))]
    assert found.high <= lowest * (1 + 1e-9)


def test_a_flat_curve_keeps_the_default_range_and_says_why():
    lrs = list(np.logspace(-6, 1, 100))
    flat = [1.0] * 100
    found = _propose("sgd", lrs, flat, flat, diverge=4.0, lr_max=10.0)
    assert (found.low, found.high) == (1e-3, 0.5)
    assert "never clearly fell" in found.reason


def test_arguments_are_checked(iris):
    with pytest.raises(ValueError, match="argument 'optimizer'"):
        lr_range_test(iris, "rmsprop")
    with pytest.raises(ValueError, match="'lr_min' .* must be below 'lr_max'"):
        lr_range_test(iris, lr_min=1.0, lr_max=0.1)
