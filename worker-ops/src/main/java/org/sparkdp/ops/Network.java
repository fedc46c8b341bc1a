package org.sparkdp.ops;

import java.io.Serializable;

/**
 * A {@link ModelSpec} bound to a loss: the batched forward and backward passes over row-major
 * float32 blocks. It holds no weights and no buffers; parameters are passed in as one flat array
 * (laid out by {@link ParameterLayout}), scratch space comes from a {@link Workspace}, and
 * gradients are <em>added</em> into a caller-owned array, so one instance serves every thread and
 * batch.
 *
 * <p>Per layer, with {@code X [rows, in]}, {@code W [in, out]}, {@code b [out]}: forward {@code A =
 * f(X W + b)}; backward {@code dZ = dA * f'(.)}, {@code dW += X^T dZ}, {@code db += sum_rows dZ},
 * {@code dX = dZ W^T}.
 */
public final class Network implements Serializable {
  private final ModelSpec spec;
  private final ParameterLayout layout;
  private final Loss loss;
  private final boolean fromLogits;
  private final int labelWidth;
  private final boolean fused;

  /**
   * @param labelWidth floats per example's label (see {@link Loss})
   * @throws IllegalArgumentException if the loss does not fit the last layer or the label width
   */
  public Network(ModelSpec spec, Loss loss, boolean fromLogits, int labelWidth) {
    this.spec = spec;
    this.layout = spec.layout();
    this.loss = loss;
    this.fromLogits = fromLogits;
    this.labelWidth = labelWidth;
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

  /** Scratch space for passes of up to {@code maxRows} examples. */
  public Workspace newWorkspace(int maxRows) {
    return new Workspace(layout, maxRows);
  }

  /**
   * Forward pass of {@code rows <= ws.maxRows()} examples {@code x[xOff ..]} ({@code [rows,
   * inputDim]}); the model's outputs are left in {@link Workspace#lastOutputs()}.
   */
  public void forward(float[] params, float[] x, int xOff, int rows, Workspace ws) {
    checkRows(rows, ws);
    int last = layout.layers() - 1;
    for (int l = 0; l <= last; l++) {
      linear(params, l, x, xOff, rows, ws);
      spec.layers().get(l).activation().apply(ws.outputs[l], 0, rows, layout.units()[l]);
    }
  }

  /**
   * Adds to {@code grad} the gradient of the loss summed over {@code rows} examples, and adds their
   * summed loss, correct count and count to {@code totals} ({@code grad} null: only those). Any
   * number of rows: they are processed in chunks of {@code ws.maxRows()}.
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
    int in = spec.inputDim();
    for (int start = 0; start < rows; start += ws.maxRows) {
      int n = Math.min(ws.maxRows, rows - start);
      chunk(params, x, xOff + start * in, y, yOff + start * labelWidth, n, grad, totals, ws);
    }
  }

  /**
   * Adds the summed loss, correct count and count of {@code rows} examples to {@code totals}; no
   * gradient.
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
    accumulate(params, x, xOff, y, yOff, rows, null, totals, ws);
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
    int units = layout.units()[last];
    for (int l = 0; l < last; l++) {
      linear(params, l, x, xOff, rows, ws);
      spec.layers().get(l).activation().apply(ws.outputs[l], 0, rows, layout.units()[l]);
    }
    linear(params, last, x, xOff, rows, ws);
    float[] out = ws.outputs[last];
    Activation activation = spec.outputActivation();
    if (fused) {
      totals.loss += loss.fusedLossAndGradient(out, ws.delta, 0, y, yOff, labelWidth, rows, units);
    } else {
      activation.apply(out, 0, rows, units);
      totals.loss += loss.lossAndGradient(out, ws.delta, 0, y, yOff, labelWidth, rows, units);
      activation.backward(out, 0, ws.delta, 0, rows, units);
    }
    totals.correct += correct(out, y, yOff, rows, units);
    totals.count += rows;
    if (grad != null) {
      backward(params, x, xOff, rows, grad, ws);
    }
  }

  /** {@code outputs[l] = input W_l + b_l}, before the activation. */
  private void linear(float[] params, int l, float[] x, int xOff, int rows, Workspace ws) {
    int in = layout.inputs()[l];
    int out = layout.units()[l];
    float[] input = l == 0 ? x : ws.outputs[l - 1];
    int inputOff = l == 0 ? xOff : 0;
    float[] z = ws.outputs[l];
    int bias = layout.biasOffsets()[l];
    if (bias >= 0) {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(params, bias, z, r * out, out);
      }
    }
    Blas.gemm(
        false,
        false,
        rows,
        out,
        in,
        1f,
        input,
        inputOff,
        params,
        layout.kernelOffsets()[l],
        bias >= 0 ? 1f : 0f,
        z,
        0);
  }

  /**
   * Back-propagates {@code ws.delta} (dLoss/dZ of the last layer) and adds the parameter gradients.
   */
  private void backward(float[] params, float[] x, int xOff, int rows, float[] grad, Workspace ws) {
    for (int l = layout.layers() - 1; l >= 0; l--) {
      int in = layout.inputs()[l];
      int out = layout.units()[l];
      float[] input = l == 0 ? x : ws.outputs[l - 1];
      int inputOff = l == 0 ? xOff : 0;
      float[] dz = ws.delta;
      Blas.gemm(
          true,
          false,
          in,
          out,
          rows,
          1f,
          input,
          inputOff,
          dz,
          0,
          1f,
          grad,
          layout.kernelOffsets()[l]);
      int bias = layout.biasOffsets()[l];
      if (bias >= 0) {
        for (int r = 0; r < rows; r++) {
          int o = r * out;
          for (int j = 0; j < out; j++) {
            grad[bias + j] += dz[o + j];
          }
        }
      }
      if (l > 0) {
        Blas.gemm(
            false,
            true,
            rows,
            in,
            out,
            1f,
            dz,
            0,
            params,
            layout.kernelOffsets()[l],
            0f,
            ws.deltaBefore,
            0);
        spec.layers()
            .get(l - 1)
            .activation()
            .backward(ws.outputs[l - 1], 0, ws.deltaBefore, 0, rows, in);
        float[] swap = ws.delta;
        ws.delta = ws.deltaBefore;
        ws.deltaBefore = swap;
      }
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

  private static void checkRows(int rows, Workspace ws) {
    if (rows > ws.maxRows) {
      throw new IllegalArgumentException(rows + " rows exceed the workspace's " + ws.maxRows);
    }
  }
}
