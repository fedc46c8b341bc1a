package org.sparkdp.driver;

import org.apache.spark.api.java.JavaSparkContext;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Penalty;
import org.sparkdp.ops.Totals;

/**
 * What every strategy's {@link Steps} work with in one fit: the Spark context, the network, the
 * compile settings, the fit's options, the counters of what the steps cost, the penalty on the
 * parameters that every step adds to the loss (the layers' regularizers and an ownership
 * watermark's embedding loss, summed with {@link Penalty#plus}, each with its gradient), the fit's
 * stop request, and its differential privacy ({@code null}: none).
 */
record FitContext(
    JavaSparkContext jsc,
    Network network,
    CompileConfig compile,
    FitOptions options,
    StepStats stats,
    Penalty penalty,
    FitStop stop,
    PrivateSgd privacy) {

  /**
   * {@code totals} with the penalty at {@code params} added to each example's loss, as Keras adds
   * the model's {@code losses} to the validation loss; a new object.
   */
  Totals penalized(Totals totals, float[] params) {
    Totals t = new Totals().add(totals);
    t.loss += penalty.apply(params, null) * t.count;
    return t;
  }
}
