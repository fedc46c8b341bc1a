package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.CallbackState;
import org.sparkdp.History;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.OptimizerState;
import org.sparkdp.ops.Totals;
import org.sparkdp.testkit.Fuzz;

/**
 * Checkpoints are read back as untrusted files: each of a checkpoint's three files damaged, and
 * then {@code checkpoint.json} and {@code state.npz} damaged with {@code SHA256SUMS} rewritten to
 * match (so that the damage reaches the parsers behind the hash check). Each case loads or is
 * refused with an {@link IOException} (or, for a changed identity, a {@link ConfigException}).
 */
@Timeout(120)
class CheckpointFuzzTest {
  private static final int PARAMETERS = 24;
  private static final List<Class<? extends Throwable>> CLEAN =
      List.of(IOException.class, ConfigException.class);

  private static float[] values(int seed) {
    float[] v = new float[PARAMETERS];
    for (int i = 0; i < v.length; i++) {
      v[i] = (seed * 31 + i) * 0.125f - 1;
    }
    return v;
  }

  /**
   * A {@code local} state mid-epoch: Adam's slots, two partitions' states, outer momentum, metric
   * sums and a callback's state.
   */
  private static TrainingState state() {
    Map<String, List<Double>> history = new LinkedHashMap<>();
    history.put("loss", List.of(0.9, 0.5));
    history.put("accuracy", List.of(0.6, 0.8));
    history.put("epoch_seconds", List.of(1.25, 1.5));
    Totals totals = new Totals();
    totals.loss = 12.5;
    totals.correct = 30;
    totals.count = 40;
    totals.metrics = new double[] {3, 4, 5};
    return TrainingState.at(
        2,
        5,
        values(1),
        new OptimizerState(7, new float[][] {values(2), values(3)}),
        totals,
        0.75,
        History.fromMap(history),
        List.of(
            new OptimizerState(3, new float[][] {values(4), values(5)}),
            new OptimizerState(4, new float[][] {values(6), values(7)})),
        values(8),
        Map.of(
            "EarlyStopping",
            new CallbackState(
                Map.of("best", 0.25, "wait", 2.0), Map.of("best_weights", values(9)))),
        false,
        org.sparkdp.ops.privacy.PrivacyAccount.empty().after(0.01, 1.1, 5).after(0.02, 0.9, 3));
  }

  @Test
  void damagedCheckpointsLoadOrAreRefusedCleanly(@TempDir Path dir) throws IOException {
    ObjectNode identity = new ObjectMapper().createObjectNode().put("seed", 3).put("model", "m");
    Checkpoints checkpoints =
        new Checkpoints(dir.toString(), new Configuration(), 3, identity.deepCopy());
    Path checkpoint = Path.of(checkpoints.save(state()));
    assertArrayEquals(
        values(1), checkpoints.load(checkpoint.toString(), PARAMETERS).params(), "it loads");
    Path json = checkpoint.resolve("checkpoint.json");
    Path npz = checkpoint.resolve("state.npz");
    Path sums = checkpoint.resolve("SHA256SUMS");
    byte[] validJson = Files.readAllBytes(json);
    byte[] validNpz = Files.readAllBytes(npz);
    byte[] validSums = Files.readAllBytes(sums);

    record Target(String name, Path file, byte[] valid, boolean rehash, int cases) {}
    List<Target> targets =
        List.of(
            new Target("checkpoint.json", json, validJson, false, 1000),
            new Target("state.npz", npz, validNpz, false, 1000),
            new Target("SHA256SUMS", sums, validSums, false, 1000),
            new Target("checkpoint.json, rehashed", json, validJson, true, 2000),
            new Target("state.npz, rehashed", npz, validNpz, true, 2000));
    int seed = 10;
    for (Target t : targets) {
      Fuzz.Report report =
          Fuzz.run(
              "checkpoint " + t.name(),
              t.valid(),
              t.cases(),
              seed++,
              CLEAN,
              b -> {
                Files.write(json, validJson);
                Files.write(npz, validNpz);
                Files.write(sums, validSums);
                Files.write(t.file(), b);
                if (t.rehash()) {
                  String text = new String(validSums, StandardCharsets.US_ASCII);
                  String name = t.file().getFileName().toString();
                  String old = ModelFile.sha256(t.valid());
                  Files.writeString(
                      sums, text.replace(old + "  " + name, ModelFile.sha256(b) + "  " + name));
                }
                checkpoints.load(checkpoint.toString(), PARAMETERS);
              });
      assertTrue(report.refused() > t.cases() / 4, report.toString());
    }
  }
}
