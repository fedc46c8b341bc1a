package org.sparkdp.driver;

import java.io.Serializable;

/**
 * The arguments of Keras' {@code fit}, plus where the data's columns are and how Spark should run.
 * Setters return {@code this} for chaining; {@link #check} validates the whole set.
 */
public final class FitOptions implements Serializable {
  /** {@code batch_size: all}: full-batch gradient descent, one update per epoch. */
  public static final int ALL = -1;

  private int epochs = 1;
  private int batchSize = 32;
  private double validationSplit;
  private long seed = 42;
  private String strategy = "sync";
  private int partitions;
  private String featuresCol = "features";
  private String labelCol = "label";
  private int verbose = 1;
  private int threads = 1;
  private String syncPath = "auto";
  private int connectTimeoutSeconds = 300;
  private int stepTimeoutSeconds = 1800;
  private int maxRestarts = 3;
  private int syncEvery;
  private String outerOptimizer = "average";
  private double outerLearningRate = 0.7;
  private double outerMomentum = 0.9;
  private String checkpointDir;
  private int checkpointEverySteps;
  private int keepCheckpoints = 3;
  private int maxRetries = 3;
  private boolean resume;
  private String trainName = "train data";
  private String validationName = "validation data";

  /** Number of passes over the training data (Keras' default 1). */
  public FitOptions epochs(int value) {
    epochs = value;
    return this;
  }

  /** Examples per gradient step (Keras' default 32), or {@link #ALL}. */
  public FitOptions batchSize(int value) {
    batchSize = value;
    return this;
  }

  /**
   * Fraction of the data, taken from its end before shuffling, to validate on after each epoch
   * (Keras).
   */
  public FitOptions validationSplit(double value) {
    validationSplit = value;
    return this;
  }

  /** Base seed of the initial weights and of each epoch's shuffle (default 42). */
  public FitOptions seed(long value) {
    seed = value;
    return this;
  }

  /**
   * {@code sync}: exact data-parallel mini-batch SGD (the weights do not depend on the
   * partitioning); {@code local}: each partition takes its own steps and the driver averages them
   * every {@link #syncEvery} steps (the weights depend on the partitioning).
   */
  public FitOptions strategy(String value) {
    strategy = value;
    return this;
  }

  /** Repartition the data into this many partitions ({@code 0}: keep the input's partitioning). */
  public FitOptions partitions(int value) {
    partitions = value;
    return this;
  }

  public FitOptions featuresCol(String value) {
    featuresCol = value;
    return this;
  }

  public FitOptions labelCol(String value) {
    labelCol = value;
    return this;
  }

  /** {@code 0}: silent; {@code 1}: one progress line per epoch on standard output. */
  public FitOptions verbose(int value) {
    verbose = value;
    return this;
  }

  /** Threads each task computes with (one task per executor using all its cores); default 1. */
  public FitOptions threads(int value) {
    threads = value;
    return this;
  }

  /**
   * How {@code sync} steps reach the executors: {@code channel} (one long-running task per
   * partition exchanging parameters and sums with the driver over a socket), {@code jobs} (a Spark
   * job per step), or {@code auto} (channel when every partition can have a task slot at once and
   * the driver's traffic stays small, see docs/cost-model.md; else jobs).
   */
  public FitOptions syncPath(String value) {
    syncPath = value;
    return this;
  }

  /** Seconds to wait for the training tasks of an epoch to start and connect (default 300). */
  public FitOptions connectTimeoutSeconds(int value) {
    connectTimeoutSeconds = value;
    return this;
  }

  /** Seconds to wait for one step's sums before the step counts as lost (default 1800). */
  public FitOptions stepTimeoutSeconds(int value) {
    stepTimeoutSeconds = value;
    return this;
  }

  /** How often an epoch's training tasks may be restarted after a lost task (default 3). */
  public FitOptions maxRestarts(int value) {
    maxRestarts = value;
    return this;
  }

  /**
   * {@code local}: local steps between synchronisations; 0 (default) synchronises once per epoch.
   */
  public FitOptions syncEvery(int value) {
    syncEvery = value;
    return this;
  }

  /**
   * {@code local}: {@code average} (default; the plain mean of the partitions' weights) or {@code
   * nesterov}.
   */
  public FitOptions outerOptimizer(String value) {
    outerOptimizer = value;
    return this;
  }

  /** {@code local} with {@code nesterov}: the outer learning rate (default 0.7, as DiLoCo). */
  public FitOptions outerLearningRate(double value) {
    outerLearningRate = value;
    return this;
  }

  /** {@code local} with {@code nesterov}: the outer momentum (default 0.9, as DiLoCo). */
  public FitOptions outerMomentum(double value) {
    outerMomentum = value;
    return this;
  }

  /**
   * Where to write checkpoints (any Hadoop file system): one at the end of every epoch, and with
   * {@link #checkpointEverySteps} also within epochs. {@code null} (default): checkpoints stay in
   * memory.
   */
  public FitOptions checkpointDir(String value) {
    checkpointDir = value;
    return this;
  }

  /**
   * {@code sync}: also checkpoint every this many steps within an epoch (0, the default: at epoch
   * ends only).
   */
  public FitOptions checkpointEverySteps(int value) {
    checkpointEverySteps = value;
    return this;
  }

  /** How many checkpoints to keep, newest first (default 3). */
  public FitOptions keepCheckpoints(int value) {
    keepCheckpoints = value;
    return this;
  }

  /**
   * How often a failed attempt (lost executors beyond Spark's retries, timeouts) restarts from the
   * last checkpoint.
   */
  public FitOptions maxRetries(int value) {
    maxRetries = value;
    return this;
  }

  /**
   * Continue from the newest checkpoint in {@link #checkpointDir} (there must be one, made by the
   * same run).
   */
  public FitOptions resume(boolean value) {
    resume = value;
    return this;
  }

  public String checkpointDir() {
    return checkpointDir;
  }

  public int checkpointEverySteps() {
    return checkpointEverySteps;
  }

  public int keepCheckpoints() {
    return keepCheckpoints;
  }

  public int maxRetries() {
    return maxRetries;
  }

  public boolean resume() {
    return resume;
  }

  public int syncEvery() {
    return syncEvery;
  }

  public String outerOptimizer() {
    return outerOptimizer;
  }

  public double outerLearningRate() {
    return outerLearningRate;
  }

  public double outerMomentum() {
    return outerMomentum;
  }

  public int threads() {
    return threads;
  }

  public String syncPath() {
    return syncPath;
  }

  public int connectTimeoutSeconds() {
    return connectTimeoutSeconds;
  }

  public int stepTimeoutSeconds() {
    return stepTimeoutSeconds;
  }

  public int maxRestarts() {
    return maxRestarts;
  }

  /** How error messages name the training and validation data (e.g. by their files). */
  public FitOptions dataNames(String train, String validation) {
    trainName = train;
    validationName = validation;
    return this;
  }

  public String trainName() {
    return trainName;
  }

  public String validationName() {
    return validationName;
  }

  public int epochs() {
    return epochs;
  }

  public int batchSize() {
    return batchSize;
  }

  public double validationSplit() {
    return validationSplit;
  }

  public long seed() {
    return seed;
  }

  public String strategy() {
    return strategy;
  }

  public int partitions() {
    return partitions;
  }

  public String featuresCol() {
    return featuresCol;
  }

  public String labelCol() {
    return labelCol;
  }

  public int verbose() {
    return verbose;
  }

  /** Fails with the Keras name of the first setting that cannot be used. */
  public FitOptions check() {
    if (epochs <= 0) {
      throw new IllegalArgumentException("epochs must be a positive integer, got " + epochs);
    }
    if (batchSize <= 0 && batchSize != ALL) {
      throw new IllegalArgumentException(
          "batch_size must be a positive integer or 'all', got " + batchSize);
    }
    if (!(validationSplit >= 0 && validationSplit < 1)) {
      throw new IllegalArgumentException(
          "validation_split must be in [0, 1), got " + validationSplit);
    }
    if (!strategy.equals("sync") && !strategy.equals("local")) {
      throw new IllegalArgumentException(
          "unknown strategy '" + strategy + "' (supported: sync, local)");
    }
    if (syncEvery < 0) {
      throw new IllegalArgumentException(
          "sync_every must be 0 (once per epoch) or positive, got " + syncEvery);
    }
    if (!outerOptimizer.equals("average") && !outerOptimizer.equals("nesterov")) {
      throw new IllegalArgumentException(
          "unknown outer_optimizer '" + outerOptimizer + "' (supported: average, nesterov)");
    }
    if (!(outerLearningRate > 0) || !(outerMomentum >= 0 && outerMomentum < 1)) {
      throw new IllegalArgumentException(
          "outer_learning_rate must be positive and outer_momentum in [0, 1)");
    }
    if (partitions < 0) {
      throw new IllegalArgumentException("partitions must be positive, got " + partitions);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    if (!java.util.Set.of("auto", "channel", "jobs").contains(syncPath)) {
      throw new IllegalArgumentException(
          "unknown sync_path '" + syncPath + "' (supported: auto, channel, jobs)");
    }
    if (checkpointEverySteps < 0 || keepCheckpoints < 1 || maxRetries < 0) {
      throw new IllegalArgumentException(
          "checkpoint_every_steps and max_retries must not be negative, "
              + "keep_checkpoints at least 1");
    }
    if (resume && checkpointDir == null) {
      throw new IllegalArgumentException("resume needs a checkpoint directory");
    }
    if (connectTimeoutSeconds < 1 || stepTimeoutSeconds < 1 || maxRestarts < 0) {
      throw new IllegalArgumentException("timeouts must be positive and max_restarts not negative");
    }
    return this;
  }
}
