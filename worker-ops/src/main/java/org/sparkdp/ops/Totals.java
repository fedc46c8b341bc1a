package org.sparkdp.ops;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Running sums over examples: the summed loss (each example's loss times its weight), correct
 * predictions (fractional for multi-output binary accuracy), the count, and the sums the compiled
 * metrics need ({@link Metrics}: confusion counts, summed errors, top-k hits), or {@code null} when
 * there are none. Tasks add these up, the channel and Spark carry them, checkpoints keep the
 * epoch's; sums from different places are added in partition order.
 *
 * <p>Their binary encoding is here and only here ({@link #encodedBytes}, {@link #put}, {@link
 * #addFrom}): {@code long count, double loss, double correct, int m, double[m] metrics}.
 */
public final class Totals implements Serializable {
  public double loss;
  public double correct;
  public long count;
  public double[] metrics;

  /** Adds another set of sums into this one. */
  public Totals add(Totals other) {
    loss += other.loss;
    correct += other.correct;
    count += other.count;
    if (other.metrics != null) {
      double[] sums = metrics(other.metrics.length);
      for (int i = 0; i < sums.length; i++) {
        sums[i] += other.metrics[i];
      }
    }
    return this;
  }

  /** Makes this a copy of {@code other}. */
  public Totals copyFrom(Totals other) {
    loss = other.loss;
    correct = other.correct;
    count = other.count;
    metrics = other.metrics == null ? null : other.metrics.clone();
    return this;
  }

  /**
   * The metric sums, made (zeroed) if there are none yet.
   *
   * @throws IllegalStateException if there are sums of another length
   */
  public double[] metrics(int size) {
    if (metrics == null) {
      metrics = new double[size];
    } else if (metrics.length != size) {
      throw new IllegalStateException(
          "metric sums of length " + metrics.length + " cannot take " + size);
    }
    return metrics;
  }

  /** Mean loss per example. */
  public double meanLoss() {
    return loss / count;
  }

  /** Fraction of examples predicted correctly. */
  public double accuracy() {
    return correct / count;
  }

  /** Bytes of {@link #put}'s encoding. */
  public int encodedBytes() {
    return 8 + 8 + 8 + 4 + 8 * (metrics == null ? 0 : metrics.length);
  }

  /** Writes the sums to {@code out}, in the buffer's byte order. */
  public void put(ByteBuffer out) {
    out.putLong(count).putDouble(loss).putDouble(correct);
    out.putInt(metrics == null ? 0 : metrics.length);
    if (metrics != null) {
      for (double m : metrics) {
        out.putDouble(m);
      }
    }
  }

  /** The encoding of {@link #put} as bytes. */
  public byte[] toBytes() {
    ByteBuffer b = ByteBuffer.allocate(encodedBytes());
    put(b);
    return b.array();
  }

  /**
   * Adds the sums encoded at {@code in}'s position into this one.
   *
   * @throws IOException if the encoding is cut short or announces more metric sums than {@code in}
   *     holds
   */
  public void addFrom(ByteBuffer in) throws IOException {
    if (in.remaining() < 28) {
      throw new IOException("sums of " + in.remaining() + " bytes, expected at least 28");
    }
    count += in.getLong();
    loss += in.getDouble();
    correct += in.getDouble();
    int m = in.getInt();
    if (m < 0 || m > in.remaining() / 8) {
      throw new IOException("sums announce " + m + " metric values, " + in.remaining() + " bytes");
    }
    if (m > 0) {
      double[] sums;
      try {
        sums = metrics(m);
      } catch (IllegalStateException e) {
        throw new IOException(e.getMessage(), e);
      }
      for (int i = 0; i < m; i++) {
        sums[i] += in.getDouble();
      }
    }
  }

  @Override
  public String toString() {
    return "Totals{loss="
        + loss
        + ", correct="
        + correct
        + ", count="
        + count
        + (metrics == null ? "" : ", metrics=" + Arrays.toString(metrics))
        + "}";
  }
}
