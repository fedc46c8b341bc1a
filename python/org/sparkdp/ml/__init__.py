"""The JVM class names of sparkdp's ML stages, for PySpark's loading of saved Pipelines: see sparkdp.ml."""

from sparkdp.ml import SequentialEstimator, SequentialModel

__all__ = ["SequentialEstimator", "SequentialModel"]
