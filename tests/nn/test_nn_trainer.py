"""The trainer and the default space: conditionals, reproducibility, repeats, pruning, budgets, divergence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tunelab
from nn_helpers import SMALL_CONFIG
from tunelab.nn.objective import NNObjective
from tunelab.nn.search_space import SpaceOptions, default_space
from tunelab.nn.trainer import TrainingDiverged, train
from tunelab.pruners import BasePruner

SGD_KEYS = {"sgd_lr", "sgd_momentum", "sgd_nesterov", "sgd_weight_decay"}
ADAM_KEYS = {"adam_lr", "adam_beta1", "adam_beta2", "adam_eps", "adam_weight_decay"}


def test_optimizer_children_exist_only_with_their_optimizer():
    study = tunelab.create_study(sampler="random", seed=3)
    configs = []
    study.optimize(lambda t: configs.append(default_space(t)) or 0.0, n_trials=60)
    seen = set()
    for trial, cfg in zip(study.trials, configs):
        keys = set(trial.params)
        seen.add(trial.params["optimizer"])
        if trial.params["optimizer"] == "sgd":
            assert SGD_KEYS <= keys and not keys & ADAM_KEYS
            assert cfg["lr"] == trial.params["sgd_lr"] and "betas" not in cfg
        else:
            assert ADAM_KEYS <= keys and not keys & SGD_KEYS
            assert cfg["betas"] == (trial.params["adam_beta1"], trial.params["adam_beta2"])
        assert ("step_gamma" in keys) == (trial.params["schedule"] == "step")
        assert "epochs" not in keys and cfg["epochs"] == 20
    assert seen == {"sgd", "adam", "adamw"}


def test_space_options_epochs_range_lr_ranges_and_errors():
    opts = SpaceOptions(epochs=(3, 7), optimizers=("sgd",), lr={"sgd": (0.01, 0.1)}, model="cnn")
    cfg = default_space(tunelab.FixedTrial({"conv_layers": 1, "channels": 8, "width": 32, "activation": "relu",
                                            "dropout": 0.0, "batch_norm": False, "optimizer": "sgd",
                                            "sgd_lr": 0.05, "sgd_momentum": 0.9, "sgd_nesterov": True,
                                            "sgd_weight_decay": 1e-4, "batch_size": 32, "epochs": 5,
                                            "schedule": "none"}), opts)
    assert cfg["epochs"] == 5 and cfg["model"] == "cnn" and cfg["lr"] == 0.05
    with pytest.raises(ValueError, match="outside"):  # the lr range is applied
        default_space(tunelab.FixedTrial({"conv_layers": 1, "channels": 8, "width": 32, "activation": "relu",
                                          "dropout": 0.0, "batch_norm": False, "optimizer": "sgd",
                                          "sgd_lr": 0.5}), opts)
    with pytest.raises(ValueError, match="'optimizers' must be a non-empty subset"):
        SpaceOptions(optimizers=("rmsprop",))
    with pytest.raises(ValueError, match="lr range for 'adam'"):
        SpaceOptions(lr={"adam": (0.1, 0.01)})
    with pytest.raises(ValueError, match="'epochs' must be an int >= 1"):
        SpaceOptions(epochs=0)


def test_same_seed_gives_identical_metrics_and_another_seed_differs(iris):
    a = train(SMALL_CONFIG, iris, seed=5)
    b = train(SMALL_CONFIG, iris, seed=5)
    c = train(SMALL_CONFIG, iris, seed=6)
    assert [h["val_loss"] for h in a.runs[0].history] == [h["val_loss"] for h in b.runs[0].history]
    assert a.value == b.value
    assert [h["val_loss"] for h in a.runs[0].history] != [h["val_loss"] for h in c.runs[0].history]


def test_repeats_are_independent_seeds_and_the_value_is_their_mean(iris):
    one = train(SMALL_CONFIG, iris, seed=0)
    three = train(SMALL_CONFIG, iris, seed=0, repeats=3)
    assert three.values[0] == one.value  # seed 0 trains the same whether or not seeds 1 and 2 run beside it
    assert [r.seed for r in three.runs] == [0, 1, 2]
    assert three.value == pytest.approx(np.mean(three.values))
    assert three.runs[1].history[0]["val_loss"] != three.runs[0].history[0]["val_loss"]


def test_global_rng_is_restored(iris):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train(SMALL_CONFIG, iris, seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_digits_mlp_and_cnn_learn(digits):
    mlp = train({**SMALL_CONFIG, "width": 64, "epochs": 3}, digits)
    cnn = train({**SMALL_CONFIG, "model": "cnn", "conv_layers": 1, "channels": 8, "epochs": 2,
                 "schedule": "cosine"}, digits)
    assert mlp.value > 0.9 and cnn.value > 0.8
    assert mlp.architecture["model"] == "mlp" and cnn.architecture["image_shape"] == [1, 8, 8]


def test_regression_metric_is_on_the_original_scale():
    from tunelab.nn.data import load_dataset

    data = load_dataset("diabetes")
    res = train({**SMALL_CONFIG, "epochs": 15, "lr": 1e-2, "schedule": "step", "step_gamma": 0.5}, data)
    baseline = float(np.sqrt(np.mean((data.y_val - data.y_train.mean()) ** 2)))
    assert res.direction == "minimize" and res.metric == "rmse"
    assert 30 < res.value < baseline  # diabetes targets are in the hundreds; the net beats the mean


def test_early_stopping_on_validation_loss(iris):
    res = train({**SMALL_CONFIG, "epochs": 200, "lr": 5e-2}, iris, patience=2)
    assert res.runs[0].stopped_early and res.epochs_run < 200
    assert res.value == max(h["accuracy"] for h in res.runs[0].history)


def test_divergence_fails_with_a_clear_error(iris):
    with pytest.raises(TrainingDiverged, match="the learning rate 1e\\+30 is probably too high"):
        train({**SMALL_CONFIG, "optimizer": "sgd", "lr": 1e30, "momentum": 0.9}, iris)


class PruneAfter(BasePruner):
    """Prunes every trial but the first at ``step``; counts its calls."""

    def __init__(self, step: int, budget: float | None = None):
        self.step, self._budget, self.calls = step, budget, []

    def prune(self, context):
        self.calls.append(context.trial.last_step)
        return context.trial.number > 0 and context.trial.last_step >= self.step

    def budget(self, context):
        return self._budget


def test_pruner_stops_trials_and_keeps_their_curve(iris):
    pruner = PruneAfter(2)
    study = tunelab.create_study(direction="maximize", sampler="random", pruner=pruner, seed=0)
    objective = NNObjective(iris, SpaceOptions(epochs=5), repeats=2, device="cpu")
    study.optimize(objective, n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [tunelab.TrialState.COMPLETE, tunelab.TrialState.PRUNED, tunelab.TrialState.PRUNED]
    pruned = study.trials[1]
    assert sorted(pruned.intermediate_values) == [1, 2]
    assert pruned.user_attrs["epochs_run"] == 2 and len(pruned.user_attrs["repeat_values"]) == 2
    assert pruned.intermediate_values[2] == pytest.approx(np.mean(pruned.user_attrs["repeat_values"]))
    assert {t.user_attrs["device"] for t in study.trials} == {"cpu"}  # where each trial trained, pruned ones too


def test_pruner_is_asked_only_at_the_budget_it_hands_out(iris):
    pruner = PruneAfter(99, budget=3)
    study = tunelab.create_study(direction="maximize", sampler="random", pruner=pruner, seed=0)
    study.optimize(NNObjective(iris, SpaceOptions(epochs=4), patience=None, device="cpu"), n_trials=1)
    assert pruner.calls == [3, 4]


def test_asha_prunes_a_bad_configuration_and_keeps_a_good_one(digits):
    good = {"layers": 1, "width": 64, "activation": "relu", "dropout": 0.0, "batch_norm": False,
            "optimizer": "adam", "adam_lr": 3e-3, "adam_beta1": 0.9, "adam_beta2": 0.999, "adam_eps": 1e-8,
            "adam_weight_decay": 1e-6, "batch_size": 64, "schedule": "none"}
    bad = {**good, "optimizer": "sgd", "sgd_lr": 1e-3, "sgd_momentum": 0.0, "sgd_nesterov": False,
           "sgd_weight_decay": 1e-6}
    for key in ("adam_lr", "adam_beta1", "adam_beta2", "adam_eps", "adam_weight_decay"):
        bad.pop(key)
    study = tunelab.create_study(direction="maximize", pruner="asha", seed=0)
    study.enqueue_trial(good)
    study.enqueue_trial(bad)
    study.optimize(NNObjective(digits, SpaceOptions(epochs=3), device="cpu"), n_trials=2)
    first, second = study.trials
    assert first.state == tunelab.TrialState.COMPLETE and first.value > 0.9
    assert second.state == tunelab.TrialState.PRUNED and list(second.intermediate_values) == [1]


def test_objective_validates_its_arguments(iris):
    with pytest.raises(ValueError, match="argument 'repeats'"):
        NNObjective(iris, repeats=0)
    with pytest.raises(ValueError, match="argument 'device'"):
        NNObjective(iris, device="tpu")
    assert NNObjective(iris).direction == "maximize"


def test_train_loss_is_the_row_weighted_mean_of_the_batch_losses(iris):
    # with lr 0 and no dropout the weights never move, so the epoch's training loss (the size-weighted mean of
    # its batch losses, summed on the device) must equal the loss over all training rows at once
    config = {**SMALL_CONFIG, "optimizer": "sgd", "lr": 0.0, "dropout": 0.0, "batch_size": 32, "epochs": 2}
    assert len(iris.y_train) % 32 not in (0, 1)  # a short last batch, so the weighting matters
    result = train(config, iris, seed=3, patience=None)
    model = result.runs[0].model
    with torch.no_grad():
        logits = model(torch.as_tensor(iris.X_train))
        expected = float(torch.nn.functional.cross_entropy(logits, torch.as_tensor(iris.y_train, dtype=torch.long)))
    history = result.runs[0].history
    assert [h["train_loss"] for h in history] == pytest.approx([expected, expected], rel=1e-5)
