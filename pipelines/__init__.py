"""Monitoring stage of the fraud-detection MLOps pipeline: Model Monitor parameters from the Model Registry."""

from pipelines.__version__ import __version__

__all__ = ["__version__"]
