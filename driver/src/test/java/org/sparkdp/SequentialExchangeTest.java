package org.sparkdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.Nadam;

/** The Java API's Keras and ONNX files, on the local file system (no Spark needed). */
class SequentialExchangeTest {
  @TempDir Path dir;

  private static Sequential model() {
    Sequential model =
        new Sequential(
            Dense.of(5, "tanh").withInputDim(3),
            LayerNormalization.defaults(),
            Dense.of(1, "sigmoid"));
    model.compile(Nadam.defaults(), "binary_crossentropy", "accuracy");
    float[] w = model.weights();
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) Math.sin(i + 1);
    }
    model.setWeights(w);
    return model;
  }

  @Test
  void aModelExportedAsKerasComesBackWithItsLayersWeightsAndCompileConfig() throws IOException {
    Sequential model = model();
    String path = dir.resolve("m.keras").toString();
    model.exportKeras(path);
    Sequential back = Sequential.fromKeras(path);
    assertEquals(model.spec(), back.spec());
    assertEquals(model.compileConfig(), back.compileConfig());
    assertArrayEquals(model.weights(), back.weights());
  }

  @Test
  void aModelJsonGivesTheLayersWithFreshWeightsAndNoCompileConfig() throws IOException {
    Path json = dir.resolve("m.json");
    Files.writeString(
        json,
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": [{\"class_name\":"
            + " \"Dense\", \"config\": {\"units\": 2, \"activation\": \"relu\","
            + " \"batch_input_shape\": [null, 3]}}]}, \"keras_version\": \"2.15.0\"}",
        StandardCharsets.UTF_8);
    Sequential model = Sequential.fromKeras(json.toString());
    assertEquals(3, model.spec().inputDim());
    assertArrayEquals(model.spec().initialParameters(42), model.weights());
    assertThrows(IllegalStateException.class, model::compileConfig);
  }

  @Test
  void onnxExportWritesAModelOfThePrediction() throws IOException {
    Path onnx = dir.resolve("m.onnx");
    model().exportOnnx(onnx.toString());
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(onnx));
    assertEquals("sparkdp", proto.getProducerName());
    assertEquals(
        1,
        proto.getGraph().getOutput(0).getType().getTensorType().getShape().getDim(1).getDimValue());
    IOException notKeras =
        assertThrows(IOException.class, () -> Sequential.fromKeras(onnx.toString()));
    assertTrue(notKeras.getMessage().contains("nor a Keras model's JSON"), notKeras.getMessage());
  }
}
