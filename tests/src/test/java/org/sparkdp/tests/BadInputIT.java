package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input through {@code bin/sparkdp train}: each case exits non-zero with one line naming the problem, prints
 * no stack trace, and leaves an existing output directory exactly as it was.
 */
class BadInputIT {
  private static final String CONFIG = String.join("\n",
      "model:",
      "  layers:",
      "    - {type: dense, units: 8, activation: relu, input_dim: 4}",
      "    - {type: dense, units: 3, activation: softmax}",
      "compile:",
      "  optimizer: {type: adam, learning_rate: 0.01}",
      "  loss: sparse_categorical_crossentropy",
      "  metrics: [accuracy]",
      "fit: {epochs: 1, batch_size: 8}",
      "");
  private static final String CSV = "a,b,c,d,label\n1,2,3,4,0\n2,3,4,5,1\n3,4,5,6,2\n4,5,6,7,1\n";

  /** A case: files to write (name to content), the arguments after {@code train}, the expected message. */
  record Case(Map<String, String> files, List<String> args, String message) {
  }

  private static Case csv(String csv, String message) {
    return new Case(Map.of("job.yaml", CONFIG, "data.csv", csv), List.of(), message);
  }

  private static Case config(String from, String to, String message) {
    if (!CONFIG.contains(from)) {
      throw new IllegalArgumentException(from);
    }
    return new Case(Map.of("job.yaml", CONFIG.replace(from, to), "data.csv", CSV), List.of(), message);
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    cases.add(Arguments.of("NaN in features", csv(CSV.replace("3,4,5,6,2", "3,NaN,5,6,2"),
        "train data (data.csv) row 3: features value 1 is NaN")));
    cases.add(Arguments.of("wrong feature count", csv(CSV.replace("a,b,c,d,", "a,b,c,").replace("1,2,3,4,0", "1,2,3,0")
        .replace("2,3,4,5,1", "2,3,4,1").replace("3,4,5,6,2", "3,4,5,2").replace("4,5,6,7,1", "4,5,6,1"),
        "train data (data.csv): 3 feature columns (a, b, c) but the first layer's input_dim is 4")));
    cases.add(Arguments.of("label out of range", csv(CSV.replace("4,5,6,7,1", "4,5,6,7,3"),
        "train data (data.csv) row 4: label 3 is out of range [0, 3)")));
    cases.add(Arguments.of("missing file", new Case(Map.of("job.yaml", CONFIG), List.of(),
        "train data: data.csv: no such file or directory")));
    cases.add(Arguments.of("unknown activation", config("activation: relu", "activation: relu6",
        "model.layers[0].activation: unknown activation 'relu6'")));
    cases.add(Arguments.of("unknown optimizer", config("type: adam", "type: adamax",
        "compile.optimizer: unknown optimizer 'adamax'")));
    cases.add(Arguments.of("unknown loss", config("loss: sparse_categorical_crossentropy", "loss: hinge",
        "compile.loss: unknown loss 'hinge'")));
    cases.add(Arguments.of("non-positive units", config("units: 8", "units: 0",
        "model.layers[0].units must be a positive integer, got 0")));
    cases.add(Arguments.of("non-positive learning rate", config("learning_rate: 0.01", "learning_rate: -0.01",
        "compile.optimizer: learning_rate must be a positive number, got -0.01")));
    cases.add(Arguments.of("zero learning rate", config("learning_rate: 0.01", "learning_rate: 0",
        "compile.optimizer: learning_rate must be a positive number, got 0.0")));
    cases.add(Arguments.of("non-positive epochs", new Case(Map.of("job.yaml", CONFIG, "data.csv", CSV),
        List.of("--epochs", "0"), "--epochs must be a positive integer, got '0'")));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failsWithOneLineNamingTheProblemAndTouchesNothing(String name, Case c, @TempDir Path dir) throws Exception {
    for (Map.Entry<String, String> f : c.files().entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue());
    }
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("model.json"), "{\"previous\": true}");
    Files.write(out.resolve("weights.npz"), new byte[] {1, 2, 3});
    Map<String, String> before = snapshot(out);

    List<String> args = new ArrayList<>(List.of("train", "--config", "job.yaml", "--train", "data.csv", "--output",
        "out", "--conf", "spark.ui.enabled=false"));
    args.addAll(c.args());
    Launcher.Result r = Launcher.run(dir, args.toArray(new String[0]));

    assertNotEquals(0, r.exitCode(), "exit code; stdout: " + r.stdout());
    List<String> errors = r.stderrLines().stream().filter(l -> l.startsWith("sparkdp train: error: ")).toList();
    assertEquals(1, errors.size(), "one error line in: " + r.stderr());
    assertTrue(errors.get(0).startsWith("sparkdp train: error: " + c.message()), errors.get(0));
    assertTrue(r.stderrLines().stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")),
        "no stack trace: " + r.stderr());
    assertEquals(before, snapshot(out), "the output directory is untouched");
  }

  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        files.put(p.getFileName().toString(), new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1));
      }
    }
    return files;
  }
}
