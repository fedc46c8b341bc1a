package org.sparkdp.jobs;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.sparkdp.Sequential;
import org.sparkdp.io.ModelStore;
import org.sparkdp.io.OutputFile;
import org.sparkdp.ops.ConfigException;

/**
 * {@code bin/sparkdp export --model DIR --format keras|onnx --output FILE}: a saved model as Keras
 * 3's {@code .keras} file (layers, weights, compile config; {@code keras.saving.load_model} reads
 * it) or as an ONNX model of its predictions (opset 17, any batch size). Needs no Spark session. It
 * does not write into a signed model directory, whose manifest lists every file, and replaces only
 * an earlier export of the same format unless {@code --overwrite} (see {@link OutputFile}).
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
    Configuration conf = JobRunner.hadoopConf();
    if (ModelStore.signed(dir, conf) && inside(output, dir, conf)) {
      // The manifest lists every file of the directory: one more would fail verify and load.
      throw new ConfigException(
          "--output "
              + output
              + ": inside the signed model directory "
              + dir
              + ", where verify would report it as ADDED and loading would refuse the model;"
              + " write it elsewhere");
    }
    boolean overwrite = cli.flag("--overwrite");
    OutputFile kind = format.equals("keras") ? OutputFile.KERAS : OutputFile.ONNX;
    // Before the model is read: a wrong --output is refused at once, and left as it is.
    kind.checkReplaceable(output, "--output " + output, overwrite, conf);
    Sequential model = Sequential.load(dir);
    if (format.equals("keras")) {
      model.exportKeras(output, overwrite);
    } else {
      model.exportOnnx(output, overwrite);
    }
    System.out.println("Model written to " + output + " (" + format + ")");
    return 0;
  }

  /** Whether {@code path} is in the directory tree {@code dir}. */
  private static boolean inside(String path, String dir, Configuration conf) throws IOException {
    Path given = new Path(dir);
    Path root = given.getFileSystem(conf).makeQualified(given);
    Path p = new Path(path);
    for (Path at = p.getFileSystem(conf).makeQualified(p); at != null; at = at.getParent()) {
      if (at.equals(root)) {
        return true;
      }
    }
    return false;
  }
}
