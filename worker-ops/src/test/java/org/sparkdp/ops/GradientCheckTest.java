package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The analytic gradients of {@link Network} (float32, BLAS, fused losses) against central finite
 * differences of {@link ReferenceNetwork}'s loss in double precision, for every activation as a
 * hidden layer and every output activation with every loss that accepts it.
 */
class GradientCheckTest {

  /** (hidden activation, output activation, loss, from_logits, output units, label width). */
  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (Activation hidden : Activation.values()) {
      cases.add(
          Arguments.of(
              hidden, Activation.SOFTMAX, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 3, 1));
    }
    Activation s = Activation.SOFTMAX;
    Activation t = Activation.TANH;
    cases.add(Arguments.of(t, Activation.LINEAR, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, true, 3, 1));
    cases.add(Arguments.of(t, s, Loss.CATEGORICAL_CROSSENTROPY, false, 3, 1));
    cases.add(Arguments.of(t, s, Loss.CATEGORICAL_CROSSENTROPY, false, 3, 3));
    cases.add(Arguments.of(t, Activation.LINEAR, Loss.CATEGORICAL_CROSSENTROPY, true, 3, 3));
    cases.add(Arguments.of(t, Activation.SIGMOID, Loss.BINARY_CROSSENTROPY, false, 1, 1));
    cases.add(Arguments.of(t, Activation.SIGMOID, Loss.BINARY_CROSSENTROPY, false, 3, 3));
    cases.add(Arguments.of(t, Activation.SOFTMAX, Loss.BINARY_CROSSENTROPY, false, 3, 3));
    cases.add(Arguments.of(t, Activation.LINEAR, Loss.BINARY_CROSSENTROPY, true, 2, 2));
    for (Activation out : Activation.values()) {
      cases.add(Arguments.of(Activation.RELU, out, Loss.MEAN_SQUARED_ERROR, false, 3, 3));
    }
    cases.add(
        Arguments.of(Activation.SIGMOID, Activation.LINEAR, Loss.MEAN_SQUARED_ERROR, false, 1, 1));
    return cases.stream();
  }

  @ParameterizedTest(
      name = "hidden {0}, output {1}, {2}, from_logits {3}, {4} units, label width {5}")
  @MethodSource("cases")
  void analyticGradientMatchesFiniteDifferencesInDouble(
      Activation hidden,
      Activation output,
      Loss loss,
      boolean fromLogits,
      int units,
      int labelWidth) {
    int in = 4;
    int rows = 7;
    ModelSpec spec = ModelSpec.of(Dense.of(5, hidden).withInputDim(in), Dense.of(units, output));
    Network network = new Network(spec, loss, fromLogits, labelWidth);
    SplittableRandom random =
        new SplittableRandom(hidden.ordinal() * 31L + output.ordinal() * 7L + loss.ordinal());
    float[] params = spec.initialParameters(random.nextLong());
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (0.2 * random.nextGaussian()); // non-zero biases too
    }
    float[] x = new float[rows * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] y = labels(loss, units, labelWidth, rows, random);

    float[] grad = new float[params.length];
    Totals totals = new Totals();
    // A workspace smaller than the batch also checks that chunks add up.
    network.accumulate(params, x, 0, y, 0, rows, grad, totals, network.newWorkspace(3));

    double[] p = new double[params.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = params[i];
    }
    double reference = ReferenceNetwork.loss(spec, loss, fromLogits, p, x, y, labelWidth, rows);
    assertEquals(reference, totals.loss, 1e-5 * Math.max(1, Math.abs(reference)), "summed loss");
    assertEquals(rows, totals.count);

    double h = 1e-6;
    double maxError = 0;
    double maxGrad = 0;
    for (int i = 0; i < p.length; i++) {
      double saved = p[i];
      p[i] = saved + h;
      double plus = ReferenceNetwork.loss(spec, loss, fromLogits, p, x, y, labelWidth, rows);
      p[i] = saved - h;
      double minus = ReferenceNetwork.loss(spec, loss, fromLogits, p, x, y, labelWidth, rows);
      p[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      maxError = Math.max(maxError, Math.abs(numeric - grad[i]));
      maxGrad = Math.max(maxGrad, Math.abs(numeric));
    }
    assertTrue(maxGrad > 1e-3, "the check needs a gradient that is not ~0, got " + maxGrad);
    assertTrue(
        maxError <= 2e-4 * Math.max(1, maxGrad),
        "max |analytic - numeric| = " + maxError + " with max |gradient| " + maxGrad);
  }

  static float[] labels(Loss loss, int units, int width, int rows, SplittableRandom random) {
    float[] y = new float[rows * width];
    for (int r = 0; r < rows; r++) {
      if (loss.classIndexLabels(width)) {
        y[r] = random.nextInt(units);
      } else if (loss == Loss.CATEGORICAL_CROSSENTROPY) {
        double sum = 0;
        for (int j = 0; j < width; j++) {
          y[r * width + j] = (float) random.nextDouble();
          sum += y[r * width + j];
        }
        for (int j = 0; j < width; j++) {
          y[r * width + j] /= (float) sum;
        }
      } else if (loss == Loss.BINARY_CROSSENTROPY) {
        for (int j = 0; j < width; j++) {
          y[r * width + j] = random.nextInt(2);
        }
      } else {
        for (int j = 0; j < width; j++) {
          y[r * width + j] = (float) random.nextGaussian();
        }
      }
    }
    return y;
  }
}
