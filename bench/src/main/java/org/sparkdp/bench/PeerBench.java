package org.sparkdp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The peers: Spark MLlib's multilayer perceptron on the same data frames, and PyTorch through
 * Python.
 */
final class PeerBench {
  private PeerBench() {}

  /** An MLlib run: wall seconds of {@code fit} and test accuracy. */
  record MllibRun(int iterations, double seconds, double testAccuracy) {}

  /**
   * MLlib's MLP (L-BFGS, its default solver) with the same layer sizes, {@code iterations} passes
   * over the data.
   */
  static MllibRun mllib(Dataset<Row> train, Dataset<Row> test, int iterations) {
    MultilayerPerceptronClassifier mlp =
        new MultilayerPerceptronClassifier()
            .setLayers(new int[] {784, 64, 64, 10})
            .setMaxIter(iterations)
            .setTol(0)
            .setSeed(42)
            .setBlockSize(128);
    long start = System.nanoTime();
    MultilayerPerceptronClassificationModel model = mlp.fit(train);
    double seconds = (System.nanoTime() - start) / 1e9;
    double accuracy =
        new MulticlassClassificationEvaluator()
            .setMetricName("accuracy")
            .evaluate(model.transform(test));
    return new MllibRun(iterations, seconds, accuracy);
  }

  /**
   * PyTorch's epoch times and test accuracy, or {@code null} if {@code /usr/bin/python3} has no
   * torch.
   */
  static JsonNode torch(String dataDir, int batch, int epochs)
      throws IOException, InterruptedException {
    return torch("torch_mlp.py", dataDir, batch, epochs);
  }

  /**
   * The bench's PyTorch script {@code resource} (beside this class) on {@code dataDir}, {@code
   * batch} and {@code epochs}: its JSON line, or {@code null} if it did not run.
   */
  static JsonNode torch(String resource, String dataDir, int batch, int epochs)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("sparkdp-torch", ".py");
    try (InputStream in = PeerBench.class.getResourceAsStream(resource)) {
      Files.write(script, in.readAllBytes());
    }
    // Output goes to files: reading one pipe to its end while the child fills the other would
    // deadlock, and
    // waitFor's timeout would never be reached.
    Path stdout = Files.createTempFile("sparkdp-torch", ".out");
    Path stderr = Files.createTempFile("sparkdp-torch", ".err");
    ProcessBuilder pb =
        new ProcessBuilder(
                "/usr/bin/python3",
                script.toString(),
                dataDir,
                String.valueOf(batch),
                String.valueOf(epochs))
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    boolean done = p.waitFor(30, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly();
    }
    String out = Files.readString(stdout, StandardCharsets.UTF_8);
    String err = Files.readString(stderr, StandardCharsets.UTF_8);
    for (Path f : new Path[] {script, stdout, stderr}) {
      Files.deleteIfExists(f);
    }
    if (!done || p.exitValue() != 0) {
      System.err.println(
          "bench: PyTorch not measured: "
              + (err.contains("No module named 'torch'")
                  ? "/usr/bin/python3 has no torch (apt-get install python3-torch)"
                  : err.lines()
                      .reduce((a, b) -> b)
                      .orElse("exit " + (done ? p.exitValue() : "timeout"))));
      return null;
    }
    return new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
  }
}
