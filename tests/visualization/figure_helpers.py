"""The synthetic studies of tests/analysis, shared with the figure tests."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "analysis"))

from analysis_helpers import (  # noqa: E402,F401
    T0,
    UNIT,
    from_matrix,
    interaction_study,
    linear_study,
    mixed_study,
)
