"""tunelab._validation: declared constraints give every bad argument the same kind of message."""

from __future__ import annotations

import math

import pytest

from tunelab._validation import Check, Interval, Options, validate


@pytest.mark.parametrize("interval, good, bad", [
    (Interval(int, 1, None), [1, 10**9], [0, 1.5, True, "2"]),
    (Interval(float, 0, 1, closed="neither"), [0.5, 1e-9], [0.0, 1.0, math.nan, False]),
    (Interval(float, 0, 1, closed="left"), [0.0], [1.0]),
    (Interval(float, None, 0, closed="right"), [-1e9, 0.0], [0.1]),
])
def test_interval_bounds_and_kinds(interval, good, bad):
    assert all(interval.accepts(v) for v in good)
    assert not any(interval.accepts(v) for v in bad)


def test_descriptions_say_what_is_expected():
    assert Interval(int, 1, None).describe() == "an int in [1, inf]"
    assert Interval(float, 0, 1, closed="neither").describe() == "a number in (0, 1)"
    assert Options(["a", "b"]).describe() == "one of 'a', 'b'"
    assert Check(callable, "a callable").describe() == "a callable"


def test_a_predicate_that_raises_rejects_the_value():
    assert not Check(lambda v: v > 0, "positive").accepts("text")


def test_validate_names_the_owner_the_argument_and_the_alternatives():
    constraints = {"n": [Interval(int, 1, None), None], "mode": [Options(["fast", "slow"])], "name": [str]}
    good = {"n": None, "mode": "fast", "name": "x"}
    validate(constraints, good, "f")
    with pytest.raises(ValueError, match=r"^f: argument 'n' must be an int in \[1, inf\] or None; got 0\.$"):
        validate(constraints, {**good, "n": 0}, "f")
    with pytest.raises(ValueError, match="argument 'mode' must be one of 'fast', 'slow'; got 'quick'"):
        validate(constraints, {**good, "mode": "quick"}, "f")
    with pytest.raises(TypeError, match="argument 'name' must be an instance of str; got 3"):
        validate(constraints, {**good, "name": 3}, "f")


def test_bool_is_not_taken_for_a_number():
    with pytest.raises(TypeError, match="must be an instance of int"):
        validate({"k": [int]}, {"k": True}, "g")
