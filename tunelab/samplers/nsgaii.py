"""Optuna's ``optuna.samplers.nsgaii`` crossover names, for ``NSGAIISampler(crossover=...)``.

tunelab's NSGA-II has uniform and simulated binary (SBX) crossover; the other
names are accepted and fall back to uniform crossover with a warning (see
``NSGAIISampler``).
"""

from __future__ import annotations

__all__ = ["BLXAlphaCrossover", "BaseCrossover", "SBXCrossover", "SPXCrossover", "UNDXCrossover", "UniformCrossover",
           "VSBXCrossover"]


class BaseCrossover:
    """A crossover operator chosen by name; its arguments are kept for repr."""

    def __init__(self, **kwargs: object):
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.kwargs.items())})"


class UniformCrossover(BaseCrossover):
    def __init__(self, swapping_prob: float = 0.5):
        super().__init__(swapping_prob=swapping_prob)


class SBXCrossover(BaseCrossover):
    def __init__(self, eta: float | None = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5):
        super().__init__(eta=eta, uniform_crossover_prob=uniform_crossover_prob,
                         use_child_gene_prob=use_child_gene_prob)


class BLXAlphaCrossover(BaseCrossover):
    def __init__(self, alpha: float = 0.5):
        super().__init__(alpha=alpha)


class SPXCrossover(BaseCrossover):
    def __init__(self, epsilon: float | None = None):
        super().__init__(epsilon=epsilon)


class UNDXCrossover(BaseCrossover):
    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None):
        super().__init__(sigma_xi=sigma_xi, sigma_eta=sigma_eta)


class VSBXCrossover(BaseCrossover):
    def __init__(self, eta: float | None = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5):
        super().__init__(eta=eta, uniform_crossover_prob=uniform_crossover_prob,
                         use_child_gene_prob=use_child_gene_prob)
