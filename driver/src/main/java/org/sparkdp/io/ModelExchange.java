package org.sparkdp.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.interop.KerasArchive;
import org.sparkdp.interop.KerasJson;
import org.sparkdp.interop.KerasModel;
import org.sparkdp.interop.OnnxExport;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelSpec;

/**
 * Models in and out through any Hadoop file system: Keras' model JSON and {@code .keras} files
 * read, {@code .keras} and ONNX files written atomically.
 */
public final class ModelExchange {
  private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};

  private ModelExchange() {}

  /**
   * Reads a Keras model: a {@code .keras} file (a zip: layers, compile config, weights) or a model
   * JSON ({@code model.to_json()}: layers only), told apart by their first bytes.
   */
  public static KerasModel readKeras(String path, Configuration conf) throws IOException {
    byte[] bytes = HadoopFiles.read(path, conf, ModelStore.MAX_WEIGHTS_BYTES);
    boolean zip = bytes.length >= 4;
    for (int i = 0; zip && i < 4; i++) {
      zip = bytes[i] == ZIP_MAGIC[i];
    }
    if (zip) {
      return KerasArchive.read(bytes, path);
    }
    if (path.endsWith(".keras")) {
      throw new IOException(path + ": not a .keras file (a .keras file is a zip archive)");
    }
    String start = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.UTF_8).strip();
    if (!start.startsWith("{")) {
      throw new IOException(
          path + ": neither a .keras file (a zip archive) nor a Keras model's JSON");
    }
    return KerasJson.read(bytes, path);
  }

  /**
   * Writes a {@code .keras} file that Keras 3 loads ({@code keras.saving.load_model}); an existing
   * file is replaced only as {@link OutputFile#checkReplaceable} allows.
   */
  public static void writeKeras(
      String path,
      boolean overwrite,
      Configuration conf,
      ModelSpec spec,
      CompileConfig compile,
      float[] params)
      throws IOException {
    OutputFile.KERAS.write(path, path, overwrite, KerasArchive.write(spec, compile, params), conf);
  }

  /**
   * Writes an ONNX model (opset 17, dynamic batch) of the model's prediction; an existing file is
   * replaced only as {@link OutputFile#checkReplaceable} allows.
   */
  public static void writeOnnx(
      String path, boolean overwrite, Configuration conf, ModelSpec spec, float[] params)
      throws IOException {
    OutputFile.ONNX.write(
        path, path, overwrite, OnnxExport.write(spec, params, Provenance.version()), conf);
  }
}
