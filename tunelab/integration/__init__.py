"""Adapters to other libraries: scikit-learn (``sklearn``: SearchCV), PyTorch Lightning (``lightning``), Ray
(``ray``); each module imports its library on use, so import the one you need, e.g.
``from tunelab.integration.sklearn import SearchCV``."""
