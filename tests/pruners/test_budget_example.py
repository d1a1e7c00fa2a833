"""examples/budget_halving.py: training-set sizes follow the rungs, and most fits are small."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import tunelab
from tunelab.pruners.halving import SuccessiveHalvingPruner
from tunelab.trial import TrialState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "budget_halving.py"


def test_budget_halving_example_trains_on_the_rung_sizes():
    spec = importlib.util.spec_from_file_location("budget_halving", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    n = example.N
    study = tunelab.create_study(direction="maximize", sampler="random", seed=0,
                                 pruner=SuccessiveHalvingPruner(min_resource=40, max_resource=n))
    study.optimize(example.objective, n_trials=20)
    sizes = [40, 120, 360, 1080, n]
    for t in study.trials:
        steps = sorted(t.intermediate_values)
        assert steps == sizes[: len(steps)]                       # trial.budget handed out the rungs in order
        assert (t.state == TrialState.COMPLETE) == (steps[-1] == n)
    fitted = sum(sum(t.intermediate_values) for t in study.trials)
    assert fitted < 0.5 * 20 * n
    assert study.best_value > 0.9
