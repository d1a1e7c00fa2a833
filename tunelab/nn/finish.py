"""What ``tunelab tune`` and ``tunelab run`` (with a ``[trainer]``) do after the trials: pick, score, save, explain.

The best trial is picked on its validation value (mean over seeds), retrained
with the same seed, scored on the test rows next to the baselines
(:mod:`tunelab.nn.evaluate`), described in plain words and saved with its
preprocessing so that ``tunelab predict`` / :func:`tunelab.nn.load_model` can use it.
"""

from __future__ import annotations

import shlex
from typing import Any, Callable, Sequence

METRIC_ATTR = "metric"  # the study user attribute that names the metric the study was tuned on


def finish(study: Any, objective: Any, out_dir: str, echo: Callable[[str], None] = print,
           baselines: Sequence[str] = ("constant", "linear"), cv: bool = False,
           seconds: float | None = None) -> dict[str, Any] | None:
    """Print the outcome of a study of ``objective`` (an NNObjective) and save its best model in ``out_dir``.

    Returns the record written to ``best_config.json``, or None when no trial completed.
    """
    from tunelab.analysis.noise import select_best, summary_table, value_stats
    from tunelab.nn.evaluate import describe, evaluate_best
    from tunelab.nn.export import save_best
    from tunelab.trial import FixedTrial, TrialState

    states = [t.state for t in study.trials]
    counts = ", ".join(f"{states.count(s)} {s.name.lower()}" for s in TrialState if states.count(s))
    echo(f"trials: {counts}" + (f" ({seconds:.0f} s)" if seconds is not None else ""))
    complete = study.get_trials([TrialState.COMPLETE])
    if not complete:
        return None
    best = select_best(complete, objective.direction, by="mean")
    stats = value_stats(best)
    echo(f"best trial #{best.number}: {objective.metric} = {stats.text()} (validation)")
    if len(complete) > 1:
        echo(f"top trials by validation {objective.metric} (mean ± std over seeds):")
        for row in summary_table(complete, objective.direction, top=5):
            echo(f"  #{row['number']}: {row['text']}")
    result = objective.retrain(best.params)
    evaluation = evaluate_best(objective, best.params, result, stats.mean, baselines, cv=cv)
    for line in evaluation.lines():
        echo(line)
    config = objective.config(FixedTrial(best.params))
    echo("best configuration: " + describe(config, result.runs[0].best_epoch))
    info = {"study": study.study_name, "trial": best.number, "params": best.params, "config": config,
            "value": stats.mean, "std": stats.std, "repeat_values": stats.values, "retrained_value": result.value,
            "seed": objective.seed, "data_report": objective.data.report.summary(),
            "evaluation": evaluation.to_dict()}
    save_best(out_dir, result, objective.data, info)
    echo(f"model saved in {out_dir}/ (network, preprocessing and configuration)")
    echo(f"predict with: tunelab predict {shlex.quote(out_dir)} new_rows.csv -o predictions.csv"
         + (" [--proba]" if objective.data.task == "classification" else ""))
    return info
