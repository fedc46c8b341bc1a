package org.sparkdp.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Blas;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Totals;

/**
 * One core, no Spark: the rate of the very {@code sgemm} calls one training step makes (same
 * shapes, same transposes), and the whole forward and backward pass over a shuffled epoch of cached
 * float blocks, with the row gathering and, separately, the optimizer step included.
 */
final class KernelBench {
  private KernelBench() {}

  /** One GEMM of a step: row-major {@code C[m, n] = op(A) op(B)}. */
  record Gemm(boolean transA, boolean transB, int m, int n, int k, boolean accumulate) {
    double flops() {
      return 2.0 * m * n * k;
    }
  }

  /**
   * The GEMMs of one forward and backward pass of {@code spec}'s Dense layers at batch {@code b}
   * (no dX for the first layer).
   */
  private static List<Gemm> gemms(ModelSpec spec, int b) {
    List<Gemm> list = new ArrayList<>();
    var layout = spec.layout();
    for (int l = 0; l < layout.layers(); l++) {
      if (spec.layers().get(l) instanceof Dense) {
        list.add(new Gemm(false, false, b, layout.outputs()[l], layout.inputs()[l], true));
      }
    }
    for (int l = layout.layers() - 1; l >= 0; l--) {
      if (spec.layers().get(l) instanceof Dense) {
        list.add(new Gemm(true, false, layout.inputs()[l], layout.outputs()[l], b, true));
        if (l > 0) {
          list.add(new Gemm(false, true, b, layout.inputs()[l], layout.outputs()[l], false));
        }
      }
    }
    return list;
  }

  /** Floating-point operations of the GEMMs of one step at batch {@code b}. */
  static double flopsPerStep(ModelSpec spec, int b) {
    return gemms(spec, b).stream().mapToDouble(Gemm::flops).sum();
  }

  /**
   * GFLOP/s of the step's GEMMs alone, on random data, best of three timed rounds of about a
   * second.
   */
  static double sgemmGflops(ModelSpec spec, int b) {
    return sgemmGflops(gemms(spec, b));
  }

  /**
   * GFLOP/s of {@code list} run in turn on random data, as {@link #sgemmGflops(ModelSpec, int)}.
   */
  static double sgemmGflops(List<Gemm> list) {
    SplittableRandom random = new SplittableRandom(1);
    List<float[][]> operands = new ArrayList<>();
    for (Gemm g : list) {
      float[] a = new float[g.m() * g.k()];
      float[] bb = new float[g.k() * g.n()];
      float[] c = new float[g.m() * g.n()];
      for (float[] x : new float[][] {a, bb}) {
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) random.nextGaussian();
        }
      }
      operands.add(new float[][] {a, bb, c});
    }
    double flops = list.stream().mapToDouble(Gemm::flops).sum();
    return best(
        () -> {
          for (int i = 0; i < list.size(); i++) {
            Gemm g = list.get(i);
            float[][] o = operands.get(i);
            Blas.gemm(
                g.transA(),
                g.transB(),
                g.m(),
                g.n(),
                g.k(),
                1f,
                o[0],
                0,
                o[1],
                0,
                g.accumulate() ? 1f : 0f,
                o[2],
                0);
          }
        },
        flops);
  }

  /** Data for the kernel runs: features {@code [rows, in]} and labels. */
  record Data(float[] x, float[] y, int rows, int in) {}

  /**
   * Seconds for one epoch on one core: every batch gathered from the data in a shuffled order, then
   * forward and backward (and, with {@code optimizer}, Adam's step). Best of {@code repeats}.
   */
  static double epochSeconds(Network network, Data data, int b, boolean optimizer, int repeats) {
    Permutation p = new Permutation(data.rows(), 7);
    int[] order = new int[data.rows()];
    for (int i = 0; i < data.rows(); i++) {
      order[(int) p.apply(i)] = i;
    }
    var ws = network.newWorkspace(b);
    float[] params = network.spec().initialParameters(42);
    float[] grad = new float[params.length];
    float[] bx = new float[b * data.in()];
    float[] by = new float[b];
    Adam adam = Adam.defaults();
    OptimizerState state = adam.newState(params.length);
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < repeats; rep++) {
      long start = System.nanoTime();
      for (int s = 0; s < data.rows(); s += b) {
        int n = Math.min(b, data.rows() - s);
        for (int i = 0; i < n; i++) {
          int r = order[s + i];
          System.arraycopy(data.x(), r * data.in(), bx, i * data.in(), data.in());
          by[i] = data.y()[r];
        }
        java.util.Arrays.fill(grad, 0f);
        network.accumulate(params, bx, 0, by, 0, n, grad, new Totals(), ws);
        if (optimizer) {
          float inverse = 1f / n;
          for (int i = 0; i < grad.length; i++) {
            grad[i] *= inverse;
          }
          adam.step(params, grad, state);
        }
      }
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    return best;
  }

  /** Seconds per Adam step over {@code size} parameters. */
  static double adamSeconds(int size) {
    Adam adam = Adam.defaults();
    float[] w = new float[size];
    float[] g = new float[size];
    java.util.Arrays.fill(g, 0.01f);
    OptimizerState state = adam.newState(size);
    double callsPerNanosecond = best(() -> adam.step(w, g, state), 1);
    return 1e-9 / callsPerNanosecond;
  }

  /**
   * Best rate in GFLOP/s of {@code body} doing {@code flops} per call, over three rounds of about a
   * second.
   */
  private static double best(Runnable body, double flops) {
    for (int i = 0; i < 50; i++) {
      body.run(); // warm up the JIT and the caches
    }
    double bestRate = 0;
    for (int round = 0; round < 3; round++) {
      long calls = 0;
      long start = System.nanoTime();
      long elapsed;
      do {
        body.run();
        calls++;
        elapsed = System.nanoTime() - start;
      } while (elapsed < 1_000_000_000L);
      bestRate = Math.max(bestRate, flops * calls / elapsed);
    }
    return bestRate;
  }
}
