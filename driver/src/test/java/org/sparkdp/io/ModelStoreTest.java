package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.FitOptions;
import org.sparkdp.Sequential;
import org.sparkdp.ops.ActivationLayer;
import org.sparkdp.ops.Dense;
import org.sparkdp.ops.Dropout;
import org.sparkdp.ops.LayerNormalization;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.Nadam;
import org.sparkdp.ops.Network;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.ops.Sgd;
import org.sparkdp.testkit.Blobs;
import org.sparkdp.testkit.TestSpark;

class ModelStoreTest {
  private static final Blobs DATA = Blobs.of(120, 4, 3, 9);

  private static Sequential trained() {
    Sequential model = new Sequential(Dense.of(5, "tanh").withInputDim(4), Dense.of(3, "softmax"));
    model.compile(new Sgd(0.05, 0.9, true), "sparse_categorical_crossentropy", "accuracy");
    model.fit(TestSpark.frame(DATA), new FitOptions().epochs(2).batchSize(10).verbose(0));
    return model;
  }

  @Test
  void savedModelLoadsWithTheSameWeightsConfigAndProvenance(@TempDir Path dir) throws IOException {
    Sequential model = trained();
    model.save(dir.toString());
    Sequential loaded = Sequential.load(dir.toString());
    assertArrayEquals(model.weights(), loaded.weights());
    assertEquals(model.spec(), loaded.spec());
    assertEquals(model.compileConfig(), loaded.compileConfig());
    assertEquals(120, loaded.provenance().data().train().rows());
    assertEquals(model.provenance(), loaded.provenance());
    assertEquals(10, loaded.trainingConfig().path("batch_size").asInt());
    assertEquals(
        Map.of("loss", model.evaluate(TestSpark.frame(DATA)).get("loss")).get("loss"),
        loaded.evaluate(TestSpark.frame(DATA)).get("loss"),
        1e-9);
    try (var files = Files.walk(dir)) {
      assertEquals(
          List.of(".sparkdp", ".sparkdp/committed.json", "model.json", "weights.npz"),
          files
              .filter(p -> !p.equals(dir))
              .map(p -> dir.relativize(p).toString())
              .sorted()
              .toList(),
          "the set, its record, and no temporary files");
    }
  }

  @Test
  void aModelDirectoryWrittenBeforeTheNewLayersStillLoadsAndPredicts(@TempDir Path dir)
      throws IOException {
    Sequential model = trained();
    byte[] weights = ModelFile.weightsBytes(model.spec(), model.weights());
    // model.json as sparkdp wrote it when every layer was Dense (no regularizers, no optimizer
    // base settings).
    String json =
        ("{'format':'sparkdp.model','format_version':1,'class_name':'Sequential',"
                + "'config':{'name':'sequential','layers':["
                + "{'class_name':'Dense','config':{'name':'dense','units':5,'activation':'tanh',"
                + "'use_bias':true,'input_dim':4,'kernel_initializer':'glorot_uniform',"
                + "'bias_initializer':'zeros'}},"
                + "{'class_name':'Dense','config':{'name':'dense_1','units':3,'activation':'softmax',"
                + "'use_bias':true,'kernel_initializer':'glorot_uniform','bias_initializer':'zeros'}}]},"
                + "'compile_config':{'optimizer':{'type':'sgd','learning_rate':0.05,'momentum':0.9,"
                + "'nesterov':true},'loss':'sparse_categorical_crossentropy','from_logits':false,"
                + "'metrics':['accuracy']},'label_width':1,'weights':{'file':'weights.npz','sha256':'"
                + ModelFile.sha256(weights)
                + "','shapes':{'dense/kernel':[4,5],'dense/bias':[5],'dense_1/kernel':[5,3],"
                + "'dense_1/bias':[3]}},'training_config':{'batch_size':10},'provenance':{}}")
            .replace('\'', '"');
    Files.write(dir.resolve("weights.npz"), weights);
    Files.writeString(dir.resolve("model.json"), json);
    Sequential loaded = Sequential.load(dir.toString());
    assertArrayEquals(model.weights(), loaded.weights());
    assertEquals(model.spec(), loaded.spec());
    assertEquals(model.compileConfig(), loaded.compileConfig());
    assertEquals(
        model.evaluate(TestSpark.frame(DATA)).get("loss"),
        loaded.evaluate(TestSpark.frame(DATA)).get("loss"),
        1e-9);
  }

  @Test
  void aModelWithEveryNewLayerSavesAndLoads(@TempDir Path dir) throws IOException {
    Sequential model =
        new Sequential(
            LayerNormalization.defaults().withInputDim(4),
            Dense.of(6, "swish").withRegularizers(new Regularizer.L2(0.001), null),
            Dropout.of(0.3),
            Dense.of(3, "linear"),
            ActivationLayer.of("softmax"));
    model.compile(Nadam.defaults(), "sparse_categorical_crossentropy", "accuracy");
    model.fit(TestSpark.frame(DATA), new FitOptions().epochs(1).batchSize(10).verbose(0));
    model.save(dir.toString());
    Sequential loaded = Sequential.load(dir.toString());
    assertArrayEquals(model.weights(), loaded.weights());
    assertEquals(model.spec(), loaded.spec());
    assertEquals(model.compileConfig(), loaded.compileConfig());
    assertEquals(
        model.evaluate(TestSpark.frame(DATA)).get("loss"),
        loaded.evaluate(TestSpark.frame(DATA)).get("loss"),
        1e-9);
    assertEquals(
        List.of(
            "layer_normalization/gamma",
            "layer_normalization/beta",
            "dense/kernel",
            "dense/bias",
            "dense_1/kernel",
            "dense_1/bias"),
        List.copyOf(
            org.sparkdp.ops.Npz.read(
                    Files.newInputStream(dir.resolve("weights.npz")),
                    ModelFile.weightShapes(model.spec()),
                    "weights.npz")
                .keySet()));
  }

  @Test
  void alteredWeightsAreDetectedByTheirHash(@TempDir Path dir) throws IOException {
    trained().save(dir.toString());
    Path weights = dir.resolve("weights.npz");
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length / 2] ^= 1;
    Files.write(weights, bytes);
    IOException e = assertThrows(IOException.class, () -> Sequential.load(dir.toString()));
    assertTrue(
        e.getMessage().contains("differs from the") && e.getMessage().contains("weights.npz"),
        e.getMessage());
  }

  @Test
  void aModelJsonWithoutTheWeightsHashIsRefused(@TempDir Path dir) throws IOException {
    trained().save(dir.toString());
    // A plain directory (no record of the set, which would refuse the edited file first).
    Files.delete(dir.resolve(".sparkdp/committed.json"));
    Files.delete(dir.resolve(".sparkdp"));
    Path json = dir.resolve("model.json");
    String text = Files.readString(json);
    String sha =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(text)
            .path("weights")
            .path("sha256")
            .asText();
    assertEquals(64, sha.length());
    Files.writeString(json, text.replace(sha, ""));
    IOException e = assertThrows(IOException.class, () -> Sequential.load(dir.toString()));
    assertTrue(e.getMessage().contains("records no SHA-256 of its weights"), e.getMessage());
  }

  @Test
  void predictAppendsOutputsEqualToTheKernelsForwardPass() {
    Sequential model = trained();
    List<Row> out = model.predict(TestSpark.frame(DATA)).collectAsList();
    assertEquals(DATA.rows(), out.size());
    Network network =
        new Network(model.spec(), org.sparkdp.ops.Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    var ws = network.newWorkspace(1);
    float[] w = model.weights();
    for (Row row : out) {
      double[] x = ((Vector) row.getAs("features")).toArray();
      float[] xf = new float[x.length];
      for (int j = 0; j < x.length; j++) {
        xf[j] = (float) x[j];
      }
      network.forward(w, xf, 0, 1, ws);
      double[] output = ((Vector) row.getAs("output")).toArray();
      for (int j = 0; j < 3; j++) {
        assertEquals(ws.lastOutputs()[j], output[j], 1e-6);
      }
      assertEquals(
          Network.argmax(ws.lastOutputs(), 0, 3),
          (int) row.getDouble(row.fieldIndex("prediction")));
    }
  }
}
