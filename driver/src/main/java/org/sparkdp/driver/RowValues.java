package org.sparkdp.driver;

import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkdp.DataException;

/**
 * Reads the features and label of a {@code Row} into float arrays. Features may be an ML {@code
 * Vector} (dense or sparse), an old MLlib vector, or an array of numbers; a label is a number, or a
 * vector or array (one value per output unit). Each read returns {@code null} when the value is
 * fine, else what is wrong with it.
 */
final class RowValues {
  private RowValues() {}

  /**
   * Checks the column's type; returns whether it holds one number per row (as opposed to a
   * vector/array).
   */
  static boolean checkColumn(StructType schema, String column, String data, boolean labelColumn) {
    StructField field;
    try {
      field = schema.apply(column);
    } catch (IllegalArgumentException e) {
      throw new DataException(
          data
              + " has no column '"
              + column
              + "' (columns: "
              + String.join(", ", schema.fieldNames())
              + ")");
    }
    DataType type = field.dataType();
    if (type instanceof NumericType) {
      if (!labelColumn) {
        throw new DataException(
            data
                + ": column '"
                + column
                + "' holds single numbers; features must be a vector"
                + " or an array of numbers (assemble them with VectorAssembler)");
      }
      return true;
    }
    boolean vector =
        type.equals(SQLDataTypes.VectorType())
            || type.equals(new org.apache.spark.mllib.linalg.VectorUDT());
    boolean numericArray = type instanceof ArrayType a && a.elementType() instanceof NumericType;
    if (!vector && !numericArray) {
      throw new DataException(
          data
              + ": column '"
              + column
              + "' has type "
              + type.simpleString()
              + "; expected "
              + (labelColumn ? "a number, " : "")
              + "a vector or an array of numbers");
    }
    return false;
  }

  /** The number of values of a vector or array, 1 for a number, -1 for anything else. */
  static int width(Object value) {
    if (value instanceof Number) {
      return 1;
    }
    if (value instanceof org.apache.spark.ml.linalg.Vector v) {
      return v.size();
    }
    if (value instanceof org.apache.spark.mllib.linalg.Vector v) {
      return v.size();
    }
    return value instanceof scala.collection.Seq<?> seq ? seq.size() : -1;
  }

  /** Writes {@code width} values of a vector or numeric array to {@code dst[off ..]}. */
  static String readVector(Object value, float[] dst, int off, int width, String what) {
    if (value == null) {
      return what + " is null";
    }
    if (value instanceof org.apache.spark.ml.linalg.Vector v) {
      if (v.size() != width) {
        return what + " has " + v.size() + " values, expected " + width;
      }
      if (v instanceof org.apache.spark.ml.linalg.SparseVector s) {
        java.util.Arrays.fill(dst, off, off + width, 0f);
        int[] indices = s.indices();
        double[] values = s.values();
        for (int k = 0; k < indices.length; k++) {
          dst[off + indices[k]] = (float) values[k];
        }
      } else {
        double[] values = ((org.apache.spark.ml.linalg.DenseVector) v).values();
        for (int j = 0; j < width; j++) {
          dst[off + j] = (float) values[j];
        }
      }
    } else if (value instanceof org.apache.spark.mllib.linalg.Vector v) {
      return readVector(v.asML(), dst, off, width, what);
    } else if (value instanceof scala.collection.Seq<?> seq) {
      List<?> list = ScalaCollections.asJava(seq);
      if (list.size() != width) {
        return what + " has " + list.size() + " values, expected " + width;
      }
      for (int j = 0; j < width; j++) {
        Object x = list.get(j);
        if (x == null) {
          return what + " value " + j + " is null";
        }
        dst[off + j] = ((Number) x).floatValue();
      }
    } else {
      return what + " is a " + value.getClass().getSimpleName() + ", not a vector";
    }
    for (int j = 0; j < width; j++) {
      float x = dst[off + j];
      if (!Float.isFinite(x)) {
        return what + " value " + j + " is " + x;
      }
    }
    return null;
  }

  /** Writes a label (a number, or a vector/array of {@code width}) to {@code dst[off ..]}. */
  static String readLabel(Object value, float[] dst, int off, int width) {
    if (value instanceof Number n) {
      if (width != 1) {
        return "label is a single number, expected " + width + " values";
      }
      dst[off] = n.floatValue();
      return Float.isFinite(dst[off]) ? null : "label is " + dst[off];
    }
    return readVector(value, dst, off, width, "label");
  }

  /** Checks that {@code data} has a numeric column {@code column} of sample weights. */
  static void checkWeightColumn(StructType schema, String column, String data) {
    if (!List.of(schema.fieldNames()).contains(column)) {
      throw new DataException(
          data
              + " has no sample weight column '"
              + column
              + "' (columns: "
              + String.join(", ", schema.fieldNames())
              + ")");
    }
    DataType type = schema.apply(column).dataType();
    if (!(type instanceof NumericType)) {
      throw new DataException(
          data
              + ": the sample weight column '"
              + column
              + "' has type "
              + type.simpleString()
              + "; expected a number per row");
    }
  }
}
