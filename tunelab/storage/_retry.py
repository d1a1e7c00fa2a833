"""Re-run failed or stale trials with the same parameters (Optuna's ``RetryFailedTrialCallback``)."""

from __future__ import annotations

from typing import Any

from tunelab.trial import FrozenTrial, TrialState

FAILED_TRIAL_ATTR = "failed_trial"  # system attr of a retry: the number of the trial it repeats (the first one)
RETRY_HISTORY_ATTR = "retry_history"  # system attr of a retry: numbers of every earlier attempt, oldest first


class RetryFailedTrialCallback:
    """An ``optimize`` callback that queues a failed trial again, with the same parameters, up to ``max_retry`` times.

    Failed covers an exception in the objective, a worker that died, a timeout and a trial swept
    as stale (no heartbeat).  The retry is an enqueued trial (it counts toward ``n_trials``) with
    the system attrs ``failed_trial`` (the first attempt's number) and ``retry_history``.
    ``max_retry=None`` retries without limit.  ``inherit_intermediate_values`` copies the failed
    attempt's reports to the retry.

        study.optimize(objective, n_trials=50, catch=(Exception,),
                       callbacks=[RetryFailedTrialCallback(max_retry=2)])
    """

    def __init__(self, max_retry: int | None = None, inherit_intermediate_values: bool = False):
        if max_retry is not None and (isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0):
            raise ValueError(f"RetryFailedTrialCallback: 'max_retry' must be an int >= 0 or None; got {max_retry!r}")
        self.max_retry = max_retry
        self.inherit_intermediate_values = bool(inherit_intermediate_values)

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        if trial.state != TrialState.FAIL:
            return
        history = list(trial.system_attrs.get(RETRY_HISTORY_ATTR, [])) + [trial.number]
        if self.max_retry is not None and len(history) > self.max_retry:
            return
        storage, study_id = study.storage, study.study_id
        trial_id, _ = storage.create_trial(study_id, TrialState.WAITING, fixed_params=dict(trial.params),
                                           user_attrs=dict(trial.user_attrs))
        storage.set_trial_system_attr(trial_id, FAILED_TRIAL_ATTR, history[0])
        storage.set_trial_system_attr(trial_id, RETRY_HISTORY_ATTR, history)
        if self.inherit_intermediate_values:
            for step, value in trial.intermediate_values.items():
                storage.set_trial_intermediate_value(trial_id, step, value)

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the first attempt this trial repeats, or None."""
        return trial.system_attrs.get(FAILED_TRIAL_ATTR)

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        """Numbers of the earlier attempts of this trial, oldest first."""
        return list(trial.system_attrs.get(RETRY_HISTORY_ATTR, []))
