package org.sparkdp.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdp.Callback;
import org.sparkdp.DataException;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.TrainingPlan;
import org.sparkdp.io.Keys;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Penalty;
import org.sparkdp.ops.Setting;
import org.sparkdp.ops.Watermark;
import org.sparkdp.ops.WatermarkEmbedding;

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
  private Provenance.Predecessor resumedFrom;
  private PrivateKey watermarkKey;
  private PrivateSgd privacy;

  Trainer(JavaSparkContext jsc, Network network, CompileConfig compile, FitOptions options) {
    this.jsc = jsc;
    this.network = network;
    this.compile = compile;
    this.options = options.check();
    if (options.differentialPrivacy() != null) {
      network.checkPerExampleGradients();
    }
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
    String resumedPath = null;
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
        // With the SHA-256 that a weights.npz of its parameters has: a model written at this
        // checkpoint has the same, which ties the model to the run that continues it.
        Provenance.Predecessor read = checkpoints.lastRead();
        java.util.Map<String, String> sums = new java.util.TreeMap<>(read.sha256());
        sums.put(
            "weights", ModelFile.sha256(ModelFile.weightsBytes(network.spec(), state.params())));
        this.resumedFrom =
            new Provenance.Predecessor(
                read.kind(), read.path(), sums, read.epoch(), read.step(), read.createdAt());
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read the checkpoint to resume from: " + e.getMessage(), e);
      }
      resumedAt = "epoch " + (state.epoch() + 1) + ", step " + (state.step() + 1);
      resumedPath = checkpoints.pathOf(state);
    } else if (options.initialEpoch() > 0) {
      state.startAt(options.initialEpoch());
    }
    state.ensureOptimizer(compile.optimizer());
    if (options.differentialPrivacy() != null) {
      state.accountPrivacy(options.differentialPrivacy().delta());
    } else {
      state.clearPrivacy();
    }
    FitStop stop = FitStop.begin();
    try {
      return fit(
          state, data, validation, stats, callbacks, checkpoints, resumedAt, resumedPath, stop);
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
      String resumedPath,
      FitStop stop) {
    // A hard stop unblocks the training thread: the Spark jobs it may be waiting for end.
    stop.onHardStop(() -> SparkWaits.cancelRunning(jsc));
    Batches batches =
        Batches.of(
            data.trainRows(), options.batchSize(), options.seed(), options.differentialPrivacy());
    if (options.differentialPrivacy() != null) {
      privacy =
          PrivateSgd.plan(
              options.differentialPrivacy(),
              batches,
              options.epochs(),
              options.initialEpoch(),
              options.seed());
    }
    FitContext fit =
        new FitContext(
            jsc,
            network,
            compile,
            options,
            stats,
            network.regularization().plus(watermark()),
            stop,
            privacy);
    Steps steps =
        options.strategy() == FitOptions.Strategy.LOCAL
            ? new LocalSteps(fit, data, validation)
            : new SyncSteps(fit, data, validation, batches);
    stats.path(steps.path());
    TrainingPlan plan =
        new TrainingPlan(
            data.trainRows(),
            data.packedBytes(),
            data.train().getNumPartitions(),
            validation == null ? 0 : validation.rows(),
            options.epochs(),
            privacy == null
                ? steps.schedule()
                : steps.schedule()
                    + "; "
                    + privacy.describe(
                        state.privacy(),
                        Math.max(
                            0,
                            (long) (state.epoch() - options.initialEpoch()) * batches.steps()
                                + state.step())),
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
    Recovery recovery = new Recovery(checkpoints, options.maxRetries(), state, resumedPath, stop);
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

  /**
   * The privacy the weights of {@code state} spent, as the provenance records it, or {@code null}
   * for a fit without differential privacy.
   */
  com.fasterxml.jackson.databind.JsonNode privacy(TrainingState state) {
    return privacy == null || state.privacy() == null ? null : privacy.record(state.privacy());
  }

  /** The checkpoint this fit resumed from, or {@code null}. */
  Provenance.Predecessor resumedFrom() {
    return resumedFrom;
  }

  /** The watermark's embedding regularizer, or no penalty. */
  private Penalty watermark() {
    Watermark spec = options.watermark();
    return spec == null
        ? Penalty.NONE
        : WatermarkEmbedding.derive(Keys.watermarkSecret(watermarkKey()), spec, network.layout());
  }

  /** The watermark's key, read once per fit. */
  private PrivateKey watermarkKey() {
    if (watermarkKey == null) {
      watermarkKey =
          Keys.readPrivate(
              options.watermark().key(), "fit.watermark.key " + options.watermark().key());
    }
    return watermarkKey;
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
    Watermark watermark = options.watermark();
    if (watermark != null) {
      // The key by its public key's id: the checkpoint holds no secret.
      ObjectNode mark = Watermark.SETTINGS.toJson(watermark);
      mark.put("key", Keys.keyId(Keys.publicOf(watermarkKey())));
      id.set("watermark", mark);
    }
    if (options.differentialPrivacy() != null) {
      id.set(
          FitOptions.DIFFERENTIAL_PRIVACY.key(), options.toJson(FitOptions.DIFFERENTIAL_PRIVACY));
    }
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
