"""Study: ask / tell / best trials over one storage; create_study, load_study, delete_study.

``optimize`` hands its arguments to :mod:`tunelab.study._optimize`, which runs
workers that drive this class through ask and tell.
"""

from __future__ import annotations

import logging
import threading
import uuid
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from tunelab._validation import Check, Interval, validate
from tunelab.pruners import BasePruner, make_pruner
from tunelab.pruners.base import PruningContext
from tunelab.samplers import BaseSampler, make_sampler
from tunelab.samplers.base import SamplingContext, SearchExhausted
from tunelab.space import Distribution
from tunelab.storage import STALE_ATTR, BaseStorage, DuplicatedStudyError, TrialFinishedError, get_storage
from tunelab.study._compat import OptunaStudyMethods
from tunelab.trial import FrozenTrial, StudyDirection, Trial, TrialState, best_of, check_values

if TYPE_CHECKING:
    import pandas


log = logging.getLogger("tunelab")

ObjectiveFn = Callable[[Trial], Any]
ConstraintsFn = Callable[[FrozenTrial], Sequence[float]]


class TrialToldTwiceError(TrialFinishedError, ValueError):
    """``tell`` on a trial that is finished already (a ValueError, as before; a TrialFinishedError for workers)."""


class Study(OptunaStudyMethods):
    """A named set of trials in a storage, with the sampler and pruner that drive it.

    Optuna's further methods (add_trial(s), system attrs, metric names) come from study/_compat.py.
    """

    def __init__(self, study_name: str, storage: Any = None, sampler: Any = "auto", pruner: Any = None,
                 seed: int | None = None, constraints: ConstraintsFn | None = None):
        self._storage: BaseStorage = get_storage(storage)
        self._study_id = self._storage.get_study_id(study_name)
        self.study_name = study_name
        self.directions: list[StudyDirection] = self._storage.get_study_directions(self._study_id)
        self.pruner: BasePruner | None = make_pruner(pruner)
        self.sampler: BaseSampler = make_sampler(sampler, seed=seed, n_objectives=len(self.directions),
                                                 pruner=self.pruner)
        self.seed = seed
        # Optuna passes constraints to the sampler (constraints_func); tunelab evaluates them in the study
        self.constraints = constraints if constraints is not None else getattr(self.sampler, "constraints_func", None)
        self._distributions_lock = threading.Lock()
        self._stop: Any = threading.Event()  # while optimize runs: the StopSignal its workers share
        self._swept_on_open: list[int] = []  # failed below; the next optimize gives them to its retry callbacks
        if self._storage.stale_after:  # trials of workers that died long ago (a crash, a lost machine) fail on sight
            self._swept_on_open = list(self._storage.fail_stale_trials(self._study_id, self._storage.stale_after))
        # the names' ranges, from one row per name: opening a study does not read its trials
        self._distributions: dict[str, Distribution] = self._storage.get_param_distributions(self._study_id)

    def _take_swept_on_open(self) -> list[int]:
        """The trials failed as stale when this object opened the study, once (for the retry callbacks)."""
        swept, self._swept_on_open = self._swept_on_open, []
        return swept

    def __getstate__(self) -> dict[str, Any]:
        """A Study pickles with its storage's settings, sampler, pruner and what it has seen; no lock, no I/O
        when unpickled (Dask's ``client.submit(study.optimize, ...)`` sends a study to each worker this way)."""
        if not self._storage.shareable:
            raise TypeError(f"a Study pickles as its storage's settings, and {type(self._storage).__name__} lives in "
                            "this process; use a database, journal or DaskStorage storage to send a study to "
                            "other processes")
        return {k: v for k, v in self.__dict__.items() if k not in ("_distributions_lock", "_stop")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._distributions_lock = threading.Lock()
        self._stop = threading.Event()

    # ------------------------------------------------------------------ properties
    @property
    def storage(self) -> BaseStorage:
        return self._storage

    @property
    def study_id(self) -> int:
        return self._study_id

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) != 1:
            raise RuntimeError("this study has several objectives; use .directions")
        return self.directions[0]

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    def get_trials(self, states: Iterable[TrialState | str] | None = None, deepcopy: bool = False) -> list[FrozenTrial]:
        """Trials ordered by number, of the given states (all if None); copies if ``deepcopy``.

        Optuna's ``get_trials(deepcopy=..., states=...)`` works too (a bool first means ``deepcopy``).
        """
        if isinstance(states, bool):
            states, deepcopy = None, states
        parsed = None if states is None else [TrialState.parse(s) for s in states]
        trials = self._storage.get_all_trials(self._study_id, parsed)
        if deepcopy:
            import copy

            return copy.deepcopy(trials)
        return trials

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_attr(self._study_id, key, value)

    @property
    def best_trial(self) -> FrozenTrial:
        """The complete trial with the best value (single objective)."""
        return best_of(self._complete_single_objective("best_trial"), self.direction)

    def best_trial_by(self, by: str = "conservative", confidence: float = 0.9) -> FrozenTrial:
        """The best complete trial ranked noise-aware, over the per-seed values trials stored.

        ``by``: "mean", "lcb"/"ucb" (a one-sided bound on the mean at ``confidence``),
        "conservative" (the bound on the bad side: not fooled by one lucky seed), "max"/"min".
        Trials store per-seed values with ``repeats`` (see tunelab.analysis.noise).
        """
        from tunelab.analysis.noise import select_best

        return select_best(self._complete_single_objective("best_trial_by"), self.direction, by=by,
                           confidence=confidence)

    def _complete_single_objective(self, what: str) -> list[FrozenTrial]:
        """The complete (and feasible) trials of a one-objective study, at least one of them."""
        if len(self.directions) != 1:
            raise RuntimeError(f"{what} is for one objective; use best_trials for the Pareto front")
        complete = self._feasible(self.get_trials([TrialState.COMPLETE]))
        if not complete:
            raise ValueError(f"study {self.study_name!r} has no complete trial yet")
        return complete

    @property
    def best_value(self) -> float:
        return self.best_trial.values[0]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of the complete (and, if constraints are set, feasible) trials."""
        from tunelab.pareto import pareto_front

        return pareto_front(self._feasible(self.get_trials([TrialState.COMPLETE])), self.directions)

    def _feasible(self, trials: list[FrozenTrial]) -> list[FrozenTrial]:
        """Feasible trials if any has constraints recorded and some are feasible; else all.

        A trial whose constraints function raised (``constraints_error``) counts as infeasible."""
        feasible = [t for t in trials if "constraints_error" not in t.system_attrs
                    and all(c <= 0 for c in t.system_attrs.get("constraints", []))]
        return feasible or trials

    # ------------------------------------------------------------------ ask / tell
    def _load_other_trials(self, exclude_trial_id: int | None) -> list[FrozenTrial]:
        trials = self._storage.get_all_trials(self._study_id)
        if exclude_trial_id is not None:
            # the asking trial is nearly always the newest: look for it from the end, copy the list once
            for i in range(len(trials) - 1, max(-1, len(trials) - 65), -1):
                if trials[i].trial_id == exclude_trial_id:
                    trials = trials[:i] + trials[i + 1:]
                    break
            else:
                trials = [t for t in trials if t.trial_id != exclude_trial_id]
        with self._distributions_lock:
            for t in trials[-64:]:
                self._distributions.update(t.distributions)
        return trials

    def _sampling_context(self) -> SamplingContext:
        context = SamplingContext(
            load_trials=lambda: self._load_other_trials(None),
            directions=self.directions,
            claim=lambda key: self._storage.claim(self._study_id, key),
            enqueue=lambda params: self.enqueue_trial(params, skip_if_exists=False),
        )
        context.study = self  # only for Optuna-style samplers' study views (samplers/_adapter.py)
        return context

    def ask(self, fixed_distributions: dict[str, Distribution] | None = None) -> Trial:
        """Start a trial: an enqueued one if any is waiting, else a new one; raises SearchExhausted at a grid's end."""
        return self._ask(fixed_distributions)

    def _ask(self, fixed_distributions: dict[str, Distribution] | None = None, heartbeat: bool = False) -> Trial:
        """:meth:`ask`; ``heartbeat``: the trial starts with its first heartbeat, for a worker that beats for it."""
        context = self._sampling_context()
        self.sampler.before_trial(context)
        beat = {"heartbeat": True} if heartbeat else {}  # plug-in storages without heartbeats need not take it
        if self.sampler.is_exhausted(context):  # only an enqueued trial may still run
            popped = self._storage.pop_waiting_trial(self._study_id, **beat)
            if popped is None:
                raise SearchExhausted(f"the sampler of study {self.study_name!r} has nothing left to propose")
            (trial_id, number), was_waiting = popped, True
        else:
            trial_id, number, was_waiting = self._storage.start_trial(self._study_id, **beat)
        fixed = self._storage.get_trial(trial_id).system_attrs.get("fixed_params") or {} if was_waiting else {}
        context.trial_number = number
        context.load_trials = lambda: self._load_other_trials(trial_id)
        context._trials = None
        space = self.sampler.infer_relative_space(context)
        relative = self.sampler.sample_relative(context, space) if space else {}
        trial = Trial(_TrialLink(self, trial_id, context), number, fixed, relative, space)
        if fixed_distributions:
            trial.suggest(fixed_distributions)
        return trial

    def tell(self, trial: Trial | FrozenTrial | int, values: float | Sequence[float] | None = None,
             state: TrialState | str | None = None, *, fail_reason: str | None = None,
             skip_if_finished: bool = False) -> FrozenTrial:
        """Finish a trial: COMPLETE with values, or state='pruned' / 'fail'."""
        trial_id = self._resolve_trial_id(trial)
        final = _tell_state(state)
        # a live Trial of this study knows its own curve; the storage refuses to finish a finished trial,
        # so the read before the write is only needed for other handles (and for the constraints function)
        live = isinstance(trial, Trial) and trial.study is self and self.constraints is None
        current = None if live else self._storage.get_trial(trial_id)
        if current is not None:
            self._check_own(trial, trial_id, current)
        if current is not None and current.state == TrialState.WAITING:
            raise ValueError(f"tell: trial {current.number} is WAITING (enqueued, not started); ask() starts it, "
                             f"then tell its result")
        if current is not None and current.state.is_finished():
            if final == TrialState.COMPLETE and current.system_attrs.get(STALE_ATTR):
                return self._keep_late_result(current, values)
            return self._already_finished(current, skip_if_finished)
        curve = trial.intermediate_values if current is None else current.intermediate_values
        checked: list[float] | None = None
        if final == TrialState.COMPLETE:
            checked, reason = check_values(values, len(self.directions))
            if reason is not None and _count_mismatch(values, len(self.directions)):
                raise ValueError(f"tell: {reason}; pass {len(self.directions)} value(s) (the trial stays running)")
            if reason is not None:
                final, fail_reason = TrialState.FAIL, reason
        elif final == TrialState.PRUNED and len(self.directions) == 1 and curve:
            checked = [curve[max(curve)]]
        try:
            if final == TrialState.FAIL:
                checked = None
                self._storage.set_trial_system_attr(trial_id, "fail_reason", fail_reason or "failed")
            if final == TrialState.COMPLETE and self.constraints is not None:
                current.values = checked
                try:
                    self._storage.set_trial_system_attr(trial_id, "constraints",
                                                        [float(c) for c in self.constraints(current)])
                except Exception as exc:  # a broken constraint function must not lose the result
                    self._storage.set_trial_system_attr(trial_id, "constraints_error", repr(exc))
            self._storage.finish_trial(trial_id, final, checked)
        except TrialFinishedError:  # finished meanwhile (another handle, a stale-trial sweep)
            now = self._storage.get_trial(trial_id)
            if final == TrialState.COMPLETE and now.system_attrs.get(STALE_ATTR):
                return self._keep_late_result(now, checked)
            return self._already_finished(now, skip_if_finished)
        if isinstance(trial, Trial) and getattr(trial, "_fixed", None):
            warnings.warn(f"trial {trial.number}: enqueue_trial fixed {sorted(trial._fixed)}, which the objective "
                          f"never suggested, so they were not used (a misspelt parameter name?)", stacklevel=2)
        frozen = self._storage.get_trial(trial_id)
        self.sampler.after_trial(self._sampling_context(), frozen)
        return frozen

    def _check_own(self, trial: Any, trial_id: int, current: FrozenTrial) -> None:
        """Refuse a trial of another study (its number would point at a different trial here)."""
        if isinstance(trial, Trial) and trial.study._study_id == self._study_id and trial.study.storage is self.storage:
            return
        try:
            mine = self._storage.get_trial_id_from_number(self._study_id, current.number) == trial_id
        except KeyError:
            mine = False
        if not mine:
            raise ValueError(f"tell: the trial (id {trial_id}, number {current.number}) belongs to another study, "
                             f"not to {self.study_name!r}; tell it through its own study")

    def _keep_late_result(self, swept: FrozenTrial, values: Any) -> FrozenTrial:
        """A result that arrived after its trial was failed as stale: keep it in a new COMPLETE trial.

        Finished trials never change (storages cache them), so the value goes to a copy of the swept
        trial (same params, curve and user attrs) that names it in the system attr ``late_result_of``.
        """
        checked, reason = check_values(values, len(self.directions))
        if reason is not None:
            return swept
        trial_id, number = self._storage.create_trial(self._study_id)
        for name, value in swept.params.items():
            self._storage.set_trial_param(trial_id, name, swept.distributions[name], value)
        for step, value in swept.intermediate_values.items():
            self._storage.set_trial_intermediate_value(trial_id, step, value)
        for key, value in swept.user_attrs.items():
            self._storage.set_trial_user_attr(trial_id, key, value)
        self._storage.set_trial_system_attr(trial_id, "late_result_of", swept.number)
        self._storage.finish_trial(trial_id, TrialState.COMPLETE, checked)
        log.warning("trial %d was failed as stale (no heartbeat) but its result %s arrived later: kept as trial %d",
                    swept.number, checked, number)
        frozen = self._storage.get_trial(trial_id)
        self.sampler.after_trial(self._sampling_context(), frozen)
        return frozen

    @staticmethod
    def _already_finished(current: FrozenTrial, skip_if_finished: bool) -> FrozenTrial:
        if skip_if_finished:
            return current
        raise TrialToldTwiceError(f"trial {current.number} is {current.state.name} already; it cannot be told again")

    def _resolve_trial_id(self, trial: Trial | FrozenTrial | int) -> int:
        if isinstance(trial, (Trial, FrozenTrial)):
            return trial.trial_id
        if isinstance(trial, int) and not isinstance(trial, bool):
            try:
                return self._storage.get_trial_id_from_number(self._study_id, trial)
            except KeyError:
                raise ValueError(f"tell: study {self.study_name!r} has no trial number {trial}") from None
        raise TypeError(f"tell: 'trial' must be a Trial, a FrozenTrial or a trial number; got {trial!r}")

    def enqueue_trial(self, params: dict[str, Any], user_attrs: dict[str, Any] | None = None,
                      skip_if_exists: bool = False) -> None:
        """Queue a configuration: the next ask runs it (parameters it does not fix are sampled)."""
        if not isinstance(params, dict):
            raise TypeError(f"enqueue_trial: 'params' must be a dict; got {params!r}")
        if skip_if_exists:
            for t in self.get_trials():
                if t.params == params or (t.system_attrs.get("fixed_params") == params):
                    return
        self._storage.create_trial(self._study_id, TrialState.WAITING, fixed_params=params, user_attrs=user_attrs)

    # ------------------------------------------------------------------ running
    def optimize(self, objective: ObjectiveFn, n_trials: int | None = None, timeout: float | None = None,
                 n_jobs: int = 1, catch: Sequence[type[BaseException]] | type[BaseException] = (),
                 callbacks: Sequence[Callable[["Study", FrozenTrial], None]] | None = None,
                 show_progress_bar: bool = False, executor: Any = None,
                 trial_timeout: float | None = None, gc_after_trial: bool = False) -> None:
        """Run ``objective`` on new trials until n_trials, timeout, stop() or an exhausted grid.

        An exception in the objective fails its trial (reason and traceback stored) and is raised
        again, as in Optuna; exception types in ``catch`` only fail the trial and the study goes on.
        ``timeout`` stops starting new trials; a running trial is not interrupted.  ``trial_timeout``
        (seconds) ends a trial that runs longer: its worker process is ended and the trial fails with
        the reason "timeout: ..." (this needs local worker processes, so a database storage).

        n_jobs > 1 runs workers in local processes when the storage is a database
        (threads for the in-memory storage); ``executor`` takes any
        concurrent.futures-style executor (Dask, Ray) instead.  Every worker follows
        the same recipe: callbacks run in the worker that ran the trial, and a
        callback's ``study.stop()`` stops all of them.  ``gc_after_trial`` runs the
        garbage collector after each trial (Optuna's option, for objectives that leak cycles).
        """
        catch = tuple(catch) if isinstance(catch, (list, tuple)) else (catch,)
        callbacks = list(callbacks or [])
        validate(_OPTIMIZE_CONSTRAINTS, {"objective": objective, "n_trials": n_trials, "timeout": timeout,
                                         "n_jobs": n_jobs, "trial_timeout": trial_timeout, "catch": catch,
                                         "callbacks": callbacks}, "Study.optimize")
        from tunelab.study._optimize import run_optimize

        run_optimize(self, objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                     catch=catch, callbacks=callbacks + ([_collect_garbage] if gc_after_trial else []),
                     show_progress_bar=show_progress_bar, executor=executor, trial_timeout=trial_timeout)

    def stop(self) -> None:
        """Ask optimize to start no new trial (call from a callback or another thread)."""
        self._stop.set()

    # ------------------------------------------------------------------ export
    def trials_dataframe(self, attrs: Sequence[str] | None = None, multi_index: bool = False) -> "pandas.DataFrame":
        """One row per trial: number, value(s), state, times, params_*, user_attrs_*.

        ``attrs`` (Optuna's) keeps only those columns, e.g. ("number", "value", "params");
        ``multi_index=True``: two-level columns such as ("params", "lr"), as in Optuna.
        """
        from tunelab.analysis.frame import trials_dataframe

        if isinstance(attrs, bool):  # trials_dataframe(True): the multi_index flag given by position
            attrs, multi_index = None, attrs
        if attrs is None:
            return trials_dataframe(self.get_trials(), self.directions, multi_index=multi_index)
        from tunelab.study._compat import select_trials_frame

        frame = trials_dataframe(self.get_trials(), self.directions)
        return select_trials_frame(frame, list(attrs), multi_index)

    def __repr__(self) -> str:
        return f"Study(name={self.study_name!r}, directions={[d.name.lower() for d in self.directions]})"


class _TrialLink:
    """The study's side of one live Trial (a :class:`tunelab.trial.TrialBackend`)."""

    def __init__(self, study: Study, trial_id: int, context: SamplingContext):
        self.study, self.trial_id, self._context = study, trial_id, context
        self._storage = study._storage

    def known_distribution(self, name: str) -> Distribution | None:
        with self.study._distributions_lock:
            return self.study._distributions.get(name)

    def sample(self, name: str, distribution: Distribution, params: dict[str, Any],
               distributions: dict[str, Distribution]) -> Any:
        self._context.params, self._context.distributions = params, distributions
        return self.study.sampler.sample_independent(self._context, name, distribution)

    def set_param(self, name: str, distribution: Distribution, value: Any) -> None:
        with self.study._distributions_lock:
            known = self.study._distributions.setdefault(name, distribution)
            if known != distribution:  # a range that moved (see space.incompatibility): the newest is the study's
                known = self.study._distributions[name] = distribution
        # the study's own object when equal: records that share it are cheaper to compare (TPE's history)
        self._storage.set_trial_param(self.trial_id, name, known, value)

    def set_intermediate_value(self, step: int, value: float) -> None:
        self._storage.set_trial_intermediate_value(self.trial_id, step, value)

    def set_attr(self, key: str, value: Any, system: bool) -> None:
        if system:
            self._storage.set_trial_system_attr(self.trial_id, key, value)
        else:
            self._storage.set_trial_user_attr(self.trial_id, key, value)

    def should_prune(self, trial: FrozenTrial) -> bool:
        pruner = self.study.pruner
        return pruner is not None and bool(pruner.prune(self._pruning_context(trial)))

    def budget(self, trial: FrozenTrial) -> float | None:
        pruner = self.study.pruner
        return None if pruner is None else pruner.budget(self._pruning_context(trial))

    def _pruning_context(self, trial: FrozenTrial) -> PruningContext:
        others = [t for t in self._storage.get_all_trials(self.study._study_id) if t.trial_id != self.trial_id]
        # with several objectives, reports are read in the first one's direction (docs/pruning.md)
        context = PruningContext(trial=trial, trials=others, direction=self.study.directions[0])
        context.study = self.study  # only for Optuna-style pruners' study views (pruners/_adapter.py)
        return context


_OPTIMIZE_CONSTRAINTS = {
    "objective": [Check(callable, "a callable taking a Trial")],
    "n_trials": [Interval(int, 1, None), None],
    "timeout": [Interval(float, 0, None, closed="neither"), None],
    "trial_timeout": [Interval(float, 0, None, closed="neither"), None],
    "n_jobs": [Interval(int, 1, None), Check(lambda v: v == -1, "-1 (one per CPU)")],
    "catch": [Check(lambda v: all(isinstance(c, type) and issubclass(c, BaseException) for c in v),
                    "an exception class or a sequence of them")],
    "callbacks": [Check(lambda v: all(callable(c) for c in v), "a sequence of callables (study, trial)")],
}

_CREATE_CONSTRAINTS = {
    "study_name": [str, None],
    "direction": [Check(lambda v: StudyDirection.parse(v) is not None, "'minimize' or 'maximize'"), None],
    "directions": [Check(lambda v: len(v) >= 1 and all(StudyDirection.parse(d) for d in v),
                         "a non-empty list of 'minimize'/'maximize'"), None],
    "seed": [Interval(int, 0, None), None],
    "load_if_exists": [bool],
}


def _tell_state(state: Any) -> TrialState:
    accepted = "'complete', 'pruned' or 'fail'"
    if state is None:
        return TrialState.COMPLETE
    try:
        final = TrialState.parse(state)
    except ValueError:
        raise ValueError(f"tell: state must be {accepted}; got {state!r}") from None
    if final not in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
        raise ValueError(f"tell: state must be {accepted}; got {final.name.lower()!r}")
    return final


def _count_mismatch(values: Any, n_objectives: int) -> bool:
    if values is None:
        return False
    return (len(values) if isinstance(values, (list, tuple)) else 1) != n_objectives


def create_study(name: str | None = None, storage: Any = None, direction: str | StudyDirection | None = None,
                 directions: Sequence[str | StudyDirection] | None = None, sampler: Any = "auto",
                 pruner: Any = None, seed: int | None = None, load_if_exists: bool = False,
                 constraints: ConstraintsFn | None = None, *, study_name: str | None = None) -> Study:
    """Create a study (or load it, with load_if_exists=True).

    storage: None keeps it in memory; a URL such as "sqlite:///tunelab.db" or
    "postgresql+psycopg://user@host/db" makes it durable and shareable.
    """
    name = name if name is not None else study_name
    if isinstance(name, str) and not name.strip():
        raise ValueError(f"create_study: 'study_name' must be a non-empty name, or None for a generated one; "
                         f"got {name!r}")
    validate(_CREATE_CONSTRAINTS, {"study_name": name, "direction": direction, "directions": directions,
                                   "seed": seed, "load_if_exists": load_if_exists}, "create_study")
    if direction is not None and directions is not None:
        raise ValueError("create_study: give 'direction' or 'directions', not both")
    dirs = [StudyDirection.parse(d) for d in (directions or [direction or "minimize"])]
    store = get_storage(storage)
    name = name or f"study-{uuid.uuid4().hex[:8]}"
    try:
        store.create_study(name, dirs)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"a study named {name!r} exists already in this storage; pass load_if_exists=True to continue it"
            ) from None
        stored = store.get_study_directions(store.get_study_id(name))
        if stored != dirs:
            raise ValueError(f"study {name!r} exists with directions {[d.name.lower() for d in stored]}, "
                             f"not {[d.name.lower() for d in dirs]}") from None
    return Study(name, store, sampler=sampler, pruner=pruner, seed=seed, constraints=constraints)


def load_study(name: str | None = None, storage: Any = None, sampler: Any = "auto", pruner: Any = None,
               seed: int | None = None, constraints: ConstraintsFn | None = None, *,
               study_name: str | None = None) -> Study:
    """Open an existing study, e.g. to continue it after a crash or from another machine."""
    name = name if name is not None else study_name
    if storage is None:
        raise ValueError("load_study: 'storage' is required (an in-memory study lives only in its own Study object)")
    store = get_storage(storage)
    if name is None:
        studies = store.list_studies()
        if len(studies) != 1:
            raise ValueError(f"load_study: 'name' is required when the storage holds {len(studies)} studies")
        name = studies[0].name
    return Study(name, store, sampler=sampler, pruner=pruner, seed=seed, constraints=constraints)


def _collect_garbage(study: Study, trial: FrozenTrial) -> None:
    import gc

    gc.collect()


def delete_study(name: str | None = None, storage: Any = None, *, study_name: str | None = None) -> None:
    """Delete a study and its trials (Optuna's ``study_name=`` keyword works too)."""
    name = name if name is not None else study_name
    if name is None or storage is None:
        raise ValueError("delete_study: 'name' (or 'study_name') and 'storage' are required")
    store = get_storage(storage)
    store.delete_study(store.get_study_id(name))
