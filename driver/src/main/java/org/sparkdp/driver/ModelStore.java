package org.sparkdp.driver;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;

/**
 * Model directories on any Hadoop file system: {@code weights.npz} first, then {@code model.json}, which names
 * the SHA-256 of those weights; each file is written atomically. Loading checks the topology and shapes before
 * reading any weights, and the weights against the recorded hash.
 */
public final class ModelStore {
  /** Model files above this size are refused rather than read (a model of 500M float parameters). */
  static final long MAX_WEIGHTS_BYTES = 2_000_000_000L;

  private ModelStore() {
  }

  /** A model read from a directory, with its parameters. */
  public record Loaded(ModelFile.Saved saved, float[] params) {
  }

  /** Writes {@code dir/weights.npz} and {@code dir/model.json}; returns the weights' SHA-256. */
  public static String save(String dir, Configuration conf, ModelSpec spec, CompileConfig compile, int labelWidth,
      float[] params, JsonNode training, JsonNode provenance) throws IOException {
    byte[] weights = ModelFile.weightsBytes(spec, params);
    String sha = ModelFile.sha256(weights);
    byte[] json = ModelFile.toBytes(ModelFile.modelJson(spec, compile, labelWidth, sha, training, provenance));
    HadoopFiles.writeAtomically(dir, ModelFile.WEIGHTS, weights, conf);
    HadoopFiles.writeAtomically(dir, ModelFile.MODEL_JSON, json, conf);
    return sha;
  }

  /** Reads a model directory, checking shapes and the weights' hash. */
  public static Loaded load(String dir, Configuration conf) throws IOException {
    String jsonPath = dir + "/" + ModelFile.MODEL_JSON;
    String weightsPath = dir + "/" + ModelFile.WEIGHTS;
    ModelFile.Saved saved = ModelFile.parse(HadoopFiles.read(jsonPath, conf, 64L << 20), jsonPath);
    byte[] weights = HadoopFiles.read(weightsPath, conf, MAX_WEIGHTS_BYTES);
    String sha = ModelFile.sha256(weights);
    if (!saved.weightsSha256().isEmpty() && !saved.weightsSha256().equals(sha)) {
      throw new IOException(weightsPath + ": SHA-256 " + sha + " differs from the " + saved.weightsSha256()
          + " recorded in model.json (the file was altered or truncated)");
    }
    float[] params = ModelFile.readWeights(saved.spec(), new ByteArrayInputStream(weights), weightsPath);
    return new Loaded(saved, params);
  }

  /** Reads an {@code .npz} of weights in Keras' layout for {@code spec} (as Keras' {@code load_weights}). */
  public static float[] loadWeights(String path, Configuration conf, ModelSpec spec) throws IOException {
    byte[] bytes = HadoopFiles.read(path, conf, MAX_WEIGHTS_BYTES);
    return ModelFile.readWeights(spec, new ByteArrayInputStream(bytes), path);
  }
}
