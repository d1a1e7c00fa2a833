"""Figures with Optuna's names (``plot_optimization_history``, ``plot_slice``, ...) plus tunelab's own.

Every ``plot_xxx(study, ...)`` returns a ``plotly.graph_objects.Figure`` (plotly is
in the ``viz`` extra and loads with this package, not with ``import tunelab``).
All figures read the same numbers as :mod:`tunelab.analysis`, handle studies of
100,000 trials by decimation (the best, the Pareto front and an even sample are
always drawn), hide or show pruned and failed trials (``states=`` /
``include_pruned=``), take log axes (automatic for log-scaled parameters,
``log=`` to override) and accept user attributes as axes (``"user_attrs.KEY"``).

:mod:`tunelab.visualization.matplotlib` draws Optuna's figures with matplotlib
from the same data (``_data_*.py``); it loads matplotlib when a function runs.
"""

from tunelab._extras import importable
from tunelab.visualization import matplotlib  # matplotlib itself loads only when a figure is drawn
from tunelab.visualization._analysis import (
    plot_ablation_path,
    plot_hypervolume_history,
    plot_interactions,
    plot_noise,
    plot_param_importances,
    plot_pareto_front,
    plot_partial_dependence,
    plot_pruning_ledger,
)
from tunelab.visualization._history import (
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_terminator_improvement,
    plot_timeline,
)
from tunelab.visualization._params import plot_contour, plot_parallel_coordinate, plot_rank, plot_slice


def is_available() -> bool:
    """Whether plotly can be imported (Optuna's ``visualization.is_available``)."""
    return importable("plotly")


__all__ = [
    "is_available",
    "matplotlib",
    "plot_ablation_path",
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_interactions",
    "plot_intermediate_values",
    "plot_noise",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_partial_dependence",
    "plot_pruning_ledger",
    "plot_rank",
    "plot_slice",
    "plot_terminator_improvement",
    "plot_timeline",
]
