package org.sparkdp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Setting;

/**
 * Writes each epoch's logs as a row of a CSV file, as Keras 3's {@code CSVLogger}: a header {@code
 * epoch} and the log keys in sorted order, then one row per epoch (counted from 0). With {@code
 * append}, rows go after what the file held before the run (the header only if it was empty); else
 * the file starts afresh.
 *
 * <p>The file is rewritten whole after each epoch (written aside and renamed, on any Hadoop file
 * system), so it is never half a row. A resumed run keeps what the file held before the run (its
 * length is part of every checkpoint) and writes the rows of the epochs before the checkpoint from
 * the history the checkpoint holds: the file is that of a run that never stopped.
 */
public final class CsvLogger implements Callbacks.Configured {
  /** The longest file an {@code append} run reads back. */
  private static final long MAX_BYTES = 256L << 20;

  /**
   * Keras' arguments, in Keras' order.
   *
   * @param filename the CSV file (in a job file, relative to {@code output})
   * @param separator between fields, default {@code ,}
   * @param append add to the file's rows instead of starting it afresh
   */
  public record Config(String filename, String separator, boolean append) {
    public static final Setting<String> FILENAME =
        Setting.text("filename", null, "the CSV file; in a job file relative to `output`");
    public static final Setting<String> SEPARATOR =
        Setting.of(
            "separator",
            ",",
            "one or more characters, not a quote or a line break",
            v -> v.isTextual() ? v.asText() : null,
            com.fasterxml.jackson.databind.node.TextNode::valueOf,
            v -> !v.isEmpty() && !v.contains("\"") && !v.contains("\n") && !v.contains("\r"),
            "between the fields of a row");
    public static final Setting<Boolean> APPEND =
        Setting.bool("append", false, "add rows to the file's instead of starting it afresh");
    public static final RecordSettings<Config> SETTINGS =
        RecordSettings.of(Config.class, FILENAME, SEPARATOR, APPEND);

    public Config {
      FILENAME.check(filename);
      SEPARATOR.check(separator);
    }

    /** This configuration with another file (a job resolves relative paths against its output). */
    public Config withFilename(String value) {
      return new Config(value, separator, append);
    }
  }

  private final Config config;
  private TrainingRun run;
  private String before = "";
  private boolean header = true;
  private List<String> keys;
  private final List<String> rows = new ArrayList<>();

  public CsvLogger(Config config) {
    this.config = config;
  }

  /** A CSV logger from settings by their keys, the others at Keras' defaults. */
  public static CsvLogger of(Map<String, ?> settings) {
    return new CsvLogger(Callbacks.read(Config.SETTINGS, settings, "csv_logger"));
  }

  @Override
  public String type() {
    return "csv_logger";
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public String monitor() {
    return null;
  }

  @Override
  public void setRun(TrainingRun run) {
    this.run = run;
  }

  @Override
  public void onTrainBegin(TrainingPlan plan) {
    keys = null;
    rows.clear();
    before = config.append() ? existing() : "";
    header = before.isEmpty() || before.lines().findFirst().orElse("").isEmpty();
    write();
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    if (keys == null) {
      keys = logs.keySet().stream().sorted().toList();
    }
    rows.add(row(epoch, logs));
    write();
  }

  @Override
  public CallbackState saveState() {
    return new CallbackState(
        Map.of(
            "bytes_before",
            (double) before.getBytes(StandardCharsets.UTF_8).length,
            "header",
            header ? 1.0 : 0.0),
        Map.of());
  }

  @Override
  public void restoreState(CallbackState state) {
    int length = state.values().getOrDefault("bytes_before", 0.0).intValue();
    byte[] bytes = existing().getBytes(StandardCharsets.UTF_8);
    before =
        new String(Arrays.copyOf(bytes, Math.min(length, bytes.length)), StandardCharsets.UTF_8);
    header = state.values().getOrDefault("header", 1.0) != 0;
    keys = null;
    rows.clear();
    History history = run.history();
    int first = run.epoch() - history.epochs();
    for (int i = 0; i < history.epochs(); i++) {
      Map<String, Double> logs = new java.util.LinkedHashMap<>();
      int e = i;
      history.history().forEach((k, v) -> logs.put(k, v.get(e)));
      if (keys == null) {
        keys = logs.keySet().stream().sorted().toList();
      }
      rows.add(row(first + i, logs));
    }
    write();
  }

  private String row(int epoch, Map<String, Double> logs) {
    StringBuilder s = new StringBuilder().append(epoch);
    for (String k : keys) {
      Double v = logs.get(k);
      s.append(config.separator()).append(v == null ? "NA" : ModelCheckpoint.pythonRepr(v));
    }
    return s.append('\n').toString();
  }

  private void write() {
    StringBuilder s = new StringBuilder(before);
    if (keys != null && header) {
      s.append("epoch");
      for (String k : keys) {
        s.append(config.separator()).append(field(k));
      }
      s.append('\n');
    }
    rows.forEach(s::append);
    try {
      HadoopFiles.writeAtomically(
          config.filename(), s.toString().getBytes(StandardCharsets.UTF_8), conf());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "csv_logger: cannot write " + config.filename() + ": " + e.getMessage(), e);
    }
  }

  /** A header field, quoted as CSV quotes one that holds the separator or a quote. */
  private String field(String value) {
    return value.contains(config.separator()) || value.contains("\"")
        ? "\"" + value.replace("\"", "\"\"") + "\""
        : value;
  }

  private String existing() {
    try {
      return HadoopFiles.exists(config.filename(), conf())
          ? new String(
              HadoopFiles.read(config.filename(), conf(), MAX_BYTES), StandardCharsets.UTF_8)
          : "";
    } catch (IOException e) {
      throw new UncheckedIOException(
          "csv_logger: cannot read " + config.filename() + ": " + e.getMessage(), e);
    }
  }

  private static Configuration conf() {
    return SparkSession.getActiveSession().isDefined()
        ? SparkSession.getActiveSession().get().sparkContext().hadoopConfiguration()
        : new Configuration();
  }
}
