"""Optuna's ``optuna.terminator.improvement`` import path: how much better the best may still get."""
