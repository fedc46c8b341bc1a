package org.sparkdp.driver;

import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.sparkdp.driver.channel.StepPath;
import org.sparkdp.driver.channel.Sums;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Phases;
import org.sparkdp.ops.Totals;

/**
 * One Spark job per step: the driver ships the parameters with the job, every task adds up its rows
 * of the step ({@link StepCompute}), and the tasks' results are added in partition order. Works
 * with any number of partitions and any cluster, at the price of Spark's scheduling per step
 * (milliseconds). Each epoch's order of the rows is computed once per partition and cached.
 */
final class JobSession implements StepPath {
  /** Up to this many partitions, the driver adds every partition's sum itself. */
  static final int DIRECT = 32;

  /** What the headline and the log call this path. */
  private static final String NAME = "a Spark job per step";

  /** The plan of a job per step: nothing to choose, as Spark places the tasks. */
  record Plan() implements StepPlan {
    @Override
    public String name() {
      return NAME;
    }

    @Override
    public String describe() {
      return name();
    }

    @Override
    public StepPath open(FitContext fit, PackedData data, Validation validation, Batches batches) {
      return new JobSession(
          fit.jsc(),
          data.train(),
          validation,
          batches,
          fit.network(),
          fit.options().threads(),
          fit.options().epochs(),
          fit.options().stepTimeout() * 1000L);
    }
  }

  private final JavaSparkContext jsc;
  private final JavaRDD<Block> train;
  private final Validation validation;
  private final Batches batches;
  private final Network network;
  private final int threads;
  private final int epochs;
  private final long timeoutMillis;
  private JavaRDD<EpochOrder> orders;
  private int ordersEpoch = -1;

  JobSession(
      JavaSparkContext jsc,
      JavaRDD<Block> train,
      Validation validation,
      Batches batches,
      Network network,
      int threads,
      int epochs,
      long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
    this.epochs = epochs;
    this.jsc = jsc;
    this.train = train;
    this.validation = validation;
    this.batches = batches;
    this.network = network;
    this.threads = threads;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Tasks read their whole iterators, so Spark releases the cached blocks' read locks as each task
   * ends.
   */
  @Override
  public Sums step(int epoch, int step, float[] params) {
    jsc.setJobDescription(
        String.format(
            Locale.ROOT,
            "sparkdp epoch %d/%d step %d/%d",
            epoch + 1,
            epochs,
            step + 1,
            batches.steps()));
    if (epoch != ordersEpoch) {
      releaseOrders();
      Batches b = batches;
      orders =
          train.mapPartitions(
              blocks -> List.of(b.order(Block.all(blocks), epoch)).iterator(), true);
      orders.persist(StorageLevel.MEMORY_AND_DISK());
      ordersEpoch = epoch;
    }
    // The parameters travel in the task closure, which Spark already broadcasts once per stage: an
    // explicit
    // broadcast per step costs about 5 ms more (bin/sparkdp bench: spark_closure_job_ms against
    // spark_round_ms).
    float[] weights = params.clone();
    Network net = network;
    int t = threads;
    JavaRDD<EpochOrder> stepOrders = orders;
    double[][] phases = phases(epoch, step, weights, stepOrders);
    GradientSum sum =
        SparkWaits.call(
            jsc,
            "step " + (step + 1) + " of epoch " + (epoch + 1),
            timeoutMillis,
            () ->
                sumInPartitionOrder(
                    train.zipPartitions(
                        stepOrders,
                        (blocks, order) ->
                            List.of(
                                    StepCompute.gradient(
                                        Block.all(blocks),
                                        Block.all(order).get(0),
                                        step,
                                        weights,
                                        net,
                                        t,
                                        phases.length == 0 ? null : new Replay(phases, -1)))
                                .iterator())));
    return new Sums(sum.gradient, sum.totals, sum.computeNanos, phases);
  }

  /**
   * The totals of the step's phases ({@link Phases}), one Spark job per phase: each task runs its
   * share of the step from the parameters, with the totals of the earlier phases, up to the phase,
   * and returns its partial; the partials are added in partition order. None for a model without
   * phases.
   */
  private double[][] phases(int epoch, int step, float[] weights, JavaRDD<EpochOrder> stepOrders) {
    int[] widths = network.phaseWidths();
    double[][] totals = new double[widths.length][];
    Network net = network;
    for (int p = 0; p < widths.length; p++) {
      double[][] known = java.util.Arrays.copyOf(totals, p);
      int phase = p;
      List<double[]> partials =
          SparkWaits.call(
              jsc,
              "phase " + (p + 1) + " of step " + (step + 1) + " of epoch " + (epoch + 1),
              timeoutMillis,
              () ->
                  train
                      .zipPartitions(
                          stepOrders,
                          (blocks, order) ->
                              List.of(
                                      partial(
                                          Block.all(blocks),
                                          Block.all(order).get(0),
                                          step,
                                          weights,
                                          net,
                                          known,
                                          phase))
                                  .iterator())
                      .collect());
      double[] total = new double[widths[p]];
      for (double[] part : partials) {
        for (int i = 0; i < total.length; i++) {
          total[i] += part[i];
        }
      }
      totals[p] = total;
    }
    return totals;
  }

  /** A task's partial of phase {@code phase}, its pass replaying the totals {@code known}. */
  private static double[] partial(
      List<Block> blocks,
      EpochOrder order,
      int step,
      float[] params,
      Network network,
      double[][] known,
      int phase) {
    try {
      StepCompute.gradient(blocks, order, step, params, network, 1, new Replay(known, phase));
    } catch (Replay.Reached reached) {
      return reached.partial;
    }
    throw new IllegalStateException(
        "the pass of step " + (step + 1) + " ended before phase " + phase);
  }

  /**
   * The phases of a pass that a job per phase recomputes: the totals of the earlier phases, as the
   * driver added them, and a stop at phase {@code stop} (-1: none) with this task's partial.
   */
  private record Replay(double[][] known, int stop) implements Phases {
    @Override
    public double[] exchange(int phase, double[] partial) {
      if (phase == stop) {
        throw new Reached(partial);
      }
      return known[phase];
    }

    /** The pass has reached the phase the job asked for: its partial. */
    static final class Reached extends RuntimeException {
      final double[] partial;

      Reached(double[] partial) {
        super("phase reached", null, false, false);
        this.partial = partial;
      }
    }
  }

  /**
   * The partitions' sums added in partition order, so that a rerun gives the same bits (Spark's
   * {@code treeReduce} adds in the order results arrive). Up to {@link #DIRECT} partitions the
   * driver adds them all; beyond, groups of about {@code sqrt(P)} consecutive partitions are added
   * first on the executors (each group in order), which keeps the driver's intake near {@code
   * sqrt(P)} vectors as {@code treeReduce} would.
   */
  private static GradientSum sumInPartitionOrder(JavaRDD<GradientSum> sums) {
    int partitions = sums.getNumPartitions();
    List<GradientSum> parts;
    if (partitions <= DIRECT) {
      parts = sums.collect();
    } else {
      int group = (int) Math.ceil(Math.sqrt(partitions));
      parts =
          sums.mapPartitionsWithIndex(
                  (index, it) -> {
                    List<scala.Tuple2<Integer, scala.Tuple2<Integer, GradientSum>>> out =
                        new java.util.ArrayList<>();
                    it.forEachRemaining(
                        g ->
                            out.add(
                                new scala.Tuple2<>(index / group, new scala.Tuple2<>(index, g))));
                    return out.iterator();
                  },
                  true)
              .mapToPair(x -> x)
              .groupByKey((partitions + group - 1) / group)
              .mapValues(
                  members -> {
                    List<scala.Tuple2<Integer, GradientSum>> sorted = new java.util.ArrayList<>();
                    members.forEach(sorted::add);
                    sorted.sort(java.util.Comparator.comparing(scala.Tuple2::_1));
                    GradientSum total = new GradientSum();
                    for (scala.Tuple2<Integer, GradientSum> m : sorted) {
                      total = total.merge(m._2());
                    }
                    return total;
                  })
              .sortByKey()
              .values()
              .collect();
    }
    GradientSum total = new GradientSum();
    for (GradientSum g : parts) {
      total = total.merge(g);
    }
    return total;
  }

  @Override
  public Totals evaluate(float[] params) {
    return SparkWaits.call(
        jsc,
        "validation",
        timeoutMillis,
        () -> Evaluator.evaluate(jsc, network, params, validation.blocks()));
  }

  private void releaseOrders() {
    if (orders != null) {
      orders.unpersist(false);
      orders = null;
    }
  }

  @Override
  public void close() {
    releaseOrders();
  }
}
