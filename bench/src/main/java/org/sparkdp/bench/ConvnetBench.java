package org.sparkdp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.Conv2D;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.Flatten;
import org.sparkdp.ops.LayerClock;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.MaxPooling2D;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Permutation;
import org.sparkdp.ops.Totals;
import org.sparkdp.ops.Workspace;

/**
 * {@code bin/sparkdp bench --only convnet}: the Keras "simple MNIST convnet" on Fashion-MNIST on
 * one core without Spark (one BLAS thread): an epoch of forward, backward and Adam at batch 128,
 * the time of each layer, the convolutions' rate against {@code sgemm} on the same shapes, and
 * PyTorch's epoch on one thread with the same layers and batch.
 */
final class ConvnetBench {
  static final int BATCH = 128;

  static final ModelSpec SPEC =
      new ModelSpec(
          java.util.List.of(
              Conv2D.of(32, 3, "relu"),
              MaxPooling2D.of(2),
              Conv2D.of(64, 3, "relu"),
              MaxPooling2D.of(2),
              Flatten.of(),
              Dropout.of(0.5),
              Dense.of(10, "softmax")),
          java.util.List.of(28, 28, 1));

  private ConvnetBench() {}

  static void run(Report report, String dataDir, boolean torch) throws Exception {
    report.section(
        "Keras' simple MNIST convnet, one core, no Spark, batch "
            + BATCH
            + " (conv 32, pool, conv 64, pool, flatten, dropout, dense 10; Adam)");
    KernelBench.Data data = Bench.load(dataDir);
    double epoch = epochSeconds(data, 2);
    report.put(
        "convnet_epoch_s",
        "forward+backward+Adam epoch (best of 2)",
        epoch,
        "%.2f",
        String.format(Locale.ROOT, "s (%.0f samples/s)", data.rows() / epoch));

    LayerClock clock = new LayerClock(SPEC, BATCH);
    timeLayers(clock, data, 30); // warm-up
    clock = new LayerClock(SPEC, BATCH);
    timeLayers(clock, data, 100);
    for (LayerClock.Part part : clock.parts()) {
      report.put(
          "convnet_ms_" + part.name().replaceAll("[^a-z0-9_]+", "_").replaceAll("_+$", ""),
          "  " + part.name(),
          part.msPerBatch(),
          "%.2f",
          "ms per batch");
    }
    List<KernelBench.Gemm> gemms = convGemms(BATCH);
    double flops = gemms.stream().mapToDouble(KernelBench.Gemm::flops).sum();
    double sgemm = KernelBench.sgemmGflops(gemms);
    double convMs = clock.msPerBatch("conv2d");
    double convGflops = flops / (convMs / 1e3) / 1e9;
    report.put(
        "convnet_conv_sgemm_gflops",
        "sgemm on the convolutions' shapes",
        sgemm,
        "%.1f",
        String.format(Locale.ROOT, "GFLOP/s (%.0f MFLOP per batch)", flops / 1e6));
    report.put(
        "convnet_conv_gflops",
        "the convolutions, forward+backward",
        convGflops,
        "%.1f",
        String.format(Locale.ROOT, "GFLOP/s (%.2f ms per batch)", convMs));
    report.put(
        "convnet_conv_fraction_of_sgemm",
        "  as a fraction of sgemm's rate",
        convGflops / sgemm,
        "%.2f",
        "");

    if (torch) {
      JsonNode t = PeerBench.torch("torch_convnet.py", dataDir, BATCH, 2);
      if (t != null) {
        double torchEpoch = Bench.median(t.get("epoch_seconds"));
        double best = Double.MAX_VALUE;
        for (JsonNode s : t.get("epoch_seconds")) {
          best = Math.min(best, s.asDouble());
        }
        report.put("convnet_torch_version", "PyTorch", t.get("torch_version").asText(), "");
        report.put(
            "convnet_torch_epoch_s",
            "PyTorch, one thread: epoch (best of 2)",
            best,
            "%.2f",
            String.format(
                Locale.ROOT,
                "s (median %.2f s; test accuracy %.4f)",
                torchEpoch,
                t.get("test_accuracy").asDouble()));
        report.put(
            "convnet_epoch_vs_torch",
            "sparkdp's epoch / PyTorch's",
            epoch / best,
            "%.2f",
            "(below 1: sparkdp is faster)");
      }
    }
  }

  /**
   * The GEMMs of the convolutions' forward and backward at batch {@code b} (no dX for the first).
   */
  static List<KernelBench.Gemm> convGemms(int b) {
    List<KernelBench.Gemm> list = new ArrayList<>();
    var layout = SPEC.layout();
    for (int l = 0; l < SPEC.layers().size(); l++) {
      if (SPEC.layers().get(l) instanceof Conv2D conv) {
        int[] in = layout.inputShapes()[l];
        int[] out = layout.outputShapes()[l];
        int m = b * out[0] * out[1];
        int patch = conv.kernelSize().get(0) * conv.kernelSize().get(1) * in[2];
        int filters = conv.filters();
        list.add(new KernelBench.Gemm(false, false, m, filters, patch, true));
        list.add(new KernelBench.Gemm(true, false, patch, filters, m, true));
        if (l > 0) {
          list.add(new KernelBench.Gemm(false, true, m, patch, filters, false));
        }
      }
    }
    return list;
  }

  /** Best of {@code repeats} epochs: batches in a shuffled order, forward, backward, Adam. */
  static double epochSeconds(KernelBench.Data data, int repeats) {
    Network network = new Network(SPEC, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    int[] order = order(data.rows());
    Workspace ws = network.newWorkspace(BATCH);
    float[] params = SPEC.initialParameters(42);
    float[] grad = new float[params.length];
    float[] bx = new float[BATCH * data.in()];
    float[] by = new float[BATCH];
    long[] ids = new long[BATCH];
    Adam adam = Adam.defaults();
    OptimizerState state = adam.newState(params.length);
    double best = Double.MAX_VALUE;
    for (int epoch = 0; epoch < repeats; epoch++) {
      long start = System.nanoTime();
      for (int s = 0; s < data.rows(); s += BATCH) {
        int n = gather(data, order, s, bx, by, ids);
        java.util.Arrays.fill(grad, 0f);
        network.accumulate(params, bx, 0, by, 0, ids, 0, epoch, n, grad, new Totals(), ws);
        float inverse = 1f / n;
        for (int i = 0; i < grad.length; i++) {
          grad[i] *= inverse;
        }
        adam.step(params, grad, state);
      }
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    return best;
  }

  /** {@code batches} timed batches (forward and backward, no optimizer) through {@code clock}. */
  private static void timeLayers(LayerClock clock, KernelBench.Data data, int batches) {
    int[] order = order(data.rows());
    float[] params = SPEC.initialParameters(42);
    float[] grad = new float[params.length];
    float[] bx = new float[BATCH * data.in()];
    float[] by = new float[BATCH];
    long[] ids = new long[BATCH];
    for (int b = 0; b < batches; b++) {
      int n = gather(data, order, (b * BATCH) % (data.rows() - BATCH), bx, by, ids);
      clock.pass(params, bx, by, ids, 0, n, grad);
    }
  }

  private static int[] order(int rows) {
    Permutation p = new Permutation(rows, 7);
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[(int) p.apply(i)] = i;
    }
    return order;
  }

  /** Copies the batch starting at {@code order[s]} into {@code bx, by, ids}; its size. */
  private static int gather(
      KernelBench.Data data, int[] order, int s, float[] bx, float[] by, long[] ids) {
    int n = Math.min(BATCH, data.rows() - s);
    for (int i = 0; i < n; i++) {
      int r = order[s + i];
      System.arraycopy(data.x(), r * data.in(), bx, i * data.in(), data.in());
      by[i] = data.y()[r];
      ids[i] = r;
    }
    return n;
  }
}
