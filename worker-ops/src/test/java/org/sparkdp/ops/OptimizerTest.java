package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Three steps of each optimizer from {@code w = [0.5, -1, 2]} with the gradients below, against
 * values worked out in double precision from the update rules of Keras 3's source ({@code
 * keras/src/optimizers/*.py}, base optimizer included: clipping, then weight decay, then the rule;
 * the schedule read at the iteration count before the update); the expected numbers are literals.
 */
class OptimizerTest {
  private static final float[][] GRADIENTS = {
    {0.1f, -0.2f, 0.3f}, {0.05f, 0.4f, -0.1f}, {-0.3f, 0.2f, 0f}
  };

  private static float[][] run(Optimizer optimizer) {
    return run(optimizer, new int[] {0, 3});
  }

  private static float[][] run(Optimizer optimizer, int[] bounds) {
    float[] w = {0.5f, -1f, 2f};
    OptimizerState state = optimizer.newState(w.length);
    float[][] after = new float[3][];
    for (int t = 0; t < 3; t++) {
      optimizer.step(w, GRADIENTS[t].clone(), state, bounds);
      after[t] = w.clone();
    }
    assertEquals(3, state.iterations());
    return after;
  }

  private static void assertSteps(double[][] expected, float[][] actual) {
    for (int t = 0; t < expected.length; t++) {
      for (int i = 0; i < expected[t].length; i++) {
        assertEquals(
            expected[t][i],
            actual[t][i],
            2e-6 * Math.max(1, Math.abs(expected[t][i])),
            "step " + (t + 1) + ", element " + i);
      }
    }
  }

  private static BaseOptimizer clip(Double clipnorm, Double clipvalue, Double globalClipnorm) {
    return new BaseOptimizer(null, clipnorm, clipvalue, globalClipnorm);
  }

  @Test
  void adamWithKerasDefaultsMatchesHandComputedSteps() {
    assertSteps(
        new double[][] {
          {0.49000031621776635, -0.9900001581113831, 1.9900001054081442},
          {0.4806787835879341, -0.9936611674919068, 1.9859979597280786},
          {0.4841509843578433, -0.9988535421206465, 1.9829042895334086}
        },
        run(Adam.withLearningRate(0.01)));
  }

  @Test
  void adamwDecaysTheWeightsBeforeAdamsStep() {
    AdamW adamw = AdamW.defaults();
    assertEquals(0.004, adamw.base().weightDecay());
    assertSteps(
        new double[][] {
          {0.48998031621776633, -0.989960158111383, 1.9899201054081441},
          {0.48063918437528536, -0.9935815690855823, 1.985838362923862},
          {0.4840921595778196, -0.9987342004515585, 1.9826652591946752}
        },
        run(new AdamW(LearningRate.constant(0.01), 0.9, 0.999, 1e-7, false, adamw.base())));
  }

  @Test
  void rmspropMatchesHandComputedStepsPlainWithMomentumAndCentered() {
    LearningRate lr = LearningRate.constant(0.01);
    assertSteps(
        new double[][] {
          {0.46837880441857077, -0.9683776186756123, 1.9683773990789444},
          {0.45363524981325964, -0.9969489743610225, 1.9788601898485703},
          {0.48358273801021756, -1.0105446365141006, 1.9788601898485703}
        },
        run(new RmsProp(lr, 0.9, 0, 1e-7, false, BaseOptimizer.NONE)));
    assertSteps(
        new double[][] {
          {0.46837880441857077, -0.9683776186756123, 1.9683773990789444},
          {0.4251761737899733, -0.9684888311690735, 1.9503998490196204},
          {0.4162412944211935, -0.9821845845662667, 1.9342200539662286}
        },
        run(new RmsProp(lr, 0.9, 0.9, 1e-7, false, BaseOptimizer.NONE)));
    assertSteps(
        new double[][] {
          {0.4666685183642118, -0.9666671296199848, 1.9666668724260783},
          {0.45048126902435637, -0.9955979230552621, 1.9773201915066059},
          {0.48089100282149266, -1.0097202800458491, 1.9773201915066059}
        },
        run(new RmsProp(lr, 0.9, 0, 1e-7, true, BaseOptimizer.NONE)));
    assertSteps(
        new double[][] {
          {0.4666685183642118, -0.9666671296199848, 1.9666668724260783},
          {0.43381552820646224, -0.9789314878652544, 1.9606536277196451},
          {0.44779876692472376, -0.9991860239784763, 1.9576470053664285}
        },
        run(new RmsProp(lr, 0.9, 0.5, 1e-7, true, BaseOptimizer.NONE)));
  }

  @Test
  void adagradStartsItsAccumulatorAtKerasInitialValue() {
    assertSteps(
        new double[][] {
          {0.4698488792472754, -0.9465477707075935, 1.9311752979505927},
          {0.454941766022659, -1.0195774328700065, 1.9535359721354228},
          {0.5216084162284265, -1.0538771448544333, 1.9535359721354228}
        },
        run(new Adagrad(LearningRate.constant(0.1), 0.1, 1e-7, BaseOptimizer.NONE)));
  }

  @Test
  void adamaxMatchesHandComputedSteps() {
    assertSteps(
        new double[][] {
          {0.49000000999999, -0.9900000049999975, 1.9900000033333323},
          {0.4826242205336816, -0.9928947411184188, 1.9870145627475424},
          {0.48476444122248874, -0.9965700021765288, 1.9851288750672438}
        },
        run(new Adamax(LearningRate.constant(0.01), 0.9, 0.999, 1e-7, BaseOptimizer.NONE)));
  }

  @Test
  void nadamFollowsKeras3MomentumSchedule() {
    assertSteps(
        new double[][] {
          {0.4893721325947797, -0.9893721272808487, 1.9893721255095371},
          {0.48415632138322373, -0.9981887818867096, 1.9919203014831872},
          {0.49379527805511, -1.0029385287598744, 1.9914589592489764}
        },
        run(new Nadam(LearningRate.constant(0.01), 0.9, 0.999, 1e-7, BaseOptimizer.NONE)));
  }

  @Test
  void nadamResumedFromACopiedStateContinuesAsOneRun() {
    Nadam nadam = Nadam.defaults();
    float[] w = {0.5f, -1f, 2f};
    OptimizerState state = nadam.newState(3);
    nadam.step(w, GRADIENTS[0].clone(), state);
    // A checkpoint keeps the iteration count and slots; the momentum product is recomputed.
    OptimizerState restored = new OptimizerState(state.iterations(), state.copy().slots());
    float[] v = w.clone();
    for (int t = 1; t < 3; t++) {
      nadam.step(w, GRADIENTS[t].clone(), state);
      nadam.step(v, GRADIENTS[t].clone(), restored);
    }
    assertArrayEquals(w, v);
  }

  @Test
  void clipnormScalesEachWeightsGradientOnItsOwn() {
    assertSteps(
        new double[][] {
          {0.4932917960675006, -0.9865835921350012, 1.985},
          {0.4914312750486625, -1.0014677602857063, 1.995},
          {0.5039120294637301, -1.0097882632290847, 1.995}
        },
        run(
            new Sgd(LearningRate.constant(0.1), 0, false, clip(0.15, null, null)),
            new int[] {0, 2, 3}));
  }

  @Test
  void globalClipnormScalesTheWholeGradient() {
    assertSteps(
        new double[][] {
          {0.4919821627426273, -0.9839643254852546, 1.9759464882278819},
          {0.4883705871500542, -1.0128569302258392, 1.983169639413028},
          {0.5133320959801895, -1.029497936112596, 1.983169639413028}
        },
        run(
            new Sgd(LearningRate.constant(0.1), 0, false, clip(null, null, 0.3)),
            new int[] {0, 2, 3}));
  }

  @Test
  void clipvalueClipsEachElement() {
    assertSteps(
        new double[][] {{0.49, -0.985, 1.985}, {0.485, -1.0, 1.995}, {0.5, -1.015, 1.995}},
        run(new Sgd(LearningRate.constant(0.1), 0, false, clip(null, 0.15, null))));
  }

  @Test
  void onlyOneKindOfClippingIsAllowed() {
    ConfigException e = assertThrows(ConfigException.class, () -> clip(1.0, 1.0, null));
    assertTrue(e.getMessage().contains("only one of clipnorm, clipvalue and global_clipnorm"));
  }

  @Test
  void aScheduleIsReadAtTheIterationCountBeforeEachUpdate() {
    assertSteps(
        new double[][] {
          {0.49, -0.98, 1.97},
          {0.48646446609406724, -1.0082842712474618, 1.9770710678118655},
          {0.5014644660940673, -1.0182842712474618, 1.9770710678118655}
        },
        run(
            new Sgd(
                new LearningRate.ExponentialDecay(0.1, 2, 0.5, false),
                0,
                false,
                BaseOptimizer.NONE)));
  }

  @Test
  void theLearningRateFactorScalesTheRateAndIsCopied() {
    float[] w = {0.5f, -1f, 2f};
    OptimizerState state = new Sgd(0.1, 0, false).newState(3);
    state.setLearningRateFactor(0.5);
    new Sgd(0.1, 0, false).step(w, GRADIENTS[0].clone(), state);
    assertArrayEquals(new float[] {0.495f, -0.99f, 1.985f}, w, 1e-7f);
    assertEquals(0.5, state.copy().learningRateFactor());
    assertThrows(IllegalArgumentException.class, () -> state.setLearningRateFactor(0));
  }

  @Test
  void sgdWithMomentumMatchesHandComputedSteps() {
    assertSteps(
        new double[][] {{0.49, -0.98, 1.97}, {0.476, -1.002, 1.953}, {0.4934, -1.0418, 1.9377}},
        run(new Sgd(0.1, 0.9, false)));
  }

  @Test
  void sgdWithNesterovMomentumMatchesHandComputedSteps() {
    assertSteps(
        new double[][] {
          {0.481, -0.962, 1.943}, {0.4634, -1.0218, 1.9377}, {0.50906, -1.07762, 1.92393}
        },
        run(new Sgd(0.1, 0.9, true)));
  }

  @Test
  void plainSgdSubtractsTheScaledGradient() {
    assertSteps(
        new double[][] {{0.49, -0.98, 1.97}, {0.485, -1.02, 1.98}, {0.515, -1.04, 1.98}},
        run(new Sgd(0.1, 0, false)));
  }

  @Test
  void amsgradNeverLetsTheSecondMomentShrink() {
    Adam adam = new Adam(0.01, 0.9, 0.999, 1e-7, true);
    float[] w = {1f};
    OptimizerState state = adam.newState(1);
    adam.step(w, new float[] {1f}, state);
    adam.step(w, new float[] {0f}, state);
    float[] vMax = state.slots()[2];
    assertTrue(vMax[0] > state.slots()[1][0], "vHat keeps the larger earlier moment");
  }

  @Test
  void defaultsAreThoseOfKeras() {
    Adam adam = Adam.defaults();
    assertArrayEquals(
        new double[] {0.001, 0.9, 0.999, 1e-7},
        new double[] {adam.learningRate().at(0), adam.beta1(), adam.beta2(), adam.epsilon()});
    assertEquals(0.01, Sgd.defaults().learningRate().at(0));
    RmsProp rmsprop = RmsProp.defaults();
    assertEquals(
        List.of(0.001, 0.9, 0.0, 1e-7, false),
        List.of(
            rmsprop.learningRate().at(0),
            rmsprop.rho(),
            rmsprop.momentum(),
            rmsprop.epsilon(),
            rmsprop.centered()));
    Adagrad adagrad = Adagrad.defaults();
    assertEquals(
        List.of(0.001, 0.1, 1e-7),
        List.of(
            adagrad.learningRate().at(0), adagrad.initialAccumulatorValue(), adagrad.epsilon()));
    for (Optimizer o : List.of(Nadam.defaults(), Adamax.defaults(), AdamW.defaults())) {
      assertEquals(0.001, o.learningRate().at(0), o.kerasName());
    }
    assertEquals(BaseOptimizer.NONE, Adam.defaults().base());
  }

  @Test
  void nonPositiveLearningRateIsRejectedWithItsName() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0, 0, false));
    assertTrue(e.getMessage().contains("learning_rate"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Adam.withLearningRate(-1e-3));
    assertThrows(IllegalArgumentException.class, () -> Adam.withLearningRate(Double.NaN));
  }
}
