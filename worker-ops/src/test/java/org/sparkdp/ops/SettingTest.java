package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettingTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws IOException {
    return JSON.readTree(text.replace('\'', '"'));
  }

  @Test
  void absentKeysTakeTheDefaultAndGivenOnesAreChecked() throws IOException {
    Setting<Integer> epochs = Setting.integer("epochs", 1, 1, "passes");
    assertEquals(1, epochs.read(json("{}"), "fit"));
    assertEquals(1, epochs.read(json("{'epochs':null}"), "fit"));
    assertEquals(7, epochs.read(json("{'epochs':7}"), "fit"));
    assertEquals(7, epochs.read(json("{'epochs':'7'}"), "fit"), "as the command line gives it");
    assertEquals(7, epochs.read(json("{'epochs':7.0}"), "fit"));
    assertEquals(
        "fit.epochs: must be a positive integer, got 0",
        assertThrows(ConfigException.class, () -> epochs.read(json("{'epochs':0}"), "fit"))
            .getMessage());
    assertEquals(
        "fit.epochs: must be a positive integer, got 'ten'",
        assertThrows(ConfigException.class, () -> epochs.read(json("{'epochs':'ten'}"), "fit"))
            .getMessage());
    assertEquals(
        "fit.epochs: must be a positive integer, got 3000000000",
        assertThrows(ConfigException.class, () -> epochs.read(json("{'epochs':3000000000}"), "fit"))
            .getMessage());
    assertEquals(
        "epochs: must be a positive integer, got -1",
        assertThrows(ConfigException.class, () -> epochs.check(-1)).getMessage());
  }

  @Test
  void numbersRefuseNaNAndInfinity() {
    Setting<Double> rate = Setting.positive("learning_rate", 0.01, "step size");
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, 0, -1}) {
      assertThrows(ConfigException.class, () -> rate.check(bad), String.valueOf(bad));
      assertThrows(ConfigException.class, () -> rate.convert(bad, "lr"), String.valueOf(bad));
    }
    assertEquals(0.5, rate.convert("0.5", "lr"));
  }

  @Test
  void choicesReadAnyCaseAndNameTheAlternatives() {
    Setting<Activation> activation =
        Setting.choice("activation", Activation.class, Activation.LINEAR, "");
    assertEquals(Activation.RELU, activation.convert(" ReLU ", "a"));
    assertEquals(
        "layer.activation: unknown activation 'mish' (expected one of [relu, sigmoid, tanh, softmax, "
            + "linear, elu, selu, gelu, softplus, softsign, swish, silu, leaky_relu, relu6, "
            + "hard_sigmoid, exponential])",
        assertThrows(ConfigException.class, () -> activation.convert("mish", "layer.activation"))
            .getMessage());
    assertEquals("relu", activation.toJson(Activation.RELU).asText());
  }

  @Test
  void namesFollowTheKey() {
    Setting<Integer> s = Setting.integer("checkpoint_every_steps", 0, 0, "");
    assertEquals("--checkpoint-every-steps", s.optionName());
    assertEquals("checkpointEverySteps", s.javaName());
    assertEquals("0 or a positive integer", s.expectation());
    assertEquals("1e-7", Setting.positive("epsilon", 1e-7, "").defaultText());
    assertEquals("0.001", Setting.positive("lr", 0.001, "").defaultText());
  }

  @Test
  void recordSettingsRoundTripThroughConfiguration() throws IOException {
    Adam adam = new Adam(0.003, 0.8, 0.99, 1e-6, true);
    JsonNode config = Adam.SETTINGS.toJson(adam);
    assertEquals(
        List.of(
            "learning_rate",
            "beta_1",
            "beta_2",
            "epsilon",
            "amsgrad",
            "weight_decay",
            "clipnorm",
            "clipvalue",
            "global_clipnorm"),
        List.copyOf(Adam.SETTINGS.keys()),
        "Adam's own settings, then the group every optimizer has");
    Adam clipped =
        new Adam(
            LearningRate.constant(0.003),
            0.8,
            0.99,
            1e-6,
            true,
            new BaseOptimizer(0.1, 2.0, null, null));
    assertEquals(clipped, Adam.SETTINGS.read(Adam.SETTINGS.toJson(clipped), "o", List.of()));
    assertTrue(
        Adam.SETTINGS.toJson(adam).get("clipnorm").isNull(), "unset is null, as Keras' None");
    assertEquals(adam, Adam.SETTINGS.read(config, "o", List.of()));
    assertEquals(Adam.defaults(), Adam.SETTINGS.read(json("{}"), "o", List.of()));
    assertEquals(new Adam(0.001, 0.9, 0.999, 1e-7, false), Adam.defaults(), "Keras' defaults");
    assertEquals(new Sgd(0.01, 0, false), Sgd.defaults(), "Keras' defaults");
    Dense dense = Dense.of(4, "relu").withInputDim(3);
    assertEquals(dense, Dense.SETTINGS.read(Dense.SETTINGS.toJson(dense), "l", List.of()));
  }

  @Test
  void aRecordWhoseComponentsDoNotMatchItsSettingsIsRefusedAtOnce() {
    record Mismatch(double rate) {}
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> RecordSettings.of(Mismatch.class, Setting.positive("learning_rate", 0.1, "")));
    assertTrue(
        e.getMessage().contains("component rate does not match learning_rate"), e.getMessage());
  }
}
