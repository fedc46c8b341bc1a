package org.sparkdp.ops;

import java.io.Serializable;

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
  private final boolean fused;
  private final Kernel[] kernels;

  /**
   * The kernels for the loss's pass: the last layer without the activation a fused loss applies.
   */
  private final Kernel[] lossKernels;

  private final Penalty regularization;

  /**
   * A network for training and evaluation with {@code compile}'s loss; {@code seed} seeds the
   * dropout masks of layers without a seed of their own (the fit's seed).
   *
   * @param labelWidth floats per example's label (see {@link Loss})
   * @throws IllegalArgumentException if the loss does not fit the last layer or the label width
   */
  public Network(ModelSpec spec, CompileConfig compile, int labelWidth, long seed) {
    this(spec, compile.loss(), compile.fromLogits(), labelWidth, compile.huberDelta(), seed);
  }

  /**
   * A network with this loss (Huber's default delta), whose dropout layers without a seed use seed
   * 0: for evaluation, prediction and tests.
   */
  public Network(ModelSpec spec, Loss loss, boolean fromLogits, int labelWidth) {
    this(spec, loss, fromLogits, labelWidth, Loss.DELTA.defaultValue(), 0L);
  }

  private Network(
      ModelSpec spec, Loss loss, boolean fromLogits, int labelWidth, double huberDelta, long seed) {
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
      kernels[l] = Kernels.bind(spec, layout, l, own, seed);
      lossKernels[l] =
          fused && l == layers - 1
              ? Kernels.bind(spec, layout, l, Activation.LINEAR, seed)
              : kernels[l];
    }
    this.regularization = spec.regularization();
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

  /** The penalty of the layers' regularizers (to add to the loss once per step). */
  public Penalty regularization() {
    return regularization;
  }

  /** Scratch space for passes of up to {@code maxRows} examples. */
  public Workspace newWorkspace(int maxRows) {
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
   * adds their summed loss, correct count and count to {@code totals}. {@code ids[idsOff ..]} are
   * the examples' global ids and {@code epoch} the epoch, from which dropout draws its masks. Any
   * number of rows: they are processed in chunks of {@code ws.maxRows()}.
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
    int in = spec.inputDim();
    for (int start = 0; start < rows; start += ws.maxRows) {
      int n = Math.min(ws.maxRows, rows - start);
      ws.pass(true, ids, idsOff + start, epoch);
      chunk(params, x, xOff + start * in, y, yOff + start * labelWidth, n, grad, totals, ws);
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
   * Evaluation: adds the summed loss, correct count and count of {@code rows} examples to {@code
   * totals}, with dropout inactive; no gradient.
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
    int in = spec.inputDim();
    for (int start = 0; start < rows; start += ws.maxRows) {
      int n = Math.min(ws.maxRows, rows - start);
      ws.pass(false, null, 0, 0);
      chunk(params, x, xOff + start * in, y, yOff + start * labelWidth, n, null, totals, ws);
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
      int rows,
      float[] grad,
      Totals totals,
      Workspace ws) {
    int last = layout.layers() - 1;
    int units = layout.outputs()[last];
    forward(lossKernels, params, x, xOff, rows, ws);
    float[] out = ws.outputs[last];
    if (fused) {
      totals.loss += loss.fusedLossAndGradient(out, ws.delta, 0, y, yOff, labelWidth, rows, units);
    } else {
      totals.loss +=
          loss.lossAndGradient(out, ws.delta, 0, y, yOff, labelWidth, rows, units, huberDelta);
    }
    totals.correct += correct(out, y, yOff, rows, units);
    totals.count += rows;
    if (grad != null) {
      backward(params, x, xOff, rows, grad, ws);
    }
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

  /**
   * Correct predictions among {@code rows} outputs (probabilities for the crossentropies), with
   * Keras' choice of accuracy: binary accuracy (threshold 0.5, averaged over the units) for one
   * unit or binary crossentropy, argmax against the class index for class-index labels, argmax
   * against argmax otherwise.
   */
  private double correct(float[] out, float[] y, int yOff, int rows, int units) {
    double correct = 0;
    boolean binary = units == 1 || loss == Loss.BINARY_CROSSENTROPY;
    for (int r = 0; r < rows; r++) {
      int o = r * units;
      int t = yOff + r * labelWidth;
      if (binary) {
        int hits = 0;
        for (int j = 0; j < units; j++) {
          hits += (out[o + j] > 0.5f) == (y[t + j] > 0.5f) ? 1 : 0;
        }
        correct += (double) hits / units;
      } else {
        int predicted = argmax(out, o, units);
        int actual = loss.classIndexLabels(labelWidth) ? (int) y[t] : argmax(y, t, labelWidth);
        correct += predicted == actual ? 1 : 0;
      }
    }
    return correct;
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
