"""Glue to other libraries: scikit-learn (``SearchCV``), PyTorch Lightning, Dask and Ray.

Each module imports its library only when it is itself imported, so nothing
here runs at ``import tunelab``; import the module you need, e.g.
``from tunelab.integration.sklearn import SearchCV``.
"""
