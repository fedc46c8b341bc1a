"""The way to the JVM: sparkdp's classes through the active SparkSession's Py4J gateway, and the
epoch lines of a fit shown as they come."""

import threading

from py4j.java_gateway import JavaClass
from py4j.protocol import Py4JJavaError

from pyspark import SparkContext
from pyspark.sql.utils import is_remote

CONNECT = ("sparkdp.Sequential, load_model and read_data need a classic session (Py4J), which Spark Connect has not: on "
           "Spark Connect use sparkdp.SequentialEstimator(layers=[...], loss=..., epochs=...).fit(df), "
           "spark.read for the data")


def context():
    """The running SparkContext (the session may be another thread's: a JVM thread-local)."""
    if is_remote():
        raise RuntimeError(CONNECT)
    sc = SparkContext._active_spark_context
    if sc is None:
        raise RuntimeError("no SparkContext: start Spark first (SparkSession.builder.getOrCreate())")
    return sc


def ml():
    """The JVM package org.sparkdp.ml, checked to be on the classpath."""
    jvm = context()._jvm
    if not isinstance(jvm.org.sparkdp.ml.Bridge, JavaClass):
        raise RuntimeError(
            "sparkdp's jar is not on Spark's classpath: start Spark with --jars sparkdp-jobs-...-app.jar "
            "(or spark.jars), the app jar of this Spark line")
    try:
        jvm.org.sparkdp.driver.SparkLine.check()
    except Py4JJavaError as e:  # a jar of another Spark line: say which to use
        raise RuntimeError(e.java_exception.getMessage()) from None
    return jvm.org.sparkdp.ml


def sequential_class():
    """The JVM class org.sparkdp.Sequential."""
    ml()
    return context()._jvm.org.sparkdp.Sequential


def with_progress(call, verbose):
    """Runs ``call(progress)`` (a JVM call that trains) on a thread of its own and prints the epoch lines
    that the JVM collects in ``progress`` while it runs: the JVM's standard output does not reach a
    notebook cell, the printing of this (the calling) thread does."""
    progress = ml().ProgressLines() if verbose else None
    outcome = {}

    def run():
        try:
            outcome["value"] = call(progress)
        except BaseException as e:  # handed to the calling thread
            outcome["error"] = e

    worker = threading.Thread(target=run, name="sparkdp-fit", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
            _show(progress)
    except KeyboardInterrupt:
        context().cancelAllJobs()
        raise
    _show(progress)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _show(progress):
    if progress is not None:
        text = progress.poll()
        if text:
            print(text, end="", flush=True)
