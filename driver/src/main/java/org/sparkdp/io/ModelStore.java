package org.sparkdp.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;

/**
 * Model directories on any Hadoop file system: {@code model.json} and {@code weights.npz}, which
 * {@code model.json} names by its SHA-256, committed as one {@link OutputSet} with whatever other
 * files the run adds (history, plots, metrics). Loading reads the committed set (or a plain
 * directory of the two files), checks every file against its recorded hash, and the topology and
 * shapes before reading any weights.
 */
public final class ModelStore {
  /**
   * Model files above this size are refused rather than read (a model of 500M float parameters).
   */
  static final long MAX_WEIGHTS_BYTES = 2_000_000_000L;

  private static final long MAX_MODEL_JSON_BYTES = 64L << 20;

  private ModelStore() {}

  /** A model read from a directory, with its parameters. */
  public record Loaded(ModelFile.Saved saved, float[] params) {}

  /**
   * Writes {@code dir/weights.npz}, {@code dir/model.json} and the {@code files} beside them (name
   * to content) as one committed set; returns the weights' SHA-256. A failure or a crash at any
   * point leaves the directory's previous set whole, or the new one.
   */
  public static String save(
      String dir,
      Configuration conf,
      ModelSpec spec,
      CompileConfig compile,
      int labelWidth,
      float[] params,
      JsonNode training,
      JsonNode provenance,
      Map<String, byte[]> files)
      throws IOException {
    byte[] weights = ModelFile.weightsBytes(spec, params);
    String sha = ModelFile.sha256(weights);
    byte[] json =
        ModelFile.toBytes(
            ModelFile.modelJson(spec, compile, labelWidth, sha, training, provenance));
    try (OutputSet set = OutputSet.begin(dir, conf)) {
      set.add(ModelFile.WEIGHTS, weights);
      set.add(ModelFile.MODEL_JSON, json);
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        set.add(f.getKey(), f.getValue());
      }
      set.commit();
    }
    return sha;
  }

  /**
   * Reads a model directory: the files of its committed set (or, in a plain directory, {@code
   * model.json} and {@code weights.npz}), each checked against the set's record, the shapes against
   * the topology, and the weights against the SHA-256 in {@code model.json}.
   */
  public static Loaded load(String dir, Configuration conf) throws IOException {
    OutputSet.Committed set = OutputSet.committed(dir, conf);
    if (set != null && set.file(ModelFile.MODEL_JSON) == null) {
      throw new java.io.FileNotFoundException(
          dir + " holds no model: the set committed there has no " + ModelFile.MODEL_JSON);
    }
    String jsonPath =
        set != null ? set.file(ModelFile.MODEL_JSON).path() : dir + "/" + ModelFile.MODEL_JSON;
    byte[] jsonBytes = read(set, ModelFile.MODEL_JSON, jsonPath, conf, MAX_MODEL_JSON_BYTES);
    ModelFile.Saved saved = ModelFile.parse(jsonBytes, jsonPath);
    if (saved.weightsSha256().isEmpty()) {
      throw new IOException(
          jsonPath
              + ": records no SHA-256 of its weights (weights.sha256), so they cannot be "
              + "checked");
    }
    String weightsPath =
        set != null && set.file(ModelFile.WEIGHTS) != null
            ? set.file(ModelFile.WEIGHTS).path()
            : dir + "/" + ModelFile.WEIGHTS;
    byte[] weights =
        read(set, ModelFile.WEIGHTS, weightsPath, conf, expectedWeightsBytes(saved.spec()));
    String sha = ModelFile.sha256(weights);
    if (!saved.weightsSha256().equals(sha)) {
      throw new IOException(
          weightsPath
              + ": SHA-256 "
              + sha
              + " differs from the "
              + saved.weightsSha256()
              + " recorded in model.json (the file was altered or truncated)");
    }
    float[] params =
        ModelFile.readWeights(saved.spec(), new ByteArrayInputStream(weights), weightsPath);
    return new Loaded(saved, params);
  }

  /** The bytes of {@code path}, checked against the set's record when there is one. */
  private static byte[] read(
      OutputSet.Committed set, String name, String path, Configuration conf, long maxBytes)
      throws IOException {
    byte[] bytes = HadoopFiles.read(path, conf, maxBytes);
    OutputSet.File recorded = set == null ? null : set.file(name);
    if (recorded != null && !recorded.sha256().equals(ModelFile.sha256(bytes))) {
      throw new IOException(
          path
              + ": its SHA-256 differs from the one committed in "
              + OutputSet.META
              + "/"
              + OutputSet.RECORD
              + " (the file was altered or truncated after the run)");
    }
    return bytes;
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
