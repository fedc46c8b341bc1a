package org.sparkdp.jobs;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * How one line of a text data file becomes a row ({@code features} vector, {@code label}): CSV with
 * a header, or LibSVM. A line that cannot be read is a {@link BadLine} naming the column.
 */
sealed interface LineFormat extends Serializable {

  /** The row of a data line, or {@code null} for a line that holds none (blank, comment). */
  Row parse(String line) throws BadLine;

  /** Whether each file's first line is a header rather than data. */
  boolean hasHeader();

  /** A line that cannot be read; the message names the column and says what is wrong. */
  final class BadLine extends Exception {
    BadLine(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * CSV lines under a header: comma-separated, fields optionally in double quotes ({@code ""}
   * inside is a quote); blank lines hold no row (as Spark's reader).
   *
   * @param header the header line, which every file of the data must start with
   * @param names the header's column names
   * @param features the indices of the feature columns, in the order of the features
   * @param label the index of the label column, or -1 for rows of features alone (data to predict)
   * @param kept the indices of other columns kept apart from the features, each as a number after
   *     the label (a sample weight column)
   */
  record Csv(String header, List<String> names, int[] features, int label, int[] kept)
      implements LineFormat {
    Csv(String header, List<String> names, int[] features, int label) {
      this(header, names, features, label, new int[0]);
    }

    @Override
    public boolean hasHeader() {
      return true;
    }

    @Override
    public Row parse(String line) throws BadLine {
      if (line.isBlank()) {
        return null;
      }
      List<String> fields = fields(line);
      if (fields.size() != names.size()) {
        throw new BadLine(
            fields.size()
                + " fields where the header has "
                + names.size()
                + " ("
                + shorten(line)
                + ")");
      }
      double[] x = new double[features.length];
      for (int j = 0; j < features.length; j++) {
        x[j] = number(fields, features[j]);
      }
      if (label < 0) {
        return RowFactory.create(Vectors.dense(x));
      }
      if (kept.length == 0) {
        return RowFactory.create(Vectors.dense(x), number(fields, label));
      }
      Object[] values = new Object[2 + kept.length];
      values[0] = Vectors.dense(x);
      values[1] = number(fields, label);
      for (int k = 0; k < kept.length; k++) {
        values[2 + k] = number(fields, kept[k]);
      }
      return RowFactory.create(values);
    }

    private double number(List<String> fields, int column) throws BadLine {
      String text = fields.get(column).trim();
      try {
        if (text.isEmpty()) {
          throw new NumberFormatException();
        }
        // Spark's CSV reader's names for the infinities, besides Java's Infinity and NaN.
        return switch (text) {
          case "Inf", "+Inf" -> Double.POSITIVE_INFINITY;
          case "-Inf" -> Double.NEGATIVE_INFINITY;
          default -> Double.parseDouble(text);
        };
      } catch (NumberFormatException e) {
        throw new BadLine(
            "column '"
                + names.get(column)
                + "' ("
                + (column + 1)
                + "): "
                + (text.isEmpty() ? "no value" : "'" + shorten(text) + "' is not a number"));
      }
    }

    /** The fields of a CSV line, unquoted. */
    static List<String> fields(String line) {
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (quoted) {
          if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else if (c == '"') {
            quoted = false;
          } else {
            field.append(c);
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ',') {
          fields.add(field.toString());
          field.setLength(0);
        } else {
          field.append(c);
        }
      }
      fields.add(field.toString());
      return fields;
    }
  }

  /**
   * LibSVM lines, {@code label index:value index:value ...}, with one-based ascending indices of at
   * most {@code features}; blank lines and {@code #} comments hold no row (as Spark's reader).
   */
  record LibSvm(int features) implements LineFormat {
    @Override
    public boolean hasHeader() {
      return false;
    }

    @Override
    public Row parse(String line) throws BadLine {
      String trimmed = line.trim();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        return null;
      }
      List<Integer> indices = new ArrayList<>();
      List<Double> values = new ArrayList<>();
      double label = 0;
      int i = 0;
      boolean first = true;
      while (i < line.length()) {
        while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
          i++;
        }
        if (i == line.length()) {
          break;
        }
        int from = i;
        while (i < line.length() && !Character.isWhitespace(line.charAt(i))) {
          i++;
        }
        String token = line.substring(from, i);
        String at = "column " + (from + 1) + " ('" + shorten(token) + "'): ";
        if (first) {
          label = number(token, at + "the label is not a number");
          first = false;
          continue;
        }
        int colon = token.indexOf(':');
        if (colon < 0) {
          throw new BadLine(at + "expected index:value");
        }
        int index;
        try {
          index = Integer.parseInt(token.substring(0, colon));
        } catch (NumberFormatException e) {
          throw new BadLine(at + "the index is not an integer");
        }
        if (index < 1) {
          throw new BadLine(at + "index " + index + "; LibSVM indices start at 1");
        }
        if (index > features) {
          throw new BadLine(
              at + "index " + index + " is beyond the model's " + features + " features");
        }
        int previous = indices.isEmpty() ? 0 : indices.get(indices.size() - 1) + 1;
        if (index <= previous) {
          throw new BadLine(at + "indices must ascend (" + index + " after " + previous + ")");
        }
        values.add(number(token.substring(colon + 1), at + "the value is not a number"));
        indices.add(index - 1);
      }
      int[] idx = new int[indices.size()];
      double[] val = new double[values.size()];
      for (int k = 0; k < idx.length; k++) {
        idx[k] = indices.get(k);
        val[k] = values.get(k);
      }
      return RowFactory.create(Vectors.sparse(features, idx, val), label);
    }

    private static double number(String text, String problem) throws BadLine {
      try {
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw new BadLine(problem);
      }
    }
  }

  /** {@code text}, cut to 40 characters for a message. */
  static String shorten(String text) {
    return text.length() > 40 ? text.substring(0, 37) + "..." : text;
  }
}
