/**
 * The engine behind {@link org.sparkdp.Sequential}, entered through {@link
 * org.sparkdp.driver.Engine}: data frames checked and packed into cached float32 blocks ({@code
 * DataPacker}), the one epoch loop ({@code EpochLoop}) with each strategy's steps ({@code
 * SyncSteps}: exact data-parallel SGD, through a {@code StepPath}: a Spark job per step, the driver
 * channel or the executor allreduce, chosen once by a {@code StepPlan} (by the {@code CostModel}
 * for {@code sync_path: auto}); {@code LocalSteps}: local SGD), the training state and its codec,
 * checkpoints and recovery, and distributed evaluation and prediction. Everything but the door is
 * package-private.
 */
package org.sparkdp.driver;
