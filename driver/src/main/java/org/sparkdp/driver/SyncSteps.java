package org.sparkdp.driver;

import java.util.Locale;
import org.sparkdp.FitOptions;
import org.sparkdp.TrainingDivergedException;
import org.sparkdp.ops.Totals;

/**
 * Exact data-parallel mini-batch SGD. Each epoch shuffles the training examples by a keyed
 * permutation of their ids ({@link Batches}), so step {@code s} trains exactly the examples at
 * positions {@code [s * batchSize, (s + 1) * batchSize)} whatever the partitioning. Per step every
 * task adds up the gradient, loss and correct count of its examples in the step, the sums are added
 * up in partition order, and the driver applies the optimizer to the mean gradient. How the step
 * reaches the tasks is a {@link StepSession}: a Spark job per step, or the driver channel.
 */
final class SyncSteps implements Steps {
  private final PackedData data;
  private final FitContext fit;
  private final Validation validation;
  private final Batches batches;
  private final ChannelSession.Plan plan;
  private StepSession session;
  private float[] mean;

  SyncSteps(FitContext fit, PackedData data, Validation validation) {
    this.data = data;
    this.fit = fit;
    this.validation = validation;
    this.batches = Batches.of(data.trainRows(), fit.options().batchSize(), fit.options().seed());
    FitOptions.SyncPath path = fit.options().syncPath();
    ChannelSession.Plan channel =
        path == FitOptions.SyncPath.JOBS
            ? null
            : ChannelSession.plan(
                fit.jsc(), data.all().getNumPartitions(), fit.options().threads());
    int parameters = fit.network().layout().size();
    this.plan =
        switch (path) {
          case JOBS -> null;
          case CHANNEL -> channel;
          case ALLREDUCE -> channel.withRing(false);
          case AUTO ->
              switch (ChannelSession.auto(channel.tasks(), parameters)) {
                case CHANNEL -> channel;
                case ALLREDUCE -> channel.withRing(true);
                default -> null;
              };
        };
  }

  @Override
  public String schedule() {
    return String.format(
        Locale.ROOT,
        "%d steps of batch %d per epoch (sync, %s)",
        batches.steps(),
        batches.batchSize(),
        plan != null ? plan.describe() : path());
  }

  @Override
  public String path() {
    if (plan == null) {
      return "a Spark job per step";
    }
    return plan.ring() ? "executor allreduce" : "driver channel";
  }

  @Override
  public int perEpoch() {
    return batches.steps();
  }

  @Override
  public void begin(TrainingState state) {
    mean = new float[state.params().length];
    session =
        plan != null
            ? new ChannelSession(
                fit.jsc(),
                data,
                validation,
                batches,
                fit.network(),
                fit.options().threads(),
                plan,
                new ChannelSession.Options(
                    fit.options().connectTimeout() * 1000L,
                    fit.options().stepTimeout() * 1000L,
                    fit.options().maxRestarts()),
                fit.stats(),
                fit.stop())
            : new JobSession(
                fit.jsc(),
                data.train(),
                validation,
                batches,
                fit.network(),
                fit.options().threads(),
                fit.options().stepTimeout() * 1000L);
  }

  @Override
  public void take(TrainingState state) {
    int epoch = state.epoch();
    int step = state.step();
    if (plan == null) {
      fit.jsc()
          .setJobDescription(
              String.format(
                  Locale.ROOT,
                  "sparkdp epoch %d/%d step %d/%d",
                  epoch + 1,
                  fit.options().epochs(),
                  step + 1,
                  batches.steps()));
    }
    GradientSum sum = session.step(epoch, step, state.params());
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
    // The penalty on the parameters, once per step on the driver: its value joins every example's
    // loss of the step, its gradient the mean gradient.
    sum.totals.loss += fit.penalty().apply(state.params(), mean) * sum.totals.count;
    fit.compile()
        .optimizer()
        .step(state.params(), mean, state.optimizer(), fit.network().layout().bounds());
    fit.stats().add(sum.computeNanos);
    state.advance(sum.totals);
  }

  @Override
  public Totals validate(float[] params) {
    return fit.penalized(session.validate(params), params);
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
      session = null;
    }
  }
}
