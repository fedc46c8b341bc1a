/**
 * {@code spark-submit} entry points ({@link org.sparkdp.jobs.TrainJob}, {@link
 * org.sparkdp.jobs.EvaluateJob}, {@link org.sparkdp.jobs.PredictJob}), their YAML configuration in
 * Keras' vocabulary ({@link org.sparkdp.jobs.JobConfig}, read strictly), and readers for IDX, CSV,
 * LibSVM and Parquet data ({@link org.sparkdp.jobs.Readers}), which name a bad file, line and
 * column before training starts.
 */
package org.sparkdp.jobs;
