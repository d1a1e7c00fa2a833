"""Uniform random search (log-uniform where the space says log)."""

from tunelab.samplers.base import BaseSampler


class RandomSampler(BaseSampler):
    """Each parameter drawn independently and uniformly on its unit scale."""
