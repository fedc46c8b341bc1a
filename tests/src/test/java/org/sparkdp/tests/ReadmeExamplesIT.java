package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every code block of README.md is either run here as written or listed with the reason it cannot
 * run here; a block that is neither (a new example) fails the test, as does a listed one that the
 * README no longer has. Commands run through {@code bin/sparkdp} in a work directory where {@code
 * bin} is the project's, with small data files under the names the examples use: the README's job
 * file with Fashion-MNIST-shaped IDX files of 600 images where it writes {@code ...}. A line with
 * alternatives ({@code keras|onnx}) runs once per alternative, and optional parts ({@code [--output
 * metrics.json]}) are given.
 */
class ReadmeExamplesIT {
  private static final Path README = Launcher.HOME.resolve("README.md");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** A fenced code block: its language tag, its first line in README.md, its text. */
  record Block(String language, int line, String text) {
    String firstLine() {
      return text.lines().findFirst().orElse("").strip();
    }
  }

  /** The blocks that are run, by their first line, and the test method that runs each. */
  private static final Map<String, String> RUN =
      Map.ofEntries(
          Map.entry(
              "model:", "the job file of every command below (data: small IDX files for ...)"),
          Map.entry(
              "bin/sparkdp train --config job.yaml --output runs/mine", "commandsRunAsWritten"),
          Map.entry(
              "bin/sparkdp export --model runs/mine --format keras --output mine.keras"
                  + "  # keras.saving.load_model(\"mine.keras\")",
              "commandsRunAsWritten"),
          Map.entry("fit:", "theCallbacksExampleTrains"),
          Map.entry(
              "# the fit section of a job file, private", "theDifferentialPrivacyExampleTrains"),
          Map.entry(
              "bin/sparkdp privacy --epochs 20 --batch-size 256 --rows 54000 --target-epsilon 3   "
                  + " # plan a run: sigma 0.8203",
              "commandsRunAsWritten"),
          Map.entry(
              "python3 conf/token-pattern.py data/tokens    # data/tokens/train.csv (10,000"
                  + " sequences) and test.csv (2,000)",
              "theTokenPatternExampleLearnsThePattern"),
          Map.entry(
              "bin/sparkdp keygen --out owner                     # owner.key (private, mode 600) and"
                  + " owner.pub",
              "commandsRunAsWritten"),
          Map.entry("base64 -d runs/m/manifest.sig > sig.bin", "commandsRunAsWritten"),
          Map.entry(
              "bin/sparkdp predict --model runs/m --data new.csv --output out --require-signer owner.pub",
              "commandsRunAsWritten"),
          Map.entry("import org.sparkdp.FitOptions;", "theJavaFragmentsCompileAgainstTheJars"),
          Map.entry(
              "SequentialEstimator estimator = new SequentialEstimator()",
              "theJavaFragmentsCompileAgainstTheJars"),
          Map.entry(
              "from sparkdp import Adam, Dense, Dropout, Sequential, load_model, read_data",
              "thePythonFragmentsParseAndImportWhatThePackageHas"),
          Map.entry(
              "from pyspark.ml import Pipeline, PipelineModel",
              "thePythonFragmentsParseAndImportWhatThePackageHas"),
          Map.entry(
              "from pyspark.ml import Pipeline",
              "thePythonFragmentsParseAndImportWhatThePackageHas"));

  /** The blocks that are not run here, by their first line, each with the reason. */
  private static final Map<String, String> NOT_RUN =
      Map.ofEntries(
          Map.entry(
              "Sequential: Dense(64, relu, input 784) -> Dense(64, relu) -> Dense(10, softmax)",
              "the model in words, not code"),
          Map.entry(
              "bin/sparkdp quickstart      # set up what is missing, then train Fashion-MNIST on an"
                  + " embedded local Spark",
              "quickstart installs packages and trains all of Fashion-MNIST (minutes), and test"
                  + " runs this very suite"),
          Map.entry(
              "Epoch 10/10 - 0.7s - loss: 0.2518 - accuracy: 0.9048 - val_loss: 0.3660 -"
                  + " val_accuracy: 0.8720",
              "output shown, not input"),
          Map.entry(
              "sparkdp train: error: train data (data.csv) row 3: features value 1 is NaN",
              "error messages shown; BadInputIT provokes and checks them"),
          Map.entry(
              "spark-submit --master yarn --deploy-mode cluster \\",
              "needs a YARN cluster; YarnIT runs these arguments on Hadoop's mini YARN cluster"),
          Map.entry(
              "export SPARK_HOME=$(bin/sparkdp spark-home) SPARK_SCALA_VERSION=2.13",
              "a standalone Master on the fixed port 7077, which a parallel build on the same"
                  + " machine may hold; ClusterIT runs a standalone Master and Workers on free"
                  + " ports"),
          Map.entry(
              "manifest.sig: valid Ed25519 signature of manifest.json by the key given"
                  + " (SHA256:e0fdfa78...)",
              "output shown, not input"),
          Map.entry(
              "spark-submit --jars jobs/target/sparkdp-jobs-0.1.0-spark4.2_2.13-app.jar \\",
              "submits the reader's train.py; PySparkIT runs scripts with these --jars and"
                  + " --py-files"),
          Map.entry(
              "data:",
              "a lake on S3 and a Unity catalog; TableSourcesIT trains through bin/sparkdp from"
                  + " each form (a Delta path with versionAsOf, a table by name, a catalog's"
                  + " three-part name), TableSourcesTest reads a query, ORC and JSON"),
          Map.entry(
              "sparkdp train: error: train data (table default.no_such_events): no such table or"
                  + " view in Spark's catalog (the current database is spark_catalog.default)",
              "error messages shown; TableSourcesIT and TableSourcesTest provoke and check them"),
          Map.entry(
              "bin/sparkdp train --config job.yaml --train 'delta:/lake/events?versionAsOf=0'"
                  + " --output runs/delta \\",
              "downloads Delta Lake from Maven Central (spark.jars.packages); TableSourcesIT runs"
                  + " these settings with the same jars given as spark.jars, on a table of two"
                  + " versions"),
          Map.entry(
              "bin/sparkdp bench [--json FILE] [--epochs 10] [--skip-mllib] [--skip-torch]",
              "the benchmark runs for many minutes (and PyTorch where installed)"));

  @TempDir Path dir;

  static List<Block> blocks() throws IOException {
    List<String> lines = Files.readAllLines(README, StandardCharsets.UTF_8);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("```")) {
        String language = lines.get(i).substring(3).strip();
        int start = i + 1;
        StringBuilder text = new StringBuilder();
        for (i = start; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
          text.append(lines.get(i)).append('\n');
        }
        blocks.add(new Block(language, start, text.toString()));
      }
    }
    return blocks;
  }

  private static Block block(String firstLine) throws IOException {
    return blocks().stream()
        .filter(b -> b.firstLine().equals(firstLine))
        .findFirst()
        .orElseThrow(() -> new AssertionError("README.md has no block starting " + firstLine));
  }

  @Test
  void everyCodeBlockIsRunOrListedWithItsReason() throws IOException {
    List<String> unlisted = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (Block b : blocks()) {
      seen.add(b.firstLine());
      if (!RUN.containsKey(b.firstLine()) && !NOT_RUN.containsKey(b.firstLine())) {
        unlisted.add("README.md line " + b.line() + ": " + b.firstLine());
      }
    }
    assertEquals(
        List.of(),
        unlisted,
        "examples neither run by ReadmeExamplesIT nor listed there with a reason");
    List<String> stale = new ArrayList<>(RUN.keySet());
    stale.addAll(NOT_RUN.keySet());
    stale.removeAll(seen);
    assertEquals(List.of(), stale, "listed in ReadmeExamplesIT, gone from README.md");
  }

  @Test
  void commandsRunAsWritten() throws Exception {
    Path work = workspace(dir.resolve("work"), false);
    org.sparkdp.io.Keys.write(
        org.sparkdp.io.Keys.generate(), work.resolve("owner.key"), work.resolve("owner.pub"));
    long start = System.nanoTime();
    run(work, block("bin/sparkdp train --config job.yaml --output runs/mine"), Map.of());
    // The Keras model that train --model-from reads: one that Keras' format holds.
    Files.copy(work.resolve("mine.keras"), work.resolve("model.keras"));
    run(
        work,
        block(
            "bin/sparkdp export --model runs/mine --format keras --output mine.keras"
                + "  # keras.saving.load_model(\"mine.keras\")"),
        Map.of());

    run(
        work,
        block(
            "bin/sparkdp privacy --epochs 20 --batch-size 256 --rows 54000 --target-epsilon 3   "
                + " # plan a run: sigma 0.8203"),
        Map.of());
    assertTrue(
        Files.readString(work.resolve("runs/dp/model.json")).contains("\"privacy\""),
        "the private run's provenance records its privacy");

    // A second user, with no key yet: keygen makes owner.key.
    Path second = workspace(dir.resolve("second"), false);
    copyTree(work.resolve("runs/csv"), second.resolve("runs/older"));
    run(
        second,
        block(
            "bin/sparkdp keygen --out owner                     # owner.key (private, mode 600)"
                + " and owner.pub"),
        Map.of(
            // The suspect model is the one just trained and watermarked.
            "bin/sparkdp watermark-check",
            () -> Files.copy(second.resolve("runs/m/weights.npz"), second.resolve("suspect.npz"))));
    run(second, block("base64 -d runs/m/manifest.sig > sig.bin"), Map.of());
    // The model runs/m that keygen's block trained and signed with owner.key.
    run(
        second,
        block(
            "bin/sparkdp predict --model runs/m --data new.csv --output out --require-signer"
                + " owner.pub"),
        Map.of());
    assertTrue(Files.isDirectory(second.resolve("out")), "predict --require-signer wrote out");
    System.out.printf(
        "ReadmeExamplesIT: the command examples ran in %.1f s%n",
        (System.nanoTime() - start) / 1e9);
  }

  @Test
  void theCallbacksExampleTrains() throws Exception {
    // Labels that the images do not predict: val_loss stops improving at once, and early
    // stopping (patience 5) ends the run of 100 epochs after a few.
    Path work = workspace(dir.resolve("callbacks"), true);
    ObjectNode job = (ObjectNode) YAML.readTree(work.resolve("job.yaml").toFile());
    JsonNode callbacks = YAML.readTree(block("fit:").text());
    ((ObjectNode) job.get("fit")).setAll((ObjectNode) callbacks.get("fit"));
    YAML.writeValue(work.resolve("callbacks.yaml").toFile(), job);
    Launcher.Result r =
        Launcher.run(work, "train", "--config", "callbacks.yaml", "--output", "runs/callbacks");
    assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
    assertTrue(Files.exists(work.resolve("runs/callbacks/training.csv")), r.stdout());
    assertTrue(Files.exists(work.resolve("runs/callbacks/best/model.json")), r.stdout());
    assertTrue(r.stdout().contains("Epoch 6/100"), r.stdout());
  }

  @Test
  void theDifferentialPrivacyExampleTrains() throws Exception {
    Path work = workspace(dir.resolve("private"), false);
    ObjectNode job = (ObjectNode) YAML.readTree(work.resolve("job.yaml").toFile());
    JsonNode fit = YAML.readTree(block("# the fit section of a job file, private").text());
    ((ObjectNode) job.get("fit")).setAll((ObjectNode) fit.get("fit"));
    YAML.writeValue(work.resolve("private.yaml").toFile(), job);
    Launcher.Result r =
        Launcher.run(work, "train", "--config", "private.yaml", "--output", "runs/private");
    assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
    Matcher last = Pattern.compile("Epoch 20/20 .* - epsilon: ([0-9.]+)").matcher(r.stdout());
    assertTrue(last.find(), r.stdout());
    double spent = Double.parseDouble(last.group(1));
    assertTrue(spent > 2.9 && spent <= 3.0, "epsilon " + spent + " for a target of 3");
  }

  @Test
  void theTokenPatternExampleLearnsThePattern() throws Exception {
    // The README's own generator and job file, from the project's conf/.
    Path work = Files.createDirectories(dir.resolve("tokens"));
    Files.createSymbolicLink(work.resolve("bin"), Launcher.HOME.resolve("bin"));
    Files.createSymbolicLink(work.resolve("conf"), Launcher.HOME.resolve("conf"));
    run(
        work,
        block(
            "python3 conf/token-pattern.py data/tokens    # data/tokens/train.csv (10,000"
                + " sequences) and test.csv (2,000)"),
        Map.of());
    JsonNode metrics = YAML.readTree(work.resolve("runs/tokens/test-metrics.json").toFile());
    // The README says 0.982; the tokens' presence alone gives 0.71.
    assertTrue(metrics.get("accuracy").asDouble() > 0.95, metrics.toString());
  }

  /**
   * The Java fragments are compiled, not run: they use the reader's data frames ({@code train},
   * {@code test}, {@code data}), column names and layer lists, given here as parameters of the
   * method they become, and they save to {@code hdfs:///}. A renamed or retyped method fails here;
   * the driver's tests run each call.
   */
  @Test
  void theJavaFragmentsCompileAgainstTheJars() throws IOException {
    List<String> imports =
        new ArrayList<>(
            List.of(
                "import java.util.List;",
                "import java.util.Map;",
                "import org.apache.spark.ml.Pipeline;",
                "import org.apache.spark.ml.PipelineModel;",
                "import org.apache.spark.ml.PipelineStage;",
                "import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;",
                "import org.apache.spark.ml.feature.StandardScaler;",
                "import org.apache.spark.ml.feature.VectorAssembler;",
                "import org.apache.spark.ml.param.ParamMap;",
                "import org.apache.spark.ml.tuning.CrossValidator;",
                "import org.apache.spark.ml.tuning.CrossValidatorModel;",
                "import org.apache.spark.ml.tuning.ParamGridBuilder;",
                "import org.apache.spark.sql.Dataset;",
                "import org.apache.spark.sql.Row;",
                "import org.sparkdp.ml.SequentialEstimator;",
                "import scala.collection.JavaConverters;"));
    StringBuilder body = new StringBuilder();
    int n = 0;
    for (String first :
        List.of(
            "import org.sparkdp.FitOptions;",
            "SequentialEstimator estimator = new SequentialEstimator()")) {
      Block b = block(first);
      body.append("  // README.md line ")
          .append(b.line())
          .append("\n  static void example")
          .append(n++)
          .append("(Dataset<Row> train, Dataset<Row> test, Dataset<Row> data, String[] columns,")
          .append(" String small, String large) throws Exception {\n");
      for (String line : b.text().split("\n")) {
        if (line.startsWith("import ")) {
          imports.add(line);
        } else {
          body.append("    ").append(line).append('\n');
        }
      }
      body.append("  }\n");
    }
    String source = String.join("\n", imports) + "\n\nclass ReadmeJava {\n" + body + "}\n";
    Path src = Files.createDirectories(dir.resolve("java")).resolve("ReadmeJava.java");
    Files.writeString(src, source);
    javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
    java.io.StringWriter errors = new java.io.StringWriter();
    int code =
        javac.run(
            null,
            null,
            new java.io.PrintStream(
                new java.io.OutputStream() {
                  @Override
                  public void write(int b) {
                    errors.write(b);
                  }
                },
                true),
            "-proc:none",
            "-nowarn",
            "-classpath",
            System.getProperty("java.class.path"),
            "-d",
            dir.resolve("java").toString(),
            src.toString());
    assertEquals(0, code, source + "\n" + errors);
  }

  /**
   * The Python fragments parse, and every name they import from {@code sparkdp} is in the package's
   * {@code __all__}; they are not run (the reader's data, all of Fashion-MNIST). PySparkIT and
   * NotebookIT run the package's calls.
   */
  @Test
  void thePythonFragmentsParseAndImportWhatThePackageHas() throws Exception {
    String check =
        String.join(
            "\n",
            "import ast, sys",
            "init = ast.parse(open(sys.argv[1]).read())",
            "names = next(ast.literal_eval(n.value) for n in init.body",
            "             if isinstance(n, ast.Assign) and n.targets[0].id == '__all__')",
            "for path in sys.argv[2:]:",
            "    tree = ast.parse(open(path).read(), path)",
            "    for node in ast.walk(tree):",
            "        if isinstance(node, ast.ImportFrom) and node.module == 'sparkdp':",
            "            for alias in node.names:",
            "                if alias.name not in names:",
            "                    sys.exit(path + ': sparkdp has no ' + alias.name)",
            "");
    Path script = Files.writeString(dir.resolve("check.py"), check);
    List<String> command =
        new ArrayList<>(
            List.of(
                "python3",
                script.toString(),
                Launcher.HOME.resolve("python/sparkdp/__init__.py").toString()));
    for (String first :
        List.of(
            "from sparkdp import Adam, Dense, Dropout, Sequential, load_model, read_data",
            "from pyspark.ml import Pipeline, PipelineModel",
            "from pyspark.ml import Pipeline")) {
      Block b = block(first);
      Path file = dir.resolve("readme-line-" + b.line() + ".py");
      Files.writeString(file, b.text());
      command.add(file.toString());
    }
    Launcher.Result r = Launcher.command(dir, Map.of(), List.of(), command);
    assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
  }

  /** Before a line that starts with a key, the fixture it needs that an earlier line made. */
  interface Fixture {
    void make() throws IOException;
  }

  /**
   * Runs each command line of {@code block} (each alternative of a line with {@code a|b}) with bash
   * in {@code work}, and expects exit code 0 from each.
   */
  private static void run(Path work, Block block, Map<String, Fixture> before) throws Exception {
    for (String line : commandLines(block.text())) {
      for (Map.Entry<String, Fixture> f : before.entrySet()) {
        if (line.startsWith(f.getKey())) {
          f.getValue().make();
        }
      }
      List<String> variants = variants(line);
      for (int v = 0; v < variants.size(); v++) {
        String command = variants.get(v);
        if (v > 0) {
          moveAsideTheOutputOf(work, command, v);
        }
        Launcher.Result r =
            Launcher.command(
                work,
                Map.of("SPARKDP_DRIVER_MEMORY", "2g", "SPARKDP_JAVA_OPTS", Launcher.QUICK_JVM),
                List.of("SPARK_HOME"),
                List.of("bash", "-c", command));
        assertEquals(
            0,
            r.exitCode(),
            "README.md line " + block.line() + ": " + command + "\n" + r.stdout() + r.stderr());
      }
    }
  }

  /** The block's commands: continued lines joined, comments and blank lines dropped. */
  static List<String> commandLines(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\n")) {
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      String command = current.toString().replaceAll("\\s+#.*$", "").strip();
      current.setLength(0);
      if (!command.isEmpty() && !command.startsWith("#")) {
        lines.add(command);
      }
    }
    return lines;
  }

  /**
   * The commands that a line with optional parts and alternatives stands for: the optional parts
   * given, the i-th command taking the i-th alternative of each choice ({@code keras|onnx} with
   * {@code mine.keras|mine.onnx}). A line with quotes or a pipe between commands is one command.
   */
  static List<String> variants(String line) {
    if (line.contains("\"") || line.contains("'") || line.contains(" | ")) {
      return List.of(line);
    }
    List<String[]> tokens = new ArrayList<>();
    int count = 1;
    for (String token : line.split(" +")) {
      String[] choices = token.replace("[", "").replace("]", "").split("\\|");
      tokens.add(choices);
      count = Math.max(count, choices.length);
    }
    List<String> variants = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      List<String> words = new ArrayList<>();
      for (String[] choices : tokens) {
        words.add(choices[Math.min(i, choices.length - 1)]);
      }
      variants.add(String.join(" ", words).strip());
    }
    return variants;
  }

  /**
   * An alternative that writes to the same new path as the one before it ({@code predict --output
   * predictions}, which must not exist): the earlier output is moved aside first.
   */
  private static void moveAsideTheOutputOf(Path work, String command, int variant)
      throws IOException {
    Matcher m = Pattern.compile("--output (\\S+)").matcher(command);
    if (m.find() && Files.isDirectory(work.resolve(m.group(1)))) {
      Path output = work.resolve(m.group(1));
      Files.move(output, output.resolveSibling(output.getFileName() + ".variant-" + variant));
    }
  }

  /**
   * A work directory with the project's {@code bin}, the README's job file ({@code data/} where it
   * writes {@code ...}) and the data files that the examples name, all 28 x 28 images of 10
   * classes; with {@code noise}, labels that the images do not predict.
   */
  private static Path workspace(Path work, boolean noise) throws IOException {
    Files.createDirectories(work.resolve("data"));
    Files.createSymbolicLink(work.resolve("bin"), Launcher.HOME.resolve("bin"));
    String job = block("model:").text().replace(".../", "data/");
    Files.writeString(work.resolve("job.yaml"), job);
    writeIdx(work.resolve("data"), "train", 600, 1, noise);
    writeIdx(work.resolve("data"), "t10k", 200, 2, noise);
    writeCsv(work.resolve("data.csv"), 300, 3, noise);
    writeCsv(work.resolve("test.csv"), 100, 4, noise);
    writeCsv(work.resolve("more.csv"), 100, 5, noise);
    writeCsv(work.resolve("new.csv"), 50, 7, noise);
    writeParquet(work.resolve("new.parquet"), 50, 6);
    return work;
  }

  private static final int PIXELS = 28 * 28;

  /** Image {@code r}'s pixels: noise, with a bright band of rows that tells its class. */
  private static int[] image(SplittableRandom random, int label) {
    int[] x = new int[PIXELS];
    for (int j = 0; j < PIXELS; j++) {
      int row = j / 28;
      x[j] = random.nextInt(60) + (row / 2 == label + 2 ? 180 : 0);
    }
    return x;
  }

  private static int label(SplittableRandom random, int drawn, boolean noise) {
    return noise ? random.nextInt(10) : drawn;
  }

  private static void writeIdx(Path dir, String prefix, int count, long seed, boolean noise)
      throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    ByteArrayOutputStream images = new ByteArrayOutputStream();
    ByteArrayOutputStream labels = new ByteArrayOutputStream();
    DataOutputStream img = new DataOutputStream(images);
    DataOutputStream lab = new DataOutputStream(labels);
    img.writeInt(0x803);
    img.writeInt(count);
    img.writeInt(28);
    img.writeInt(28);
    lab.writeInt(0x801);
    lab.writeInt(count);
    for (int r = 0; r < count; r++) {
      int drawn = r % 10;
      for (int p : image(random, drawn)) {
        img.writeByte(p);
      }
      lab.writeByte(label(random, drawn, noise));
    }
    gzip(dir.resolve(prefix + "-images-idx3-ubyte.gz"), images.toByteArray());
    gzip(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), labels.toByteArray());
  }

  private static void gzip(Path file, byte[] bytes) throws IOException {
    try (GZIPOutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(bytes);
    }
  }

  private static void writeCsv(Path file, int count, long seed, boolean noise) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder s = new StringBuilder();
    for (int j = 0; j < PIXELS; j++) {
      s.append('x').append(j).append(',');
    }
    s.append("label\n");
    for (int r = 0; r < count; r++) {
      int drawn = r % 10;
      for (int p : image(random, drawn)) {
        s.append(p / 255.0f).append(',');
      }
      s.append(label(random, drawn, noise)).append('\n');
    }
    Files.writeString(file, s);
  }

  private static void writeParquet(Path file, int count, long seed) throws IOException {
    StringBuilder schema = new StringBuilder("message row {");
    for (int j = 0; j < PIXELS; j++) {
      schema.append(" required double x").append(j).append(';');
    }
    MessageType type = MessageTypeParser.parseMessageType(schema.append(" }").toString());
    SplittableRandom random = new SplittableRandom(seed);
    SimpleGroupFactory groups = new SimpleGroupFactory(type);
    try (ParquetWriter<Group> writer =
        ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
            .withType(type)
            .withConf(new org.apache.hadoop.conf.Configuration())
            .build()) {
      for (int r = 0; r < count; r++) {
        Group g = groups.newGroup();
        int[] x = image(random, r % 10);
        for (int j = 0; j < PIXELS; j++) {
          g.append("x" + j, x[j] / 255.0);
        }
        writer.write(g);
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
