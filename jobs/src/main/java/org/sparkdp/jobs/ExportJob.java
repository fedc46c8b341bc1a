package org.sparkdp.jobs;

import java.util.Locale;
import org.sparkdp.Sequential;
import org.sparkdp.ops.ConfigException;

/**
 * {@code bin/sparkdp export --model DIR --format keras|onnx --output FILE}: a saved model as Keras
 * 3's {@code .keras} file (layers, weights, compile config; {@code keras.saving.load_model} reads
 * it) or as an ONNX model of its predictions (opset 17, any batch size). Needs no Spark session.
 */
public final class ExportJob {
  private ExportJob() {}

  public static void main(String[] args) {
    JobRunner.main("export", args, ExportJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.export(), args);
    if (cli == null) {
      return 0;
    }
    String dir = cli.require("--model");
    String format = cli.require("--format").trim().toLowerCase(Locale.ROOT);
    String output = cli.require("--output");
    if (!format.equals("keras") && !format.equals("onnx")) {
      throw new ConfigException("--format " + format + ": expected keras or onnx");
    }
    if (format.equals("keras") && !output.endsWith(".keras")) {
      // Keras' load_model refuses any other name.
      throw new ConfigException("--output " + output + ": a Keras model file must end in .keras");
    }
    Sequential model = Sequential.load(dir);
    if (format.equals("keras")) {
      model.exportKeras(output);
    } else {
      model.exportOnnx(output);
    }
    System.out.println("Model written to " + output + " (" + format + ")");
    return 0;
  }
}
