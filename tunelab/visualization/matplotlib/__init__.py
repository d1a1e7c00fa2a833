"""Optuna's matplotlib figures (``optuna.visualization.matplotlib``) drawn from tunelab's figure data.

Every ``plot_xxx`` takes the arguments of its plotly namesake in
:mod:`tunelab.visualization` and returns a matplotlib ``Axes`` (an array of Axes
where there is one panel per parameter or pair: ``plot_slice`` with several
parameters, ``plot_contour`` and ``plot_rank`` with three or more). Both renderers
read the same data (``tunelab/visualization/_data_*.py``), so they show the same
trials: decimation that keeps the best, states, log axes, user attributes.

matplotlib is in the ``viz`` extra and is imported when a figure is drawn, not with
this module; without it a figure raises ``MissingExtra`` naming the install command.
"""

from tunelab._extras import importable
from tunelab.visualization.matplotlib._history import (
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_terminator_improvement,
    plot_timeline,
)
from tunelab.visualization.matplotlib._objectives import plot_hypervolume_history, plot_pareto_front
from tunelab.visualization.matplotlib._params import (
    plot_contour,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_rank,
    plot_slice,
)


def is_available() -> bool:
    """Whether matplotlib can be imported (Optuna's ``visualization.matplotlib.is_available``)."""
    return importable("matplotlib")


__all__ = [
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_terminator_improvement",
    "plot_timeline",
]
