/**
 * {@code spark-submit} entry points ({@link org.sparkdp.jobs.TrainJob}, {@link
 * org.sparkdp.jobs.EvaluateJob}, {@link org.sparkdp.jobs.PredictJob}), their YAML configuration in
 * Keras' vocabulary ({@link org.sparkdp.jobs.JobConfig}), and readers for IDX, CSV, LibSVM and
 * Parquet data.
 */
package org.sparkdp.jobs;
