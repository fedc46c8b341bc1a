/**
 * Spark orchestration: data frames packed into cached float32 {@link org.sparkdp.driver.Block}s,
 * the synchronous data-parallel training loop ({@link org.sparkdp.driver.SyncTrainer}), distributed
 * evaluation and prediction, and model directories on any Hadoop file system ({@link
 * org.sparkdp.driver.ModelStore}).
 */
package org.sparkdp.driver;
