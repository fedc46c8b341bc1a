package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Layers with shapes: {@code input_shape}, flatten and reshape, and the summary's shapes. */
class ShapesTest {
  private static JsonNode yaml(String json) throws Exception {
    return new ObjectMapper().readTree(json.replace('\'', '"'));
  }

  @Test
  void inputShapeOnTheFirstLayerGivesTheShapesOfEveryLayerAndTheFlatWidth() throws Exception {
    ModelSpec spec =
        Configs.model(
            yaml(
                "[{'type':'reshape','target_shape':[14,56],'input_shape':[28,28,1]},"
                    + "{'type':'flatten'},{'type':'dense','units':10}]"),
            "model.layers");
    assertEquals(List.of(28, 28, 1), spec.inputShape());
    assertEquals(784, spec.inputDim());
    assertArrayEquals(new int[] {14, 56}, spec.inputShapeOf(1));
    assertEquals(784, spec.inputOf(2));
    assertEquals(7850, spec.layout().size());
  }

  @Test
  void aVectorInputShapeIsInputDim() throws Exception {
    ModelSpec shaped =
        Configs.model(yaml("[{'units':3,'input_shape':[5]},{'units':2}]"), "model.layers");
    ModelSpec dim = Configs.model(yaml("[{'units':3,'input_dim':5},{'units':2}]"), "model.layers");
    assertEquals(dim, shaped);
  }

  @Test
  void badShapesAreNamedWithTheLayerAndSetting() throws Exception {
    ConfigException dense =
        assertThrows(
            ConfigException.class,
            () -> Configs.model(yaml("[{'units':3,'input_shape':[4,4]}]"), "model.layers"));
    assertTrue(
        dense
            .getMessage()
            .contains(
                "layer dense: dense takes a vector of features, not an input"
                    + " of shape [4, 4] (put a flatten layer before it)"),
        dense.getMessage());
    ConfigException reshape =
        assertThrows(
            ConfigException.class,
            () ->
                Configs.model(
                    yaml("[{'type':'reshape','target_shape':[3,3],'input_dim':8}]"),
                    "model.layers"));
    assertTrue(
        reshape.getMessage().contains("target_shape: [3, 3] does not hold the 8 values"),
        reshape.getMessage());
    ConfigException negative =
        assertThrows(
            ConfigException.class,
            () -> Configs.model(yaml("[{'type':'flatten','input_shape':[0,3]}]"), "model.layers"));
    assertTrue(
        negative.getMessage().contains("model.layers[0].input_shape"), negative.getMessage());
  }

  @Test
  void theSummaryShowsEachLayersOutputShapeAsKerasDoes() {
    ModelSpec spec =
        new ModelSpec(
            List.of(Reshape.of(-1, 4), Flatten.of(), Dense.of(3, "softmax")), List.of(2, 2, 2));
    String summary = spec.summary("m", false);
    assertTrue(summary.contains("reshape (Reshape)"), summary);
    assertTrue(summary.contains("(None, 2, 4)"), summary);
    assertTrue(summary.contains("(None, 8)"), summary);
    assertTrue(summary.contains("(None, 3)"), summary);
    assertTrue(summary.contains("Total params: 27"), summary);
  }
}
