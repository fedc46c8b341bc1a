"""Data files read as ``bin/sparkdp`` reads them (sparkdp's own readers in the JVM, which name a bad file, line
or column): CSV, LibSVM, Parquet and IDX, into a DataFrame with ``features`` and ``label``."""

from pyspark.sql import DataFrame, SparkSession

from sparkdp import _jvm


def read_data(path, input_dim=0, spark=None):
    """``path`` as ``bin/sparkdp train --train PATH`` takes it: a ``.csv`` (a header row; the column ``label``
    and every other column a feature), ``.parquet``, ``.libsvm`` (``input_dim`` features), ``idx:IMAGES,LABELS``
    or an IDX images file whose labels file is named alike (pixels divided by 255)."""
    spark = spark or SparkSession.builder.getOrCreate()
    jvm = _jvm.ml() and spark.sparkContext._jvm
    source = jvm.org.sparkdp.jobs.DataSource.fromPath(path, "data")
    return DataFrame(jvm.org.sparkdp.jobs.Readers.read(spark._jsparkSession, source, "data", input_dim), spark)
