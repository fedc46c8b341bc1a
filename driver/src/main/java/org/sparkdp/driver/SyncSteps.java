package org.sparkdp.driver;

import java.util.Locale;
import org.sparkdp.TrainingDivergedException;
import org.sparkdp.driver.channel.ChannelException;
import org.sparkdp.driver.channel.StepPath;
import org.sparkdp.driver.channel.Sums;
import org.sparkdp.ops.Totals;
import org.sparkdp.ops.privacy.DifferentialPrivacy;

/**
 * Exact data-parallel mini-batch SGD. Each epoch shuffles the training examples by a keyed
 * permutation of their ids ({@link Batches}), so step {@code s} trains exactly the examples at
 * positions {@code [s * batchSize, (s + 1) * batchSize)} whatever the partitioning. Per step every
 * task adds up the gradient, loss and correct count of its examples in the step, the sums are added
 * up in partition order, and the driver applies the optimizer to the mean gradient. How the step
 * reaches the tasks is a {@link StepPath}, chosen once per fit ({@link StepPlan}): a Spark job per
 * step, the driver channel or the executor allreduce.
 *
 * <p>With differential privacy ({@link PrivateSgd}) the tasks clip each example's gradient (and,
 * with Poisson sampling, find their rows of a step by their own draws), and the driver adds the
 * noise to the sum and accounts the step before the optimizer applies it.
 */
final class SyncSteps implements Steps {
  private final PackedData data;
  private final FitContext fit;
  private final Validation validation;
  private final Batches batches;
  private final StepPlan plan;
  private StepPath session;
  private float[] mean;

  SyncSteps(FitContext fit, PackedData data, Validation validation, Batches batches) {
    this.data = data;
    this.fit = fit;
    this.validation = validation;
    this.batches = batches;
    this.plan = StepPlan.of(fit, data.all().getNumPartitions());
  }

  @Override
  public String schedule() {
    return String.format(
        Locale.ROOT,
        "%d steps of batch %d per epoch (sync, %s)",
        batches.steps(),
        batches.batchSize(),
        plan.describe());
  }

  @Override
  public String path() {
    return plan.name();
  }

  @Override
  public int perEpoch() {
    return batches.steps();
  }

  @Override
  public void begin(TrainingState state) {
    mean = new float[state.params().length];
    session = plan.open(fit, data, validation, batches);
  }

  @Override
  public void take(TrainingState state) {
    int epoch = state.epoch();
    int step = state.step();
    PrivateSgd privacy = fit.privacy();
    if (privacy != null) {
      privacy.prepare(epoch, step, mean.length); // the noise is drawn while the tasks compute
    }
    Sums sums = sums(epoch, step, state.params());
    Totals totals = sums.totals();
    // With Poisson sampling a step may draw no example at all: its update is the noise alone.
    boolean mayBeEmpty =
        privacy != null && privacy.settings().sampling() == DifferentialPrivacy.Sampling.POISSON;
    if (!mayBeEmpty && (sums.gradient() == null || totals.count == 0)) {
      throw new IllegalStateException(
          "step " + (step + 1) + " of epoch " + (epoch + 1) + " found no examples");
    }
    if (!Double.isFinite(totals.loss)) {
      throw new TrainingDivergedException(
          String.format(
              Locale.ROOT,
              "training diverged: the loss became %s at epoch %d, step %d (lower the learning rate?)",
              totals.loss,
              epoch + 1,
              step + 1));
    }
    float[] gradient = sums.gradient();
    if (privacy != null) {
      privacy.privatize(gradient, totals.count, epoch, step, mean);
      state.spend(privacy.spend(state.privacy()));
    } else {
      float inverse = 1f / totals.count;
      for (int i = 0; i < mean.length; i++) {
        mean[i] = gradient[i] * inverse;
      }
    }
    // The penalty on the parameters, once per step on the driver: its value joins every example's
    // loss of the step, its gradient the mean gradient.
    totals.loss += fit.penalty().apply(state.params(), mean) * totals.count;
    // The optimizer on the trainable weights; the moving statistics from the step's phases.
    fit.network()
        .update(fit.compile().optimizer(), state.params(), mean, state.optimizer(), sums.phases());
    fit.stats().add(sums.computeNanos());
    state.advance(totals);
  }

  private Sums sums(int epoch, int step, float[] params) {
    try {
      return session.step(epoch, step, params);
    } catch (ChannelException e) {
      throw lost(e);
    }
  }

  @Override
  public Totals validate(float[] params) {
    try {
      return fit.penalized(session.evaluate(params), params);
    } catch (ChannelException e) {
      throw lost(e);
    }
  }

  /**
   * A task lost on a path that does not restart its tasks itself (the paths opened here all do, or
   * leave it to Spark): the attempt fails, and {@link Recovery} resumes from the last checkpoint.
   */
  private static ClusterFault lost(ChannelException e) {
    return new ClusterFault(e.getMessage(), e);
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
      session = null;
    }
  }
}
