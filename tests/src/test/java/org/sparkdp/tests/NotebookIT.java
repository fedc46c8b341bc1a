package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes {@code notebooks/fashion-mnist.ipynb} headless, as Jupyter runs it ({@code jupyter
 * nbconvert --execute}, Debian's Python kernel), and reads what its cells show.
 */
class NotebookIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every cell's text outputs (streams and results), one string per code cell. */
  private static List<String> texts(JsonNode notebook) {
    List<String> texts = new ArrayList<>();
    for (JsonNode cell : notebook.get("cells")) {
      if (!cell.get("cell_type").asText().equals("code")) {
        continue;
      }
      StringBuilder s = new StringBuilder();
      for (JsonNode output : cell.get("outputs")) {
        JsonNode text =
            output.has("text") ? output.get("text") : output.path("data").path("text/plain");
        text.forEach(line -> s.append(line.asText()));
        if (text.isTextual()) {
          s.append(text.asText());
        }
      }
      texts.add(s.toString());
    }
    return texts;
  }

  private static double number(String text, String label) {
    Matcher m = Pattern.compile(Pattern.quote(label) + " ([0-9.]+)").matcher(text);
    assertTrue(m.find(), "no '" + label + "' in: " + text);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void theFashionMnistNotebookReachesTheSeedModelsAccuracyAndShowsItsPlots(@TempDir Path dir)
      throws Exception {
    Path notebook = dir.resolve("fashion-mnist.ipynb");
    Files.copy(Launcher.HOME.resolve("notebooks/fashion-mnist.ipynb"), notebook);
    Path executed = dir.resolve("executed.ipynb");
    Path home = PySpark.sparkHome(dir);
    ProcessBuilder pb =
        new ProcessBuilder(
                "/usr/bin/jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--ExecutePreprocessor.timeout=900",
                "--output",
                executed.toString(),
                notebook.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("nbconvert.txt").toFile());
    pb.environment().putAll(PySpark.environment(home, "local[2]"));
    // The notebook starts Spark itself, with the app jar as a cluster user gives it.
    pb.environment().put("PYSPARK_SUBMIT_ARGS", "pyspark-shell");
    pb.environment().put("SPARKDP_JAR", SparkDist.APP.toString());
    pb.environment().put("SPARKDP_OUTPUT", dir.resolve("model").toString());
    pb.environment().put("SPARKDP_MASTER", "local[2]");
    pb.environment().put("PATH", "/usr/bin:" + System.getenv("PATH"));
    Process process = pb.start();
    int code = process.waitFor();
    assertEquals(0, code, Files.readString(dir.resolve("nbconvert.txt")));

    JsonNode cells = JSON.readTree(executed.toFile());
    List<String> texts = texts(cells);
    String all = String.join("\n", texts);
    String fit =
        texts.stream()
            .filter(t -> t.contains("Epoch 1/10"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no epoch lines in any cell: " + all));
    for (int e = 1; e <= 10; e++) {
      assertTrue(fit.contains("Epoch " + e + "/10 - "), fit);
    }
    double accuracy = number(all, "test accuracy:");
    System.out.println("Notebook: test accuracy " + accuracy);
    assertTrue(accuracy >= 0.86, all);
    assertEquals(accuracy, number(all, "loaded model's test accuracy:"), 1e-12);
    int correct = (int) number(all, "correct:");
    assertEquals(Math.round(accuracy * 10000), correct);
    assertTrue(Files.isRegularFile(dir.resolve("model/weights.npz")));
    assertTrue(number(all, "Spark ML stage, 2 epochs: test accuracy") > 0.8, all);
    int images = 0;
    for (JsonNode cell : cells.get("cells")) {
      for (JsonNode output : cell.path("outputs")) {
        images += output.path("data").has("image/png") ? 1 : 0;
      }
    }
    assertEquals(2, images, "the learning curves and the confusion matrix");
  }
}
