package org.sparkdp.ops;

import java.util.Arrays;
import java.util.Locale;

/**
 * How much memory one task's pass may take for its activations: a {@link Workspace} holds each
 * layer's outputs and scratch (a convolution's {@code im2col} columns) and two gradient buffers for
 * every row of a pass, and may use at most a quarter of this JVM's heap ({@code Runtime.maxMemory()
 * / }{@value #HEAP_SHARE}), which leaves room for a second task slot, the cached data and Spark.
 * Checked before a workspace is allocated and before a fit starts, so that an image too large for
 * its batch is refused with the layer named, the bytes it needs and the batch size that fits,
 * instead of ending in an {@code OutOfMemoryError}.
 */
public final class ActivationBudget {
  /** The share of the heap one task's workspace may take is {@code 1 / HEAP_SHARE}. */
  public static final int HEAP_SHARE = 4;

  /** The most elements a Java array holds (the JDK's own limit, a few below int's). */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  private ActivationBudget() {}

  /** The most bytes one task's workspace may take in this JVM. */
  public static long maxBytes() {
    return Runtime.getRuntime().maxMemory() / HEAP_SHARE;
  }

  /**
   * Fails naming the first layer at which a pass of {@code rows} examples passes the budget, with
   * the batch size that would fit.
   *
   * @param path how messages name the list of layers, e.g. {@code model.layers}
   */
  public static void check(ModelSpec spec, int rows, String path) {
    check(spec, rows, path, maxBytes());
  }

  /**
   * The rows a pass that may choose its size (evaluation, prediction) takes: {@code rows} when they
   * fit the budget, else the most that fit; fails as {@link #check} when not even one does.
   */
  public static int passRows(ModelSpec spec, int rows, String path) {
    int fits = Sizes.of(spec, path).rowsThatFit(maxBytes());
    if (fits == 0) {
      check(spec, 1, path);
    }
    return Math.min(rows, fits);
  }

  /** {@link #check(ModelSpec, int, String)} against a budget of {@code max} bytes. */
  static void check(ModelSpec spec, int rows, String path, long max) {
    Sizes sizes = Sizes.of(spec, path);
    int layers = sizes.outputs.length;
    for (int l = 0; l < layers; l++) {
      long needed = 4 * sizes.floatsUpTo(l, rows);
      boolean tooLong = sizes.longestArray(l, rows) > MAX_ARRAY;
      if (needed <= max && !tooLong) {
        continue;
      }
      int fits = sizes.rowsThatFit(max);
      String layer =
          String.format(
              Locale.ROOT,
              "%s[%d]: %s (input %s, output %s)",
              path,
              l,
              spec.layers().get(l).type(),
              Arrays.toString(spec.inputShapeOf(l)),
              Arrays.toString(spec.layout().outputShapes()[l]));
      String advice =
          fits > 0
              ? String.format(
                  Locale.ROOT,
                  "a batch_size of %d fits; or give each task more memory (the executors', or on"
                      + " local[*] the driver's: SPARKDP_DRIVER_MEMORY)",
                  fits)
              : "not even one example fits: give each task more memory, or make the layer smaller";
      if (needed <= max) {
        throw new ConfigException(
            String.format(
                Locale.ROOT,
                "%s needs an array of %d floats for a pass of %d examples, more than a Java array"
                    + " holds (%d); %s",
                layer,
                sizes.longestArray(l, rows),
                rows,
                MAX_ARRAY,
                advice));
      }
      throw new ConfigException(
          String.format(
              Locale.ROOT,
              "%s needs %d bytes of outputs and scratch for a pass of %d examples (%d with the"
                  + " layers before it and the gradient buffers), more than the %d bytes one"
                  + " task may use (a quarter of this JVM's heap of %d MB); %s",
              layer,
              4 * (sizes.outputs[l] + sizes.scratchPerRow[l]) * rows + 4 * sizes.scratchFixed[l],
              rows,
              needed,
              max,
              Runtime.getRuntime().maxMemory() >> 20,
              advice));
    }
  }

  /**
   * Floats per example of each layer's output and scratch (scratch is taken as {@code fixed +
   * perRow * rows}, measured at 1 and 2 rows, so that no kernel is asked about a size past int's).
   */
  private record Sizes(long[] outputs, long[] scratchFixed, long[] scratchPerRow) {
    static Sizes of(ModelSpec spec, String path) {
      ParameterLayout layout = spec.layout();
      int layers = layout.layers();
      long[] outputs = new long[layers];
      long[] fixed = new long[layers];
      long[] perRow = new long[layers];
      for (int l = 0; l < layers; l++) {
        outputs[l] = layout.outputs()[l];
        Layer layer = spec.layers().get(l);
        Kernel kernel = layer.kernel(new Binding(layout, l, layer.activation(), 0));
        long one;
        long two;
        try {
          one = kernel.scratch(1);
          two = kernel.scratch(2);
        } catch (ConfigException e) {
          throw new ConfigException(path + "[" + l + "]: " + e.getMessage());
        }
        perRow[l] = two - one;
        fixed[l] = one - perRow[l];
      }
      return new Sizes(outputs, fixed, perRow);
    }

    /** Floats of layers {@code 0..l} and the two gradient buffers for {@code rows} examples. */
    long floatsUpTo(int l, long rows) {
      long floats = 0;
      long widest = 0;
      for (int k = 0; k <= l; k++) {
        floats += (outputs[k] + scratchPerRow[k]) * rows + scratchFixed[k];
        widest = Math.max(widest, outputs[k]);
      }
      return floats + 2 * widest * rows;
    }

    /** The longest array layer {@code l} needs for {@code rows} examples. */
    long longestArray(int l, long rows) {
      long widest = 0;
      for (int k = 0; k <= l; k++) {
        widest = Math.max(widest, outputs[k]);
      }
      return Math.max(widest * rows, scratchPerRow[l] * rows + scratchFixed[l]);
    }

    /** The most examples a pass may have within {@code max} bytes (0 if not even one). */
    int rowsThatFit(long max) {
      int last = outputs.length - 1;
      long perRow = 2 * Arrays.stream(outputs).max().orElse(1);
      for (int l = 0; l <= last; l++) {
        perRow += outputs[l] + scratchPerRow[l];
      }
      long low = 0;
      // No more rows than the budget holds at their floats per row: no product overflows a long.
      long high = Math.min(Integer.MAX_VALUE, max / 4 / Math.max(1, perRow));
      while (low < high) {
        long mid = (low + high + 1) >>> 1;
        boolean fits = 4 * floatsUpTo(last, mid) <= max;
        for (int l = 0; l <= last && fits; l++) {
          fits = longestArray(l, mid) <= MAX_ARRAY;
        }
        if (fits) {
          low = mid;
        } else {
          high = mid - 1;
        }
      }
      return (int) low;
    }
  }
}
