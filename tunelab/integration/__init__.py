"""Adapters to other libraries (scikit-learn, Ray, ...); each module imports its library on use."""
