package org.sparkdp.ops;

import java.io.Serializable;
import java.util.List;

/**
 * A {@link ModelSpec} bound to a loss: the batched forward and backward passes over row-major
 * float32 blocks. It holds no weights and no buffers; parameters are passed in as one flat array
 * (laid out by {@link ParameterLayout}), scratch space comes from a {@link Workspace}, and
 * gradients are <em>added</em> into a caller-owned array, so one instance serves every thread and
 * batch.
 *
 * <p>Each layer is a kernel bound to its weights' offsets (for a Dense layer, with {@code X [rows,
 * in]}, {@code W [in, out]}, {@code b [out]}: forward {@code A = f(X W + b)}; backward {@code dZ =
 * dA * f'(Z)}, {@code dW += X^T dZ}, {@code db += sum_rows dZ}, {@code dX = dZ W^T}).
 *
 * <p>Training passes carry each example's global id and the epoch, from which dropout draws its
 * masks ({@link Dropout}); evaluation and prediction pass every layer's input through unchanged
 * where Keras' {@code training=False} would.
 */
public final class Network implements Serializable {
  private final ModelSpec spec;
  private final ParameterLayout layout;
  private final Loss loss;
  private final boolean fromLogits;
  private final int labelWidth;
  private final double huberDelta;
  private final long seed;
  private final boolean fused;
  private final Kernel[] kernels;

  /**
   * The kernels for the loss's pass: the last layer without the activation a fused loss applies.
   */
  private final Kernel[] lossKernels;

  private final Penalty regularization;
  private final Metrics metrics;

  /** The doubles of each phase of a training pass, in order ({@link Phases}); empty for most. */
  private final int[] phaseWidths;

  /** Each layer's forward phase, or -1 if it has none. */
  private final int[] forwardPhase;

  /** Where each layer's weights start and end in the flat array (equal for a layer without). */
  private final int[] weightsFrom;

  private final int[] weightsTo;

  /**
   * A network for training and evaluation with {@code compile}'s loss; {@code seed} seeds the
   * dropout masks of layers without a seed of their own (the fit's seed).
   *
   * @param labelWidth floats per example's label (see {@link Loss})
   * @throws IllegalArgumentException if the loss does not fit the last layer or the label width
   */
  public Network(ModelSpec spec, CompileConfig compile, int labelWidth, long seed) {
    this(
        spec,
        compile.loss(),
        compile.fromLogits(),
        labelWidth,
        compile.huberDelta(),
        seed,
        compile.metrics(),
        false);
  }

  /**
   * A network with this loss (Huber's default delta), whose dropout layers without a seed use seed
   * 0: for evaluation, prediction and tests.
   */
  public Network(ModelSpec spec, Loss loss, boolean fromLogits, int labelWidth) {
    this(spec, loss, fromLogits, labelWidth, Loss.DELTA.defaultValue(), 0L, List.of(), false);
  }

  private Network(
      ModelSpec spec,
      Loss loss,
      boolean fromLogits,
      int labelWidth,
      double huberDelta,
      long seed,
      List<Metric> metrics,
      boolean confusion) {
    this.seed = seed;
    this.spec = spec;
    this.layout = spec.layout();
    this.loss = loss;
    this.fromLogits = fromLogits;
    this.labelWidth = labelWidth;
    this.huberDelta = huberDelta;
    loss.checkOutput(spec.outputActivation(), spec.outputUnits(), fromLogits);
    if (!loss.acceptsLabelWidth(labelWidth, spec.outputUnits())) {
      throw new IllegalArgumentException(
          "loss "
              + loss.kerasName()
              + " with "
              + spec.outputUnits()
              + " output units cannot take labels of width "
              + labelWidth);
    }
    this.fused = loss.fused(spec.outputActivation(), fromLogits);
    int layers = spec.layers().size();
    kernels = new Kernel[layers];
    lossKernels = new Kernel[layers];
    for (int l = 0; l < layers; l++) {
      Activation own = spec.layers().get(l).activation();
      kernels[l] = spec.layers().get(l).kernel(new Binding(layout, l, own, seed));
      lossKernels[l] =
          fused && l == layers - 1
              ? spec.layers().get(l).kernel(new Binding(layout, l, Activation.LINEAR, seed))
              : kernels[l];
    }
    this.regularization = spec.regularization();
    this.metrics = new Metrics(metrics, loss, spec.outputUnits(), labelWidth, confusion);
    forwardPhase = new int[layers];
    List<Integer> widths = new java.util.ArrayList<>();
    for (int l = 0; l < layers; l++) {
      forwardPhase[l] = -1;
      if (spec.layers().get(l).usesBatchStatistics()) {
        forwardPhase[l] = widths.size();
        int[] shape = layout.inputShapes()[l];
        widths.add(1 + 2 * shape[shape.length - 1]);
      }
    }
    for (int l = layers - 1; l > 0; l--) {
      if (forwardPhase[l] >= 0) {
        int[] shape = layout.inputShapes()[l];
        widths.add(2 * shape[shape.length - 1]);
      }
    }
    phaseWidths = widths.stream().mapToInt(Integer::intValue).toArray();
    weightsFrom = new int[layers];
    weightsTo = new int[layers];
    for (int l = 0; l < layers; l++) {
      int from = Integer.MAX_VALUE;
      int to = 0;
      for (ParameterLayout.View v : layout.views()) {
        if (v.layer() == l) {
          from = Math.min(from, v.offset());
          to = Math.max(to, v.offset() + v.size());
        }
      }
      weightsFrom[l] = from == Integer.MAX_VALUE ? 0 : from;
      weightsTo[l] = from == Integer.MAX_VALUE ? 0 : to;
    }
  }

  /**
   * The doubles of each {@link Phases phase} of a training pass, in order: per layer that uses the
   * batch's statistics, first to last, {@code 1 + 2C} (the count, and per channel the sums of the
   * shifted values and of their squares), then last to first, except the first layer, {@code 2C}
   * (per channel the sums of the output's gradient and of its product with the normalised input).
   * Empty for a model without such layers: its step is one exchange.
   */
  public int[] phaseWidths() {
    return phaseWidths.clone();
  }

  /**
   * Takes part in every phase of a training pass with no rows (a task without examples in a step):
   * each partial is zeros.
   */
  public void skipPhases(Phases phases) {
    for (int p = 0; p < phaseWidths.length; p++) {
      phases.exchange(p, new double[phaseWidths[p]]);
    }
  }

  /**
   * One update of the model after a training step: the optimizer on the trainable weights, from the
   * step's mean gradient ({@link Optimizer#step}; the moving statistics keep their values, whatever
   * weight decay would do), then the moving statistics from the totals of the step's phases, in
   * order ({@code null} or empty for a model without them).
   */
  public void update(
      Optimizer optimizer,
      float[] params,
      float[] meanGradient,
      OptimizerState state,
      double[][] phaseTotals) {
    List<ParameterLayout.View> frozen =
        layout.views().stream().filter(v -> !v.trainable()).toList();
    float[][] kept = new float[frozen.size()][];
    for (int i = 0; i < kept.length; i++) {
      ParameterLayout.View v = frozen.get(i);
      kept[i] = java.util.Arrays.copyOfRange(params, v.offset(), v.offset() + v.size());
    }
    optimizer.step(params, meanGradient, state, layout.bounds());
    for (int i = 0; i < kept.length; i++) {
      System.arraycopy(kept[i], 0, params, frozen.get(i).offset(), kept[i].length);
    }
    for (int l = 0; l < forwardPhase.length; l++) {
      if (forwardPhase[l] >= 0) {
        if (phaseTotals == null || phaseTotals.length != phaseWidths.length) {
          throw new IllegalArgumentException(
              "the update of a model with batch statistics needs the totals of its "
                  + phaseWidths.length
                  + " phases");
        }
        ((BatchNormalization) spec.layers().get(l))
            .updateMoving(
                params,
                layout.offset(l, "moving_mean"),
                layout.offset(l, "moving_variance"),
                phaseTotals[forwardPhase[l]]);
      }
    }
  }

  /**
   * This network, whose evaluation also counts the confusion matrix (of a single-label classifier;
   * see {@link Metrics#confusionClasses}).
   */
  public Network withConfusionMatrix() {
    return new Network(
        spec, loss, fromLogits, labelWidth, huberDelta, seed, metrics.metrics(), true);
  }

  public ModelSpec spec() {
    return spec;
  }

  public ParameterLayout layout() {
    return layout;
  }

  public Loss loss() {
    return loss;
  }

  public boolean fromLogits() {
    return fromLogits;
  }

  public int labelWidth() {
    return labelWidth;
  }

  /** The compiled metrics, which every pass adds up in {@link Totals}. */
  public Metrics metrics() {
    return metrics;
  }

  /** The penalty of the layers' regularizers (to add to the loss once per step). */
  public Penalty regularization() {
    return regularization;
  }

  /**
   * Scratch space for passes of up to {@code maxRows} examples, checked first against the {@link
   * ActivationBudget}.
   */
  public Workspace newWorkspace(int maxRows) {
    ActivationBudget.check(spec, maxRows, "layers");
    return new Workspace(layout, kernels, maxRows);
  }

  /**
   * Forward pass of {@code rows <= ws.maxRows()} examples {@code x[xOff ..]} ({@code [rows,
   * inputDim]}), as in prediction; the model's outputs are left in {@link Workspace#lastOutputs()}.
   */
  public void forward(float[] params, float[] x, int xOff, int rows, Workspace ws) {
    if (rows > ws.maxRows) {
      throw new IllegalArgumentException(rows + " rows exceed the workspace's " + ws.maxRows);
    }
    ws.pass(false, null, 0, 0);
    forward(kernels, params, x, xOff, rows, ws);
  }

  /**
   * Training: adds to {@code grad} the gradient of the loss summed over {@code rows} examples, and
   * adds their summed loss, correct count, metric sums and count to {@code totals}. {@code
   * ids[idsOff ..]} are the examples' global ids and {@code epoch} the epoch, from which dropout
   * draws its masks. Any number of rows: they are processed in chunks of {@code ws.maxRows()}.
   */
  public void accumulate(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      long[] ids,
      int idsOff,
      int epoch,
      int rows,
      float[] grad,
      Totals totals,
      Workspace ws) {
    accumulate(params, x, xOff, y, yOff, ids, idsOff, null, 0, epoch, rows, grad, totals, ws);
  }

  /**
   * {@link #accumulate(float[], float[], int, float[], int, long[], int, int, int, float[], Totals,
   * Workspace)} with a weight per example ({@code weights[weightsOff ..]}, or {@code null} for all
   * 1): each example's loss and gradient are multiplied by its weight, as Keras' class and sample
   * weights; the count stays the number of examples, so a step's mean divides by it (Keras' {@code
   * sum_over_batch_size}).
   */
  public void accumulate(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      long[] ids,
      int idsOff,
      float[] weights,
      int weightsOff,
      int epoch,
      int rows,
      float[] grad,
      Totals totals,
      Workspace ws) {
    accumulate(
        params,
        x,
        xOff,
        y,
        yOff,
        ids,
        idsOff,
        weights,
        weightsOff,
        epoch,
        rows,
        grad,
        totals,
        ws,
        phaseWidths.length == 0 ? null : Phases.local());
  }

  /**
   * {@link #accumulate(float[], float[], int, float[], int, long[], int, float[], int, int, int,
   * float[], Totals, Workspace)} whose layers that need the whole batch's statistics get them from
   * {@code phases} ({@link Phases}): then the {@code rows} must fit the workspace, as one pass.
   *
   * @throws IllegalArgumentException if the model has phases and the rows do not fit {@code ws}
   */
  public void accumulate(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      long[] ids,
      int idsOff,
      float[] weights,
      int weightsOff,
      int epoch,
      int rows,
      float[] grad,
      Totals totals,
      Workspace ws,
      Phases phases) {
    if (phaseWidths.length > 0 && rows > ws.maxRows) {
      throw new IllegalArgumentException(
          "a model with batch_normalization trains on a whole batch at once: "
              + rows
              + " rows exceed the workspace's "
              + ws.maxRows);
    }
    int in = spec.inputDim();
    for (int start = 0; start < rows; start += ws.maxRows) {
      int n = Math.min(ws.maxRows, rows - start);
      ws.pass(true, ids, idsOff + start, epoch, phases);
      chunk(
          params,
          x,
          xOff + start * in,
          y,
          yOff + start * labelWidth,
          weights,
          weightsOff + start,
          n,
          grad,
          totals,
          ws);
    }
  }

  /**
   * {@link #accumulate(float[], float[], int, float[], int, long[], int, int, int, float[], Totals,
   * Workspace)} for a model without dropout, which needs no example ids.
   *
   * @throws IllegalStateException if the model has dropout
   */
  public void accumulate(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      int rows,
      float[] grad,
      Totals totals,
      Workspace ws) {
    if (spec.hasNoise()) {
      throw new IllegalStateException(
          "a model with dropout trains on examples with ids: pass them to accumulate");
    }
    accumulate(params, x, xOff, y, yOff, null, 0, 0, rows, grad, totals, ws);
  }

  /**
   * Fails unless every layer computes each example's output from that example alone, as per-example
   * clipping needs: {@code batch_normalization} mixes the examples of a batch in training (Opacus
   * refuses BatchNorm for the same reason).
   *
   * @throws ConfigException naming the first such layer, by its position and kind
   */
  public void checkPerExampleGradients() {
    for (int l = 0; l < spec.layers().size(); l++) {
      Layer layer = spec.layers().get(l);
      if (layer.usesBatchStatistics()) {
        throw new ConfigException(
            "fit.differential_privacy: layer "
                + l
                + " ("
                + layer.type()
                + ") mixes the examples of a batch, so no example has a gradient of its own to"
                + " clip; use layer_normalization instead, or train without differential privacy");
      }
    }
  }

  /**
   * DP-SGD's per-example clipping (Abadi et al. 2016): adds to {@code grad}, in {@link
   * #accumulate}'s layout, {@code sum_i min(1, C / ||g_i||) g_i} over the {@code rows} examples,
   * where {@code g_i} is example {@code i}'s gradient of its loss (times its weight, if {@code
   * weights} is not {@code null}) and {@code ||g_i||} its L2 norm over all the model's parameters;
   * the regularizers' penalty is not part of it (the driver adds it once per step, as Opacus clips
   * the data's gradients only). Adds the loss, metrics and count to {@code totals} as {@link
   * #accumulate} does, and returns how many examples were clipped ({@code ||g_i|| > C}). Noise and
   * the division by the batch size are the caller's.
   *
   * <p>Two backward passes on one forward pass per chunk of {@code ws.maxRows()}: the first
   * computes each example's norm, layer by layer ({@code dense} by Goodfellow's trick and {@code
   * embedding} id by id, without materialising per-example gradients; convolutions from the forward
   * pass's columns, one example's gradient at a time; other layers with weights,
   * layer_normalization and the recurrent ones, through their own forward and backward passes on
   * one row at a time); the second is the plain backward pass with each example's loss gradient
   * scaled by its factor, which by linearity adds the clipped sum. With {@code C} above every norm
   * it adds exactly what {@link #accumulate} adds.
   *
   * @param l2NormClip {@code C}, positive and finite
   * @throws ConfigException if a layer mixes the examples of a batch ({@link
   *     #checkPerExampleGradients})
   */
  public int accumulateClipped(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      long[] ids,
      int idsOff,
      float[] weights,
      int weightsOff,
      int epoch,
      int rows,
      double l2NormClip,
      float[] grad,
      Totals totals,
      Workspace ws) {
    checkPerExampleGradients();
    if (!(l2NormClip > 0) || Double.isInfinite(l2NormClip)) {
      throw new IllegalArgumentException(
          "l2_norm_clip must be positive and finite, got " + l2NormClip);
    }
    if (ws.clipping == null) {
      ws.clipping = new Workspace.Clipping(layout, lossKernels, ws.maxRows);
    }
    int in = spec.inputDim();
    int clipped = 0;
    for (int start = 0; start < rows; start += ws.maxRows) {
      int n = Math.min(ws.maxRows, rows - start);
      ws.pass(true, ids, idsOff + start, epoch);
      clipped +=
          clippedChunk(
              params,
              x,
              xOff + start * in,
              y,
              yOff + start * labelWidth,
              ids,
              idsOff + start,
              weights,
              weightsOff + start,
              epoch,
              n,
              l2NormClip,
              grad,
              totals,
              ws);
    }
    return clipped;
  }

  /**
   * Evaluation: adds the summed loss, correct count, metric sums and count of {@code rows} examples
   * to {@code totals}, with dropout inactive; no gradient.
   */
  public void evaluate(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      int rows,
      Totals totals,
      Workspace ws) {
    evaluate(params, x, xOff, y, yOff, null, 0, rows, totals, ws);
  }

  /** {@link #evaluate} with each example's loss weighted ({@code weights} may be null). */
  public void evaluate(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      float[] weights,
      int weightsOff,
      int rows,
      Totals totals,
      Workspace ws) {
    int in = spec.inputDim();
    for (int start = 0; start < rows; start += ws.maxRows) {
      int n = Math.min(ws.maxRows, rows - start);
      ws.pass(false, null, 0, 0);
      chunk(
          params,
          x,
          xOff + start * in,
          y,
          yOff + start * labelWidth,
          weights,
          weightsOff + start,
          n,
          null,
          totals,
          ws);
    }
  }

  private void forward(
      Kernel[] bound, float[] params, float[] x, int xOff, int rows, Workspace ws) {
    for (int l = 0; l < bound.length; l++) {
      float[] input = l == 0 ? x : ws.outputs[l - 1];
      int inputOff = l == 0 ? xOff : 0;
      bound[l].forward(params, input, inputOff, rows, ws.outputs[l], ws.scratch[l], ws);
    }
  }

  private void chunk(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      float[] weights,
      int weightsOff,
      int rows,
      float[] grad,
      Totals totals,
      Workspace ws) {
    forwardAndLoss(params, x, xOff, y, yOff, weights, weightsOff, rows, totals, ws);
    if (grad != null) {
      backward(params, x, xOff, rows, grad, ws);
    }
  }

  /**
   * The forward pass of a chunk, its loss's gradient left in {@code ws.delta} (each example's
   * multiplied by its weight), and its loss, metrics and count added to {@code totals}.
   */
  private void forwardAndLoss(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      float[] weights,
      int weightsOff,
      int rows,
      Totals totals,
      Workspace ws) {
    int last = layout.layers() - 1;
    int units = layout.outputs()[last];
    forward(lossKernels, params, x, xOff, rows, ws);
    float[] out = ws.outputs[last];
    if (weights == null) {
      totals.loss += loss(out, ws.delta, 0, y, yOff, rows, units);
    } else {
      // One row at a time, to weigh each example's loss and its gradient.
      for (int r = 0; r < rows; r++) {
        float w = weights[weightsOff + r];
        totals.loss += w * loss(out, ws.delta, r * units, y, yOff + r * labelWidth, 1, units);
        for (int j = r * units; j < (r + 1) * units; j++) {
          ws.delta[j] *= w;
        }
      }
    }
    metrics.add(out, y, yOff, rows, totals);
    totals.count += rows;
  }

  /** One chunk of {@link #accumulateClipped}: returns how many of its examples were clipped. */
  private int clippedChunk(
      float[] params,
      float[] x,
      int xOff,
      float[] y,
      int yOff,
      long[] ids,
      int idsOff,
      float[] weights,
      int weightsOff,
      int epoch,
      int rows,
      double l2NormClip,
      float[] grad,
      Totals totals,
      Workspace ws) {
    Workspace.Clipping c = ws.clipping;
    int units = layout.outputs()[layout.layers() - 1];
    forwardAndLoss(params, x, xOff, y, yOff, weights, weightsOff, rows, totals, ws);
    System.arraycopy(ws.delta, 0, c.lossDelta, 0, rows * units);
    java.util.Arrays.fill(c.norms, 0, rows, 0.0);
    for (int l = layout.layers() - 1; l >= 0; l--) {
      float[] input = l == 0 ? x : ws.outputs[l - 1];
      int inputOff = l == 0 ? xOff : 0;
      float[] dIn = l > 0 ? ws.deltaBefore : null;
      Kernel k = lossKernels[l];
      if (weightsFrom[l] == weightsTo[l]) {
        k.backward(
            params, input, inputOff, rows, ws.outputs[l], ws.scratch[l], ws.delta, dIn, c.grad, ws);
      } else if (!k.backwardNorms(
          params,
          input,
          inputOff,
          rows,
          ws.outputs[l],
          ws.scratch[l],
          ws.delta,
          dIn,
          c.norms,
          c.scratch[l],
          c.grad,
          ws)) {
        materialisedNorms(l, params, input, inputOff, ids, idsOff, epoch, rows, dIn, ws);
      }
      float[] swap = ws.delta;
      ws.delta = ws.deltaBefore;
      ws.deltaBefore = swap;
    }
    int clipped = 0;
    for (int r = 0; r < rows; r++) {
      double norm = Math.sqrt(c.norms[r]);
      float factor = 1f;
      if (norm > l2NormClip) {
        clipped++;
        factor = (float) (l2NormClip / norm);
      }
      for (int j = r * units; j < (r + 1) * units; j++) {
        ws.delta[j] = c.lossDelta[j] * factor;
      }
    }
    backward(params, x, xOff, rows, grad, ws);
    return clipped;
  }

  /**
   * Adds each example's squared norm of layer {@code l}'s weight gradient to {@code
   * ws.clipping.norms}, and writes {@code dIn} (unless {@code null}), from the layer's own forward
   * and backward passes on one row at a time, given its output gradient in {@code ws.delta}.
   */
  private void materialisedNorms(
      int l,
      float[] params,
      float[] input,
      int inputOff,
      long[] ids,
      int idsOff,
      int epoch,
      int rows,
      float[] dIn,
      Workspace ws) {
    Workspace.Clipping c = ws.clipping;
    Kernel k = lossKernels[l];
    int inWidth = layout.inputs()[l];
    int outWidth = layout.outputs()[l];
    for (int r = 0; r < rows; r++) {
      ws.pass(true, ids, idsOff + r, epoch);
      k.forward(params, input, inputOff + r * inWidth, 1, c.out[l], c.scratch[l], ws);
      System.arraycopy(ws.delta, r * outWidth, c.dOut[l], 0, outWidth);
      java.util.Arrays.fill(c.grad, weightsFrom[l], weightsTo[l], 0f);
      k.backward(
          params,
          input,
          inputOff + r * inWidth,
          1,
          c.out[l],
          c.scratch[l],
          c.dOut[l],
          dIn == null ? null : c.dIn[l],
          c.grad,
          ws);
      double squares = 0;
      for (int i = weightsFrom[l]; i < weightsTo[l]; i++) {
        squares += (double) c.grad[i] * c.grad[i];
      }
      c.norms[r] += squares;
      if (dIn != null) {
        System.arraycopy(c.dIn[l], 0, dIn, r * inWidth, inWidth);
      }
    }
    ws.pass(true, ids, idsOff, epoch);
  }

  /**
   * The summed loss of {@code rows} examples whose outputs start at {@code out[off]}, with its
   * gradient written to {@code delta[off ..]} (see {@link Loss}).
   */
  private double loss(
      float[] out, float[] delta, int off, float[] y, int yOff, int rows, int units) {
    return fused
        ? loss.fusedLossAndGradient(out, delta, off, y, yOff, labelWidth, rows, units)
        : loss.lossAndGradient(out, delta, off, y, yOff, labelWidth, rows, units, huberDelta);
  }

  /** Back-propagates {@code ws.delta} (dLoss/dOutputs) and adds the parameter gradients. */
  private void backward(float[] params, float[] x, int xOff, int rows, float[] grad, Workspace ws) {
    for (int l = layout.layers() - 1; l >= 0; l--) {
      float[] input = l == 0 ? x : ws.outputs[l - 1];
      int inputOff = l == 0 ? xOff : 0;
      lossKernels[l].backward(
          params,
          input,
          inputOff,
          rows,
          ws.outputs[l],
          ws.scratch[l],
          ws.delta,
          l > 0 ? ws.deltaBefore : null,
          grad,
          ws);
      float[] swap = ws.delta;
      ws.delta = ws.deltaBefore;
      ws.deltaBefore = swap;
    }
  }

  /** Index of the largest of {@code v[off .. off + n)}; the first one on ties. */
  public static int argmax(float[] v, int off, int n) {
    int best = 0;
    for (int j = 1; j < n; j++) {
      if (v[off + j] > v[off + best]) {
        best = j;
      }
    }
    return best;
  }
}
