package org.sparkdp.driver;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.sparkdp.FitOptions;
import org.sparkdp.TrainingDivergedException;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Optimizer;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Penalty;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Phases;
import org.sparkdp.ops.Seeds;
import org.sparkdp.ops.Setting;
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
 * unlike {@link SyncSteps}'. The partitions' inner optimizer states stay on the driver between
 * synchronisations; each task receives only its own.
 */
final class LocalSteps implements Steps {
  private static final long LOCAL_SHUFFLE_KEY = 0x10ca1L;

  private final JavaRDD<Block> train;
  private final FitContext fit;
  private final Validation validation;
  private final long batch;
  private final int syncEvery;
  private final int rounds;

  /** Counts each partition's rows (a Spark job) to size the rounds. */
  LocalSteps(FitContext fit, PackedData data, Validation validation) {
    this.train = data.train();
    this.fit = fit;
    this.validation = validation;
    List<Long> rowsPerPartition =
        SparkWaits.call(
            fit.jsc(),
            "counting the rows of each partition",
            fit.options().stepTimeout() * 1000L,
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
    this.batch =
        fit.options().batchSize() == FitOptions.ALL ? Long.MAX_VALUE : fit.options().batchSize();
    long maxSteps = 0;
    for (long n : rowsPerPartition) {
      long b = Math.max(1, Math.min(batch, n));
      maxSteps = Math.max(maxSteps, (n + b - 1) / b);
    }
    this.syncEvery =
        fit.options().syncEvery() > 0
            ? fit.options().syncEvery()
            : (int) Math.min(Integer.MAX_VALUE, maxSteps);
    this.rounds = (int) ((maxSteps + syncEvery - 1) / syncEvery);
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

  @Override
  public String schedule() {
    return String.format(
        Locale.ROOT,
        "local steps of batch %s, %d synchronisation%s per epoch (local, outer %s)",
        batch == Long.MAX_VALUE ? "all" : String.valueOf(batch),
        rounds,
        rounds == 1 ? "" : "s",
        Setting.name(fit.options().outerOptimizer()));
  }

  @Override
  public String path() {
    return "local rounds";
  }

  @Override
  public int perEpoch() {
    return rounds;
  }

  @Override
  public void begin(TrainingState state) {
    // Here rather than once per fit: a retry from the start state must get fresh ones too.
    state.ensureInnerStates(train.getNumPartitions(), fit.compile().optimizer());
  }

  @Override
  public void take(TrainingState state) {
    int epoch = state.epoch();
    int round = state.step();
    fit.jsc()
        .setJobDescription(
            String.format(
                Locale.ROOT,
                "sparkdp epoch %d/%d local round %d/%d",
                epoch + 1,
                fit.options().epochs(),
                round + 1,
                rounds));
    List<RoundResult> results =
        SparkWaits.call(
            fit.jsc(),
            "round " + (round + 1) + " of epoch " + (epoch + 1),
            fit.options().stepTimeout() * 1000L,
            () -> round(state, epoch, round * (long) syncEvery));
    long examples = 0;
    float[] delta = new float[state.params().length];
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
      state.setInnerState(r.partition(), r.state());
    }
    fit.stats().add(slowest);
    if (examples > 0) {
      for (int i = 0; i < delta.length; i++) {
        delta[i] /= examples;
      }
      outerUpdate(state, delta);
    }
    state.advance(roundTotals);
  }

  @Override
  public Totals validate(float[] params) {
    return fit.penalized(
        SparkWaits.call(
            fit.jsc(),
            "validation",
            fit.options().stepTimeout() * 1000L,
            () -> Evaluator.evaluate(fit.jsc(), fit.network(), params, validation.blocks())),
        params);
  }

  @Override
  public void close() {
    // Each round is a Spark job of its own: nothing stays up between them.
  }

  private void outerUpdate(TrainingState state, float[] delta) {
    float[] params = state.params();
    if (fit.options().outerOptimizer() == FitOptions.OuterOptimizer.AVERAGE) {
      for (int i = 0; i < params.length; i++) {
        params[i] += delta[i];
      }
      return;
    }
    float[] momentum = state.outerMomentumForUpdate();
    float lr = (float) fit.options().outerLearningRate();
    float mu = (float) fit.options().outerMomentum();
    for (int i = 0; i < params.length; i++) {
      float g = -delta[i];
      float m = mu * momentum[i] + g;
      momentum[i] = m;
      params[i] -= lr * (g + mu * m);
    }
  }

  private List<RoundResult> round(TrainingState state, int epoch, long firstStep) {
    Broadcast<float[]> weights = fit.jsc().broadcast(state.params().clone());
    // Each task gets its own partition's optimizer state, as a one-element slice, not every
    // partition's.
    JavaRDD<OptimizerState> states =
        fit.jsc().parallelize(new ArrayList<>(state.innerStates()), state.innerStates().size());
    Network net = fit.network();
    Penalty penalty = fit.penalty();
    Optimizer optimizer = fit.compile().optimizer();
    long seed = fit.options().seed();
    int steps = syncEvery;
    long batchRows = batch;
    try {
      return train
          .zipPartitions(
              states,
              (blocks, own) -> {
                int partition = org.apache.spark.TaskContext.getPartitionId();
                return List.of(
                        localSteps(
                            partition,
                            Block.all(blocks),
                            weights.value(),
                            Block.all(own).get(0).copy(),
                            net,
                            penalty,
                            optimizer,
                            seed,
                            epoch,
                            firstStep,
                            steps,
                            batchRows))
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
      Penalty penalty,
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
    // A model with batch statistics takes each batch in one pass, its statistics the batch's own
    // (this task's: Keras' synchronized=False per replica).
    boolean phased = network.phaseWidths().length > 0;
    TaskBuffers buffers =
        phased
            ? TaskBuffers.whole(network, batchRows)
            : TaskBuffers.get(network, Math.min(batchRows, StepCompute.CHUNK_ROWS));
    Phases.Local phases = phased ? Phases.local() : null;
    long examples = 0;
    for (long step = from; step < to; step++) {
      int begin = (int) (step * batchRows);
      int end = (int) Math.min(rows, begin + (long) batchRows);
      Arrays.fill(grad, 0f);
      if (phases != null) {
        phases.clear();
      }
      for (int k = begin; k < end; k += buffers.workspace.maxRows()) {
        int n = Math.min(buffers.workspace.maxRows(), end - k);
        for (int i = 0; i < n; i++) {
          buffers.gather(blocks.get(blockOf[k + i]), rowOf[k + i], i);
        }
        network.accumulate(
            params,
            buffers.features,
            0,
            buffers.labels,
            0,
            buffers.ids,
            0,
            buffers.weightsOf(blocks.get(0)),
            0,
            epoch,
            n,
            grad,
            totals,
            buffers.workspace,
            phases);
      }
      float inverse = 1f / (end - begin);
      for (int i = 0; i < grad.length; i++) {
        grad[i] *= inverse;
      }
      totals.loss += penalty.apply(params, grad) * (end - begin);
      network.update(optimizer, params, grad, state, phases == null ? null : phases.totals());
      examples += end - begin;
    }
    for (int i = 0; i < params.length; i++) {
      params[i] -= start[i];
    }
    return new RoundResult(partition, params, examples, totals, state, System.nanoTime() - began);
  }
}
