/**
 * sparkdp as Spark ML stages: {@link org.sparkdp.ml.SequentialEstimator} (an Estimator whose Params
 * are the layers, the compile settings and every fit setting) and the {@link
 * org.sparkdp.ml.SequentialModel} it returns (a Transformer adding the prediction, probability and
 * raw prediction columns that Spark's evaluators read). Both are readable and writable, work inside
 * Pipelines and under CrossValidator, and are registered for Spark Connect ML.
 */
package org.sparkdp.ml;
