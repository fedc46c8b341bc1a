package org.sparkdp.driver;

import org.apache.spark.api.java.JavaSparkContext;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Network;

/**
 * What every strategy's {@link Steps} work with in one fit: the Spark context, the network, the
 * compile settings, the fit's options, the counters of what the steps cost, and the fit's stop
 * request.
 */
record FitContext(
    JavaSparkContext jsc,
    Network network,
    CompileConfig compile,
    FitOptions options,
    StepStats stats,
    FitStop stop) {}
