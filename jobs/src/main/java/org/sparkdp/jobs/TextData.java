package org.sparkdp.jobs;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import org.sparkdp.DataException;

/**
 * CSV and LibSVM files, read by sparkdp's own line reader so that a bad line is named by its file,
 * line and column. A first Spark job scans every line of every split and returns, as data, the
 * split's line count and its first bad line (a line that does not parse, or is longer than {@link
 * #maxLineBytes}); the driver numbers the lines and fails with one message before anything else
 * runs, and no task fails for bad data. The rows are then read from the same splits, in file order,
 * whenever the data frame is computed.
 */
final class TextData {
  private static final StructType SCHEMA =
      new StructType()
          .add("features", SQLDataTypes.VectorType(), false)
          .add("label", DataTypes.DoubleType, false);

  private TextData() {}

  /**
   * The longest line read: 1 MiB, or 32 bytes per value of a row of {@code inputDim} features,
   * whichever is more.
   */
  static int maxLineBytes(int inputDim) {
    return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1L << 20, 32L * (inputDim + 1)));
  }

  /** What a split's scan found: its lines, and its first bad line (from 1) and what is wrong. */
  record Scan(long lines, long badLine, String problem) implements Serializable {}

  /**
   * {@code source} ({@code csv} or {@code libsvm}) as {@code features} and {@code label}, and each
   * column of {@code keep} that a CSV header has (a sample weight column) as a number of its own
   * name, not a feature; with {@code labelOptional}, a CSV header without the label column gives
   * rows of features alone.
   */
  static Dataset<Row> read(
      SparkSession spark,
      DataSource source,
      String name,
      int inputDim,
      List<String> keep,
      boolean labelOptional)
      throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<FileStatus> files = TextSplit.files(source.path(), conf);
    if (files.isEmpty()) {
      throw new DataException(name + ": the directory holds no data files");
    }
    int maxLine = maxLineBytes(inputDim);
    LineFormat format =
        source.format().equals("csv")
            ? csv(
                files.get(0),
                source,
                keep,
                labelOptional,
                files.size() > 1,
                name,
                inputDim,
                maxLine,
                conf)
            : new LineFormat.LibSvm(inputDim);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<TextSplit> splits = TextSplit.of(files, splitBytes(spark, files), conf);
    SerializableConfiguration hadoop = new SerializableConfiguration(conf);
    List<Scan> scans =
        jsc.parallelize(splits, splits.size())
            .map(s -> scan(s, format, maxLine, hadoop.value()))
            .collect();
    long before = 0;
    for (int i = 0; i < splits.size(); i++) {
      TextSplit split = splits.get(i);
      before = split.fileStart() ? 0 : before;
      Scan scan = scans.get(i);
      if (scan.problem() != null) {
        throw new DataException(
            name
                + (files.size() > 1 ? " " + split.fileName() : "")
                + " line "
                + (before + scan.badLine())
                + ": "
                + scan.problem());
      }
      before += scan.lines();
    }
    JavaRDD<Row> rows =
        jsc.parallelize(splits, splits.size())
            .flatMap(s -> rows(s, format, maxLine, hadoop.value(), name));
    StructType schema = SCHEMA;
    if (format instanceof LineFormat.Csv csv && csv.label() < 0) {
      schema = new StructType().add("features", SQLDataTypes.VectorType(), false);
    }
    if (format instanceof LineFormat.Csv csv) {
      for (int k : csv.kept()) {
        schema = schema.add(csv.names().get(k), DataTypes.DoubleType, false);
      }
    }
    return spark.createDataFrame(rows, schema);
  }

  /** The CSV format of {@code source}, from the header of its first file. */
  private static LineFormat.Csv csv(
      FileStatus first,
      DataSource source,
      List<String> keep,
      boolean labelOptional,
      boolean severalFiles,
      String name,
      int inputDim,
      int maxLine,
      Configuration conf)
      throws IOException {
    String where = name + (severalFiles ? " " + first.getPath().getName() : "");
    String header;
    try (TextSplit.Cursor c =
        new TextSplit(first.getPath().toString(), 0, Long.MAX_VALUE, true).open(conf, maxLine)) {
      if (!c.next()) {
        throw new DataException(where + " is empty (no header line)");
      }
      if (c.tooLong()) {
        throw new DataException(where + " line 1: " + tooLong(maxLine));
      }
      header = c.text();
    }
    List<String> names = new ArrayList<>();
    LineFormat.Csv.fields(header).forEach(n -> names.add(n.trim()));
    int label = names.indexOf(source.labelColumn());
    if (label < 0 && !labelOptional) {
      throw new DataException(
          name
              + " has no label column '"
              + source.labelColumn()
              + "' (columns: "
              + String.join(", ", shortList(names))
              + "); set label_column in the data section");
    }
    List<String> keptNames =
        keep.stream().filter(k -> names.contains(k) && !k.equals(source.labelColumn())).toList();
    List<String> featureNames = new ArrayList<>(source.featureColumns());
    if (featureNames.isEmpty()) {
      featureNames.addAll(names);
      featureNames.remove(source.labelColumn());
      // A weight is not a feature, as the label is not.
      featureNames.removeAll(keptNames);
    }
    if (featureNames.size() != inputDim) {
      throw new DataException(
          name
              + ": "
              + featureNames.size()
              + " feature columns ("
              + String.join(", ", shortList(featureNames))
              + ") but the first layer's input_dim is "
              + inputDim);
    }
    int[] features = new int[featureNames.size()];
    for (int j = 0; j < features.length; j++) {
      features[j] = names.indexOf(featureNames.get(j));
      if (features[j] < 0) {
        throw new DataException(name + " has no column '" + featureNames.get(j) + "'");
      }
    }
    int[] kept = keptNames.stream().mapToInt(names::indexOf).toArray();
    return new LineFormat.Csv(header, names, features, label, kept);
  }

  private static List<String> shortList(List<String> names) {
    if (names.size() <= 6) {
      return names;
    }
    List<String> shown = new ArrayList<>(names.subList(0, 6));
    shown.add("...");
    return shown;
  }

  /**
   * Bytes per split, by Spark's rule for files: {@code spark.sql.files.maxPartitionBytes}, less
   * when the data is small enough to spread over the cores, never under the cost of opening a file.
   */
  private static long splitBytes(SparkSession spark, List<FileStatus> files) {
    long total = files.stream().mapToLong(FileStatus::getLen).sum();
    long max =
        JavaUtils.byteStringAsBytes(spark.conf().get("spark.sql.files.maxPartitionBytes", "128m"));
    long open =
        JavaUtils.byteStringAsBytes(spark.conf().get("spark.sql.files.openCostInBytes", "4m"));
    int cores = spark.sparkContext().defaultParallelism();
    return Math.max(1, Math.min(max, Math.max(open, total / Math.max(1, cores))));
  }

  private static String tooLong(int maxLine) {
    return "longer than the "
        + maxLine
        + " bytes a line may have (1 MiB, or 32 bytes per value of a row)";
  }

  /** Reads every line of a split; stops at the first bad one. */
  static Scan scan(TextSplit split, LineFormat format, int maxLine, Configuration conf) {
    long line = 0;
    try (TextSplit.Cursor c = split.open(conf, maxLine)) {
      while (c.next()) {
        line = c.number();
        String problem = problem(split, c, format, maxLine);
        if (problem != null) {
          return new Scan(line, line, problem);
        }
      }
      return new Scan(line, 0, null);
    } catch (IOException | UncheckedIOException e) {
      return new Scan(line, line + 1, "cannot be read (" + e.getMessage() + ")");
    }
  }

  /** What is wrong with the cursor's line, or {@code null}. */
  private static String problem(
      TextSplit split, TextSplit.Cursor c, LineFormat format, int maxLine) {
    if (c.tooLong()) {
      return tooLong(maxLine);
    }
    if (headerLine(split, c, format)) {
      return c.text().equals(((LineFormat.Csv) format).header())
          ? null
          : "the header differs from the first file's";
    }
    try {
      format.parse(c.text());
      return null;
    } catch (LineFormat.BadLine e) {
      return e.getMessage();
    }
  }

  private static boolean headerLine(TextSplit split, TextSplit.Cursor c, LineFormat format) {
    return format.hasHeader() && split.fileStart() && c.number() == 1;
  }

  /** The rows of a split, read as they are consumed. */
  private static Iterator<Row> rows(
      TextSplit split, LineFormat format, int maxLine, Configuration conf, String name)
      throws IOException {
    TextSplit.Cursor c = split.open(conf, maxLine);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener(
          t -> {
            try {
              c.close();
            } catch (IOException e) {
              // Reading is over; a failure to close changes nothing read.
            }
          });
    }
    return new Iterator<>() {
      private Row next = advance();

      private Row advance() {
        try {
          while (c.next()) {
            if (headerLine(split, c, format)) {
              continue;
            }
            if (c.tooLong()) {
              throw new LineFormat.BadLine(tooLong(maxLine));
            }
            Row row = format.parse(c.text());
            if (row != null) {
              return row;
            }
          }
          c.close();
          return null;
        } catch (LineFormat.BadLine e) {
          // The scan found none: the file changed after it was checked.
          throw new DataException(
              name + " " + split.fileName() + " changed while it was read: " + e.getMessage());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Row next() {
        if (next == null) {
          throw new NoSuchElementException();
        }
        Row row = next;
        next = advance();
        return row;
      }
    };
  }
}
