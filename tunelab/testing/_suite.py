"""Shared machinery of the conformance suites in :mod:`tunelab.testing`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def drop_flagged_tests(cls: type, needs: Mapping[str, Sequence[str]],
                       not_with: Mapping[str, Sequence[str]]) -> None:
    """Hide the suite tests a subclass's flags rule out.

    A test listed under a flag in ``needs`` is dropped when the flag is false; one listed in
    ``not_with`` is dropped when the flag is true. Setting the name to ``None`` works because
    pytest collects callables only.
    """
    for flag, names in needs.items():
        for name in names:
            if not getattr(cls, flag):
                setattr(cls, name, None)
    for flag, names in not_with.items():
        for name in names:
            if getattr(cls, flag):
                setattr(cls, name, None)
