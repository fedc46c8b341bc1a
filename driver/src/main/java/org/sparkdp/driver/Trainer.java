package org.sparkdp.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.Network;

/**
 * One {@code fit}: picks the strategy's trainer, sets up checkpoints (in a directory, or in
 * memory), resumes from the newest checkpoint when asked (a run that does not resume first removes
 * the directory's old checkpoints, so that they are never mistaken for its own), and lets {@link
 * Recovery} retry failed attempts from the last checkpoint.
 */
public final class Trainer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Trainer.class);

  private final JavaSparkContext jsc;
  private final Network network;
  private final CompileConfig compile;
  private final FitOptions options;
  private StepStats stepStats;

  public Trainer(JavaSparkContext jsc, Network network, CompileConfig compile, FitOptions options) {
    this.jsc = jsc;
    this.network = network;
    this.compile = compile;
    this.options = options.check();
  }

  /**
   * Trains {@code state} (updated in place) on {@code data}, validating on {@code validation} when
   * not {@code null}; with {@code options.resume()}, first replaces it by the newest checkpoint.
   */
  public History fit(TrainingState state, PackedData data, JavaRDD<Block> validation) {
    Checkpoints checkpoints =
        options.checkpointDir() == null
            ? null
            : new Checkpoints(
                options.checkpointDir(),
                jsc.hadoopConfiguration(),
                options.keepCheckpoints(),
                identity(data));
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
        TrainingState saved = checkpoints.latest(state.params.length);
        if (saved == null) {
          throw new IllegalArgumentException(
              "nothing to resume: no checkpoint in " + checkpoints.dir());
        }
        state.restore(saved);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read the checkpoint to resume from: " + e.getMessage(), e);
      }
      if (options.verbose() > 0) {
        System.out.printf(
            "Resuming at epoch %d, step %d from %s%n",
            state.epoch + 1, state.step + 1, checkpoints.dir());
      }
    }
    if (state.optimizer == null) {
      state.optimizer = compile.optimizer().newState(state.params.length);
    }
    Recovery recovery = new Recovery(checkpoints, options.maxRetries(), state);
    if (options.strategy().equals("local")) {
      LocalTrainer trainer = new LocalTrainer(jsc, network, compile, options);
      stepStats = trainer.stepStats();
      return trainer.fit(state, data, validation, recovery);
    }
    SyncTrainer trainer = new SyncTrainer(jsc, network, compile, options);
    stepStats = trainer.stepStats();
    return trainer.fit(state, data, validation, recovery);
  }

  /**
   * Steps (or, for {@code local}, synchronisations) of this fit and the compute time the tasks
   * spent.
   */
  public StepStats stepStats() {
    return stepStats;
  }

  /** What a checkpoint must agree with to be resumed by this run. */
  private ObjectNode identity(PackedData data) {
    ObjectNode model =
        ModelFile.modelJson(network.spec(), compile, network.labelWidth(), "", null, null);
    ObjectNode id = JSON.createObjectNode();
    id.set("model", model.get("config"));
    id.set("compile", model.get("compile_config"));
    id.put("strategy", options.strategy());
    id.put("batch_size", options.batchSize());
    id.put("seed", options.seed());
    id.put("train_rows", data.trainRows());
    id.put("validation_rows", data.validationRows());
    id.put("data_fingerprint", String.format("%016x", data.fingerprint()));
    if (options.strategy().equals("local")) {
      id.put("partitions", data.train().getNumPartitions());
      id.put("sync_every", options.syncEvery());
      id.put("outer_optimizer", options.outerOptimizer());
      id.put("outer_learning_rate", options.outerLearningRate());
      id.put("outer_momentum", options.outerMomentum());
    }
    return id;
  }
}
