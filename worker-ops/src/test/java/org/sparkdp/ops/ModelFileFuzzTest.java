package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.sparkdp.testkit.Fuzz;

/**
 * {@code model.json} and {@code weights.npz} come from elsewhere: damaged copies of valid files
 * read or are refused with an {@link IOException} or a {@link ConfigException}, never anything
 * else.
 */
@Timeout(60)
class ModelFileFuzzTest {
  private static final ModelSpec SPEC =
      ModelSpec.of(
          Dense.of(16, "relu").withInputDim(12),
          Dense.of(8, "tanh"),
          Dense.of(4, "softmax").withUseBias(false));
  private static final CompileConfig COMPILE =
      new CompileConfig(
          new Adam(0.01, 0.9, 0.999, 1e-7, true),
          Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
          false,
          CompileConfig.metrics("accuracy"));
  private static final List<Class<? extends Throwable>> CLEAN =
      List.of(IOException.class, ConfigException.class);

  @Test
  void damagedModelJsonIsReadOrRefusedCleanly() throws Exception {
    byte[] weights = ModelFile.weightsBytes(SPEC, SPEC.initialParameters(3));
    ObjectMapper json = new ObjectMapper();
    byte[] valid =
        ModelFile.toBytes(
            ModelFile.modelJson(
                SPEC,
                COMPILE,
                1,
                ModelFile.sha256(weights),
                json.readTree("{\"epochs\": 3, \"batch_size\": 32, \"seed\": 42}"),
                json.readTree(
                    "{\"created_at\": \"2026-01-01T00:00:00Z\", \"data\": {\"train\":"
                        + " {\"rows\": 600, \"fingerprint\": \"00ff\"}}, \"final_metrics\":"
                        + " {\"loss\": 0.25}}")));
    ModelFile.parse(valid, "model.json");
    Fuzz.Report report =
        Fuzz.run("model.json", valid, 5000, 1, CLEAN, b -> ModelFile.parse(b, "model.json"));
    assertEquals(5000, report.read() + report.refused());
    assertTrue(report.refused() > 1000, report.toString());
  }

  @Test
  void damagedModelJsonWithEveryLayerKindIsReadOrRefusedCleanly() throws Exception {
    ModelSpec spec =
        ModelSpec.of(
            new LayerNormalization(
                1e-3,
                true,
                true,
                Initializer.ZEROS,
                Initializer.ONES,
                new Regularizer.L2(0.01),
                null,
                12),
            Dense.of(16, "gelu")
                .withRegularizers(new Regularizer.L1L2(0.01, 0.02), new Regularizer.L1(0.1))
                .withInitializers(new Initializer.Orthogonal(1.0), new Initializer.Constant(0.1)),
            new Dropout(0.2, 7L, 0),
            Dense.of(4, "linear"),
            ActivationLayer.of("softmax"));
    CompileConfig compile =
        new CompileConfig(
            new Sgd(
                new LearningRate.PiecewiseConstantDecay(
                    List.of(10L, 20L), List.of(0.1, 0.05, 0.01)),
                0.9,
                true,
                new BaseOptimizer(0.001, null, 1.0, null)),
            Loss.HUBER,
            false,
            List.of(),
            0.5);
    byte[] weights = ModelFile.weightsBytes(spec, spec.initialParameters(3));
    byte[] valid =
        ModelFile.toBytes(
            ModelFile.modelJson(spec, compile, 4, ModelFile.sha256(weights), null, null));
    ModelFile.parse(valid, "model.json");
    Fuzz.Report report =
        Fuzz.run("model.json", valid, 5000, 3, CLEAN, b -> ModelFile.parse(b, "model.json"));
    assertEquals(5000, report.read() + report.refused());
    assertTrue(report.refused() > 1000, report.toString());
  }

  @Test
  void damagedWeightsAreReadOrRefusedCleanly() throws Exception {
    byte[] valid = ModelFile.weightsBytes(SPEC, SPEC.initialParameters(3));
    Fuzz.Report report =
        Fuzz.run(
            "weights.npz",
            valid,
            5000,
            2,
            CLEAN,
            b -> ModelFile.readWeights(SPEC, new ByteArrayInputStream(b), "weights.npz"));
    assertTrue(report.refused() > 2500, report.toString());
  }
}
