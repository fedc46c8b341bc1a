package org.sparkdp.jobs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkdp.DataException;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.io.Provenance;

/**
 * Reads a {@link DataSource} into a data frame with a {@code features} column (a vector or an array
 * of doubles) and a numeric {@code label}, which the trainer then checks row by row. CSV and LibSVM
 * go through {@link TextData} (every line checked, a bad one named by file, line and column), IDX
 * through {@link Idx}; Parquet files are checked for Parquet's magic bytes before Spark reads them.
 * Tables, queries and Spark's other sources (Delta, ORC, JSON, JDBC, ...) are Spark's to read;
 * their columns get the same checks as Parquet's.
 */
public final class Readers {
  /**
   * IDX files larger than this, compressed or not, are refused (MNIST's training images are 47 MB
   * uncompressed).
   */
  private static final long MAX_IDX_BYTES = 1L << 30;

  private static final String PARQUET_MAGIC = "PAR1";

  private Readers() {}

  public static Dataset<Row> read(SparkSession spark, DataSource source, String role, int inputDim)
      throws IOException {
    return read(spark, source, role, inputDim, null, false);
  }

  /**
   * Data as read, with where Spark read it from ({@code null} for the files that sparkdp reads
   * itself), as a model's provenance records it.
   */
  public record Read(Dataset<Row> frame, Provenance.Source source) {}

  /**
   * {@link #read(SparkSession, DataSource, String, int, String)} with where Spark read the data
   * from: for a Delta table, the version read, which a read without {@code versionAsOf} or {@code
   * timestampAsOf} is pinned to (the data trained on is then that version's, even if the table
   * changes during training).
   */
  public static Read open(
      SparkSession spark, DataSource source, String role, int inputDim, String weightColumn)
      throws IOException {
    String name = source.describe(role);
    List<String> keep = weightColumn == null ? List.of() : List.of(weightColumn);
    if (!source.spark()) {
      return new Read(read(spark, source, role, inputDim, weightColumn, false), null);
    }
    Loaded loaded = load(spark, source, name);
    return new Read(
        columns(loaded.frame(), source, name, inputDim, keep, false), loaded.provenance());
  }

  /** Labelled data with a sample weight column: see the next overload. */
  public static Dataset<Row> read(
      SparkSession spark, DataSource source, String role, int inputDim, String weightColumn)
      throws IOException {
    return read(spark, source, role, inputDim, weightColumn, false);
  }

  /**
   * {@link #read(SparkSession, DataSource, String, int)}, keeping the column {@code weightColumn}
   * (when not {@code null} and the data has it) beside the label, under its own name: a sample
   * weight, not a feature. With {@code labelOptional} (data to predict), CSV and Parquet data
   * without the label column are read as features alone.
   */
  public static Dataset<Row> read(
      SparkSession spark,
      DataSource source,
      String role,
      int inputDim,
      String weightColumn,
      boolean labelOptional)
      throws IOException {
    String name = source.describe(role);
    List<String> keep = weightColumn == null ? List.of() : List.of(weightColumn);
    try {
      return frame(spark, source, name, inputDim, keep, labelOptional);
    } catch (IOException e) {
      throw org.sparkdp.io.HadoopFiles.unreachable(name, source.path(), e);
    }
  }

  private static Dataset<Row> frame(
      SparkSession spark,
      DataSource source,
      String name,
      int inputDim,
      List<String> keep,
      boolean labelOptional)
      throws IOException {
    return switch (source.format()) {
      case "idx" -> idx(spark, source, name);
      case "csv", "libsvm" -> TextData.read(spark, source, name, inputDim, keep, labelOptional);
      case "parquet" -> {
        checkParquet(spark.sparkContext().hadoopConfiguration(), source.path(), name);
        yield columns(
            spark.read().options(source.options()).parquet(source.path()),
            source,
            name,
            inputDim,
            keep,
            labelOptional);
      }
      default ->
          columns(load(spark, source, name).frame(), source, name, inputDim, keep, labelOptional);
    };
  }

  /** A frame as Spark read it, and its provenance. */
  private record Loaded(Dataset<Row> frame, Provenance.Source provenance) {}

  /** Reader options that choose a version of a table (Delta's, Spark's for time travel). */
  private static final Set<String> TIME_TRAVEL = Set.of("versionasof", "timestampasof");

  /**
   * A table, query or Spark source, pinned to the Delta version it resolved to when no version was
   * asked for; Spark's refusals (no such table, no such data source, a version that is not there)
   * become one line naming the data.
   */
  private static Loaded load(SparkSession spark, DataSource source, String name) {
    Dataset<Row> frame = analyzed(spark, source, source.options(), name);
    List<Provenance.TableVersion> versions = versions(frame);
    boolean asked =
        source.options().keySet().stream()
            .anyMatch(k -> TIME_TRAVEL.contains(k.toLowerCase(Locale.ROOT)));
    if (!asked && !source.format().equals(DataSource.QUERY) && versions.size() == 1) {
      Map<String, String> pinned = new LinkedHashMap<>(source.options());
      pinned.put("versionAsOf", Long.toString(versions.get(0).version()));
      frame = analyzed(spark, source, pinned, name);
      versions = versions(frame);
    }
    boolean own =
        source.format().equals(DataSource.TABLE) || source.format().equals(DataSource.QUERY);
    return new Loaded(
        frame,
        new Provenance.Source(
            own ? null : source.format(),
            source.path(),
            source.table(),
            source.query(),
            source.recordedOptions(),
            versions));
  }

  /** The source read with {@code options}, analysed (which is where Spark finds what is wrong). */
  private static Dataset<Row> analyzed(
      SparkSession spark, DataSource source, Map<String, String> options, String name) {
    try {
      Dataset<Row> frame;
      switch (source.format()) {
        case DataSource.TABLE -> frame = spark.read().options(options).table(source.table());
        case DataSource.QUERY -> frame = spark.sql(source.query());
        default -> {
          var reader = spark.read().format(source.format()).options(options);
          frame = source.path() == null ? reader.load() : reader.load(source.path());
        }
      }
      frame.queryExecution().assertAnalyzed();
      return frame;
    } catch (DataException e) {
      throw e;
    } catch (Exception e) {
      throw sparkRefused(spark, e, source, name);
    }
  }

  /** Spark's refusal to read {@code source} as one line naming it. */
  private static RuntimeException sparkRefused(
      SparkSession spark, Exception e, DataSource source, String name) {
    String text = String.valueOf(e.getMessage());
    if (text.contains("DATA_SOURCE_NOT_FOUND")
        || e instanceof ClassNotFoundException
        || text.startsWith("Failed to find data source")) {
      return new DataException(
          name
              + ": Spark has no data source '"
              + source.format()
              + "' (sparkdp reads idx, csv, libsvm and parquet itself; add another source's package"
              + " with --conf spark.jars.packages=... or spark.jars, for Delta Lake see the README's"
              + " Data from tables)");
    }
    if (source.format().equals(DataSource.TABLE) && text.contains("TABLE_OR_VIEW_NOT_FOUND")) {
      DataException missing =
          new DataException(
              name
                  + ": no such table or view in Spark's catalog (the current database is "
                  + spark.catalog().currentCatalog()
                  + "."
                  + spark.catalog().currentDatabase()
                  + ")");
      missing.initCause(e);
      return missing;
    }
    if (e instanceof org.apache.spark.sql.AnalysisException
        || e instanceof org.apache.spark.SparkThrowable) {
      String line = text.lines().findFirst().orElse(text).strip();
      int state = line.indexOf(" SQLSTATE:");
      DataException refused =
          new DataException(name + ": " + (state > 0 ? line.substring(0, state) : line));
      refused.initCause(e); // for --verbose
      return refused;
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(name + ": " + text, e);
  }

  /**
   * The versioned tables under {@code frame}'s analysed plan and the version each is read at:
   * Delta's file index says its snapshot's version (found by reflection: Delta is the user's
   * package, not sparkdp's).
   */
  private static List<Provenance.TableVersion> versions(Dataset<Row> frame) {
    List<Provenance.TableVersion> found = new ArrayList<>();
    scala.collection.Iterator<LogicalPlan> leaves =
        frame.queryExecution().analyzed().collectLeaves().iterator();
    while (leaves.hasNext()) {
      if (leaves.next() instanceof LogicalRelation relation
          && relation.relation() instanceof HadoopFsRelation files
          && files.location().getClass().getName().startsWith("org.apache.spark.sql.delta.")) {
        Object index = files.location();
        try {
          long version = ((Number) index.getClass().getMethod("version").invoke(index)).longValue();
          String location = String.valueOf(files.location().rootPaths().head());
          Provenance.TableVersion v = new Provenance.TableVersion("delta", location, version);
          if (!found.contains(v)) {
            found.add(v);
          }
        } catch (ReflectiveOperationException | ClassCastException e) {
          // A Delta index of another kind, without a snapshot: nothing to record, nothing to pin.
        }
      }
    }
    return found;
  }

  /**
   * Picks the label column and assembles the feature columns into one array column; the columns of
   * {@code keep} that the data has follow, apart from the features.
   */
  private static Dataset<Row> columns(
      Dataset<Row> frame,
      DataSource source,
      String name,
      int inputDim,
      List<String> keep,
      boolean labelOptional) {
    StructType schema = frame.schema();
    String label = source.labelColumn();
    boolean labelled = Arrays.asList(schema.fieldNames()).contains(label);
    List<String> kept =
        keep.stream()
            .filter(k -> Arrays.asList(schema.fieldNames()).contains(k) && !k.equals(label))
            .toList();
    List<Column> after = new ArrayList<>();
    if (labelled) {
      after.add(quoted(label).as("label"));
    }
    kept.forEach(k -> after.add(quoted(k).as(k)));
    if (!labelled && !labelOptional) {
      throw new DataException(
          name
              + " has no label column '"
              + label
              + "' (columns: "
              + String.join(", ", schema.fieldNames())
              + "); set label_column in the data section");
    }
    List<String> features = source.featureColumns();
    for (String c : features) {
      if (!Arrays.asList(schema.fieldNames()).contains(c)) {
        throw new DataException(
            name
                + " has no column '"
                + c
                + "' (columns: "
                + String.join(", ", schema.fieldNames())
                + "); see features in the data section");
      }
    }
    if (features.isEmpty() && Arrays.asList(schema.fieldNames()).contains("features")) {
      return frame.select(withFirst(quoted("features").as("features"), after));
    }
    if (Arrays.stream(schema.fields()).anyMatch(f -> !(f.dataType() instanceof NumericType))
        && frame.isEmpty()) {
      throw new DataException(name + " has no rows");
    }
    if (features.size() == 1
        && !(schema.apply(features.get(0)).dataType() instanceof NumericType)) {
      return frame.select(withFirst(quoted(features.get(0)).as("features"), after));
    }
    if (features.isEmpty()) {
      features = new ArrayList<>(Arrays.asList(schema.fieldNames()));
      features.remove(label);
      features.removeAll(kept);
    }
    if (features.isEmpty()) {
      throw new DataException(name + " has no feature columns besides the label '" + label + "'");
    }
    if (inputDim > 0 && features.size() != inputDim) {
      throw new DataException(
          name
              + ": "
              + features.size()
              + " feature columns ("
              + String.join(", ", features.size() > 6 ? features.subList(0, 6) : features)
              + (features.size() > 6 ? ", ..." : "")
              + ") but the first layer's input_dim is "
              + inputDim);
    }
    List<Column> values = new ArrayList<>();
    for (String c : features) {
      StructField field;
      try {
        field = schema.apply(c);
      } catch (IllegalArgumentException e) {
        throw new DataException(name + " has no column '" + c + "'");
      }
      if (!(field.dataType() instanceof NumericType)) {
        throw new DataException(
            name
                + ": column '"
                + c
                + "' is not numeric (it reads as "
                + field.dataType().simpleString()
                + ")");
      }
      values.add(quoted(c).cast(DataTypes.DoubleType));
    }
    return frame.select(
        withFirst(functions.array(values.toArray(new Column[0])).as("features"), after));
  }

  private static Column[] withFirst(Column first, List<Column> rest) {
    List<Column> all = new ArrayList<>(List.of(first));
    all.addAll(rest);
    return all.toArray(new Column[0]);
  }

  /**
   * Fails, naming the file, unless every data file of {@code path} starts and ends with Parquet's
   * magic bytes and its footer length fits the file: Spark would otherwise fail in a task (a CSV
   * file named {@code .parquet}) or without the path (an empty directory).
   */
  private static void checkParquet(Configuration conf, String path, String name)
      throws IOException {
    List<FileStatus> files = TextSplit.files(path, conf);
    if (files.isEmpty()) {
      throw new DataException(name + ": the directory holds no Parquet files");
    }
    for (FileStatus f : files) {
      String file = f.getPath().getName();
      String where = name + (file.equals(new Path(path).getName()) ? "" : " " + file);
      byte[] head = new byte[4];
      byte[] tail = new byte[8];
      if (f.getLen() >= 12) {
        try (FSDataInputStream in = f.getPath().getFileSystem(conf).open(f.getPath())) {
          in.readFully(0, head);
          in.readFully(f.getLen() - 8, tail);
        }
      }
      int footer = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
      boolean magic =
          f.getLen() >= 12
              && PARQUET_MAGIC.equals(new String(head, StandardCharsets.ISO_8859_1))
              && PARQUET_MAGIC.equals(new String(tail, 4, 4, StandardCharsets.ISO_8859_1));
      if (!magic) {
        throw new DataException(
            where + " is not a Parquet file (it does not start and end with PAR1)");
      }
      if (footer < 0 || footer > f.getLen() - 12) {
        throw new DataException(
            where
                + ": the Parquet footer's length "
                + footer
                + " does not fit the file ("
                + f.getLen()
                + " bytes; truncated?)");
      }
    }
  }

  private static Column quoted(String column) {
    return functions.col("`" + column.replace("`", "``") + "`");
  }

  /**
   * IDX files are checked whole on the driver (header, lengths, label count), then each task reads
   * them again through Hadoop's file system and keeps its own slice of rows: tasks then carry a
   * path and a range, not the pixels, which keeps every later task of the training loop small.
   */
  private static Dataset<Row> idx(SparkSession spark, DataSource source, String name)
      throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Idx.Images images = readImages(source.images(), conf);
    byte[] labels = readLabels(source.labels(), conf);
    if (labels.length != images.count()) {
      throw new DataException(
          name
              + ": "
              + images.count()
              + " images but "
              + labels.length
              + " labels in "
              + source.labels());
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int count = images.count();
    int slices = Math.max(1, Math.min(jsc.defaultParallelism(), count));
    List<Integer> indices = new ArrayList<>();
    for (int s = 0; s < slices; s++) {
      indices.add(s);
    }
    String imagesPath = source.images();
    String labelsPath = source.labels();
    boolean scale = source.scale();
    org.apache.spark.util.SerializableConfiguration hadoopConf =
        new org.apache.spark.util.SerializableConfiguration(conf);
    StructType schema =
        new StructType()
            .add("features", SQLDataTypes.VectorType(), false)
            .add("label", DataTypes.DoubleType, false);
    return spark.createDataFrame(
        jsc.parallelize(indices, slices)
            .flatMap(
                slice -> {
                  Idx.Images all = readImages(imagesPath, hadoopConf.value());
                  byte[] allLabels = readLabels(labelsPath, hadoopConf.value());
                  int from = (int) ((long) count * slice / slices);
                  int to = (int) ((long) count * (slice + 1) / slices);
                  int dim = all.dim();
                  double factor = scale ? 1.0 / 255 : 1.0;
                  List<Row> rows = new ArrayList<>(to - from);
                  for (int r = from; r < to; r++) {
                    double[] x = new double[dim];
                    for (int j = 0; j < dim; j++) {
                      x[j] = (all.pixels()[r * dim + j] & 0xff) * factor;
                    }
                    rows.add(RowFactory.create(Vectors.dense(x), (double) (allLabels[r] & 0xff)));
                  }
                  return rows.iterator();
                }),
        schema);
  }

  private static Idx.Images readImages(String path, Configuration conf) throws IOException {
    try (java.io.InputStream in = HadoopFiles.open(path, conf, MAX_IDX_BYTES)) {
      return Idx.images(in, path, MAX_IDX_BYTES);
    }
  }

  private static byte[] readLabels(String path, Configuration conf) throws IOException {
    try (java.io.InputStream in = HadoopFiles.open(path, conf, MAX_IDX_BYTES)) {
      return Idx.labels(in, path, MAX_IDX_BYTES);
    }
  }
}
