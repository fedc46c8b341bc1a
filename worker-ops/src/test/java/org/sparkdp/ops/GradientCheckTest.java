package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The analytic gradients of {@link Network} (float32, BLAS, fused losses) against central finite
 * differences of {@link ReferenceNetwork}'s loss in double precision: every activation as a hidden
 * layer, every output activation with every loss that accepts it, every layer kind (dropout with
 * the fixed masks of one training pass), and the regularizers' penalty.
 */
class GradientCheckTest {
  private static final Activation T = Activation.TANH;

  /** One network to check: its layers, loss, label width and Huber's delta. */
  record Case(
      String name, ModelSpec spec, Loss loss, boolean fromLogits, int labelWidth, double delta) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case dense(
      Activation hidden, Activation output, Loss loss, boolean fromLogits, int units, int width) {
    return new Case(
        "hidden "
            + hidden.kerasName()
            + ", output "
            + output.kerasName()
            + ", "
            + loss.kerasName()
            + (fromLogits ? " from logits" : "")
            + ", "
            + units
            + " units, label width "
            + width,
        ModelSpec.of(Dense.of(5, hidden).withInputDim(4), Dense.of(units, output)),
        loss,
        fromLogits,
        width,
        1.0);
  }

  private static Case layers(String name, Loss loss, int width, Layer... layers) {
    return new Case(name, ModelSpec.of(layers), loss, false, width, 1.0);
  }

  static Stream<Arguments> cases() {
    List<Case> cases = new ArrayList<>();
    Activation s = Activation.SOFTMAX;
    Activation linear = Activation.LINEAR;
    for (Activation hidden : Activation.values()) {
      cases.add(dense(hidden, s, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 3, 1));
    }
    cases.add(dense(T, linear, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, true, 3, 1));
    cases.add(dense(T, s, Loss.CATEGORICAL_CROSSENTROPY, false, 3, 1));
    cases.add(dense(T, s, Loss.CATEGORICAL_CROSSENTROPY, false, 3, 3));
    cases.add(dense(T, linear, Loss.CATEGORICAL_CROSSENTROPY, true, 3, 3));
    cases.add(dense(T, Activation.SIGMOID, Loss.BINARY_CROSSENTROPY, false, 1, 1));
    cases.add(dense(T, Activation.SIGMOID, Loss.BINARY_CROSSENTROPY, false, 3, 3));
    cases.add(dense(T, s, Loss.BINARY_CROSSENTROPY, false, 3, 3));
    cases.add(dense(T, linear, Loss.BINARY_CROSSENTROPY, true, 2, 2));
    for (Activation out : Activation.values()) {
      cases.add(dense(Activation.RELU, out, Loss.MEAN_SQUARED_ERROR, false, 3, 3));
      cases.add(dense(T, out, Loss.MEAN_ABSOLUTE_ERROR, false, 3, 3));
    }
    cases.add(dense(Activation.SIGMOID, linear, Loss.MEAN_SQUARED_ERROR, false, 1, 1));
    Case huber = dense(T, linear, Loss.HUBER, false, 3, 3);
    cases.add(huber);
    cases.add(new Case(huber.name() + ", delta 0.3", huber.spec(), Loss.HUBER, false, 3, 0.3));
    cases.add(dense(T, s, Loss.KL_DIVERGENCE, false, 3, 3));
    cases.add(dense(T, Activation.SIGMOID, Loss.KL_DIVERGENCE, false, 3, 3));
    cases.add(dense(T, linear, Loss.CATEGORICAL_HINGE, false, 3, 3));
    cases.add(dense(T, linear, Loss.CATEGORICAL_HINGE, false, 3, 1));
    cases.add(dense(T, s, Loss.CATEGORICAL_HINGE, false, 4, 1));
    for (Activation out :
        List.of(
            Activation.EXPONENTIAL, Activation.SOFTPLUS, Activation.SOFTMAX, Activation.SIGMOID)) {
      cases.add(dense(T, out, Loss.POISSON, false, 3, 3));
    }
    cases.add(
        layers(
            "dropout 0.4 between dense layers, and on the inputs",
            Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
            1,
            new Dropout(0.3, null, 4),
            Dense.of(6, Activation.RELU),
            Dropout.of(0.4),
            Dense.of(3, s)));
    cases.add(
        layers(
            "dropout with its own seed after the last dense layer, mse",
            Loss.MEAN_SQUARED_ERROR,
            3,
            Dense.of(6, T).withInputDim(4),
            new Dropout(0.5, 99L, 0),
            Dense.of(3, linear),
            Dropout.of(0.2)));
    cases.add(
        layers(
            "layer normalization between dense layers",
            Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
            1,
            Dense.of(6, linear).withInputDim(4),
            LayerNormalization.defaults(),
            Dense.of(3, s)));
    LayerNormalization plain = LayerNormalization.defaults();
    cases.add(
        layers(
            "layer normalization on the inputs, without beta, then without gamma",
            Loss.MEAN_SQUARED_ERROR,
            3,
            new LayerNormalization(
                1e-3, false, true, Initializer.ZEROS, Initializer.ONES, null, null, 4),
            Dense.of(5, T),
            new LayerNormalization(
                0.01,
                true,
                false,
                plain.betaInitializer(),
                plain.gammaInitializer(),
                null,
                null,
                0),
            Dense.of(3, linear)));
    cases.add(
        layers(
            "activation layers: gelu between dense layers, softmax last (fused)",
            Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
            1,
            Dense.of(6, linear).withInputDim(4),
            ActivationLayer.of("gelu"),
            Dense.of(3, linear),
            ActivationLayer.of("softmax")));
    cases.add(
        layers(
            "activation layer first, sigmoid last with binary crossentropy (fused)",
            Loss.BINARY_CROSSENTROPY,
            2,
            ActivationLayer.of("selu").withInputDim(4),
            Dense.of(2, linear),
            ActivationLayer.of("sigmoid")));
    return cases.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void analyticGradientMatchesFiniteDifferencesInDouble(Case c) {
    int in = c.spec().inputDim();
    int rows = 7;
    long seed = 7;
    int epoch = 3;
    CompileConfig compile =
        new CompileConfig(Sgd.defaults(), c.loss(), c.fromLogits(), List.of(), c.delta());
    Network network = new Network(c.spec(), compile, c.labelWidth(), seed);
    SplittableRandom random = new SplittableRandom(c.name().hashCode());
    float[] params = c.spec().initialParameters(random.nextLong());
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (0.2 * random.nextGaussian()); // non-zero biases too
    }
    float[] x = new float[rows * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] y = labels(c.loss(), c.spec().outputUnits(), c.labelWidth(), rows, random);
    long[] ids = new long[rows];
    for (int r = 0; r < rows; r++) {
      ids[r] = 1000 + 37L * r;
    }
    // The masks of this training pass, fixed: dropout's own function of (seed, epoch, id, layer,
    // unit), with the layer's seed where it has one.
    ReferenceNetwork.Mask mask =
        (l, r, j) -> {
          Dropout d = (Dropout) c.spec().layers().get(l);
          long s = d.seed() != null ? d.seed() : seed;
          return Kernels.DropoutKernel.keeps(s, epoch, ids[r], l, j, d.rate());
        };

    float[] grad = new float[params.length];
    Totals totals = new Totals();
    // A workspace smaller than the batch also checks that chunks add up.
    network.accumulate(
        params, x, 0, y, 0, ids, 0, epoch, rows, grad, totals, network.newWorkspace(3));

    double[] p = new double[params.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = params[i];
    }
    double reference = reference(c, p, x, y, rows, mask);
    assertEquals(reference, totals.loss, 1e-5 * Math.max(1, Math.abs(reference)), "summed loss");
    assertEquals(rows, totals.count);

    double h = 1e-6;
    double maxError = 0;
    double maxGrad = 0;
    for (int i = 0; i < p.length; i++) {
      double saved = p[i];
      p[i] = saved + h;
      double plus = reference(c, p, x, y, rows, mask);
      p[i] = saved - h;
      double minus = reference(c, p, x, y, rows, mask);
      p[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      maxError = Math.max(maxError, Math.abs(numeric - grad[i]));
      maxGrad = Math.max(maxGrad, Math.abs(numeric));
    }
    assertTrue(maxGrad > 1e-3, "the check needs a gradient that is not ~0, got " + maxGrad);
    assertTrue(
        maxError <= 2e-4 * Math.max(1, maxGrad),
        "max |analytic - numeric| = " + maxError + " with max |gradient| " + maxGrad);

    // Evaluation is the same network with dropout inactive: the reference without masks.
    Totals evaluated = new Totals();
    network.evaluate(params, x, 0, y, 0, rows, evaluated, network.newWorkspace(4));
    double plain = reference(c, p, x, y, rows, null);
    assertEquals(plain, evaluated.loss, 1e-5 * Math.max(1, Math.abs(plain)), "evaluated loss");
  }

  private static double reference(
      Case c, double[] p, float[] x, float[] y, int rows, ReferenceNetwork.Mask mask) {
    return ReferenceNetwork.loss(
        c.spec(), c.loss(), c.fromLogits(), c.delta(), p, x, y, c.labelWidth(), rows, mask);
  }

  @Test
  void dropoutMasksOfTheCheckAreNeitherAllKeptNorAllDropped() {
    int kept = 0;
    for (int r = 0; r < 7; r++) {
      for (int j = 0; j < 6; j++) {
        kept += Kernels.DropoutKernel.keeps(7, 3, 1000 + 37L * r, 2, j, 0.4) ? 1 : 0;
      }
    }
    assertTrue(kept > 0 && kept < 42, "kept " + kept + " of 42");
  }

  @Test
  void regularizersPenaltyAndGradientMatchFiniteDifferencesInDouble() {
    ModelSpec spec =
        ModelSpec.of(
            Dense.of(5, T)
                .withInputDim(4)
                .withRegularizers(new Regularizer.L1(0.03), new Regularizer.L2(0.05)),
            new LayerNormalization(
                1e-3,
                true,
                true,
                Initializer.ZEROS,
                Initializer.ONES,
                new Regularizer.L1(0.02),
                new Regularizer.L1L2(0.01, 0.04),
                0),
            Dense.of(3, Activation.SOFTMAX)
                .withRegularizers(new Regularizer.L1L2(0.02, 0.01), null));
    SplittableRandom random = new SplittableRandom(5);
    float[] params = spec.initialParameters(3);
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (0.2 * random.nextGaussian()); // no weight exactly at the kink 0
    }
    float[] grad = new float[params.length];
    Penalty penalty = spec.regularization();
    double value = penalty.apply(params, grad);
    double[] p = new double[params.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = params[i];
    }
    assertEquals(ReferenceNetwork.penalty(spec, p), value, 1e-9);
    double h = 1e-6;
    double maxError = 0;
    int regularized = 0;
    for (int i = 0; i < p.length; i++) {
      double saved = p[i];
      p[i] = saved + h;
      double plus = ReferenceNetwork.penalty(spec, p);
      p[i] = saved - h;
      double minus = ReferenceNetwork.penalty(spec, p);
      p[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      maxError = Math.max(maxError, Math.abs(numeric - grad[i]));
      regularized += numeric != 0 ? 1 : 0;
    }
    // Every weight but the last layer's bias is regularized.
    assertEquals(params.length - 3, regularized);
    assertTrue(maxError < 1e-6, "max |analytic - numeric| = " + maxError);
    assertEquals(0, Penalty.NONE.apply(params, grad));
  }

  static float[] labels(Loss loss, int units, int width, int rows, SplittableRandom random) {
    float[] y = new float[rows * width];
    for (int r = 0; r < rows; r++) {
      if (loss.classIndexLabels(width)) {
        y[r] = random.nextInt(units);
      } else if (loss == Loss.CATEGORICAL_CROSSENTROPY || loss == Loss.KL_DIVERGENCE) {
        double sum = 0;
        for (int j = 0; j < width; j++) {
          y[r * width + j] = (float) random.nextDouble();
          sum += y[r * width + j];
        }
        for (int j = 0; j < width; j++) {
          y[r * width + j] /= (float) sum;
        }
      } else if (loss == Loss.BINARY_CROSSENTROPY || loss == Loss.CATEGORICAL_HINGE) {
        int hot = random.nextInt(width);
        for (int j = 0; j < width; j++) {
          y[r * width + j] =
              loss == Loss.CATEGORICAL_HINGE ? (j == hot ? 1 : 0) : random.nextInt(2);
        }
      } else if (loss == Loss.POISSON) {
        for (int j = 0; j < width; j++) {
          y[r * width + j] = random.nextInt(4);
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
