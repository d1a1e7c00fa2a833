"""The sampler contract: pure logic over (space, trials so far, rng).

A sampler never touches storage.  For each new trial the study builds one
:class:`SamplingContext` (a snapshot of the other trials) and asks the sampler,
in this order:

1. ``infer_relative_space(context)``: the parameters it wants to sample jointly
   (for a model over the whole space; ``{}`` for independent samplers);
2. ``sample_relative(context, space)``: values for those parameters;
3. ``sample_independent(context, name, distribution)``: for every other
   parameter the objective asks for, one at a time (define-by-run).

``after_trial`` is a hook for samplers that keep state between trials (CMA-ES).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from tunelab.space import CategoricalDistribution, Distribution, IntDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


class SearchExhausted(Exception):
    """The sampler has nothing left to propose (every grid point is taken): the study stops."""


@dataclass
class SamplingContext:
    """What a sampler may see while it proposes the values of one trial.

    ``trials`` (every other trial of the study, any state, ordered by number) is
    read from storage the first time a sampler looks at it, so samplers that
    never look (random) cost no read.  ``params`` holds the values the current
    trial has so far.  ``claim`` and ``enqueue`` are the two study-wide,
    atomic actions a sampler may ask for (the grid sampler uses them).
    """

    load_trials: Callable[[], Sequence[FrozenTrial]]
    directions: Sequence[StudyDirection]
    trial_number: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    claim: Callable[[str], bool] = lambda key: True
    enqueue: Callable[[dict[str, Any]], None] = lambda params: None
    _trials: Sequence[FrozenTrial] | None = field(default=None, repr=False)

    @property
    def trials(self) -> Sequence[FrozenTrial]:
        if self._trials is None:
            self._trials = self.load_trials()
        return self._trials

    def finished(self, states: Sequence[TrialState] = (TrialState.COMPLETE,)) -> list[FrozenTrial]:
        return [t for t in self.trials if t.state in states]

    def running(self) -> list[FrozenTrial]:
        return [t for t in self.trials if t.state == TrialState.RUNNING]

    @property
    def direction(self) -> StudyDirection:
        return self.directions[0]


_RLOCK_TYPE = type(threading.RLock())
_LOCK_TYPES = (type(threading.Lock()), _RLOCK_TYPE)


@dataclass(frozen=True)
class _LockMarker:
    reentrant: bool

    def make(self) -> Any:
        return threading.RLock() if self.reentrant else threading.Lock()


class BaseSampler:
    """Independent uniform sampling by default; subclasses override what they model."""

    def __init__(self, seed: int | None = None):
        self._seed = seed
        self._rng_stream: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _adapter.adapt(cls)  # Optuna-style (study, trial) methods run unchanged (see samplers/_adapter.py)

    @property
    def _rng(self) -> Any:
        """This sampler's numpy Generator, made on first use (so ``import tunelab`` needs no numpy)."""
        if self._rng_stream is None:
            import numpy as np

            self._rng_stream = np.random.default_rng(self._seed)
        return self._rng_stream

    def reseed(self, seed: int | None) -> None:
        """Give a copy of this sampler its own stream (each parallel worker calls this)."""
        self._seed = seed
        self._rng_stream = None

    def __getstate__(self) -> dict[str, Any]:
        # Locks guard this process's threads only: a copy (worker thread, pickled for a
        # process or cluster worker) gets fresh ones of the same kind.
        return {k: (_LockMarker(isinstance(v, _RLOCK_TYPE)) if isinstance(v, _LOCK_TYPES) else v)
                for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({k: (v.make() if isinstance(v, _LockMarker) else v) for k, v in state.items()})

    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        return {}

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        return {}

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        if distribution.single():
            return distribution.from_unit(0.5)
        return distribution.from_unit(self._rng.random())

    def before_trial(self, context: SamplingContext) -> None:
        """Called before each ask takes a trial; may enqueue configurations (the grid does)."""

    def is_exhausted(self, context: SamplingContext) -> bool:
        """True when, with no enqueued trial left, there is nothing new to propose: the study stops."""
        return False

    def after_trial(self, context: SamplingContext, trial: FrozenTrial) -> None:
        """Called once a trial this process asked for has finished."""


from tunelab.samplers import _adapter  # noqa: E402  (it needs BaseSampler's methods defined)

_adapter.install(BaseSampler, SamplingContext)


def intersection_space(trials: Sequence[FrozenTrial]) -> dict[str, Distribution]:
    """Parameters present, with the same distribution, in every given trial."""
    space: dict[str, Distribution] | None = None
    for t in trials:
        if space is None:
            space = dict(t.distributions)
        else:
            space = {k: d for k, d in space.items() if t.distributions.get(k) == d}
    return {k: d for k, d in (space or {}).items() if not d.single()}


_UNSET = object()  # stands for a parameter a trial does not have


def is_discrete(dist: Distribution) -> bool:
    """Whether the distribution has finitely many values (an int, a stepped float or a categorical)."""
    return isinstance(dist, (CategoricalDistribution, IntDistribution)) or getattr(dist, "step", None) is not None


class TriedConfigurations:
    """The values of given parameters in every trial that has parameters, as tuples: what a proposal
    on a discrete space must not repeat.

    Kept between asks: a finished trial never changes, so its tuple is made once (storages
    hand out the same object for it); running trials are read again each time. Safe to share
    between the threads of a study that asks from several.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: tuple[str, ...] = ()
        self._seen: dict[int, FrozenTrial] = {}  # id -> the finished trial whose tuple is in _finished
        self._finished: set[tuple] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {}  # trial identities mean nothing in another process: a copy starts empty

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def of(self, trials: Sequence[FrozenTrial], names: Sequence[str]) -> Callable[[tuple], bool]:
        """A test: whether a tuple of values of ``names`` (in that order) is one of the trials'."""
        names = tuple(names)
        running: set[tuple] = set()
        with self._lock:
            if names != self._names or len(self._seen) > 2 * len(trials):  # another space, or copies of trials
                self._names, self._seen, self._finished = names, {}, set()
            seen, finished = self._seen, self._finished
            for t in trials:
                if seen.get(id(t)) is t or not t.params:
                    continue
                key = tuple(t.params.get(n, _UNSET) for n in names)
                if t.state.is_finished():
                    seen[id(t)] = t
                    finished.add(key)
                else:
                    running.add(key)
        return lambda key: key in finished or key in running
