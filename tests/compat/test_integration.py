"""Optuna's integration callbacks under tunelab.integration, each driven by its real library."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pytest

import tunelab
from tunelab.pruners import BasePruner
from tunelab.pruners.base import PruningContext


class PruneFrom(BasePruner):
    """Prunes once a trial has reported step ``step`` (if ``numbers`` holds the trial's number)."""

    def __init__(self, step: int, numbers: tuple[int, ...] = (0,)):
        self.step, self.numbers = step, numbers

    def prune(self, context: PruningContext) -> bool:
        last = context.trial.last_step
        return context.trial.number in self.numbers and last is not None and last >= self.step


def _data() -> tuple:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0)


def test_lightgbm_pruning_callback_reports_every_round_and_prunes() -> None:
    lgb = pytest.importorskip("lightgbm")
    from tunelab.integration.lightgbm import LightGBMPruningCallback

    tx, vx, ty, vy = _data()
    recorded: list[dict] = []

    def objective(trial: tunelab.Trial) -> float:
        params = {"objective": "binary", "metric": "auc", "verbosity": -1, "num_threads": 1,
                  "num_leaves": trial.suggest_int("num_leaves", 4, 16)}
        evals: dict = {}
        recorded.append(evals)
        booster = lgb.train(params, lgb.Dataset(tx, label=ty), num_boost_round=8,
                            valid_sets=[lgb.Dataset(vx, label=vy)],
                            callbacks=[lgb.record_evaluation(evals), LightGBMPruningCallback(trial, "auc")])
        return float(booster.best_score["valid_0"]["auc"] if booster.best_score else evals["valid_0"]["auc"][-1])

    study = tunelab.create_study(direction="maximize", pruner=PruneFrom(3), sampler=tunelab.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=2)
    pruned, complete = study.trials
    assert pruned.state == tunelab.TrialState.PRUNED and sorted(pruned.intermediate_values) == [0, 1, 2, 3]
    assert complete.state == tunelab.TrialState.COMPLETE and len(complete.intermediate_values) == 8
    assert [complete.intermediate_values[i] for i in range(8)] == pytest.approx(recorded[1]["valid_0"]["auc"])
    with pytest.raises(ValueError, match="maximizes but LightGBM's 'binary_logloss'"):
        cb = LightGBMPruningCallback(study.ask(), "binary_logloss")
        lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1}, lgb.Dataset(tx, label=ty), 2,
                  valid_sets=[lgb.Dataset(vx, label=vy)], callbacks=[cb])
    with pytest.raises(ValueError, match="no metric 'nope'"):
        lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1}, lgb.Dataset(tx, label=ty), 2,
                  valid_sets=[lgb.Dataset(vx, label=vy)], callbacks=[LightGBMPruningCallback(study.ask(), "nope")])


def test_xgboost_pruning_callback_reports_every_round_and_prunes() -> None:
    xgb = pytest.importorskip("xgboost")
    from tunelab.integration.xgboost import XGBoostPruningCallback

    tx, vx, ty, vy = _data()
    dtrain, dvalid = xgb.DMatrix(tx, label=ty), xgb.DMatrix(vx, label=vy)
    logs: list[dict] = []

    def objective(trial: tunelab.Trial) -> float:
        params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1,
                  "max_depth": trial.suggest_int("max_depth", 2, 4)}
        evals_result: dict = {}
        logs.append(evals_result)
        xgb.train(params, dtrain, num_boost_round=6, evals=[(dvalid, "validation")], evals_result=evals_result,
                  verbose_eval=False, callbacks=[XGBoostPruningCallback(trial, "validation-logloss")])
        return evals_result["validation"]["logloss"][-1]

    study = tunelab.create_study(pruner=PruneFrom(2), sampler=tunelab.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=2)
    pruned, complete = study.trials
    assert pruned.state == tunelab.TrialState.PRUNED and sorted(pruned.intermediate_values) == [0, 1, 2]
    assert [complete.intermediate_values[i] for i in range(6)] == pytest.approx(logs[1]["validation"]["logloss"])
    with pytest.raises(ValueError, match="'<evals name>-<metric>'"):
        XGBoostPruningCallback(study.ask(), "logloss")


def test_lightning_pruning_callback_reports_each_validation_epoch_and_prunes() -> None:
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("pytorch_lightning")
    from tunelab.integration.lightning import PyTorchLightningPruningCallback

    class Model(pl.LightningModule):
        def __init__(self, lr: float):
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)
            self.lr = lr

        def training_step(self, batch: Any, idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def validation_step(self, batch: Any, idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.lr)

    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    data = torch.utils.data.TensorDataset(x, x.sum(dim=1, keepdim=True))
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    seen: list[list[float]] = []

    def objective(trial: tunelab.Trial) -> float:
        model = Model(trial.suggest_float("lr", 1e-3, 1e-1, log=True))
        callback = PyTorchLightningPruningCallback(trial, monitor="val_loss")
        values: list[float] = []
        seen.append(values)

        class Record(pl.Callback):
            def on_validation_end(self, trainer: Any, module: Any) -> None:
                if not trainer.sanity_checking:
                    values.append(float(trainer.callback_metrics["val_loss"]))

        trainer = pl.Trainer(max_epochs=4, callbacks=[Record(), callback], logger=False, enable_progress_bar=False,
                             enable_checkpointing=False, enable_model_summary=False, accelerator="cpu")
        trainer.fit(model, loader, loader)
        return float(trainer.callback_metrics["val_loss"])

    study = tunelab.create_study(pruner=PruneFrom(1), sampler=tunelab.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=2)
    pruned, complete = study.trials
    # steps are epochs counted from 1, as tunelab's trainer reports them
    assert pruned.state == tunelab.TrialState.PRUNED and sorted(pruned.intermediate_values) == [1]
    assert complete.state == tunelab.TrialState.COMPLETE
    assert [complete.intermediate_values[i] for i in range(1, 5)] == pytest.approx(seen[1])


def test_mlflow_callback_logs_a_run_per_trial_nested_under_the_study_run(tmp_path: Any) -> None:
    pytest.importorskip("mlflow")
    import mlflow

    from tunelab.integration.mlflow import MLflowCallback

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    callback = MLflowCallback(tracking_uri=uri, metric_name="loss")

    def objective(trial: tunelab.Trial) -> float:
        x = trial.suggest_float("x", -2, 2)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        trial.set_user_attr("note", f"n{trial.number}")
        for step in range(3):
            trial.report(x * x + 1 - step * 0.1, step)
        if trial.number == 1:
            raise tunelab.TrialPruned()
        return x * x + (kind == "b")

    study = tunelab.create_study(study_name="ml", sampler=tunelab.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=3, callbacks=[callback])
    study.optimize(objective, n_trials=1, callbacks=[MLflowCallback(tracking_uri=uri, metric_name="loss")])
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("ml")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = {int(r.data.tags["tunelab.trial_number"]): r for r in runs if "mlflow.parentRunId" in r.data.tags}
    assert len(parents) == 1 and parents[0].info.run_name == "ml"  # a second callback reuses the study's run
    assert sorted(children) == [0, 1, 2, 3]
    for t in study.trials:
        run = children[t.number]
        assert run.data.tags["mlflow.parentRunId"] == parents[0].info.run_id
        assert run.data.params == {"x": str(t.params["x"]), "kind": t.params["kind"]}
        assert run.data.tags["note"] == f"n{t.number}" and run.data.tags["state"] == t.state.name
        history = client.get_metric_history(run.info.run_id, "loss_intermediate")
        assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(
            [t.intermediate_values[s] for s in range(3)])
    # a pruned trial keeps its last report as its value (tunelab, as Optuna)
    assert children[1].info.status == "KILLED" and children[1].data.metrics["loss"] == study.trials[1].value
    assert children[0].data.metrics["loss"] == pytest.approx(study.trials[0].value)
    assert children[2].info.status == "FINISHED"


def test_tensorboard_callback_writes_hparams_and_curves(tmp_path: Any) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    from tunelab.integration.tensorboard import TensorBoardCallback

    def objective(trial: tunelab.Trial) -> float:
        x = trial.suggest_float("x", -2, 2)
        opt = trial.suggest_categorical("opt", ["sgd", "adam"])
        for step in range(3):
            trial.report(x + step, step)
        return x * x + (opt == "adam")

    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=2, callbacks=[TensorBoardCallback(str(tmp_path), "loss")])
    assert sorted(os.listdir(tmp_path)) == ["trial-0", "trial-1"]
    for t in study.trials:
        acc = EventAccumulator(str(tmp_path / f"trial-{t.number}"))
        acc.Reload()
        curve = [e.value for e in acc.Scalars("loss/intermediate")]
        assert curve == pytest.approx([t.intermediate_values[s] for s in range(3)], rel=1e-6)
        assert [e.value for e in acc.Scalars("loss")] == pytest.approx([t.value], rel=1e-6)
        content = acc.PluginTagToContent("hparams")
        info = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
        hp = info.session_start_info.hparams
        assert math.isclose(hp["x"].number_value, t.params["x"], rel_tol=1e-6)
        assert hp["opt"].string_value == t.params["opt"]
        experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
        opt_info = next(h for h in experiment.hparam_infos if h.name == "opt")
        assert sorted(v.string_value for v in opt_info.domain_discrete.values) == ["adam", "sgd"]
    assert np.isfinite(study.best_value)


def test_optunas_integration_names_resolve_from_the_package() -> None:
    from tunelab import integration

    for name in ("LightGBMPruningCallback", "XGBoostPruningCallback", "PyTorchLightningPruningCallback",
                 "MLflowCallback", "TensorBoardCallback"):
        assert getattr(integration, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        integration.Nope  # noqa: B018
