package org.sparkdp.ops;

import java.util.Locale;

/**
 * How many parameters a model may have in this JVM: its maximum heap ({@code Runtime.maxMemory()})
 * divided by {@value #BYTES_PER_PARAMETER} bytes. Training keeps about a dozen float copies of the
 * parameter vector on the driver (the parameters, the gradient sums, up to three optimizer slots,
 * and the copies that a checkpoint and a retry hold: 48 bytes per parameter), and dividing by 64
 * leaves a quarter of the heap to Spark; a 4 GB driver takes 67,108,864 parameters. Models are
 * checked when they are read (job file, {@code model.json}) and before they are trained, so that a
 * mistyped {@code units} is refused with the layer named instead of ending in an {@code
 * OutOfMemoryError}.
 */
public final class ParameterBudget {
  /** Heap bytes per parameter. */
  public static final int BYTES_PER_PARAMETER = 64;

  private ParameterBudget() {}

  /** The most parameters a model may have in this JVM. */
  public static long maxParameters() {
    return Runtime.getRuntime().maxMemory() / BYTES_PER_PARAMETER;
  }

  /**
   * Fails naming the first layer at which {@code spec} passes the budget.
   *
   * @param path how messages name the list of layers, e.g. {@code model.layers}
   */
  public static void check(ModelSpec spec, String path) {
    check(spec, path, maxParameters());
  }

  static void check(ModelSpec spec, String path, long max) {
    long total = 0;
    int[] in = spec.inputShapeArray();
    for (int l = 0; l < spec.layers().size(); l++) {
      Layer layer = spec.layers().get(l);
      for (Layer.Weight w : layer.weights(in)) {
        long size = 1;
        for (int d : w.shape()) {
          size *= d;
        }
        total += size;
      }
      if (total > max) {
        String what = layer.describe(Layer.size(in));
        throw new ConfigException(
            String.format(
                Locale.ROOT,
                "%s[%d]: %s brings the model to %d"
                    + " parameters, more than the %d that a heap of %d MB trains (heap / %d bytes"
                    + " per parameter; give the driver more memory, or the layer fewer units)",
                path,
                l,
                what,
                total,
                max,
                Runtime.getRuntime().maxMemory() >> 20,
                BYTES_PER_PARAMETER));
      }
      in = layer.outputShape(in);
    }
  }
}
