"""Search methods for benchmarks/search.py: tunelab's samplers and the peers, behind one runner.

A runner takes (task, seed, n_trials) and returns a :class:`Run`: the loss of
every trial in order and the time the method itself spent (ask + suggest +
tell, objective excluded).  Peers run with their defaults.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from search_tasks import Task, config_key
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution


@dataclass
class Run:
    losses: list[float]
    overhead_s: float
    error: str | None = None
    repeats: int | None = None  # trials whose configuration an earlier trial of the run had (None: not counted)


def count_repeats(configs: list[dict[str, Any]]) -> int:
    """How many configurations in the list equal an earlier one."""
    return len(configs) - len({config_key(c) for c in configs})


def suggest_all(trial: Any, task: Task) -> dict[str, Any]:
    """Define-by-run suggestions of the task's space; works for tunelab and Optuna trials alike."""
    out: dict[str, Any] = {}
    for name, param in task.space.params.items():
        if not task.space.active(name, out):
            continue
        d = param.distribution
        if isinstance(d, FloatDistribution):
            out[name] = trial.suggest_float(name, d.low, d.high, log=d.log, step=d.step)
        elif isinstance(d, IntDistribution):
            out[name] = trial.suggest_int(name, d.low, d.high, log=d.log, step=d.step)
        else:
            out[name] = trial.suggest_categorical(name, list(d.choices))
    return out


def _ask_tell_loop(task: Task, n: int, ask: Callable[[], Any], tell: Callable[[Any, float], None],
                   params_of: Callable[[Any, Task], dict[str, Any]] = suggest_all) -> Run:
    losses, overhead, configs = [], 0.0, []
    for _ in range(n):
        t0 = time.perf_counter()
        trial = ask()
        params = params_of(trial, task)
        t1 = time.perf_counter()
        value = task(params)
        t2 = time.perf_counter()
        tell(trial, value)
        overhead += (t1 - t0) + (time.perf_counter() - t2)
        losses.append(value)
        configs.append(params)
    return Run(losses, overhead, repeats=count_repeats(configs))


def tunelab_runner(sampler: str) -> Callable[[Task, int, int], Run]:
    def run(task: Task, seed: int, n: int) -> Run:
        import tunelab

        study = tunelab.create_study(direction="minimize", sampler=sampler, seed=seed)
        return _ask_tell_loop(task, n, study.ask, study.tell)

    return run


def optuna_runner(kind: str) -> Callable[[Task, int, int], Run]:
    def run(task: Task, seed: int, n: int) -> Run:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        samplers = {"tpe": optuna.samplers.TPESampler, "gp": optuna.samplers.GPSampler,
                    "cmaes": optuna.samplers.CmaEsSampler, "random": optuna.samplers.RandomSampler}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = optuna.create_study(direction="minimize", sampler=samplers[kind](seed=seed))
            return _ask_tell_loop(task, n, study.ask, study.tell)

    return run


def hyperopt_run(task: Task, seed: int, n: int) -> Run:
    from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

    if any(p.when for p in task.space.params.values()):
        raise NotImplementedError("conditional spaces are not mapped to hyperopt here")
    space: dict[str, Any] = {}
    for name, param in task.space.params.items():
        d = param.distribution
        if isinstance(d, CategoricalDistribution):
            space[name] = hp.choice(name, list(d.choices))
        elif isinstance(d, IntDistribution):
            space[name] = (hp.qloguniform(name, math.log(d.low), math.log(d.high), 1) if d.log
                           else hp.quniform(name, d.low, d.high, d.step))
        elif d.log:
            space[name] = hp.loguniform(name, math.log(d.low), math.log(d.high))
        elif d.step is not None:
            space[name] = hp.quniform(name, d.low, d.high, d.step)
        else:
            space[name] = hp.uniform(name, d.low, d.high)
    losses: list[float] = []
    eval_time = [0.0]

    def objective(sample: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        params = {}
        for name, value in sample.items():
            d = task.space.params[name].distribution
            params[name] = value if isinstance(d, CategoricalDistribution) else d.clip(float(value))
        loss = task(params)
        losses.append(loss)
        eval_time[0] += time.perf_counter() - t0
        return {"loss": loss, "status": STATUS_OK}

    start = time.perf_counter()
    fmin(objective, space, algo=tpe.suggest, max_evals=n, trials=Trials(), rstate=np.random.default_rng(seed),
         show_progressbar=False)
    return Run(losses, time.perf_counter() - start - eval_time[0])


def skopt_run(task: Task, seed: int, n: int) -> Run:
    from skopt import Optimizer
    from skopt.space import Categorical, Integer, Real

    if any(p.when for p in task.space.params.values()):
        raise NotImplementedError("skopt has no conditional spaces")
    names = list(task.space.params)
    dims = []
    for name in names:
        d = task.space.params[name].distribution
        prior = "log-uniform" if getattr(d, "log", False) else "uniform"
        if isinstance(d, CategoricalDistribution):
            dims.append(Categorical(list(d.choices), name=name))
        elif isinstance(d, IntDistribution):
            dims.append(Integer(d.low, d.high, prior=prior, name=name))
        else:
            dims.append(Real(d.low, d.high, prior=prior, name=name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = Optimizer(dims, base_estimator="GP", random_state=seed)

        def ask() -> dict[str, Any]:
            x = opt.ask()
            return {k: (v.item() if hasattr(v, "item") else v) for k, v in zip(names, x)}

        def tell(x: dict[str, Any], value: float) -> None:
            opt.tell([x[k] for k in names], value)

        return _ask_tell_loop(task, n, ask, tell, params_of=lambda x, _task: x)


METHODS: dict[str, Callable[[Task, int, int], Run]] = {
    "auto": tunelab_runner("auto"),
    "tpe": tunelab_runner("tpe"),
    "gp": tunelab_runner("gp"),
    "cmaes": tunelab_runner("cmaes"),
    "qmc": tunelab_runner("qmc"),
    "random": tunelab_runner("random"),
    "optuna-tpe": optuna_runner("tpe"),
    "optuna-gp": optuna_runner("gp"),
    "optuna-cmaes": optuna_runner("cmaes"),
    "hyperopt-tpe": hyperopt_run,
    "skopt-gp": skopt_run,
}
# methods a tunelab sampler is compared against ("the best peer"); random counts as a peer
PEERS = ["optuna-tpe", "optuna-gp", "optuna-cmaes", "hyperopt-tpe", "skopt-gp", "random"]
TUNELAB_SAMPLERS = {"auto", "tpe", "gp", "cmaes", "qmc", "random"}


def method_runner(method: str) -> Callable[[Task, int, int], Run]:
    """The runner for a method name; ``auto:n_startup=5,gp_until=100`` runs AutoSampler with those options.

    Options may also be joined by ``+`` (``auto:n_startup=5+gp_until=100``), for lists of methods split on commas.
    """
    if ":" not in method:
        return METHODS[method]
    base, _, options = method.partition(":")
    if base != "auto":
        raise ValueError(f"only 'auto' takes options; got {method!r}")
    kwargs: dict[str, Any] = {}
    for item in options.replace("+", ",").split(","):
        key, _, value = item.partition("=")
        kwargs[key] = float(value) if "." in value else int(value)

    def run(task: Task, seed: int, n: int) -> Run:
        import tunelab
        from tunelab.samplers.auto import AutoSampler

        study = tunelab.create_study(direction="minimize", sampler=AutoSampler(seed=seed, **kwargs))
        return _ask_tell_loop(task, n, study.ask, study.tell)

    return run


def available(method: str) -> str | None:
    """None if the method can run here, else why not (a sampler not landed yet, a peer not installed)."""
    import importlib

    method = method.split(":")[0]
    try:
        if method in TUNELAB_SAMPLERS:
            from tunelab.samplers import load_sampler_class

            load_sampler_class(method)
        elif method.startswith("optuna"):
            importlib.import_module("optuna")
        elif method.startswith("hyperopt"):
            importlib.import_module("hyperopt")
        elif method.startswith("skopt"):
            importlib.import_module("skopt")
        else:
            return "unknown method"
    except Exception as exc:  # ImportError, or a broken module of a sampler being written
        return f"{type(exc).__name__}: {exc}"
    return None
