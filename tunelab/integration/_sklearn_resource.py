"""SearchCV's successive-halving mode: cross-validate each configuration on a growing resource.

Like scikit-learn's HalvingRandomSearchCV, but asynchronous (ASHA): a trial is
scored on ``trial.budget`` of the resource (training samples, or an estimator
parameter such as ``n_estimators``), reports the mean fold score at that
budget, and goes on to the next rung only if the pruner keeps it.  With
``resource="n_samples"`` each training fold is cut to a fixed, nested,
class-balanced prefix, so a larger budget adds samples to the ones already used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tunelab._validation import Check, Interval, Options, validate
from tunelab.pruners import BasePruner
from tunelab.pruners.halving import SuccessiveHalvingPruner, auto_min_resource
from tunelab.pruners.hyperband import HyperbandPruner

_CONSTRAINTS = {
    "resource": [Check(lambda r: isinstance(r, str) and r != "", "'n_samples' or an estimator parameter name"),
                 None],
    "min_resources": [Interval(int, 1, None), Options(["auto"])],
    "max_resources": [Interval(int, 1, None), Options(["auto"])],
    "factor": [Interval(int, 2, None)],
}


@dataclass
class ResourcePlan:
    """What one trial may spend: the resource's name, its smallest and largest budget, and the prefix orders."""

    resource: str
    min_resources: int
    max_resources: int
    orders: list[np.ndarray] | None  # per training fold, the order in which its samples join (n_samples only)

    def budget_for(self, trial: Any, previous: int | None) -> int:
        """The next budget: the pruner's hand-out within [min, max]; the maximum if none or no progress."""
        handed = trial.budget
        n = self.max_resources if handed is None else min(max(int(handed), self.min_resources), self.max_resources)
        return self.max_resources if previous is not None and n <= previous else n

    def train_rows(self, fold: int, train: np.ndarray, n: int) -> np.ndarray:
        """The first ``n`` training rows of the fold in the plan's order (all of them for other resources)."""
        if self.orders is None or n >= len(train):
            return train
        return train[self.orders[fold][:n]]


def validate_arguments(resource: str | None, min_resources: Any, max_resources: Any, factor: Any) -> None:
    """The halving arguments' types and ranges (checked whether or not ``resource`` is set)."""
    validate(_CONSTRAINTS, {"resource": resource, "min_resources": min_resources, "max_resources": max_resources,
                            "factor": factor}, "SearchCV")


def plan(estimator: Any, space_names: set[str], splits: list, y: Any, classifier: bool, resource: str,
         min_resources: int | str, max_resources: int | str, factor: int, seed: int | None) -> ResourcePlan:
    """Check the (validated) halving arguments against the estimator, the space and the data; resolve "auto"."""
    orders = None
    if resource == "n_samples":
        largest = max(len(train) for train, _ in splits)
        if max_resources == "auto":
            max_resources = largest
        elif max_resources > largest:
            raise ValueError(f"SearchCV: argument 'max_resources' ({max_resources}) must be <= the largest training "
                             f"fold ({largest} samples) when resource is 'n_samples'.")
        rng = np.random.default_rng(seed)
        labels = np.asarray(y) if y is not None and classifier and np.ndim(y) == 1 else None  # not multi-output
        orders = [rng.permutation(len(train)) if labels is None else _balanced_order(rng, labels[train])
                  for train, _ in splits]
        floor, why = (2, "2") if labels is None else (2 * len(np.unique(labels)), "2 x the number of classes")
    else:
        if resource not in estimator.get_params():
            raise ValueError(f"SearchCV: argument 'resource' must be 'n_samples' or a parameter of "
                             f"{type(estimator).__name__}; got {resource!r}.")
        if resource in space_names:
            raise ValueError(f"SearchCV: argument 'resource' ({resource!r}) is also a parameter of the search "
                             f"space; halving sets it, so remove it from the space.")
        if max_resources == "auto":
            raise ValueError(f"SearchCV: argument 'max_resources' must be an int >= 1 when resource is the "
                             f"estimator parameter {resource!r}; got 'auto'.")
        floor, why = 1, "1"
    if min_resources == "auto":
        min_resources = max(floor, auto_min_resource(max_resources, factor))
        if min_resources > max_resources:
            raise ValueError(f"SearchCV: argument 'max_resources' ({max_resources}) must be >= the smallest "
                             f"automatic budget, {why} ({min_resources}).")
    if min_resources > max_resources:
        raise ValueError(f"SearchCV: argument 'min_resources' ({min_resources}) must be <= 'max_resources' "
                         f"({max_resources}).")
    return ResourcePlan(resource, int(min_resources), int(max_resources), orders)


def halving_pruner(pruner: Any, plan_: ResourcePlan, factor: int) -> BasePruner:
    """The pruner for halving: ASHA (None or an ASHA name) or Hyperband (its name) over the plan's budgets."""
    name = pruner.lower() if isinstance(pruner, str) else None
    if pruner is None or name in ("asha", "sha", "successive_halving"):
        return SuccessiveHalvingPruner(plan_.min_resources, factor, max_resource=plan_.max_resources)
    if name == "hyperband":
        return HyperbandPruner(plan_.min_resources, plan_.max_resources, factor)
    if isinstance(pruner, BasePruner):
        if type(pruner).budget is BasePruner.budget:
            raise ValueError(f"SearchCV: argument 'pruner' must hand out budgets (trial.budget) when 'resource' is "
                             f"set, as SuccessiveHalvingPruner and HyperbandPruner do; got {pruner!r}.")
        return pruner  # its own rungs, clipped to [min_resources, max_resources]
    raise ValueError(f"SearchCV: argument 'pruner' must be None, 'asha', 'hyperband' or a pruner object when "
                     f"'resource' is set; got {pruner!r}.")


def _balanced_order(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """A random order of the rows in which every prefix holds each class in about its overall share.

    The first rows hold one row of every class, so any prefix at least as long
    as the number of classes has them all (rare classes included)."""
    order = rng.permutation(len(labels))
    key = np.empty(len(labels))
    for label in np.unique(labels):
        rows = order[labels[order] == label]  # this class's rows, in the random order
        key[rows] = np.arange(len(rows)) / len(rows)
    return order[np.argsort(key[order], kind="stable")]
