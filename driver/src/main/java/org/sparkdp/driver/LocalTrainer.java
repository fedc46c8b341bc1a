package org.sparkdp.driver;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Seeds;
import org.sparkdp.ops.Totals;

/**
 * Local SGD: each partition runs its own mini-batch steps (Keras-sized batches of its own rows, in
 * an order shuffled per epoch and partition, with its own copy of the compiled optimizer) starting
 * from the driver's weights; every {@code syncEvery} local steps (or once per epoch) the driver
 * averages the partitions' weight changes, weighted by the examples each trained, and applies an
 * outer update:
 *
 * <pre>
 *   average:   w += delta
 *   nesterov:  g = -delta;  m = mu * m + g;  w -= lr * (g + mu * m)      (DiLoCo, Douillard et al., 2023)
 * </pre>
 *
 * One Spark job per synchronisation, so far fewer than sync's one exchange per step. The result
 * depends on how the data is partitioned (each partition's batches come from its own rows only),
 * unlike {@link SyncTrainer}'s. The partitions' inner optimizer states stay on the driver between
 * synchronisations; each task receives only its own.
 */
public final class LocalTrainer {
  private static final long LOCAL_SHUFFLE_KEY = 0x10ca1L;

  private final JavaSparkContext jsc;
  private final Network network;
  private final CompileConfig compile;
  private final FitOptions options;
  private final StepStats stepStats = new StepStats();

  public LocalTrainer(
      JavaSparkContext jsc, Network network, CompileConfig compile, FitOptions options) {
    this.jsc = jsc;
    this.network = network;
    this.compile = compile;
    this.options = options.check();
  }

  /**
   * What one partition sends back after a round: its weight change and the sums of the batches it
   * trained.
   */
  private record RoundResult(
      int partition,
      float[] delta,
      long examples,
      Totals totals,
      OptimizerState state,
      long computeNanos)
      implements Serializable {}

  /**
   * Trains from {@code state} (fresh or resumed) up to the configured epochs, saving a checkpoint
   * at the end of every epoch through {@code recovery}, which also retries failed attempts.
   */
  History fit(TrainingState state, PackedData data, JavaRDD<Block> validation, Recovery recovery) {
    JavaRDD<Block> train = data.train();
    int partitions = train.getNumPartitions();
    List<Long> rowsPerPartition =
        SparkWaits.call(
            jsc,
            "counting the rows of each partition",
            options.stepTimeoutSeconds() * 1000L,
            () ->
                train
                    .mapPartitions(
                        it -> {
                          long n = 0;
                          while (it.hasNext()) {
                            n += it.next().rows;
                          }
                          return List.of(n).iterator();
                        })
                    .collect());
    long batch = options.batchSize() == FitOptions.ALL ? Long.MAX_VALUE : options.batchSize();
    long maxSteps = 0;
    for (long n : rowsPerPartition) {
      long b = Math.max(1, Math.min(batch, n));
      maxSteps = Math.max(maxSteps, (n + b - 1) / b);
    }
    int syncEvery =
        options.syncEvery() > 0 ? options.syncEvery() : (int) Math.min(Integer.MAX_VALUE, maxSteps);
    int rounds = (int) ((maxSteps + syncEvery - 1) / syncEvery);
    if (options.verbose() > 0) {
      System.out.printf(
          Locale.ROOT,
          "Training on %d rows (%s) in %d partitions%s; local steps of batch %s, "
              + "%d synchronisation%s per epoch (local, outer %s)%n",
          data.trainRows(),
          data.packedSize(),
          partitions,
          validation == null ? "" : ", validating on " + Evaluator.count(validation) + " rows",
          batch == Long.MAX_VALUE ? "all" : String.valueOf(batch),
          rounds,
          rounds == 1 ? "" : "s",
          options.outerOptimizer());
    }
    recovery.run(state, s -> epochs(s, train, validation, rounds, syncEvery, batch, recovery));
    jsc.setJobDescription(null);
    return state.history;
  }

  private void epochs(
      TrainingState state,
      JavaRDD<Block> train,
      JavaRDD<Block> validation,
      int rounds,
      int syncEvery,
      long batch,
      Recovery recovery) {
    long timeout = options.stepTimeoutSeconds() * 1000L;
    // Here rather than before the first attempt: a retry from the start state must get fresh ones
    // too.
    int partitions = train.getNumPartitions();
    if (state.innerStates == null || state.innerStates.size() != partitions) {
      state.innerStates = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        state.innerStates.add(compile.optimizer().newState(state.params.length));
      }
    }
    while (state.epoch < options.epochs()) {
      long started = System.nanoTime() - (long) (state.epochSeconds * 1e9);
      int epoch = state.epoch;
      while (state.step < rounds) {
        int round = state.step;
        jsc.setJobDescription(
            String.format(
                Locale.ROOT,
                "sparkdp epoch %d/%d local round %d/%d",
                epoch + 1,
                options.epochs(),
                round + 1,
                rounds));
        List<RoundResult> results =
            SparkWaits.call(
                jsc,
                "round " + (round + 1) + " of epoch " + (epoch + 1),
                timeout,
                () -> round(train, state, epoch, round * (long) syncEvery, syncEvery, batch));
        long examples = 0;
        float[] delta = new float[state.params.length];
        long slowest = 0;
        Totals roundTotals = new Totals();
        for (RoundResult r : results) {
          roundTotals.add(r.totals());
          slowest = Math.max(slowest, r.computeNanos());
          if (r.examples() > 0) {
            examples += r.examples();
            float weight = r.examples();
            for (int i = 0; i < delta.length; i++) {
              delta[i] += weight * r.delta()[i];
            }
          }
        }
        if (!Double.isFinite(roundTotals.loss)) {
          throw new TrainingDivergedException(
              String.format(
                  Locale.ROOT,
                  "training diverged: the loss became %s in epoch %d, round %d",
                  roundTotals.loss,
                  epoch + 1,
                  round + 1));
        }
        for (RoundResult r : results) {
          state.innerStates.set(r.partition(), r.state());
        }
        state.epochTotals.add(roundTotals);
        stepStats.add(slowest);
        if (examples > 0) {
          for (int i = 0; i < delta.length; i++) {
            delta[i] /= examples;
          }
          outerUpdate(state, delta);
        }
        state.step++;
      }
      Totals validated = null;
      if (validation != null) {
        jsc.setJobDescription(
            String.format(
                Locale.ROOT, "sparkdp epoch %d/%d validation", epoch + 1, options.epochs()));
        validated =
            SparkWaits.call(
                jsc,
                "validation",
                timeout,
                () -> Evaluator.evaluate(jsc, network, state.params, validation));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      state.finishEpoch(validated, compile.reportsAccuracy(), seconds);
      if (options.verbose() > 0) {
        System.out.println(
            SyncTrainer.progressLine(state.history, epoch, options.epochs(), seconds));
      }
      recovery.save(state);
    }
  }

  /**
   * Compute time per synchronisation as the tasks measured it (the slowest partition of each
   * round).
   */
  public StepStats stepStats() {
    return stepStats;
  }

  private void outerUpdate(TrainingState state, float[] delta) {
    float[] params = state.params;
    if (options.outerOptimizer().equals("average")) {
      for (int i = 0; i < params.length; i++) {
        params[i] += delta[i];
      }
      return;
    }
    if (state.outerMomentum == null) {
      state.outerMomentum = new float[params.length];
    }
    float[] momentum = state.outerMomentum;
    float lr = (float) options.outerLearningRate();
    float mu = (float) options.outerMomentum();
    for (int i = 0; i < params.length; i++) {
      float g = -delta[i];
      float m = mu * momentum[i] + g;
      momentum[i] = m;
      params[i] -= lr * (g + mu * m);
    }
  }

  private List<RoundResult> round(
      JavaRDD<Block> train, TrainingState state, int epoch, long firstStep, int steps, long batch) {
    Broadcast<float[]> weights = jsc.broadcast(state.params.clone());
    // Each task gets its own partition's optimizer state, as a one-element slice, not every
    // partition's.
    JavaRDD<OptimizerState> states =
        jsc.parallelize(new ArrayList<>(state.innerStates), state.innerStates.size());
    Network net = network;
    Optimizer optimizer = compile.optimizer();
    long seed = options.seed();
    try {
      return train
          .zipPartitions(
              states,
              (blocks, own) -> {
                int partition = org.apache.spark.TaskContext.getPartitionId();
                return List.of(
                        localSteps(
                            partition,
                            SyncTrainer.toList(blocks),
                            weights.value(),
                            TrainingState.copy(SyncTrainer.toList(own).get(0)),
                            net,
                            optimizer,
                            seed,
                            epoch,
                            firstStep,
                            steps,
                            batch))
                    .iterator();
              })
          .collect();
    } finally {
      weights.destroy();
    }
  }

  /** Steps {@code [firstStep, firstStep + steps)} of this partition's epoch, from {@code start}. */
  private static RoundResult localSteps(
      int partition,
      List<Block> blocks,
      float[] start,
      OptimizerState state,
      Network network,
      Optimizer optimizer,
      long seed,
      int epoch,
      long firstStep,
      int steps,
      long batch) {
    long began = System.nanoTime();
    int rows = 0;
    for (Block b : blocks) {
      rows += b.rows;
    }
    Totals totals = new Totals();
    if (rows == 0) {
      return new RoundResult(partition, new float[start.length], 0, totals, state, 0);
    }
    int batchRows = (int) Math.min(batch, rows);
    long stepsThisEpoch = (rows + batchRows - 1) / batchRows;
    long from = Math.min(firstStep, stepsThisEpoch);
    long to = Math.min(firstStep + steps, stepsThisEpoch);
    if (from == to) {
      return new RoundResult(partition, new float[start.length], 0, totals, state, 0);
    }
    // The partition's rows in this epoch's order, as (block, row) pairs.
    Permutation shuffle =
        new Permutation(rows, Seeds.mix(seed, LOCAL_SHUFFLE_KEY, epoch, partition));
    int[] blockOf = new int[rows];
    int[] rowOf = new int[rows];
    int r = 0;
    for (int b = 0; b < blocks.size(); b++) {
      for (int i = 0; i < blocks.get(b).rows; i++, r++) {
        int position = (int) shuffle.apply(r);
        blockOf[position] = b;
        rowOf[position] = i;
      }
    }
    float[] params = start.clone();
    float[] grad = new float[params.length];
    TaskBuffers buffers = TaskBuffers.get(network, Math.min(batchRows, StepCompute.CHUNK_ROWS));
    long examples = 0;
    for (long step = from; step < to; step++) {
      int begin = (int) (step * batchRows);
      int end = (int) Math.min(rows, begin + (long) batchRows);
      Arrays.fill(grad, 0f);
      for (int k = begin; k < end; k += buffers.workspace.maxRows()) {
        int n = Math.min(buffers.workspace.maxRows(), end - k);
        for (int i = 0; i < n; i++) {
          buffers.gather(blocks.get(blockOf[k + i]), rowOf[k + i], i);
        }
        network.accumulate(
            params, buffers.features, 0, buffers.labels, 0, n, grad, totals, buffers.workspace);
      }
      float inverse = 1f / (end - begin);
      for (int i = 0; i < grad.length; i++) {
        grad[i] *= inverse;
      }
      optimizer.step(params, grad, state);
      examples += end - begin;
    }
    for (int i = 0; i < params.length; i++) {
      params[i] -= start[i];
    }
    return new RoundResult(partition, params, examples, totals, state, System.nanoTime() - began);
  }
}
