"""matplotlib figures over several objectives: the Pareto front and the hypervolume history.

The numbers come from ``tunelab/visualization/_data_objectives.py``, as for the plotly figures.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from tunelab.trial import FrozenTrial
from tunelab.visualization._common import MAX_POINTS
from tunelab.visualization._data_objectives import hypervolume_data, pareto_data
from tunelab.visualization.matplotlib._axes import message_axes, new_axes, pyplot, text


def plot_pareto_front(study: Any, *, target_names: Sequence[str] | None = None,
                      include_dominated_trials: bool = True, axis_order: Sequence[int] | None = None,
                      constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      max_points: int | None = MAX_POINTS) -> Any:
    """The complete trials in objective space: the front as "Best Trial", the others as "Trial" (a 3-D Axes for 3).

    As :func:`tunelab.visualization.plot_pareto_front`: constraints_func marks infeasible trials
    (grey, never on the front); the front is drawn whole, dominated trials decimated to max_points.
    """
    plt = pyplot()
    data = pareto_data(study, target_names=target_names, include_dominated_trials=include_dominated_trials,
                       axis_order=axis_order, constraints_func=constraints_func, targets=targets,
                       max_points=max_points)
    m = len(data.axis_names)
    if m == 2:
        ax = new_axes("Pareto-front Plot", layout="constrained")
    else:
        fig = plt.figure(layout="constrained")
        ax = fig.add_subplot(projection="3d")
        ax.set_title("Pareto-front Plot")
    for grp in data.groups:
        ax.scatter(*grp.coords, color=grp.color, s=14 if grp.name != "Best Trial" else 22, label=grp.name,
                   zorder=3 if grp.name == "Best Trial" else 2)
    ax.set_xlabel(text(data.axis_names[0]))
    ax.set_ylabel(text(data.axis_names[1]))
    if m == 3:
        ax.set_zlabel(text(data.axis_names[2]))
    if data.groups:
        ax.legend(loc="best")
    return ax


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]) -> Any:
    """The hypervolume the feasible complete trials dominate (up to ``reference_point``) after each trial."""
    pyplot()
    data = hypervolume_data(study, reference_point)
    if data.message is not None:
        return message_axes("Hypervolume History Plot", data.message)
    ax = new_axes("Hypervolume History Plot", layout="constrained")
    ax.plot(data.numbers, data.values, marker="o", ms=3, label="Hypervolume")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Hypervolume")
    return ax
