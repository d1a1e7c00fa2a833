"""The former home of SearchCV, kept so existing imports work: see :mod:`tunelab.integration.sklearn`."""

from tunelab.integration.sklearn import SearchCV

__all__ = ["SearchCV"]
