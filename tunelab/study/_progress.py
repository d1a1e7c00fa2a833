"""A progress bar (tqdm) that shows finished trials and the best value so far."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tunelab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunelab.study._study import Study


class Progress:
    """Counts finished trials; ``update`` from in-process workers, ``poll`` reads the storage."""

    def __init__(self, study: "Study", n_trials: int | None, enabled: bool):
        self._study = study
        self._enabled = enabled
        self._bar: Any = None
        self._start_count = 0
        self._last_poll = 0.0
        self._n_trials = n_trials

    def __enter__(self) -> "Progress":
        if self._enabled:
            from tqdm.auto import tqdm

            self._start_count = self._count()
            self._bar = tqdm(total=self._n_trials, unit="trial", desc=self._study.study_name, dynamic_ncols=True)
        return self

    def _count(self) -> int:
        finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        return self._study.storage.get_n_trials(self._study.study_id, finished)

    def _best_text(self) -> str:
        if len(self._study.directions) != 1:
            return ""
        try:
            return f"best={self._study.best_value:.6g}"
        except ValueError:
            return ""

    def update(self, trial: FrozenTrial) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        if trial.state == TrialState.COMPLETE:
            self._bar.set_postfix_str(self._best_text(), refresh=False)

    def poll(self) -> None:
        if self._bar is None or time.time() - self._last_poll < 0.5:
            return
        self._last_poll = time.time()
        done = self._count() - self._start_count
        self._bar.update(done - self._bar.n)
        self._bar.set_postfix_str(self._best_text(), refresh=False)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._last_poll = 0.0
            self.poll()
            self._bar.close()
