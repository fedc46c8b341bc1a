/**
 * {@code spark-submit} entry points ({@link org.sparkdp.jobs.TrainJob}, {@link
 * org.sparkdp.jobs.EvaluateJob}, {@link org.sparkdp.jobs.PredictJob}, {@link
 * org.sparkdp.jobs.FingerprintJob}), the commands that need no Spark: a model out as Keras or ONNX
 * ({@link org.sparkdp.jobs.ExportJob}) and a model as property ({@link org.sparkdp.jobs.KeygenJob},
 * {@link org.sparkdp.jobs.SignJob}, {@link org.sparkdp.jobs.VerifyJob}, {@link
 * org.sparkdp.jobs.WatermarkCheckJob}), their YAML configuration in Keras' vocabulary ({@link
 * org.sparkdp.jobs.JobConfig}, read strictly), and readers for IDX, CSV, LibSVM and Parquet data
 * ({@link org.sparkdp.jobs.Readers}), which name a bad file, line and column before training
 * starts.
 */
package org.sparkdp.jobs;
