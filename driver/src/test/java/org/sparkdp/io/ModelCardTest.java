package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.Adam;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;

class ModelCardTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The sections of Mitchell et al. 2019, in their order. */
  private static final List<String> SECTIONS =
      List.of(
          "## Model details",
          "## Intended use",
          "## Factors",
          "## Metrics",
          "## Evaluation data",
          "## Training data",
          "## Quantitative analyses",
          "## Ethical considerations",
          "## Caveats and recommendations");

  private static ObjectNode model(String metadata) throws Exception {
    ModelSpec spec = ModelSpec.of(Dense.of(4, "relu").withInputDim(3), Dense.of(3, "softmax"));
    CompileConfig compile =
        new CompileConfig(
            Adam.withLearningRate(0.001),
            Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
            false,
            List.of(new org.sparkdp.ops.Metric.Accuracy(null)));
    ObjectNode training =
        (ObjectNode)
            JSON.readTree(
                "{\"epochs\":2,\"batch_size\":32,\"strategy\":\"sync\",\"seed\":42,"
                    + "\"validation_split\":0.1,\"watermark\":{\"key\":\"o.key\",\"bits\":3,"
                    + "\"layer\":0,\"strength\":0.01}}");
    ObjectNode provenance =
        (ObjectNode)
            JSON.readTree(
                "{\"created_at\":\"2026-01-02T03:04:05Z\",\"created_by\":\"ana\","
                    + "\"data\":{\"train\":{\"name\":\"train data (t.csv)\",\"rows\":900,"
                    + "\"validation_rows\":100,\"partitions\":2,\"fingerprint\":\"0123456789abcdef\"}},"
                    + "\"final_metrics\":{\"loss\":0.251838121703522,\"test_accuracy\":0.8693},"
                    + "\"job\":{\"command\":\"train\",\"config_sha256\":\"cafe\","
                    + "\"config\":{\"data\":{\"test\":{\"format\":\"csv\",\"path\":\"test.csv\"}}}},"
                    + "\"metadata\":"
                    + metadata
                    + "}");
    return ModelFile.modelJson(spec, compile, 1, "00", training, provenance);
  }

  private static Map<String, byte[]> files() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(
        "history.json",
        "{\"loss\":[0.9,0.5],\"accuracy\":[0.6,0.8],\"epoch_seconds\":[1.0,1.0]}"
            .getBytes(StandardCharsets.UTF_8));
    files.put(
        "test-metrics.json", "{\"loss\":0.4,\"accuracy\":0.75}".getBytes(StandardCharsets.UTF_8));
    files.put(
        ModelCard.PER_CLASS,
        ("{\"classes\":[{\"class\":0,\"support\":2,\"predicted\":1,\"precision\":1.0,\"recall\":0.5,"
                + "\"f1\":0.6666666666666666},{\"class\":1,\"support\":1,\"predicted\":2,"
                + "\"precision\":0.5,\"recall\":1.0,\"f1\":0.6666666666666666},{\"class\":2,"
                + "\"support\":1,\"predicted\":1,\"precision\":1.0,\"recall\":1.0,\"f1\":1.0}],"
                + "\"confusion_matrix\":[[1,1,0],[0,1,0],[0,0,1]]}")
            .getBytes(StandardCharsets.UTF_8));
    files.put("learning-curves.png", new byte[] {1});
    return files;
  }

  @Test
  void theCardHasMitchellsSectionsFilledFromTheModelsFiles() throws Exception {
    String card =
        new String(
            ModelCard.markdown(
                model(
                    "{\"owner\":\"Ana\",\"license\":\"MIT\",\"intended_use\":\"Sorting clothes.\","
                        + "\"class_names\":[\"shirt\",\"shoe\",\"bag\"],\"team\":\"vision\"}"),
                files(),
                "SHA256:ab"),
            StandardCharsets.UTF_8);
    int at = -1;
    for (String section : SECTIONS) {
      int next = card.indexOf("\n" + section + "\n");
      assertTrue(next > at, section + " missing or out of order:\n" + card);
      at = next;
    }
    for (String expected :
        List.of(
            "- **Owner**: Ana",
            "- **License**: MIT",
            "- **Made**: 2026-01-02T03:04:05Z by ana",
            "- **Type**: Sequential neural network: Dense(4, relu, input 3), Dense(3, softmax)",
            "adam (learning rate 0.001), loss sparse_categorical_crossentropy; 2 epochs of batch 32",
            "SHA-256 `cafe`",
            "- **Signed**: by key `SHA256:ab`",
            "- **Watermark**: 3 bits in the kernel of layer 0",
            "**Primary uses**: Sorting clothes.",
            "**Out of scope**: Not stated (`metadata.out_of_scope_uses` in the job file).",
            "The test data: format csv, path `test.csv`, 4 examples.",
            "900 rows trained on, 100 more held out for validation",
            "Fingerprint `0123456789abcdef`",
            "| loss | 0.2518 |",
            "| test_accuracy | 0.8693 |",
            "| 0 (shirt) | 2 | 1 | 1 | 0.5 | 0.6667 |",
            "| 2 (bag) | 1 | 1 | 1 | 1 | 1 |",
            "| 0 | 1 | 1 | 0 |",
            "| epoch | loss | accuracy |",
            "| 2 | 0.5 | 0.8 |",
            "[learning-curves.png](learning-curves.png)",
            "last 0.1 of the training data",
            "## Other metadata",
            "- **team**: vision")) {
      assertTrue(card.contains(expected), "no '" + expected + "' in:\n" + card);
    }
    assertFalse(card.contains("epoch_seconds"), "wall times are not a metric");
  }

  @Test
  void whatTheFilesDoNotTellIsMarkedAsNotStated() throws Exception {
    String card =
        new String(ModelCard.markdown(model("{}"), Map.of(), null), StandardCharsets.UTF_8);
    assertTrue(card.contains("- **Signed**: no"));
    assertTrue(card.contains("No test data was given"));
    assertTrue(card.contains("Not stated (`metadata.ethical_considerations` in the job file)."));
    assertFalse(card.contains("Per class"));
    assertFalse(card.contains("## Other metadata"));
  }
}
