package org.sparkdp.driver;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Totals;

/**
 * Exact data-parallel mini-batch SGD. Each epoch shuffles the training examples by a keyed
 * permutation of their ids ({@link Batches}), so step {@code s} trains exactly the examples at
 * positions {@code [s * batchSize, (s + 1) * batchSize)} whatever the partitioning. Per step every
 * task adds up the gradient, loss and correct count of its examples in the step, the sums are added
 * up, and the driver applies the optimizer to the mean gradient. How the step reaches the tasks is
 * a {@link StepSession}: a Spark job per step, or the driver channel.
 */
public final class SyncTrainer {
  private final JavaSparkContext jsc;
  private final Network network;
  private final CompileConfig compile;
  private final FitOptions options;
  private final StepStats stepStats = new StepStats();

  public SyncTrainer(
      JavaSparkContext jsc, Network network, CompileConfig compile, FitOptions options) {
    this.jsc = jsc;
    this.network = network;
    this.compile = compile;
    this.options = options.check();
  }

  /**
   * Trains from {@code state} (a fresh start or a resumed checkpoint) up to the configured epochs,
   * validating after each on {@code validation} when it is not {@code null}; saves a checkpoint at
   * the end of every epoch (and every {@code checkpointEverySteps} steps) through {@code recovery},
   * which also retries failed attempts.
   */
  History fit(TrainingState state, PackedData data, JavaRDD<Block> validation, Recovery recovery) {
    Batches batches = Batches.of(data.trainRows(), options.batchSize(), options.seed());
    int partitions = data.train().getNumPartitions();
    if (options.syncPath().equals("channel") && ChannelSession.securedNetwork(jsc)) {
      throw new IllegalArgumentException(
          "sync_path channel: Spark's network is authenticated or encrypted here, and"
              + " the driver channel is not; use sync_path auto or jobs");
    }
    boolean channel =
        options.syncPath().equals("channel")
            || options.syncPath().equals("auto")
                && ChannelSession.suits(jsc, partitions, state.params.length);
    if (options.verbose() > 0) {
      System.out.printf(
          Locale.ROOT,
          "Training on %d rows (%s) in %d partitions%s; %d steps of batch %d per epoch (%s, %s)%n",
          data.trainRows(),
          data.packedSize(),
          partitions,
          validation == null ? "" : ", validating on " + Evaluator.count(validation) + " rows",
          batches.steps(),
          batches.batchSize(),
          options.strategy(),
          channel ? "driver channel" : "a Spark job per step");
    }
    recovery.run(state, s -> epochs(s, batches, channel, data, validation, recovery));
    jsc.setJobDescription(null);
    return state.history;
  }

  private void epochs(
      TrainingState state,
      Batches batches,
      boolean channel,
      PackedData data,
      JavaRDD<Block> validation,
      Recovery recovery) {
    int steps = batches.steps();
    int epochs = options.epochs();
    float[] mean = new float[state.params.length];
    boolean splitValidation = validation != null && validation == data.validation();
    try (StepSession session =
        channel
            ? new ChannelSession(
                jsc,
                data.all(),
                splitValidation ? null : validation,
                batches,
                network,
                options.threads(),
                new ChannelSession.Options(
                    options.connectTimeoutSeconds() * 1000L,
                    options.stepTimeoutSeconds() * 1000L,
                    options.maxRestarts()),
                stepStats)
            : new JobSession(
                jsc,
                data.train(),
                validation,
                batches,
                network,
                options.threads(),
                options.stepTimeoutSeconds() * 1000L)) {
      while (state.epoch < epochs) {
        long started = System.nanoTime() - (long) (state.epochSeconds * 1e9);
        int epoch = state.epoch;
        jsc.setJobDescription(String.format(Locale.ROOT, "sparkdp epoch %d/%d", epoch + 1, epochs));
        while (state.step < steps) {
          int step = state.step;
          if (!channel) {
            jsc.setJobDescription(
                String.format(
                    Locale.ROOT,
                    "sparkdp epoch %d/%d step %d/%d",
                    epoch + 1,
                    epochs,
                    step + 1,
                    steps));
          }
          GradientSum sum = session.step(epoch, step, state.params);
          if (sum.gradient == null || sum.totals.count == 0) {
            throw new IllegalStateException(
                "step " + (step + 1) + " of epoch " + (epoch + 1) + " found no examples");
          }
          if (!Double.isFinite(sum.totals.loss)) {
            throw new TrainingDivergedException(
                String.format(
                    Locale.ROOT,
                    "training diverged: the loss became %s at epoch %d, step %d (lower the learning rate?)",
                    sum.totals.loss,
                    epoch + 1,
                    step + 1));
          }
          float inverse = 1f / sum.totals.count;
          for (int i = 0; i < mean.length; i++) {
            mean[i] = sum.gradient[i] * inverse;
          }
          compile.optimizer().step(state.params, mean, state.optimizer);
          state.epochTotals.add(sum.totals);
          stepStats.add(sum.computeNanos);
          state.step++;
          if (options.checkpointEverySteps() > 0
              && state.step % options.checkpointEverySteps() == 0
              && state.step < steps) {
            state.epochSeconds = (System.nanoTime() - started) / 1e9;
            recovery.save(state);
          }
        }
        Totals validated = null;
        if (validation != null) {
          jsc.setJobDescription(
              String.format(Locale.ROOT, "sparkdp epoch %d/%d validation", epoch + 1, epochs));
          validated = session.validate(state.params);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        state.finishEpoch(validated, compile.reportsAccuracy(), seconds);
        if (options.verbose() > 0) {
          System.out.println(progressLine(state.history, epoch, epochs, seconds));
        }
        recovery.save(state);
      }
    }
  }

  /**
   * Compute time per step as the tasks measured it (the slowest task of each step), for cost
   * accounting.
   */
  public StepStats stepStats() {
    return stepStats;
  }

  static String progressLine(History history, int epoch, int epochs, double seconds) {
    StringBuilder line =
        new StringBuilder(
            String.format(Locale.ROOT, "Epoch %d/%d - %.1fs", epoch + 1, epochs, seconds));
    history
        .history()
        .forEach(
            (metric, values) ->
                line.append(
                    String.format(
                        Locale.ROOT, " - %s: %.4f", metric, values.get(values.size() - 1))));
    return line.toString();
  }

  static <T> List<T> toList(Iterator<T> it) {
    List<T> list = new ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }
}
