package org.sparkdp.driver;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Rows of one partition packed for the kernels: features {@code [rows, inputDim]} and labels {@code
 * [rows, labelWidth]} as row-major float32, and each row's global example id (its position in the
 * input, which fixes the batches of every epoch). A block is immutable once built.
 *
 * <p>{@code weights} holds each row's weight (its class weight or sample weight) when the fit
 * weighs examples, else {@code null}: every weight is 1.
 *
 * <p>{@code problem} is the first row this block could not take (with its reason), or {@code null};
 * {@code fingerprint} is an order-independent hash of the rows it holds.
 */
final class Block implements Serializable {
  final int rows;
  final int inputDim;
  final int labelWidth;
  final float[] features;
  final float[] labels;
  final long[] ids;
  final float[] weights;
  final boolean validation;
  final String problem;
  final long problemRow;
  final long fingerprint;

  Block(
      int rows,
      int inputDim,
      int labelWidth,
      float[] features,
      float[] labels,
      long[] ids,
      float[] weights,
      boolean validation,
      String problem,
      long problemRow,
      long fingerprint) {
    this.rows = rows;
    this.inputDim = inputDim;
    this.labelWidth = labelWidth;
    this.features = features;
    this.labels = labels;
    this.ids = ids;
    this.weights = weights;
    this.validation = validation;
    this.problem = problem;
    this.problemRow = problemRow;
    this.fingerprint = fingerprint;
  }

  int rows() {
    return rows;
  }

  /**
   * Every element of a task's iterator over cached data (blocks, or a partition's one epoch order),
   * read to its end so that Spark releases the cached data's read lock as soon as the task is done
   * with it.
   */
  static <T> List<T> all(Iterator<T> elements) {
    List<T> list = new ArrayList<>();
    elements.forEachRemaining(list::add);
    return list;
  }
}
