package org.sparkdp.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;

/**
 * Model directories on any Hadoop file system: {@code weights.npz} first, then {@code model.json},
 * which names the SHA-256 of those weights; each file is written atomically. Loading checks the
 * topology and shapes before reading any weights, and the weights against the recorded hash.
 */
public final class ModelStore {
  /**
   * Model files above this size are refused rather than read (a model of 500M float parameters).
   */
  static final long MAX_WEIGHTS_BYTES = 2_000_000_000L;

  /** Where {@link #save} sets the old weights aside until the new model is committed. */
  static final String PREVIOUS_WEIGHTS = ".weights.npz.previous";

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelStore.class);

  private ModelStore() {}

  /** A model read from a directory, with its parameters. */
  public record Loaded(ModelFile.Saved saved, float[] params) {}

  /**
   * Writes {@code dir/weights.npz} and {@code dir/model.json}; returns the weights' SHA-256. Both
   * files are written in full under temporary names first; then the old weights are set aside as
   * {@code .weights.npz.previous}, the new ones renamed into place, {@code model.json} renamed over
   * the old one (the commit), and the old weights deleted. A crash at any point leaves a directory
   * that {@link #load} reads as the old model or the new one, never a mix.
   */
  public static String save(
      String dir,
      Configuration conf,
      ModelSpec spec,
      CompileConfig compile,
      int labelWidth,
      float[] params,
      JsonNode training,
      JsonNode provenance)
      throws IOException {
    byte[] weights = ModelFile.weightsBytes(spec, params);
    String sha = ModelFile.sha256(weights);
    byte[] json =
        ModelFile.toBytes(
            ModelFile.modelJson(spec, compile, labelWidth, sha, training, provenance));
    String weightsPath = dir + "/" + ModelFile.WEIGHTS;
    String jsonPath = dir + "/" + ModelFile.MODEL_JSON;
    String previous = dir + "/" + PREVIOUS_WEIGHTS;
    String tempWeights = null;
    String tempJson = null;
    try {
      tempWeights = HadoopFiles.writeTemporary(dir, ModelFile.WEIGHTS, weights, conf);
      tempJson = HadoopFiles.writeTemporary(dir, ModelFile.MODEL_JSON, json, conf);
      if (committedWeights(dir, conf)) {
        HadoopFiles.renameOver(weightsPath, previous, conf);
      }
      // Otherwise weights.npz is left from an interrupted save, and .previous (if any) holds the
      // committed ones.
      HadoopFiles.renameOver(tempWeights, weightsPath, conf);
      tempWeights = null;
      HadoopFiles.renameOver(tempJson, jsonPath, conf);
      tempJson = null;
      HadoopFiles.delete(previous, conf);
      return sha;
    } finally {
      for (String temp : new String[] {tempWeights, tempJson}) {
        if (temp != null) {
          HadoopFiles.delete(temp, conf);
        }
      }
    }
  }

  /**
   * Whether {@code dir} holds a model whose {@code weights.npz} is the one its {@code model.json}
   * records.
   */
  private static boolean committedWeights(String dir, Configuration conf) throws IOException {
    String jsonPath = dir + "/" + ModelFile.MODEL_JSON;
    String weightsPath = dir + "/" + ModelFile.WEIGHTS;
    if (!HadoopFiles.exists(jsonPath, conf) || !HadoopFiles.exists(weightsPath, conf)) {
      return false;
    }
    try {
      ModelFile.Saved saved =
          ModelFile.parse(HadoopFiles.read(jsonPath, conf, 64L << 20), jsonPath);
      return saved
          .weightsSha256()
          .equals(
              ModelFile.sha256(
                  HadoopFiles.read(weightsPath, conf, expectedWeightsBytes(saved.spec()))));
    } catch (IOException e) {
      return false; // not a model this save could fall back to
    }
  }

  /**
   * Reads a model directory, checking shapes and the weights' hash. If the weights do not match
   * {@code model.json} but the set-aside previous weights do, a save was interrupted before its
   * commit: the previous model is read.
   */
  public static Loaded load(String dir, Configuration conf) throws IOException {
    String jsonPath = dir + "/" + ModelFile.MODEL_JSON;
    String weightsPath = dir + "/" + ModelFile.WEIGHTS;
    ModelFile.Saved saved = ModelFile.parse(HadoopFiles.read(jsonPath, conf, 64L << 20), jsonPath);
    long limit = expectedWeightsBytes(saved.spec());
    byte[] weights =
        HadoopFiles.exists(weightsPath, conf) ? HadoopFiles.read(weightsPath, conf, limit) : null;
    String sha = weights == null ? "(missing)" : ModelFile.sha256(weights);
    if (saved.weightsSha256().isEmpty()) {
      throw new IOException(
          jsonPath
              + ": records no SHA-256 of its weights (weights.sha256), so they cannot be "
              + "checked");
    }
    if (!saved.weightsSha256().equals(sha)) {
      String previousPath = dir + "/" + PREVIOUS_WEIGHTS;
      byte[] previous =
          HadoopFiles.exists(previousPath, conf)
              ? HadoopFiles.read(previousPath, conf, limit)
              : null;
      if (previous != null && saved.weightsSha256().equals(ModelFile.sha256(previous))) {
        LOG.warn(
            "{} does not match model.json, but the weights set aside by an interrupted save do: reading those",
            weightsPath);
        weights = previous;
        weightsPath = previousPath;
      } else if (weights == null) {
        throw new java.io.FileNotFoundException(weightsPath + ": no such file");
      } else {
        throw new IOException(
            weightsPath
                + ": SHA-256 "
                + sha
                + " differs from the "
                + saved.weightsSha256()
                + " recorded in model.json (the file was altered or truncated)");
      }
    }
    if (weights == null) {
      throw new java.io.FileNotFoundException(weightsPath + ": no such file");
    }
    float[] params =
        ModelFile.readWeights(saved.spec(), new ByteArrayInputStream(weights), weightsPath);
    return new Loaded(saved, params);
  }

  /**
   * The most bytes a {@code weights.npz} of {@code spec} can take: its floats plus headers and zip
   * records.
   */
  static long expectedWeightsBytes(ModelSpec spec) {
    long bytes = 4L * spec.layout().size();
    return bytes + 1024L * spec.weightNames().size() + 4096;
  }

  /**
   * Reads an {@code .npz} of weights in Keras' layout for {@code spec} (as Keras' {@code
   * load_weights}).
   */
  public static float[] loadWeights(String path, Configuration conf, ModelSpec spec)
      throws IOException {
    // Twice the float32 size: a float64 file (NumPy's default) is then refused for its dtype.
    byte[] bytes =
        HadoopFiles.read(path, conf, Math.min(MAX_WEIGHTS_BYTES, 2 * expectedWeightsBytes(spec)));
    return ModelFile.readWeights(spec, new ByteArrayInputStream(bytes), path);
  }
}
