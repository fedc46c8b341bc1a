package org.sparkdp.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.Callback;
import org.sparkdp.DataException;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.TrainingPlan;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Setting;

/**
 * One {@code fit} on packed data: picks the strategy's {@link Steps}, sets up checkpoints (in a
 * directory, or in memory), resumes from the newest checkpoint when asked (a run that does not
 * resume first removes the directory's old checkpoints, so that they are never mistaken for its
 * own), and runs the {@link EpochLoop}.
 */
final class Trainer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  private final JavaSparkContext jsc;
  private final Network network;
  private final CompileConfig compile;
  private final FitOptions options;

  Trainer(JavaSparkContext jsc, Network network, CompileConfig compile, FitOptions options) {
    this.jsc = jsc;
    this.network = network;
    this.compile = compile;
    this.options = options.check();
  }

  /**
   * Trains {@code state} (updated in place) on {@code data}, validating on {@code validation} when
   * not {@code null}; with {@code options.resume()}, first replaces it by the newest checkpoint.
   */
  History fit(
      TrainingState state,
      PackedData data,
      Validation validation,
      StepStats stats,
      List<Callback> callbacks) {
    Checkpoints checkpoints =
        options.checkpointDir() == null
            ? null
            : new Checkpoints(
                options.checkpointDir(),
                jsc.hadoopConfiguration(),
                options.keepCheckpoints(),
                identity(data));
    String resumedAt = null;
    String resumedFrom = null;
    if (checkpoints != null && !options.resume()) {
      try {
        int removed = checkpoints.clear();
        if (removed > 0) {
          LOG.info("removed {} checkpoints of an earlier run from {}", removed, checkpoints.dir());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot clear the old checkpoints in " + checkpoints.dir() + ": " + e.getMessage(), e);
      }
    }
    if (options.resume()) {
      try {
        TrainingState saved = checkpoints.latest(state.params().length);
        if (saved == null) {
          throw new DataException("nothing to resume: no checkpoint in " + checkpoints.dir());
        }
        state.restore(saved);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read the checkpoint to resume from: " + e.getMessage(), e);
      }
      resumedAt = "epoch " + (state.epoch() + 1) + ", step " + (state.step() + 1);
      resumedFrom = checkpoints.pathOf(state);
    } else if (options.initialEpoch() > 0) {
      state.startAt(options.initialEpoch());
    }
    state.ensureOptimizer(compile.optimizer());
    FitStop stop = FitStop.begin();
    try {
      return fit(
          state, data, validation, stats, callbacks, checkpoints, resumedAt, resumedFrom, stop);
    } finally {
      stop.end();
    }
  }

  private History fit(
      TrainingState state,
      PackedData data,
      Validation validation,
      StepStats stats,
      List<Callback> callbacks,
      Checkpoints checkpoints,
      String resumedAt,
      String resumedFrom,
      FitStop stop) {
    // A hard stop unblocks the training thread: the Spark jobs it may be waiting for end.
    stop.onHardStop(() -> SparkWaits.cancelRunning(jsc));
    FitContext fit =
        new FitContext(jsc, network, compile, options, stats, network.regularization(), stop);
    Steps steps =
        options.strategy() == FitOptions.Strategy.LOCAL
            ? new LocalSteps(fit, data, validation)
            : new SyncSteps(fit, data, validation);
    stats.path(steps.path());
    TrainingPlan plan =
        new TrainingPlan(
            data.trainRows(),
            data.packedBytes(),
            data.train().getNumPartitions(),
            validation == null ? 0 : validation.rows(),
            options.epochs(),
            steps.schedule(),
            resumedAt,
            checkpoints == null ? null : checkpoints.dir());
    FitCallbacks fitCallbacks =
        new FitCallbacks(
            callbacks,
            options.callbacks(),
            state,
            network,
            compile,
            options,
            validation != null,
            jsc.hadoopConfiguration());
    fitCallbacks.begin(plan, options.resume());
    Recovery recovery = new Recovery(checkpoints, options.maxRetries(), state, resumedFrom, stop);
    History history =
        new EpochLoop(
                jsc,
                steps,
                options.epochs(),
                options.checkpointEverySteps(),
                network.metrics(),
                validation != null,
                recovery,
                stop,
                fitCallbacks)
            .run(state);
    fitCallbacks.end(history);
    return history;
  }

  /** What a checkpoint must agree with to be resumed by this run. */
  private ObjectNode identity(PackedData data) {
    ObjectNode model =
        ModelFile.modelJson(network.spec(), compile, network.labelWidth(), "", null, null);
    ObjectNode id = JSON.createObjectNode();
    id.set("model", model.get("config"));
    id.set("compile", model.get("compile_config"));
    id.put("strategy", Setting.name(options.strategy()));
    id.set("batch_size", options.toJson(FitOptions.BATCH_SIZE));
    id.put("seed", options.seed());
    id.put("train_rows", data.trainRows());
    id.put("validation_rows", data.validationRows());
    id.put("data_fingerprint", String.format("%016x", data.fingerprint()));
    // Only when set, so that checkpoints of runs without them still resume.
    for (Setting<?> s : List.of(FitOptions.CLASS_WEIGHT, FitOptions.SAMPLE_WEIGHT_COL)) {
      if (options.get(s) != null) {
        id.set(s.key(), options.toJson(s));
      }
    }
    if (options.strategy() == FitOptions.Strategy.LOCAL) {
      id.put("partitions", data.train().getNumPartitions());
      for (Setting<?> s :
          List.of(
              FitOptions.SYNC_EVERY,
              FitOptions.OUTER_OPTIMIZER,
              FitOptions.OUTER_LEARNING_RATE,
              FitOptions.OUTER_MOMENTUM)) {
        id.set(s.key(), options.toJson(s));
      }
    }
    return id;
  }
}
