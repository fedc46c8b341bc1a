package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkdp.jobs.InProcess;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;

/**
 * Bad input through {@code bin/sparkdp}: each case exits with its code (1 for data and files, 2 for
 * configuration and usage) and one line naming the problem (file, line, row, column or key), prints
 * no stack trace, and leaves an existing output directory exactly as it was.
 *
 * <p>The cases that only the launcher can show (its own options, {@code keygen}, the network's
 * waits) and one of each kind of failure (configuration, usage, a file, a value inside Spark's
 * tasks, an IDX file, weights, a model, predict) run as a user runs them, a JVM and a Spark each.
 * The others run their job in this JVM on one Spark session ({@link InProcess}, the same code from
 * the job's arguments to its error line, with paths made absolute), a second each instead of five.
 */
@ResourceLock(BadInputIT.TEST_JVM_SPARK)
class BadInputIT {
  /**
   * The Spark session of the test JVM: one per JVM, so the classes that start one there do not run
   * at the same time.
   */
  static final String TEST_JVM_SPARK = "the test JVM's Spark session";

  private static final String CONFIG =
      String.join(
          "\n",
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
  private static final ModelSpec SPEC =
      ModelSpec.of(Dense.of(8, "relu").withInputDim(4), Dense.of(3, "softmax"));

  /**
   * A case: the files to write (a name ending in {@code /} is an empty directory), the command and
   * its arguments (after {@code --config job.yaml --train data.csv --output out} for train), the
   * start of the expected message, and the exit code.
   */
  record Case(
      Map<String, byte[]> files,
      String command,
      List<String> args,
      String message,
      int exit,
      boolean oneOfItsKind) {
    Case(Map<String, byte[]> files, String command, List<String> args, String message, int exit) {
      this(files, command, args, message, exit, false);
    }

    @Override
    public String toString() {
      return message;
    }

    /** This case, exiting with 2 (configuration and usage). */
    Case usage() {
      return new Case(files, command, args, message, 2, oneOfItsKind);
    }

    /** This case, run through {@code bin/sparkdp} (one of its kind). */
    Case launched() {
      return new Case(files, command, args, message, exit, true);
    }

    /**
     * Whether it runs through {@code bin/sparkdp}: when it is one of its kind, and always for the
     * commands without Spark and the launcher's own options.
     */
    boolean throughLauncher() {
      return oneOfItsKind
          || !List.of("train", "evaluate", "predict").contains(command)
          || args.contains("--master")
          || args.contains("--conf");
    }
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Case train(Map<String, byte[]> files, List<String> args, String message) {
    Map<String, byte[]> all =
        new LinkedHashMap<>(Map.of("job.yaml", text(CONFIG), "data.csv", text(CSV)));
    all.putAll(files);
    return new Case(all, "train", args, message, 1);
  }

  private static Case csv(String csv, String message) {
    return train(Map.of("data.csv", text(csv)), List.of(), message);
  }

  private static Case config(String from, String to, String message) {
    if (!CONFIG.contains(from)) {
      throw new IllegalArgumentException(from);
    }
    return train(Map.of("job.yaml", text(CONFIG.replace(from, to))), List.of(), message).usage();
  }

  private static Case idx(byte[] images, byte[] labels, String message) {
    return train(
        Map.of(
            "x-images-idx3-ubyte.gz",
            images,
            "x-labels-idx1-ubyte.gz",
            labels,
            "job.yaml",
            text(CONFIG.replace("input_dim: 4", "input_dim: 6"))),
        List.of("--train", "x-images-idx3-ubyte.gz"),
        message);
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  static byte[] idxImages(int magic, int count, int bodyBytes) {
    ByteBuffer b =
        ByteBuffer.allocate(16 + bodyBytes).putInt(magic).putInt(count).putInt(2).putInt(3);
    return b.array();
  }

  static byte[] idxLabels(int count) {
    return ByteBuffer.allocate(8 + count).putInt(0x801).putInt(count).array();
  }

  private static byte[] weights(ModelSpec spec) {
    return ModelFile.weightsBytes(spec, spec.initialParameters(1));
  }

  static Stream<Arguments> cases() {
    ModelSpec wider = ModelSpec.of(Dense.of(9, "relu").withInputDim(4), Dense.of(3, "softmax"));
    byte[] truncated = Arrays.copyOf(weights(SPEC), weights(SPEC).length - 100);
    byte[] goodImages = gzip(idxImages(0x803, 4, 24));
    byte[] goodLabels = gzip(idxLabels(4));
    byte[] wrongShapes = weights(wider);
    byte[] jsonWithWrongShapes =
        ModelFile.toBytes(
            ModelFile.modelJson(
                SPEC,
                new org.sparkdp.ops.CompileConfig(
                    org.sparkdp.ops.Adam.defaults(),
                    org.sparkdp.ops.Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                    false,
                    List.of()),
                1,
                ModelFile.sha256(wrongShapes),
                null,
                null));
    List<Case> cases =
        List.of(
            csv(
                    CSV.replace("3,4,5,6,2", "3,NaN,5,6,2"),
                    "train data (data.csv) row 3: features value 1 is NaN")
                .launched(),
            csv(
                CSV.replace("2,3,4,5,1", "2,3,Inf,5,1"),
                "train data (data.csv) row 2: features value 2 is Infinity"),
            csv(
                "a,b,c,label\n1,2,3,0\n2,3,4,1\n",
                "train data (data.csv): 3 feature columns (a, b, c) but the first layer's input_dim is 4"),
            csv(
                CSV.replace("4,5,6,7,1", "4,5,6,7,3"),
                "train data (data.csv) row 4: label 3 is out of range [0, 3)"),
            csv(
                CSV.replace("2,3,4,5,1", "2,3,4,5,-1"),
                "train data (data.csv) row 2: label -1 is out of range [0, 3)"),
            csv(
                CSV.replace("2,3,4,5,1", "2,3,4,5,1.5"),
                "train data (data.csv) row 2: label 1.5 is not a class index (an integer in [0, 3))"),
            csv("a,b,c,d,label\n", "train data (data.csv) has no rows"),
            csv(
                CSV.replace("3,4,5,6,2", "3,4,5,2"),
                "train data (data.csv) line 4: 4 fields where the header has 5 (3,4,5,2)"),
            csv(
                CSV.replace("3,4,5,6,2", "3,4,5,6,2,9"),
                "train data (data.csv) line 4: 6 fields where the header has 5 (3,4,5,6,2,9)"),
            csv(
                CSV.replace("2,3,4,5,1", "2,abc,4,5,1"),
                "train data (data.csv) line 3: column 'b' (2): 'abc' is not a number"),
            train(
                Map.of(),
                List.of("--partitions", "10"),
                "partitions: 10 is more than the 4 rows of train data"),
            idx(
                    Arrays.copyOf(goodImages, goodImages.length - 12),
                    goodLabels,
                    "x-images-idx3-ubyte.gz: corrupt gzip data")
                .launched(),
            idx(
                gzip(idxImages(0x802, 4, 24)),
                goodLabels,
                "x-images-idx3-ubyte.gz: not an IDX image file (magic number 0x00000802, expected 0x00000803)"),
            idx(
                gzip(idxImages(0x803, 4, 20)),
                goodLabels,
                "x-images-idx3-ubyte.gz: the header announces 4 images of 2x3 (24 bytes) but 20 bytes follow"),
            config(
                    "type: dense, units: 8",
                    "type: conv3d, units: 8",
                    "model.layers[0].type: unknown layer type 'conv3d' (supported: "
                        + String.join(", ", org.sparkdp.ops.Layer.kinds().keySet())
                        + ")")
                .launched(),
            config(
                "activation: relu",
                "activation: mish",
                "model.layers[0].activation: unknown activation 'mish'"),
            config(
                "type: adam", "type: adadelta", "compile.optimizer: unknown optimizer 'adadelta'"),
            config(
                "loss: sparse_categorical_crossentropy",
                "loss: hinge",
                "compile.loss: unknown loss 'hinge'"),
            config(
                "units: 8", "units: 0", "model.layers[0].units: must be a positive integer, got 0"),
            config(
                "learning_rate: 0.01",
                "learning_rate: -0.01",
                "compile.optimizer.learning_rate: must be a positive number, got -0.01"),
            config(
                "learning_rate: 0.01",
                "learning_rate: 0",
                "compile.optimizer.learning_rate: must be a positive number, got 0"),
            train(
                    Map.of(),
                    List.of("--batch-size", "0"),
                    "--batch-size: must be a positive integer or 'all', got '0'")
                .usage()
                .launched(),
            train(
                    Map.of(),
                    List.of("--epochs", "-3"),
                    "--epochs: must be a positive integer, got '-3'")
                .usage(),
            train(
                    Map.of(),
                    List.of("--train", "missing.csv"),
                    "train data: missing.csv: no such file or directory")
                .launched(),
            train(
                    Map.of("blocker", text("a file, not a directory")),
                    List.of("--output", "blocker/out"),
                    "blocker/out is not writable")
                .launched(),
            train(
                    Map.of("init.npz", truncated),
                    List.of("--init-weights", "init.npz"),
                    "init.npz: truncated or not an npz archive")
                .launched(),
            train(
                Map.of("init.npz", wrongShapes),
                List.of("--init-weights", "init.npz"),
                "init.npz: array 'dense/kernel' has shape [4, 9], expected [4, 8]"),
            new Case(
                    Map.of(
                        "test.csv",
                        text(CSV),
                        "model/model.json",
                        jsonWithWrongShapes,
                        "model/weights.npz",
                        wrongShapes),
                    "evaluate",
                    List.of("--model", "model", "--data", "test.csv"),
                    "model/weights.npz: array 'dense/kernel' has shape [4, 9], expected [4, 8]",
                    1)
                .launched(),
            new Case(
                Map.of(
                    "test.csv",
                    text(CSV),
                    "model/model.json",
                    jsonWithWrongShapes,
                    "model/weights.npz",
                    Arrays.copyOf(wrongShapes, 300)),
                "evaluate",
                List.of("--model", "model", "--data", "test.csv"),
                "model/weights.npz: SHA-256",
                1));
    List<Case> all = new ArrayList<>(cases);
    all.addAll(issue10Cases());
    all.addAll(issue21Cases());
    all.addAll(differentialPrivacyCases());
    return all.stream().map(c -> Arguments.of(c.command() + ": " + c.message(), c));
  }

  private static Case libsvm(String line, String message) {
    return train(
        Map.of("data.libsvm", text("0 1:1 2:2 3:3 4:4\n" + line + "\n")),
        List.of("--train", "data.libsvm"),
        message);
  }

  /** A {@code model.json} of {@link #SPEC} (and its weights) with its first layer's units set. */
  private static Map<String, byte[]> modelWithUnits(String units) {
    byte[] weights = weights(SPEC);
    String json =
        new String(
            ModelFile.toBytes(
                ModelFile.modelJson(
                    SPEC,
                    new org.sparkdp.ops.CompileConfig(
                        org.sparkdp.ops.Adam.defaults(),
                        org.sparkdp.ops.Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                        false,
                        List.of()),
                    1,
                    ModelFile.sha256(weights),
                    null,
                    null)),
            StandardCharsets.UTF_8);
    return Map.of(
        "test.csv",
        text(CSV),
        "model/model.json",
        text(json.replaceFirst("\"units\" : 8", "\"units\" : " + units)),
        "model/weights.npz",
        weights);
  }

  /** NumPy's default: the arrays of {@link #SPEC} as float64. */
  static byte[] float64Weights() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
      for (Map.Entry<String, int[]> e : ModelFile.weightShapes(SPEC).entrySet()) {
        String shape = Arrays.toString(e.getValue()).replace('[', '(').replace(']', ')');
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
        header = header + " ".repeat(63 - (10 + header.length()) % 64) + "\n";
        int count = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
        ByteBuffer npy =
            ByteBuffer.allocate(10 + header.length() + 8 * count)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        npy.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        npy.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        zip.putNextEntry(new java.util.zip.ZipEntry(e.getKey() + ".npy"));
        zip.write(npy.array());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  /** The inputs of issue 10 (sizes, errors inside Spark, the launcher, strict YAML, dtypes). */
  static List<Case> issue10Cases() {
    byte[] header =
        ByteBuffer.allocate(16).putInt(0x803).putInt(1_000_000_000).putInt(2).putInt(3).array();
    StringBuilder oneLine = new StringBuilder("a,b,c,d,label");
    while (oneLine.length() < 30_000_000) {
      oneLine.append(",1,2,3,4");
    }
    return List.of(
        config(
                "units: 8",
                "units: 300000000",
                "model.layers[0]: a Dense layer of 4 inputs and 300000000 units brings the model to"
                    + " 1500000000 parameters, more than the ")
            .usage(),
        new Case(
            modelWithUnits("2000000000"),
            "evaluate",
            List.of("--model", "model", "--data", "test.csv"),
            "model/model.json: config.layers[0]: a Dense layer of 4 inputs and 2000000000 units"
                + " brings the model to 10000000000 parameters, more than the ",
            1),
        idx(
            gzip(Arrays.copyOf(header, 10_000_000)),
            gzip(idxLabels(4)),
            "x-images-idx3-ubyte.gz: the header announces 1000000000 images of 2x3 (6000000000"
                + " bytes), more than the 1073741824 bytes sparkdp reads from one IDX file"),
        libsvm(
            "1 0:1 2:3",
            "train data (data.libsvm) line 2: column 3 ('0:1'): index 0; LibSVM indices start at"
                + " 1"),
        libsvm(
            "1 1:abc 2:3",
            "train data (data.libsvm) line 2: column 3 ('1:abc'): the value is not a number"),
        libsvm(
            "1 1:1 9:3",
            "train data (data.libsvm) line 2: column 7 ('9:3'): index 9 is beyond the model's 4"
                + " features"),
        train(
            Map.of("data.parquet", text(CSV)),
            List.of("--train", "data.parquet"),
            "train data (data.parquet) is not a Parquet file (it does not start and end with"
                + " PAR1)"),
        train(
            Map.of("empty.parquet/", new byte[0]),
            List.of("--train", "empty.parquet"),
            "train data (empty.parquet): the directory holds no Parquet files"),
        csv(
            oneLine.toString(),
            "train data (data.csv) line 1: longer than the 1048576 bytes a line may have"),
        train(
                Map.of(),
                List.of("--master", "bogus://x"),
                "--master bogus://x: not a Spark master URL (expected local, local[N], local[*],"
                    + " local-cluster[N,CORES,MB], spark://HOST:PORT, yarn or k8s://URL)")
            .usage(),
        train(
                Map.of(),
                List.of("--conf", "spark.executor.memory"),
                "--conf spark.executor.memory: expected spark.KEY=VALUE")
            .usage(),
        train(
                Map.of(),
                List.of("--master", "yarn"),
                "--master yarn needs a Spark distribution with its cluster support: set"
                    + " SPARK_HOME")
            .usage(),
        config(
                "fit: {epochs: 1, batch_size: 8}",
                "fit: {epochs: 1, batch_size: 8}\nfit: {epochs: 5}",
                "job.yaml line 10, column 1: fit: given twice (a key may appear once)")
            .launched(),
        config(
            "learning_rate: 0.01",
            "learning_rate: .nan",
            "compile.optimizer.learning_rate: must be a positive number, got NaN"),
        config(
            "  loss: sparse",
            "\tloss: sparse",
            "job.yaml line 7, column 1: not valid YAML: while scanning for the next token: found"
                + " character 'tab' that cannot start any token"),
        config(
            "  metrics: [accuracy]",
            "  metrics: *m",
            "job.yaml line 8, column 12: compile.metrics: aliases (*m) are not supported"),
        train(
            Map.of("init.npz", float64Weights()),
            List.of("--init-weights", "init.npz"),
            "init.npz: array 'dense/kernel' has dtype <f8, expected float32 ('<f4') (NumPy's"
                + " default float64: save x.astype('float32'))"),
        new Case(
                Map.of(
                    "model/model.json",
                    modelWithUnits("8").get("model/model.json"),
                    "model/weights.npz",
                    weights(SPEC),
                    "new.csv",
                    text(CSV.replace("2,3,4,5,1", "2,NaN,4,5,1"))),
                "predict",
                List.of("--model", "model", "--data", "new.csv", "--output", "predictions"),
                "predict data (new.csv) row 2: features value 1 is NaN",
                1)
            .launched());
  }

  /** {@link #CONFIG} with {@code fit.differential_privacy} set to {@code mapping}. */
  private static Case privately(String mapping, String message) {
    return config(
        "fit: {epochs: 1, batch_size: 8}",
        "fit: {epochs: 1, batch_size: 8, differential_privacy: " + mapping + "}",
        message);
  }

  /**
   * The settings of issue 19's differential privacy that no run can use, from the job file (in
   * process: the file's mapping up to the trainer's checks) and the command line, and the privacy
   * command's usage through {@code bin/sparkdp} (its other inputs are PrivacyJobTest's).
   */
  static List<Case> differentialPrivacyCases() {
    String dp = "fit.differential_privacy: differential_privacy.";
    return List.of(
        privately("{noise_multiplier: 1.1}", dp + "l2_norm_clip: missing (a positive number)"),
        privately(
            "{l2_norm_clip: 1, noise_multiplier: 1.1, target_epsilon: 3}",
            dp + "target_epsilon: give it or noise_multiplier, not both"),
        privately(
            "{l2_norm_clip: 1}",
            dp + "noise_multiplier: give it, or target_epsilon to solve for it"),
        train(
                Map.of(
                    "job.yaml",
                    text(
                        CONFIG.replace(
                            "    - {type: dense, units: 3",
                            "    - {type: batch_normalization}\n    - {type: dense, units: 3"))),
                List.of("--differential-privacy", "l2_norm_clip=1,noise_multiplier=1.1"),
                "fit.differential_privacy: layer 1 (batch_normalization) mixes the examples of a"
                    + " batch, so no example has a gradient of its own to clip")
            .usage(),
        config(
            "fit: {epochs: 1, batch_size: 8}",
            "fit: {epochs: 1, batch_size: 8, strategy: local, differential_privacy:"
                + " {l2_norm_clip: 1, noise_multiplier: 1.1}}",
            "fit.differential_privacy: needs strategy sync"),
        // 1000 steps over all 4 rows: even the largest noise tried spends epsilon 0.1.
        config(
            "fit: {epochs: 1, batch_size: 8}",
            "fit: {epochs: 1000, batch_size: 8, differential_privacy: {l2_norm_clip: 1,"
                + " target_epsilon: 1.0e-9}}",
            "fit.differential_privacy.target_epsilon: target_epsilon=1.0E-9 at delta=1.0E-5"
                + " cannot be reached over 1000 steps at sample_rate=1.0: even"
                + " noise_multiplier="),
        train(
                Map.of(),
                List.of("--differential-privacy", "l2_norm_clip=0,noise_multiplier=1.1"),
                "--differential-privacy: differential_privacy.l2_norm_clip: must be a positive"
                    + " number, got 0")
            .usage(),
        new Case(
                Map.of(),
                "privacy",
                List.of("--epochs", "3", "--batch-size", "40", "--rows", "400"),
                "give --noise-multiplier S or --target-epsilon E (one of them, not neither)",
                2)
            .launched());
  }

  /** A local port with nothing listening on it. */
  static int closedPort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The inputs of issue 21 that name their cause in one line (the timed ones are below), each
   * through {@code bin/sparkdp}.
   */
  static List<Case> issue21Cases() {
    int port = closedPort();
    return List.of(
        new Case(
                Map.of(),
                "keygen",
                List.of("--out", "missing/dir/owner"),
                "--out missing/dir/owner: the directory missing/dir does not exist",
                1)
            .usage(),
        new Case(
                Map.of("blocker", text("a file")),
                "keygen",
                List.of("--out", "blocker/owner"),
                "--out blocker/owner: the directory blocker is not a directory",
                1)
            .usage(),
        new Case(
                Map.of(
                    "model/model.json",
                    modelWithUnits("8").get("model/model.json"),
                    "model/weights.npz",
                    weights(SPEC),
                    "new.csv",
                    text(CSV),
                    "blocker",
                    text("a file")),
                "predict",
                List.of("--model", "model", "--data", "new.csv", "--output", "blocker/predictions"),
                "blocker/predictions: cannot be created: ",
                1)
            .launched(),
        train(
                Map.of(),
                List.of("--train", "hdfs://127.0.0.1:" + port + "/data/train.csv"),
                "hdfs://127.0.0.1:"
                    + port
                    + "/data/train.csv: the file system at 127.0.0.1:"
                    + port
                    + " does not answer (connection refused;")
            .launched(),
        train(
            Map.of(),
            List.of("--master", "spark://127.0.0.1:" + port),
            "--master spark://127.0.0.1:"
                + port
                + ": no Spark master reachable (127.0.0.1:"
                + port
                + ": Connection refused"));
  }

  /**
   * A file system that accepts connections but never answers (a listening socket that nobody
   * serves): the run ends within a minute, with one line naming the file and the host.
   */
  @Test
  void aFileSystemThatDoesNotAnswerEndsTheRunWithinAMinute(@TempDir Path dir) throws Exception {
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50)) {
      String hostPort = "127.0.0.1:" + silent.getLocalPort();
      String file = "hdfs://" + hostPort + "/data/train.csv";
      long start = System.nanoTime();
      Launcher.Result r =
          runCase(
              train(
                  Map.of(),
                  List.of("--train", file),
                  file + ": the file system at " + hostPort + " does not answer (timed out;"),
              dir,
              false);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("a file system that does not answer: exit after %.1f s%n", seconds);
      assertOneLine(r, "train", file + ": the file system at " + hostPort + " does not answer");
      assertTrue(seconds < 60, "ended within a minute: " + seconds + " s");
    }
  }

  @Test
  void predictOntoAReadOnlyDirectoryNamesItAndWritesNothing(@TempDir Path dir) throws Exception {
    Path readOnly = Files.createDirectories(dir.resolve("ro"));
    boolean mounted = false;
    if ("root".equals(System.getProperty("user.name"))) {
      // Root writes through permissions: a read-only tmpfs is read-only for root too.
      Process mount =
          new ProcessBuilder(
                  "mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly.toString())
              .inheritIO()
              .start();
      mounted = mount.waitFor() == 0;
      org.junit.jupiter.api.Assumptions.assumeTrue(mounted, "mounting a read-only tmpfs");
    } else {
      readOnly.toFile().setWritable(false, false);
    }
    try {
      Case c =
          new Case(
              Map.of(
                  "model/model.json",
                  modelWithUnits("8").get("model/model.json"),
                  "model/weights.npz",
                  weights(SPEC),
                  "new.csv",
                  text(CSV)),
              "predict",
              List.of("--model", "model", "--data", "new.csv", "--output", "ro/predictions"),
              "ro/predictions: cannot be created: the directory ",
              1);
      Launcher.Result r = runCase(c, dir, false);
      assertOneLine(r, "predict", c.message());
      assertTrue(r.stderr().contains(" is not writable ("), r.stderr());
      assertFalse(Files.exists(readOnly.resolve("predictions")), "nothing written");

      // A single-file writer names the file it could not write, not its temporary file.
      Launcher.Result export =
          Launcher.run(
              dir, "export", "--model", "model", "--format", "onnx", "--output", "ro/m.onnx");
      assertEquals(1, export.exitCode(), export.stderr());
      assertOneLine(export, "export", "ro/m.onnx: cannot be written (");
    } finally {
      if (mounted) {
        new ProcessBuilder("umount", readOnly.toString()).inheritIO().start().waitFor();
      } else {
        readOnly.toFile().setWritable(true, false);
      }
    }
  }

  /** A resume of a changed model names the setting that differs, and changes nothing. */
  @Test
  void aResumeWithAChangedModelNamesTheSettingThatDiffers(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("job.yaml"), CONFIG);
    Files.writeString(dir.resolve("data.csv"), CSV);
    Launcher.Result first =
        Launcher.run(
            dir,
            "train",
            "--config",
            "job.yaml",
            "--train",
            "data.csv",
            "--output",
            "run",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(0, first.exitCode(), first.stderr());
    Map<String, String> before = snapshot(dir.resolve("run"));
    Files.writeString(dir.resolve("job.yaml"), CONFIG.replace("units: 8", "units: 16"));
    Launcher.Result r =
        Launcher.run(
            dir,
            "train",
            "--config",
            "job.yaml",
            "--train",
            "data.csv",
            "--output",
            "run",
            "--resume",
            "--conf",
            "spark.ui.enabled=false");
    assertEquals(2, r.exitCode(), r.stderr());
    assertOneLine(r, "train", "cannot resume from ");
    assertTrue(
        r.stderr()
            .contains(
                "it was made by a different run: model.layers[0].units: 8 in the checkpoint, 16"
                    + " now"),
        r.stderr());
    assertEquals(before, snapshot(dir.resolve("run")), "the run's directory is untouched");
  }

  /** Exactly one error line, starting with {@code message}, and no stack trace. */
  private static void assertOneLine(Launcher.Result r, String command, String message) {
    String prefix = "sparkdp " + command + ": error: ";
    List<String> errors = r.stderrLines().stream().filter(l -> l.startsWith(prefix)).toList();
    assertEquals(1, errors.size(), "one error line in: " + r.stderr());
    assertTrue(errors.get(0).startsWith(prefix + message), errors.get(0));
    assertTrue(
        r.stderrLines().stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")),
        "no stack trace: " + r.stderr());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failsWithOneLineNamingTheProblemAndTouchesNothing(String name, Case c, @TempDir Path dir)
      throws Exception {
    String prefix = "sparkdp " + c.command() + ": error: ";
    if (!c.throughLauncher()) {
      InProcess.Outcome o = runCaseInProcess(c, dir);
      assertTrue(
          o.errorLine() != null && o.errorLine().startsWith(prefix + c.message()),
          String.valueOf(o.errorLine()));
      return;
    }
    Launcher.Result r = runCase(c, dir, false);
    List<String> errors = r.stderrLines().stream().filter(l -> l.startsWith(prefix)).toList();
    assertEquals(1, errors.size(), "one error line in: " + r.stderr());
    assertTrue(errors.get(0).startsWith(prefix + c.message()), errors.get(0));
    assertTrue(
        r.stderrLines().stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")),
        "no stack trace: " + r.stderr());
  }

  @Test
  void verbosePrintsTheStackTraceToo(@TempDir Path dir) throws Exception {
    Case c =
        config("units: 8", "units: 0", "model.layers[0].units: must be a positive integer, got 0");
    Launcher.Result r = runCase(c, dir, true);
    assertTrue(
        r.stderrLines().stream()
            .anyMatch(l -> l.startsWith("sparkdp train: error: " + c.message())));
    assertTrue(
        r.stderrLines().stream().anyMatch(l -> l.startsWith("\tat org.sparkdp.")), r.stderr());
  }

  /**
   * Runs a case with a previous model in {@code out/}, checks the exit code and that {@code out/}
   * is untouched.
   */
  private static Launcher.Result runCase(Case c, Path dir, boolean verbose) throws Exception {
    Map<String, String> before = prepare(c, dir);
    List<String> args = new ArrayList<>(List.of(c.command()));
    args.addAll(jobArgs(c));
    if (List.of("train", "evaluate", "predict", "fingerprint").contains(c.command())) {
      args.addAll(List.of("--conf", "spark.ui.enabled=false"));
    }
    if (verbose) {
      args.add("--verbose");
    }
    Launcher.Result r = Launcher.run(dir, args.toArray(new String[0]));
    assertEquals(c.exit(), r.exitCode(), "exit code; stdout: " + r.stdout() + r.stderr());
    checkTouchedNothing(c, dir, before);
    return r;
  }

  /** The options that name a file or directory, which run in-process gives as absolute paths. */
  private static final List<String> PATH_OPTIONS =
      List.of("--config", "--train", "--test", "--output", "--init-weights", "--model", "--data");

  /**
   * Runs a case's job in this JVM on the shared Spark session ({@link #session}), with its paths
   * made absolute (this JVM works in another directory) and made relative again in the error line,
   * and checks the exit code and that {@code out/} is untouched.
   */
  private static InProcess.Outcome runCaseInProcess(Case c, Path dir) throws Exception {
    session();
    Map<String, String> before = prepare(c, dir);
    List<String> args = new ArrayList<>(jobArgs(c));
    for (int i = 1; i < args.size(); i++) {
      if (PATH_OPTIONS.contains(args.get(i - 1)) && !args.get(i).contains("://")) {
        args.set(i, dir.resolve(args.get(i)).toString());
      }
    }
    String prefix = dir + "/";
    InProcess.Outcome o =
        InProcess.run(c.command(), args.toArray(new String[0]))
            .mapLine(l -> l.replace("file:" + prefix, "").replace(prefix, ""));
    assertEquals(c.exit(), o.exitCode(), "exit code; " + o.errorLine());
    checkTouchedNothing(c, dir, before);
    return o;
  }

  private static org.apache.spark.sql.SparkSession spark;

  /** The Spark session that in-process runs share, as the launcher would make it for local[2]. */
  private static synchronized void session() {
    if (spark == null) {
      spark =
          org.apache.spark.sql.SparkSession.builder()
              .master("local[2]")
              .appName("BadInputIT")
              .config("spark.ui.enabled", "false")
              .getOrCreate();
    }
  }

  @AfterAll
  static void stopSession() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** The job's own arguments of a case: train's defaults, then the case's. */
  private static List<String> jobArgs(Case c) {
    List<String> args = new ArrayList<>();
    if (c.command().equals("train")) {
      args.addAll(List.of("--config", "job.yaml", "--train", "data.csv", "--output", "out"));
    }
    args.addAll(c.args());
    return args;
  }

  /**
   * Writes a case's files and a previous model in {@code out/}; returns {@code out/}'s snapshot.
   */
  private static Map<String, String> prepare(Case c, Path dir) throws IOException {
    for (Map.Entry<String, byte[]> f : c.files().entrySet()) {
      if (f.getKey().endsWith("/")) {
        Files.createDirectories(dir.resolve(f.getKey()));
        continue;
      }
      Files.createDirectories(dir.resolve(f.getKey()).getParent());
      Files.write(dir.resolve(f.getKey()), f.getValue());
    }
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("model.json"), "{\"previous\": true}");
    Files.write(out.resolve("weights.npz"), new byte[] {1, 2, 3});
    Files.createDirectories(out.resolve("checkpoints"));
    return snapshot(out);
  }

  private static void checkTouchedNothing(Case c, Path dir, Map<String, String> before)
      throws IOException {
    assertEquals(before, snapshot(dir.resolve("out")), "the output directory is untouched");
    if (c.command().equals("predict")) {
      assertFalse(Files.exists(dir.resolve("predictions")), "no predictions written");
    }
  }

  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        files.put(
            dir.relativize(p).toString(),
            Files.isDirectory(p)
                ? "dir"
                : new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
      }
    }
    return files;
  }
}
