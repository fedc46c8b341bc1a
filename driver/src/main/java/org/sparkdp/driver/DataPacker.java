package org.sparkdp.driver;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.sparkdp.DataException;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Seeds;
import scala.Tuple2;

/**
 * Turns a data frame into checked, cached {@link Block}s. Every row gets a global id (its position
 * in the input), is checked once (feature count, NaN and infinities, label range for the loss) and
 * is packed into float32 blocks of about {@link #BLOCK_BYTES}. Rows whose id is at or past {@code
 * splitAt} are validation rows, as Keras' {@code validation_split} takes the last part of the data.
 * A bad row fails the whole pack with the row and the reason, before any training.
 *
 * <p>With a {@link Weighting}, each row also gets a weight, as Keras turns {@code class_weight} and
 * {@code sample_weight} into one weight per example: its sample weight column's value, or the
 * weight of its class (training rows only: Keras weighs classes in the training data, not in the
 * validation split).
 */
final class DataPacker {
  /** Target size of one block's features and labels. */
  static final long BLOCK_BYTES = 16L << 20;

  private DataPacker() {}

  /**
   * What the packer needs to know about the model: widths, how labels are checked, and the model
   * whose first layer checks each example's features (an embedding's ids), or {@code null}.
   */
  record Target(int inputDim, int outputUnits, Loss loss, ModelSpec model) implements Serializable {
    Target(int inputDim, int outputUnits, Loss loss) {
      this(inputDim, outputUnits, loss, null);
    }

    /** The target of {@code model} trained with {@code loss}. */
    static Target of(ModelSpec model, Loss loss) {
      return new Target(model.inputDim(), model.outputUnits(), loss, model);
    }
  }

  /**
   * How rows are weighed: by a column of sample weights, or by a weight per class (a class absent
   * from the map weighs 1, as Keras); at most one of the two, or neither ({@link #NONE}).
   */
  record Weighting(String sampleWeightCol, Map<Integer, Double> classWeight)
      implements Serializable {
    static final Weighting NONE = new Weighting(null, null);

    boolean weighs() {
      return sampleWeightCol != null || classWeight != null;
    }

    /**
     * Keras' class of a label for its class weight: the argmax of a label vector, else the label
     * rounded to an integer.
     */
    static int classOf(float[] labels, int off, int width) {
      return width > 1 ? Network.argmax(labels, off, width) : (int) Math.rint(labels[off]);
    }
  }

  /**
   * One block's report, collected on the driver after packing: also its partition, and the executor
   * that packed and cached it ({@code executor_HOST_ID}, as Spark names cache locations).
   */
  private record Summary(
      int partition,
      String home,
      boolean validation,
      int rows,
      String problem,
      long problemRow,
      long fingerprint)
      implements Serializable {}

  /**
   * Packs {@code data}. {@code partitions > 0} repartitions the rows (after their ids are fixed);
   * {@code validationSplit} in {@code [0, 1)} takes that fraction off the end for validation.
   */
  static PackedData pack(
      Dataset<Row> data,
      String featuresCol,
      String labelCol,
      Target target,
      double validationSplit,
      int partitions,
      String name) {
    return pack(
        data, featuresCol, labelCol, target, validationSplit, partitions, name, Weighting.NONE);
  }

  /** {@link #pack} with each row weighed as {@code weighting} says. */
  static PackedData pack(
      Dataset<Row> data,
      String featuresCol,
      String labelCol,
      Target target,
      double validationSplit,
      int partitions,
      String name,
      Weighting weighting) {
    if (weighting.sampleWeightCol() != null) {
      RowValues.checkWeightColumn(data.schema(), weighting.sampleWeightCol(), name);
    }
    boolean scalarLabel = RowValues.checkColumn(data.schema(), labelCol, name, true);
    RowValues.checkColumn(data.schema(), featuresCol, name, false);
    int labelWidth = scalarLabel ? 1 : target.outputUnits();
    if (!target.loss().acceptsLabelWidth(labelWidth, target.outputUnits())) {
      throw new DataException(
          name
              + ": column '"
              + labelCol
              + "' holds "
              + (scalarLabel ? "single numbers" : "vectors")
              + " but "
              + target.loss().kerasName()
              + " with "
              + target.outputUnits()
              + " output units needs "
              + (scalarLabel
                  ? target.outputUnits() + " values per label"
                  : "a class index per row"));
    }
    if (!(validationSplit >= 0 && validationSplit < 1)) {
      throw new DataException("validation_split must be in [0, 1), got " + validationSplit);
    }
    JavaRDD<Row> rows =
        (weighting.sampleWeightCol() == null
                ? data.select(featuresCol, labelCol)
                : data.select(featuresCol, labelCol, weighting.sampleWeightCol()))
            .javaRDD();
    List<Long> counts =
        rows.mapPartitions(
                it -> {
                  long n = 0;
                  for (; it.hasNext(); it.next()) {
                    n++;
                  }
                  return List.of(n).iterator();
                })
            .collect();
    long total = counts.stream().mapToLong(Long::longValue).sum();
    if (total == 0) {
      throw new DataException(name + " has no rows");
    }
    if (partitions > total) {
      throw new DataException(
          "partitions: " + partitions + " is more than the " + total + " rows of " + name);
    }
    long[] offsets = new long[counts.size()];
    for (int p = 1; p < offsets.length; p++) {
      offsets[p] = offsets[p - 1] + counts.get(p - 1);
    }
    // Keras: split_at = ceil(n * (1 - validation_split)); rows [split_at, n) validate.
    long splitAt = validationSplit == 0 ? total : (long) Math.ceil(total * (1 - validationSplit));
    if (splitAt <= 0) {
      throw new DataException(
          "validation_split " + validationSplit + " leaves no rows of " + name + " to train on");
    }
    if (splitAt >= total && validationSplit > 0) {
      throw new DataException(
          "validation_split "
              + validationSplit
              + " takes no rows of "
              + name
              + " (it has "
              + total
              + ")");
    }
    JavaRDD<Tuple2<Long, Row>> withIds =
        rows.mapPartitionsWithIndex(
            (p, it) -> {
              long first = offsets[p];
              return new Iterator<Tuple2<Long, Row>>() {
                long next = first;

                @Override
                public boolean hasNext() {
                  return it.hasNext();
                }

                @Override
                public Tuple2<Long, Row> next() {
                  return new Tuple2<>(next++, it.next());
                }
              };
            },
            true);
    if (partitions > 0 && partitions != withIds.getNumPartitions()) {
      withIds = withIds.repartition(partitions);
    }
    int inputDim = target.inputDim();
    long blockRows = Math.max(1, BLOCK_BYTES / (4L * (inputDim + labelWidth) + 8));
    JavaRDD<Block> blocks =
        withIds.mapPartitions(
            it ->
                packPartition(
                    it,
                    target,
                    labelWidth,
                    splitAt,
                    (int) Math.min(blockRows, Integer.MAX_VALUE / inputDim),
                    weighting),
            true);
    blocks.persist(StorageLevel.MEMORY_AND_DISK());
    blocks.setName(name + " blocks");
    List<Summary> summaries =
        blocks
            .mapPartitionsWithIndex(
                (p, it) -> {
                  SparkEnv env = SparkEnv.get();
                  String home =
                      "executor_"
                          + env.blockManager().blockManagerId().host()
                          + "_"
                          + env.executorId();
                  List<Summary> out = new ArrayList<>();
                  it.forEachRemaining(
                      b ->
                          out.add(
                              new Summary(
                                  p,
                                  home,
                                  b.validation,
                                  b.rows,
                                  b.problem,
                                  b.problemRow,
                                  b.fingerprint)));
                  return out.iterator();
                },
                true)
            .collect();
    long[] partitionRows = new long[blocks.getNumPartitions()];
    String[] partitionHomes = new String[blocks.getNumPartitions()];
    Summary worst = null;
    long trainRows = 0;
    long validationRows = 0;
    long fingerprint = 0;
    for (Summary s : summaries) {
      if (s.problem() != null && (worst == null || s.problemRow() < worst.problemRow())) {
        worst = s;
      }
      partitionHomes[s.partition()] = s.home();
      if (s.validation()) {
        validationRows += s.rows();
      } else {
        trainRows += s.rows();
        partitionRows[s.partition()] += s.rows();
      }
      fingerprint += s.fingerprint();
    }
    if (worst != null) {
      blocks.unpersist(false);
      throw new DataException(name + " row " + (worst.problemRow() + 1) + ": " + worst.problem());
    }
    JavaRDD<Block> train = blocks.filter(b -> !b.validation);
    JavaRDD<Block> validation = validationSplit > 0 ? blocks.filter(b -> b.validation) : null;
    return new PackedData(
        name,
        blocks,
        train,
        validation,
        trainRows,
        validationRows,
        inputDim,
        labelWidth,
        Seeds.mix64(fingerprint),
        partitionRows,
        partitionHomes);
  }

  private static Iterator<Block> packPartition(
      Iterator<Tuple2<Long, Row>> rows,
      Target target,
      int labelWidth,
      long splitAt,
      int blockRows,
      Weighting weighting) {
    List<Block> out = new ArrayList<>();
    Builder train = new Builder(target, labelWidth, blockRows, false, weighting);
    Builder validation = new Builder(target, labelWidth, blockRows, true, weighting);
    while (rows.hasNext()) {
      Tuple2<Long, Row> next = rows.next();
      Builder b = next._1() >= splitAt ? validation : train;
      b.add(next._1(), next._2());
      if (b.rows == blockRows) {
        out.add(b.build());
      }
    }
    for (Builder b : List.of(train, validation)) {
      if (b.rows > 0 || b.problem != null) {
        out.add(b.build());
      }
    }
    return out.iterator();
  }

  /** Fills one block; reused for the next block after {@link #build}. */
  private static final class Builder {
    final Target target;
    final int labelWidth;
    final int capacity;
    final boolean validation;
    final Weighting weighting;
    float[] features;
    float[] labels;
    long[] ids;
    float[] weights;
    int rows;
    String problem;
    long problemRow = Long.MAX_VALUE;
    long fingerprint;

    Builder(Target target, int labelWidth, int capacity, boolean validation, Weighting weighting) {
      this.weighting = weighting;
      this.target = target;
      this.labelWidth = labelWidth;
      this.capacity = capacity;
      this.validation = validation;
    }

    void add(long id, Row row) {
      if (features == null) {
        features = new float[Math.min(capacity, 1024) * target.inputDim()];
        labels = new float[Math.min(capacity, 1024) * labelWidth];
        ids = new long[Math.min(capacity, 1024)];
        weights = weighting.weighs() ? new float[ids.length] : null;
      }
      if (rows == ids.length) {
        int grown = (int) Math.min(capacity, 2L * rows);
        features = java.util.Arrays.copyOf(features, grown * target.inputDim());
        labels = java.util.Arrays.copyOf(labels, grown * labelWidth);
        ids = java.util.Arrays.copyOf(ids, grown);
        weights = weights == null ? null : java.util.Arrays.copyOf(weights, grown);
      }
      int in = target.inputDim();
      String bad = RowValues.readVector(row.get(0), features, rows * in, in, "features");
      if (bad == null && target.model() != null) {
        String input = target.model().checkInput(features, rows * in);
        bad = input == null ? null : "features " + input;
      }
      if (bad == null) {
        bad = RowValues.readLabel(row.get(1), labels, rows * labelWidth, labelWidth);
      }
      if (bad == null) {
        bad = target.loss().checkLabel(labels, rows * labelWidth, labelWidth, target.outputUnits());
      }
      float weight = 1;
      if (bad == null && weighting.sampleWeightCol() != null) {
        Object w = row.get(2);
        weight = w instanceof Number n ? n.floatValue() : Float.NaN;
        if (!(weight >= 0) || Float.isInfinite(weight)) {
          bad =
              "sample weight ("
                  + weighting.sampleWeightCol()
                  + ") is "
                  + (w == null ? "null" : w)
                  + "; a weight must be a finite number of at least 0";
        }
      } else if (weighting.classWeight() != null && !validation) {
        int c = Weighting.classOf(labels, rows * labelWidth, labelWidth);
        weight = weighting.classWeight().getOrDefault(c, 1.0).floatValue();
      }
      if (bad != null) {
        if (id < problemRow) {
          problem = bad;
          problemRow = id;
        }
        return;
      }
      ids[rows] = id;
      long hash = rowHash(id, features, rows * in, in, labels, rows * labelWidth, labelWidth);
      if (weights != null) {
        weights[rows] = weight;
        hash = Seeds.mix64(hash ^ Float.floatToIntBits(weight));
      }
      fingerprint += hash;
      rows++;
    }

    Block build() {
      Block b =
          new Block(
              rows,
              target.inputDim(),
              labelWidth,
              features == null
                  ? new float[0]
                  : java.util.Arrays.copyOf(features, rows * target.inputDim()),
              labels == null ? new float[0] : java.util.Arrays.copyOf(labels, rows * labelWidth),
              ids == null ? new long[0] : java.util.Arrays.copyOf(ids, rows),
              !weighting.weighs()
                  ? null
                  : weights == null ? new float[0] : java.util.Arrays.copyOf(weights, rows),
              validation,
              problem,
              problemRow,
              fingerprint);
      features = null;
      labels = null;
      ids = null;
      weights = null;
      rows = 0;
      problem = null;
      problemRow = Long.MAX_VALUE;
      fingerprint = 0;
      return b;
    }
  }

  static long rowHash(long id, float[] x, int xOff, int n, float[] y, int yOff, int m) {
    long h = Seeds.mix64(id);
    for (int j = 0; j < n; j++) {
      h = Long.rotateLeft(h ^ Float.floatToIntBits(x[xOff + j]), 23) * 0x9e3779b97f4a7c15L;
    }
    for (int j = 0; j < m; j++) {
      h = Long.rotateLeft(h ^ Float.floatToIntBits(y[yOff + j]), 23) * 0x9e3779b97f4a7c15L;
    }
    return Seeds.mix64(h);
  }
}
