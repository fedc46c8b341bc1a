package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkdp.DataException;
import org.sparkdp.FitOptions;
import org.sparkdp.interop.KerasArchive;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Sgd;
import org.sparkdp.ops.privacy.DifferentialPrivacy;

class JobConfigTest {
  static final String YAML =
      String.join(
          "\n",
          "model:",
          "  layers:",
          "    - {type: dense, units: 64, activation: relu, input_dim: 784}",
          "    - {type: dense, units: 64, activation: relu}",
          "    - {type: dense, units: 10, activation: softmax}",
          "compile:",
          "  optimizer: {type: adam, learning_rate: 0.001}",
          "  loss: sparse_categorical_crossentropy",
          "  metrics: [accuracy]",
          "fit: {epochs: 10, batch_size: 32, validation_split: 0.1, strategy: sync, seed: 42}",
          "data:",
          "  train: {format: idx, images: /d/train-images-idx3-ubyte.gz, labels: /d/train-labels-idx1-ubyte.gz}",
          "  test: {format: idx, images: /d/t10k-images-idx3-ubyte.gz, labels: /d/t10k-labels-idx1-ubyte.gz}",
          "");

  private static JobConfig parse(String yaml, String... args) {
    return JobConfig.parse(yaml, "job.yaml", Cli.parse(Cli.train(), args));
  }

  private static String error(String yaml, String... args) {
    return assertThrows(ConfigException.class, () -> parse(yaml, args)).getMessage();
  }

  @Test
  void theIssuesExampleParsesInKerasTerms() {
    JobConfig c = parse(YAML);
    assertEquals(55050, c.model().layout().size());
    assertEquals(Adam.defaults(), c.compile().optimizer());
    assertEquals(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, c.compile().loss());
    assertEquals(10, c.fit().epochs());
    assertEquals(32, c.fit().batchSize());
    assertEquals(0.1, c.fit().validationSplit());
    assertEquals(42, c.fit().seed());
    assertEquals("idx", c.train().format());
    assertEquals("/d/t10k-labels-idx1-ubyte.gz", c.test().labels());
    assertNull(c.validation());
  }

  @Test
  void theShippedFashionMnistConfigurationParses() throws IOException {
    Path file = Path.of(System.getProperty("user.dir"), "..", "conf", "fashion-mnist.yaml");
    JobConfig c = parse(Files.readString(file));
    assertEquals(10, c.fit().epochs());
    assertEquals(32, c.fit().batchSize());
    assertEquals("adam", c.compile().optimizer().kerasName());
  }

  /** The job files in {@code conf/}: each a valid job, as the README tells users to run them. */
  private static List<Path> shippedJobFiles() throws IOException {
    try (java.util.stream.Stream<Path> files =
        Files.list(Path.of(System.getProperty("user.dir"), "..", "conf"))) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @Test
  void everyShippedJobFileParses() throws IOException {
    List<Path> files = shippedJobFiles();
    assertTrue(files.size() >= 5, files.toString());
    for (Path file : files) {
      JobConfig c =
          JobConfig.parse(
              Files.readString(file), file.toString(), Cli.parse(Cli.train(), new String[0]));
      assertTrue(c.fit().epochs() > 0, file.toString());
    }
  }

  @Test
  void theDifferentialPrivacyExampleIsTheSeedModelTrainedWithDpSgd() throws IOException {
    Path conf = Path.of(System.getProperty("user.dir"), "..", "conf");
    JobConfig seed = parse(Files.readString(conf.resolve("fashion-mnist.yaml")));
    JobConfig dp = parse(Files.readString(conf.resolve("fashion-mnist-dp.yaml")));
    assertEquals(seed.model(), dp.model());
    assertEquals(seed.compile().loss(), dp.compile().loss());
    assertEquals(seed.train(), dp.train());
    assertEquals(seed.test(), dp.test());
    assertEquals(seed.fit().validationSplit(), dp.fit().validationSplit());
    assertNull(seed.fit().differentialPrivacy());
    DifferentialPrivacy privacy = dp.fit().differentialPrivacy();
    assertEquals(1.0, privacy.l2NormClip());
    assertEquals(3.0, privacy.targetEpsilon());
    assertNull(privacy.noiseMultiplier());
    assertEquals(1e-5, privacy.delta());
    assertEquals(DifferentialPrivacy.Sampling.POISSON, privacy.sampling());
    assertEquals(false, privacy.secureNoise());
    assertEquals(1024, dp.fit().batchSize());
    assertTrue(
        privacy.delta() < 1.0 / (60000 * (1 - dp.fit().validationSplit())),
        "delta below 1 / training rows");
  }

  @Test
  void differentialPrivacyComesFromAMappingOrTheCommandLinesText() {
    String yaml =
        YAML.replace(
            "seed: 42}",
            "seed: 42, differential_privacy: {l2_norm_clip: 0.5, target_epsilon: 2, delta: 1.0e-6,"
                + " sampling: shuffle, secure_noise: true}}");
    assertEquals(
        new DifferentialPrivacy(0.5, null, 2.0, 1e-6, DifferentialPrivacy.Sampling.SHUFFLE, true),
        parse(yaml).fit().differentialPrivacy());
    assertEquals(
        DifferentialPrivacy.of(1.5, 0.8),
        parse(yaml, "--differential-privacy", "l2_norm_clip=1.5,noise_multiplier=0.8")
            .fit()
            .differentialPrivacy(),
        "the option replaces the file's mapping, its other keys at their defaults");
  }

  @Test
  void commandLineOverridesTheFile() {
    JobConfig c =
        parse(
            YAML,
            "--train",
            "data.csv",
            "--epochs",
            "2",
            "--batch-size",
            "all",
            "--partitions",
            "3",
            "--seed",
            "11",
            "--output",
            "out",
            "--validation",
            "val.parquet",
            "--init-weights",
            "w.npz");
    assertEquals("csv", c.train().format());
    assertEquals("data.csv", c.train().path());
    assertEquals(2, c.fit().epochs());
    assertEquals(FitOptions.ALL, c.fit().batchSize());
    assertEquals(3, c.fit().partitions());
    assertEquals(11, c.fit().seed());
    assertEquals("out", c.output());
    assertEquals("parquet", c.validation().format());
    assertEquals(0, c.fit().validationSplit(), "explicit validation data replaces the split");
    assertEquals("w.npz", c.initWeights());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "activation: relu, input_dim: 784|activation: mish, input_dim: 784|model.layers[0].activation: unknown activation 'mish'",
        "{type: adam, learning_rate: 0.001}|{type: adadelta, learning_rate: 0.001}|compile.optimizer: unknown optimizer 'adadelta'",
        "{type: dense, units: 64, activation: relu}|{type: dropout, rate: 1.5}|model.layers[1].rate: must be a number in [0, 1), got 1.5",
        "learning_rate: 0.001|learning_rate: {type: exponential_decay, initial_learning_rate: 0.1, decay_steps: 0, decay_rate: 0.9}|compile.optimizer.learning_rate.decay_steps: must be a positive integer, got 0",
        "loss: sparse_categorical_crossentropy|loss: focal|compile.loss: unknown loss 'focal'",
        "units: 64, activation: relu, input_dim|units: 0, activation: relu, input_dim|model.layers[0].units: must be a positive integer, got 0",
        "learning_rate: 0.001|learning_rate: -0.5|compile.optimizer.learning_rate: must be a positive number, got -0.5",
        "learning_rate: 0.001|learning_rate: 0|compile.optimizer.learning_rate: must be a positive number, got 0",
        "{type: dense, units: 10, activation: softmax}|{type: dense, units: 10, activation: relu}|compile.loss: loss sparse_categorical_crossentropy needs a softmax last layer",
        "batch_size: 32|batch_size: -4|fit.batch_size: must be a positive integer or 'all', got -4",
        "validation_split: 0.1|validation_split: 1.5|fit.validation_split: must be a number in [0, 1), got 1.5",
        "strategy: sync|strategy: async|fit.strategy: unknown strategy 'async' (expected one of [sync, local])",
        "{type: dense, units: 64, activation: relu}|{type: conv3d, units: 64}|model.layers[1].type: unknown layer type 'conv3d'",
        "compile:|compiler:|job.yaml: unknown key [compiler]",
        "epochs: 10|epoch: 10|fit: unknown key [epoch]",
        "seed: 42|seed: 4.5|fit.seed: must be an integer, got 4.5",
        "seed: 42|seed: 42, verbose: 5|fit.verbose: must be an integer from 0 to 2, got 5",
      })
  void badSettingsNameTheirKey(String from, String to, String message) {
    assertTrue(YAML.contains(from), from);
    String got = error(YAML.replace(from, to));
    assertTrue(got.startsWith(message), got);
  }

  @Test
  void closedChoicesReadInAnyCase() {
    JobConfig c =
        parse(
            YAML.replace(
                "strategy: sync",
                "strategy: LOCAL, sync_path: Channel, outer_optimizer: Nesterov"));
    assertEquals(FitOptions.Strategy.LOCAL, c.fit().strategy());
    assertEquals(FitOptions.SyncPath.CHANNEL, c.fit().syncPath());
    assertEquals(FitOptions.OuterOptimizer.NESTEROV, c.fit().outerOptimizer());
  }

  @Test
  void badCommandLineOptionsAreNamed() {
    assertEquals(
        "--epochs: must be a positive integer, got 'zero'", error(YAML, "--epochs", "zero"));
    assertEquals(
        "unknown option '--epoch' (did you mean --epochs?); see sparkdp train --help",
        error(YAML, "--epoch", "3"));
    assertTrue(
        error(YAML, "--epochs").startsWith("Missing required parameter for option '--epochs'"),
        error(YAML, "--epochs"));
    assertEquals(
        3, parse(YAML, "--epochs", "2", "--epochs", "3").fit().epochs(), "the last value counts");
    assertTrue(
        error(YAML, "--train", "data.xlsx")
            .startsWith("--train: cannot tell the format of 'data.xlsx'"));
  }

  @Test
  void missingSectionsAreExplained() {
    assertTrue(error("").startsWith("model: missing"), error(""));
    assertTrue(error(YAML.substring(0, YAML.indexOf("data:"))).startsWith("data.train: missing"));
    assertTrue(error("[1, 2]").startsWith("job.yaml: expected a mapping"));
    assertTrue(
        error("model: {layers: [}").matches("job\\.yaml line 1, column \\d+: not valid YAML: .*"),
        error("model: {layers: [}"));
  }

  @Test
  void aKeyGivenTwiceIsAnErrorNotTheLastOneWins() {
    assertEquals(
        "job.yaml line 11, column 1: fit: given twice (a key may appear once)",
        error(YAML.replace("data:", "fit: {epochs: 1}\ndata:")));
    assertEquals(
        "job.yaml line 7, column 49: compile.optimizer.learning_rate: given twice (a key may"
            + " appear once)",
        error(YAML.replace("learning_rate: 0.001", "learning_rate: 0.001, learning_rate: 0.1")));
  }

  @Test
  void nanAndInfinityAreValuesThatTheSettingRefuses() {
    assertEquals(
        "compile.optimizer.learning_rate: must be a positive number, got NaN",
        error(YAML.replace("learning_rate: 0.001", "learning_rate: .nan")));
    assertEquals(
        "compile.optimizer.learning_rate: must be a positive number, got Infinity",
        error(YAML.replace("learning_rate: 0.001", "learning_rate: .inf")));
    assertEquals(
        "fit.validation_split: must be a number in [0, 1), got -Infinity",
        error(YAML.replace("validation_split: 0.1", "validation_split: -.Inf")));
  }

  @Test
  void yamlErrorsNameTheLineAndColumn() {
    String tab = YAML.replace("  loss: sparse", "\tloss: sparse");
    assertEquals(
        "job.yaml line 8, column 1: not valid YAML: while scanning for the next token: found"
            + " character 'tab' that cannot start any token. (Do not use tab for indentation)",
        error(tab));
    assertEquals(
        "job.yaml line 2, column 17: model.layers: aliases (*x) are not supported; write the"
            + " value out",
        error("base: &x [1]\nmodel: {layers: *x}\n"));
    assertTrue(error(YAML + "---\nmodel: {}\n").contains("more than one document"));
  }

  @Test
  void idxPathsAreRecognisedFromTheImageFileName() {
    DataSource s = DataSource.fromPath("/d/train-images-idx3-ubyte.gz", "--train");
    assertEquals("/d/train-labels-idx1-ubyte.gz", s.labels());
    DataSource explicit = DataSource.fromPath("idx:a.bin,b.bin", "--train");
    assertEquals("a.bin", explicit.images());
    assertEquals("b.bin", explicit.labels());
    assertEquals("libsvm", DataSource.fromPath("x.libsvm", "--train").format());
  }

  /** A .keras file of a small compiled model, written by sparkdp. */
  private static Path kerasFile(Path dir, boolean compiled) throws IOException {
    ModelSpec spec = ModelSpec.of(Dense.of(4, "relu").withInputDim(3), Dense.of(2, "softmax"));
    CompileConfig compile =
        new CompileConfig(
            new Sgd(0.05, 0.9, false), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, List.of());
    Path file = dir.resolve(compiled ? "compiled.keras" : "plain.keras");
    Files.write(
        file, KerasArchive.write(spec, compiled ? compile : null, spec.initialParameters(1)));
    return file;
  }

  private static final String DATA = "data: {train: {format: csv, path: t.csv}}\n";

  @Test
  void modelFromAKerasFileBringsItsLayersWeightsAndCompileConfig(@TempDir Path dir)
      throws IOException {
    Path keras = kerasFile(dir, true);
    JobConfig c = parse("model: {from: " + keras + "}\n" + DATA);
    assertEquals(3, c.model().inputDim());
    assertEquals(new Sgd(0.05, 0.9, false), c.compile().optimizer());
    assertEquals(26, c.imported().params().length);
    // The job's compile section wins over the file's.
    JobConfig own =
        parse("model: {from: " + keras + "}\ncompile: {optimizer: adam, loss: mse}\n" + DATA);
    assertEquals(Loss.MEAN_SQUARED_ERROR, own.compile().loss());
    // --model-from replaces the file's model.
    JobConfig option = parse(YAML, "--model-from", keras.toString());
    assertEquals(3, option.model().inputDim());
  }

  @Test
  void modelFromIsCheckedBeforeSparkStarts(@TempDir Path dir) throws IOException {
    Path plain = kerasFile(dir, false);
    assertTrue(
        error("model: {from: " + plain + "}\n" + DATA)
            .contains(
                "compile: missing (compile: {optimizer: adam, loss: ..., metrics: [accuracy]});"
                    + " "
                    + plain
                    + " has no compile config sparkdp can use"));
    assertTrue(
        error("model: {from: " + plain + ", layers: [{units: 1, input_dim: 1}]}\n" + DATA)
            .contains("model: give layers or from (a Keras model), not both"));
    DataException missing =
        assertThrows(
            DataException.class,
            () -> parse("model: {from: " + dir.resolve("no.keras") + "}\n" + DATA));
    assertTrue(missing.getMessage().contains("no.keras: no such file"), missing.getMessage());
    Files.writeString(dir.resolve("bad.keras"), "not a zip");
    java.io.UncheckedIOException bad =
        assertThrows(
            java.io.UncheckedIOException.class,
            () -> parse("model: {from: " + dir.resolve("bad.keras") + "}\n" + DATA));
    assertTrue(
        bad.getCause().getMessage().contains("bad.keras: not a .keras file"),
        bad.getCause().getMessage());
  }
}
