package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.Callback;
import org.sparkdp.CsvLogger;
import org.sparkdp.DataException;
import org.sparkdp.Evaluation;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.ModelCheckpoint;
import org.sparkdp.Sequential;
import org.sparkdp.driver.Engine;
import org.sparkdp.io.CanonicalJson;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.io.Keys;
import org.sparkdp.io.ModelCard;
import org.sparkdp.io.ModelStore;
import org.sparkdp.io.OutputLock;
import org.sparkdp.io.Provenance;
import org.sparkdp.ops.Blas;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.ModelFile;

/**
 * {@code spark-submit --class org.sparkdp.jobs.TrainJob sparkdp-jobs-app.jar --config job.yaml
 * [options]}: trains the configured model and writes its directory: {@code model.json}, {@code
 * weights.npz}, {@code history.json}, {@code learning-curves.png}, {@code MODEL_CARD.md} and, with
 * test data, {@code test-metrics.json} (with the confusion matrix of a classifier, drawn in {@code
 * confusion-matrix.png}, and each class's precision and recall in {@code test-per-class.json});
 * with {@code --sign-with KEY}, the signed {@code manifest.json} and {@code manifest.sig}.
 * Checkpoints go to {@code OUTPUT/checkpoints} (one per epoch, the newest three kept); {@code
 * --resume} continues from the newest; without it, a directory that holds checkpoints of an earlier
 * run is refused, as they are that run's to resume. The run holds the output directory's {@link
 * OutputLock} while it writes there, so a second run into it is refused at once. Every input (data,
 * test data included, weights, keys, where callbacks write) is checked before anything is written:
 * bad input changes nothing in the output directory; a run that fails during training leaves the
 * previous model in place and its checkpoints beside it.
 */
public final class TrainJob {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TrainJob() {}

  public static void main(String[] args) {
    JobRunner.main("train", args, TrainJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.train(), args);
    if (cli == null) {
      return 0;
    }
    Configuration local = JobRunner.hadoopConf();
    String source = cli.has("--config") ? cli.get("--config") : "(no --config)";
    String yaml =
        cli.has("--config")
            ? new String(readConfig(cli.get("--config"), local), StandardCharsets.UTF_8)
            : "";
    JobConfig config = JobConfig.parse(yaml, source, cli);
    String output =
        config.output() != null
            ? config.output()
            : "runs/train-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    checkInputsExist(config, local);
    String nonFinite = nonFinite(config.resolved(), "");
    if (nonFinite != null) {
      throw new ConfigException(
          nonFinite + ": NaN and the infinities cannot be recorded in model.json (JSON has none)");
    }
    config.fit().checkpointDir(output + "/checkpoints").resume(cli.flag("--resume"));
    config.fit().set(FitOptions.CALLBACKS, underOutput(config.fit().callbacks(), output));
    // Keys are read before Spark starts, so that a bad one costs no training.
    PrivateKey signWith =
        cli.has("--sign-with")
            ? Keys.readPrivate(cli.get("--sign-with"), "--sign-with " + cli.get("--sign-with"))
            : null;
    if (config.fit().watermark() != null) {
      String key = config.fit().watermark().key();
      Keys.readPrivate(key, "fit.watermark.key " + key);
    }
    checkCallbackPaths(config.fit().callbacks(), local);
    boolean created = !HadoopFiles.exists(output, local);
    boolean failed = true;
    try {
      HadoopFiles.checkWritable(output, local);
      // The directory's owner from here on: a second run into it is refused at once, naming this.
      try (OutputLock lock = OutputLock.acquire(output, local, "train")) {
        // A run judged stale (a long pause) and taken over stops rather than write on.
        lock.onLost(() -> Sequential.interruptTraining("the lock of " + output + " was lost"));
        checkCheckpoints(output, cli.flag("--resume"), local);
        // The model a resumed run may continue, read before the new one replaces it.
        List<Provenance.Predecessor> earlier =
            cli.flag("--resume") ? ModelStore.lineage(output, local) : List.of();
        int code;
        try {
          code = train(config, output, args, signWith, earlier);
          if (code == 0) {
            markFinished(output + "/checkpoints", local);
          }
        } catch (org.sparkdp.TrainingInterruptedException e) {
          lock.check(); // names the run that holds the directory now
          throw e;
        }
        failed = false;
        return code;
      }
    } finally {
      if (failed && created) {
        Path dir = new Path(output);
        FileSystem fs = dir.getFileSystem(local);
        if (fs.exists(dir) && fs.listStatus(dir).length == 0) {
          fs.delete(dir, false);
        }
        // What a failed run leaves in a directory it made itself is its checkpoints: they stay, to
        // resume from.
      }
    }
  }

  /**
   * With {@code --resume}, that there is a checkpoint to resume from; without, that there is none
   * of an earlier run, which this run would replace: a run never removes checkpoints that another
   * could resume (or extend with more epochs) unless told to resume them.
   */
  static void checkCheckpoints(String output, boolean resume, Configuration conf)
      throws java.io.IOException {
    String dir = output + "/checkpoints";
    List<String> found =
        HadoopFiles.list(dir, conf).stream().filter(n -> n.startsWith("ckpt-")).toList();
    if (resume && found.isEmpty()) {
      throw new DataException("--resume: no checkpoint in " + dir + " to resume from");
    }
    if (!resume && !found.isEmpty()) {
      String newest = found.get(found.size() - 1);
      if (newestCheckpoint(dir, conf).equals(finishedAt(dir, conf))) {
        // A run that ended leaves nothing to resume: a rerun replaces its checkpoints, as a
        // rerun of a Keras script does.
        System.err.println(
            "sparkdp train: replacing the checkpoints of the finished run in " + dir);
        return;
      }
      throw new ConfigException(
          dir
              + " holds the checkpoints of an earlier run that did not finish (the newest is "
              + newest
              + "); continue that run with --resume, train into another --output, or remove "
              + dir
              + " to start afresh");
    }
  }

  /**
   * The file in the checkpoint directory that identifies the newest checkpoint of a run that ended
   * (its name and the SHA-256 of its {@code SHA256SUMS}): it tells a finished run, whose
   * checkpoints a rerun may replace, from one that was stopped or failed, which only {@code
   * --resume} may touch. Written when a run ends; any later checkpoint (another name, or the same
   * name with other contents) no longer matches it, so a run that fails changes nothing here.
   */
  static final String FINISHED = "FINISHED";

  /** What {@link #FINISHED} holds, or {@code null} when there is none. */
  static String finishedAt(String dir, Configuration conf) throws java.io.IOException {
    String file = dir + "/" + FINISHED;
    if (!HadoopFiles.exists(file, conf)) {
      return null;
    }
    return new String(HadoopFiles.read(file, conf, 256), StandardCharsets.UTF_8).strip();
  }

  /**
   * The newest checkpoint of {@code dir} as {@link #FINISHED} names it ({@code name sha256}), or
   * {@code null} when there is none.
   */
  static String newestCheckpoint(String dir, Configuration conf) throws java.io.IOException {
    List<String> found =
        HadoopFiles.list(dir, conf).stream().filter(n -> n.startsWith("ckpt-")).toList();
    if (found.isEmpty()) {
      return null;
    }
    String newest = found.get(found.size() - 1);
    String sums = dir + "/" + newest + "/SHA256SUMS";
    String hash = "-";
    if (HadoopFiles.exists(sums, conf)) {
      try {
        byte[] digest =
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(HadoopFiles.read(sums, conf, 1 << 16));
        hash = java.util.HexFormat.of().formatHex(digest);
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }
    return newest + " " + hash;
  }

  /**
   * Marks the run that wrote the checkpoints of {@code dir} as finished (see {@link #FINISHED}).
   */
  static void markFinished(String dir, Configuration conf) throws Exception {
    String newest = newestCheckpoint(dir, conf);
    if (newest != null) {
      HadoopFiles.writeAtomically(
          dir + "/" + FINISHED, (newest + "\n").getBytes(StandardCharsets.UTF_8), conf);
    }
  }

  private static int train(
      JobConfig config,
      String output,
      String[] args,
      PrivateKey signWith,
      List<Provenance.Predecessor> earlier)
      throws Exception {
    if (config.imported() != null) {
      String from = config.resolved().path("model").path("from").asText();
      config
          .imported()
          .notes()
          .forEach(n -> System.err.println("sparkdp train: " + from + ": " + n));
    }
    SparkSession spark = JobRunner.session("sparkdp train", config.sparkConf());
    Sequential model = new Sequential(config.model());
    model.compile(config.compile());
    // Keras' box characters where the console can show them (a UTF-8 locale), else ASCII.
    System.out.print(
        model
            .spec()
            .summary(
                "sequential",
                java.nio.charset.Charset.defaultCharset().newEncoder().canEncode('┏')));
    System.out.printf(
        Locale.ROOT,
        "sparkdp %s: %s, %d parameters; %s, %s; Spark %s on %s; BLAS %s%n",
        Provenance.version(),
        shape(config),
        config.model().layout().size(),
        config.compile().optimizer().kerasName(),
        config.compile().loss().kerasName(),
        spark.version(),
        spark.sparkContext().master(),
        Blas.implementation());
    int inputDim = config.model().inputDim();
    String weight = config.fit().sampleWeightCol();
    Readers.Read trainRead = Readers.open(spark, config.train(), "train", inputDim, weight);
    Readers.Read validationRead =
        config.validation() == null
            ? null
            : Readers.open(spark, config.validation(), "validation", inputDim, weight);
    Dataset<Row> train = trainRead.frame();
    Dataset<Row> validation = validationRead == null ? null : validationRead.frame();
    // Test data is checked as the evaluation after training will check it, before anything is
    // written: a bad row must not cost a run (nor the checkpoints it writes over).
    Dataset<Row> testData =
        config.test() == null ? null : Readers.read(spark, config.test(), "test", inputDim, weight);
    if (testData != null) {
      Engine.checkEvaluationData(
          model.spec(),
          config.compile(),
          testData,
          "features",
          "label",
          config.test().describe("test"));
    }
    if (config.imported() != null && config.imported().params() != null) {
      model.setWeights(config.imported().params());
    }
    if (config.initWeights() != null) {
      model.loadWeights(config.initWeights());
    }
    History history = model.fit(train, validation, config.fit());

    Map<String, Double> testMetrics = null;
    ObjectNode perClass = null;
    Evaluation test = null;
    if (config.test() != null) {
      test = model.evaluation(testData, "features", "label", config.test().describe("test"));
      testMetrics = test.metrics();
      StringBuilder line = new StringBuilder("Test");
      testMetrics.forEach((k, v) -> line.append(String.format(Locale.ROOT, " - %s: %.4f", k, v)));
      System.out.println(line);
      perClass = test.confusionMatrix() == null ? null : ClassReport.json(test.confusionMatrix());
    }

    // The hash of the canonical form (RFC 8785), which anyone can compute again from model.json.
    byte[] resolved = CanonicalJson.bytes(config.resolved());
    Provenance provenance =
        model
            .provenance()
            .withJob(
                new Provenance.Job(
                    "train", List.of(args), config.resolved(), ModelFile.sha256(resolved)))
            .withMetadata(config.metadata())
            .withCode(TrainJob.class, Sequential.class, ModelFile.class)
            .withPredecessors(predecessors(model, config, earlier))
            // Which table, and which version of it, Spark read the data from.
            .withSources(
                trainRead.source(), validationRead == null ? null : validationRead.source());
    model.setProvenance(testMetrics == null ? provenance : provenance.withTestMetrics(testMetrics));

    // One set: the model, its history, curves and test metrics are committed together.
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("history.json", JSON.writeValueAsBytes(new LinkedHashMap<>(history.toMap())));
    files.put("learning-curves.png", LearningCurves.renderPng(history.history()));
    if (test != null) {
      files.put("test-metrics.json", JSON.writeValueAsBytes(test.toMap()));
      if (test.confusionMatrix() != null) {
        files.put("confusion-matrix.png", ConfusionMatrixChart.renderPng(test.confusionMatrix()));
      }
    }
    if (perClass != null) {
      files.put(ModelCard.PER_CLASS, JSON.writeValueAsBytes(perClass));
    }
    model.save(output, files, signWith);
    System.out.println(
        "Model written to "
            + output
            + (signWith == null ? "" : ", signed by key " + Keys.keyId(Keys.publicOf(signWith))));
    return 0;
  }

  /**
   * What the model continues from: the checkpoint it resumed at; the model that was in the output
   * directory, when the run continues exactly where that model ended (the checkpoint's weights are
   * that model's), with that model's own predecessors; the initial weights; and the Keras model
   * whose weights it started from.
   */
  private static List<Provenance.Predecessor> predecessors(
      Sequential model, JobConfig config, List<Provenance.Predecessor> earlier)
      throws java.io.IOException {
    List<Provenance.Predecessor> chain = new ArrayList<>();
    List<Provenance.Predecessor> own = model.provenance().predecessors();
    if (own != null) {
      chain.addAll(own);
      boolean continues =
          !earlier.isEmpty()
              && own.stream()
                  .anyMatch(
                      p ->
                          p.kind().equals("checkpoint")
                              && java.util.Objects.equals(
                                  p.sha256().get("weights"),
                                  earlier.get(0).sha256().get(ModelFile.WEIGHTS)));
      if (continues) {
        chain.addAll(earlier);
      }
    }
    if (config.initWeights() != null) {
      byte[] bytes = HadoopFiles.read(config.initWeights(), new Configuration(), Long.MAX_VALUE);
      chain.add(
          new Provenance.Predecessor(
              "weights",
              config.initWeights(),
              Map.of(new Path(config.initWeights()).getName(), ModelFile.sha256(bytes)),
              null,
              null,
              null));
    }
    if (config.imported() != null && config.imported().params() != null) {
      // A .keras file's weights, where training started (init_weights, when given, replaced them).
      String from = config.resolved().path("model").path("from").asText();
      byte[] bytes = HadoopFiles.read(from, new Configuration(), Long.MAX_VALUE);
      chain.add(
          new Provenance.Predecessor(
              "keras",
              from,
              Map.of(new Path(from).getName(), ModelFile.sha256(bytes)),
              null,
              null,
              null));
    }
    return chain;
  }

  /**
   * The callbacks with their relative paths (a checkpoint's {@code filepath}, a log's {@code
   * filename}) taken as relative to the output directory, where the run's other files go.
   */
  static List<Callback> underOutput(List<Callback> callbacks, String output) {
    List<Callback> resolved = new java.util.ArrayList<>();
    for (Callback c : callbacks) {
      if (c instanceof ModelCheckpoint m && relative(m.config().filepath())) {
        c = new ModelCheckpoint(m.config().withFilepath(output + "/" + m.config().filepath()));
      } else if (c instanceof CsvLogger l && relative(l.config().filename())) {
        c = new CsvLogger(l.config().withFilename(output + "/" + l.config().filename()));
      }
      resolved.add(c);
    }
    return List.copyOf(resolved);
  }

  private static boolean relative(String path) {
    // A template's format (model-{epoch:02d}) or a name's colon is not a scheme.
    Path p = org.sparkdp.io.HadoopFiles.path(path);
    return !p.isAbsolute() && p.toUri().getScheme() == null;
  }

  /**
   * The job file: {@code path} itself, or, when it is not there, the file of that name shipped with
   * {@code spark-submit --files}. YARN puts such files in the driver's working directory;
   * standalone and Kubernetes cluster mode do not, but every driver can reach them through {@link
   * SparkFiles#get} once Spark runs (which then starts early, so the file's own {@code spark:}
   * settings come too late for anything but SQL settings: pass those with {@code --conf} there).
   */
  static byte[] readConfig(String path, Configuration local) throws java.io.IOException {
    boolean schemeless = new Path(path).toUri().getScheme() == null;
    String here = schemeless ? java.nio.file.Path.of(path).toAbsolutePath().toString() : path;
    // Without a scheme the file is on this machine's disk first, even where the cluster's default
    // file system (HADOOP_CONF_DIR's fs.defaultFS) is HDFS; then on the default file system.
    if (schemeless && HadoopFiles.exists("file:" + here, local)) {
      return HadoopFiles.read("file:" + here, local, 1 << 20);
    }
    if (HadoopFiles.exists(path, local)) {
      return HadoopFiles.read(path, local, 1 << 20);
    }
    String name = new Path(path).getName();
    if (!shipped(name)) {
      throw new java.io.FileNotFoundException(
          "--config "
              + path
              + ": no such file ("
              + here
              + "), and no file of that name was shipped with spark-submit --files");
    }
    JobRunner.session("sparkdp train", Map.of());
    // SparkFiles' directory is on the driver's local disk.
    String fetched = "file:" + SparkFiles.get(name);
    if (!HadoopFiles.exists(fetched, local)) {
      throw new java.io.FileNotFoundException(
          "--config "
              + path
              + ": no such file here ("
              + here
              + ") nor in SparkFiles ("
              + fetched
              + ")");
    }
    System.err.println(
        "sparkdp train: --config "
            + path
            + " read from the files shipped with --files ("
            + fetched
            + ")");
    return HadoopFiles.read(fetched, local, 1 << 20);
  }

  /**
   * Whether {@code spark-submit --files} (or YARN's dist files) lists a file named {@code name}.
   */
  private static boolean shipped(String name) {
    org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf();
    for (String key : List.of("spark.files", "spark.yarn.dist.files")) {
      for (String uri : conf.get(key, "").split(",")) {
        if (!uri.isBlank() && new Path(uri.strip()).getName().equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The widths of the Dense layers, e.g. {@code Dense 784-64-64-10}; a model of other weighted
   * layers is named by their kinds and its input shape, e.g. {@code Conv2D-Conv2D-Dense
   * 28x28x1-10}.
   */
  private static String shape(JobConfig config) {
    var spec = config.model();
    List<String> kinds =
        spec.layout().views().stream()
            .map(v -> v.layer())
            .distinct()
            .map(l -> spec.layers().get(l).className())
            .toList();
    if (kinds.stream().allMatch("Dense"::equals) && spec.inputShape().size() == 1) {
      StringBuilder s = new StringBuilder("Dense ").append(spec.inputDim());
      spec.layers().stream()
          .filter(l -> l instanceof Dense)
          .forEach(d -> s.append('-').append(((Dense) d).units()));
      return s.toString();
    }
    return String.join("-", kinds)
        + " "
        + String.join("x", spec.inputShape().stream().map(String::valueOf).toList())
        + "-"
        + spec.outputUnits();
  }

  /** The path of the first number in {@code node} that is not finite, or {@code null}. */
  private static String nonFinite(com.fasterxml.jackson.databind.JsonNode node, String path) {
    if (node.isNumber() && !Double.isFinite(node.doubleValue())) {
      return path;
    }
    for (java.util.Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it =
            node.fields();
        it.hasNext(); ) {
      Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = it.next();
      String found = nonFinite(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey());
      if (found != null) {
        return found;
      }
    }
    for (int i = 0; i < node.size() && node.isArray(); i++) {
      String found = nonFinite(node.get(i), path + "[" + i + "]");
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /** Fails before Spark starts if an input file is missing. */
  static void checkInputsExist(JobConfig config, Configuration conf) throws java.io.IOException {
    check(config.train(), "train", conf);
    check(config.validation(), "validation", conf);
    check(config.test(), "test", conf);
    if (config.initWeights() != null && !HadoopFiles.exists(config.initWeights(), conf)) {
      throw new DataException("init_weights: " + config.initWeights() + ": no such file");
    }
  }

  /**
   * Fails before anything is written if a callback could not write where it is told to: a model
   * checkpoint's directory that is a file, a log that is a directory, or a place under a file or
   * under a directory that cannot be written.
   */
  static void checkCallbackPaths(List<Callback> callbacks, Configuration conf)
      throws java.io.IOException {
    for (Callback c : callbacks) {
      if (c instanceof ModelCheckpoint m) {
        checkCallbackPath("model_checkpoint.filepath", m.config().filepath(), true, conf);
      } else if (c instanceof CsvLogger l) {
        checkCallbackPath("csv_logger.filename", l.config().filename(), false, conf);
      }
    }
  }

  private static void checkCallbackPath(
      String key, String path, boolean directory, Configuration conf) throws java.io.IOException {
    // A template's fields ({epoch:02d}) are not a path yet: its fixed directory part is checked.
    int field = path.indexOf('{');
    String fixed = field < 0 ? path : path.substring(0, Math.max(0, path.lastIndexOf('/', field)));
    if (fixed.isEmpty()) {
      return;
    }
    Path p = new Path(fixed);
    FileSystem fs = p.getFileSystem(conf);
    if (fs.exists(p) && field < 0 && fs.getFileStatus(p).isDirectory() != directory) {
      throw new DataException(
          key
              + ": "
              + path
              + (directory ? " is a file, not a model directory" : " is a directory, not a file"));
    }
    Path existing = field < 0 ? p.getParent() : p;
    while (existing != null && !fs.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return;
    }
    if (!fs.getFileStatus(existing).isDirectory()) {
      throw new DataException(key + ": " + path + ": " + existing + " is a file, not a directory");
    }
    boolean writable;
    if ("file".equals(fs.getScheme())) {
      // The operating system's answer (root writes anywhere), not Hadoop's reading of the bits.
      writable = java.nio.file.Files.isWritable(java.nio.file.Path.of(existing.toUri().getPath()));
    } else {
      try {
        fs.access(existing, org.apache.hadoop.fs.permission.FsAction.WRITE);
        writable = true;
      } catch (org.apache.hadoop.security.AccessControlException e) {
        writable = false;
      }
    }
    if (!writable) {
      throw new DataException(key + ": " + path + ": " + existing + " is not writable");
    }
  }

  private static void check(DataSource source, String role, Configuration conf)
      throws java.io.IOException {
    if (source == null) {
      return;
    }
    for (String file : source.files()) {
      if (!HadoopFiles.exists(file, conf)) {
        throw new DataException(role + " data: " + file + ": no such file or directory");
      }
    }
  }
}
