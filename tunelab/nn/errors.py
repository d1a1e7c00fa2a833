"""Errors of the neural-network tools."""

from __future__ import annotations


class DataError(ValueError):
    """A data set that cannot be used as given; the message names the file, column or row at fault."""
