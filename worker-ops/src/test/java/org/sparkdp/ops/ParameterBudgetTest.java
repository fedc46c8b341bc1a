package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ParameterBudgetTest {
  private static final ModelSpec SPEC =
      ModelSpec.of(Dense.of(8, "relu").withInputDim(4), Dense.of(3, "softmax"));

  @Test
  void theBudgetIsTheHeapOver64Bytes() {
    assertEquals(Runtime.getRuntime().maxMemory() / 64, ParameterBudget.maxParameters());
  }

  @Test
  void theFirstLayerPastTheBudgetIsNamedWithItsSizes() {
    // 4 x 8 + 8 = 40 parameters, then 8 x 3 + 3 = 27: 67 in all.
    ParameterBudget.check(SPEC, "model.layers", 67);
    String message =
        assertThrows(ConfigException.class, () -> ParameterBudget.check(SPEC, "model.layers", 66))
            .getMessage();
    assertTrue(
        message.startsWith(
            "model.layers[1]: a Dense layer of 8 inputs and 3 units brings the model to 67"
                + " parameters, more than the 66 that a heap of "),
        message);
    assertTrue(
        assertThrows(ConfigException.class, () -> ParameterBudget.check(SPEC, "layers", 39))
            .getMessage()
            .startsWith("layers[0]: a Dense layer of 4 inputs and 8 units brings the model to 40"));
  }

  @Test
  void aConfigurationWithHugeLayersIsRefusedBeforeAnythingIsAllocated() throws Exception {
    var layers =
        new ObjectMapper()
            .readTree(
                "[{\"units\": 300000000, \"activation\": \"relu\", \"input_dim\": 784},"
                    + " {\"units\": 10, \"activation\": \"softmax\"}]");
    String message =
        assertThrows(ConfigException.class, () -> Configs.model(layers, "model.layers"))
            .getMessage();
    assertTrue(
        message.startsWith(
            "model.layers[0]: a Dense layer of 784 inputs and 300000000 units brings the model to"
                + " 235500000000 parameters"),
        message);
  }
}
