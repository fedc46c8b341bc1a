package org.sparkdp.ops.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.privacy.DifferentialPrivacy.Sampling;

/** The settings of DP-SGD: from YAML's mapping and the command line's text, and their refusals. */
class DifferentialPrivacyTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static DifferentialPrivacy read(String json) throws Exception {
    return DifferentialPrivacy.fromConfig(JSON.readTree(json));
  }

  private static String refusal(String json) {
    return assertThrows(ConfigException.class, () -> read(json)).getMessage();
  }

  @Test
  void aMappingGivesTheSettingsWithTheirDefaults() throws Exception {
    DifferentialPrivacy dp = read("{\"l2_norm_clip\": 1.5, \"noise_multiplier\": 1.1}");
    assertEquals(new DifferentialPrivacy(1.5, 1.1, null, 1e-5, Sampling.POISSON, false), dp);
    DifferentialPrivacy target =
        read(
            "{\"l2_norm_clip\": 1, \"target_epsilon\": 3, \"delta\": 1e-6, \"sampling\":"
                + " \"shuffle\", \"secure_noise\": true}");
    assertEquals(new DifferentialPrivacy(1.0, null, 3.0, 1e-6, Sampling.SHUFFLE, true), target);
    assertEquals(target, DifferentialPrivacy.fromConfig(DifferentialPrivacy.toConfig(target)));
  }

  @Test
  void theCommandLinesTextGivesTheSameSettings() throws Exception {
    assertEquals(
        read("{\"l2_norm_clip\": 1, \"target_epsilon\": 3, \"sampling\": \"shuffle\"}"),
        DifferentialPrivacy.fromConfig(
            TextNode.valueOf("l2_norm_clip=1, target_epsilon=3,sampling=shuffle")));
    assertEquals(
        new DifferentialPrivacy(0.5, 0.0, null, 1e-5, Sampling.POISSON, true),
        DifferentialPrivacy.fromConfig(
            TextNode.valueOf("l2_norm_clip=0.5,noise_multiplier=0,secure_noise=true")));
    assertNull(DifferentialPrivacy.fromConfig(TextNode.valueOf(" ")));
    String m =
        assertThrows(
                ConfigException.class,
                () -> DifferentialPrivacy.fromConfig(TextNode.valueOf("l2_norm_clip")))
            .getMessage();
    assertTrue(m.startsWith("differential_privacy: expected l2_norm_clip=C"), m);
  }

  @Test
  void missingOrContradictorySettingsAreRefusedByName() {
    assertTrue(
        refusal("{\"noise_multiplier\": 1}").contains("l2_norm_clip"), "the clip norm is required");
    assertEquals(
        "differential_privacy.noise_multiplier: give it, or target_epsilon to solve for it",
        refusal("{\"l2_norm_clip\": 1}"));
    assertTrue(
        refusal("{\"l2_norm_clip\": 1, \"noise_multiplier\": 1, \"target_epsilon\": 2}")
            .equals("differential_privacy.target_epsilon: give it or noise_multiplier, not both"));
    assertTrue(
        refusal("{\"l2_norm_clip\": 0, \"noise_multiplier\": 1}")
            .contains("l2_norm_clip: must be a positive number, got 0"));
    assertTrue(
        refusal("{\"l2_norm_clip\": 1, \"noise_multiplier\": -1}")
            .contains("noise_multiplier: must be 0 or a positive number"));
    assertTrue(
        refusal("{\"l2_norm_clip\": 1, \"noise_multiplier\": 1, \"delta\": 1}")
            .contains("delta: must be a number in (0, 1)"));
    assertTrue(
        refusal("{\"l2_norm_clip\": 1, \"noise_multiplier\": 1, \"sampling\": \"uniform\"}")
            .contains("sampling: unknown sampling 'uniform' (expected one of [poisson, shuffle])"));
    String unknown = refusal("{\"l2_norm_clip\": 1, \"noise_multiplier\": 1, \"clip\": 2}");
    assertTrue(unknown.contains("clip"), unknown);
    for (String m :
        new String[] {
          refusal("{\"noise_multiplier\": 1}"), refusal("{\"l2_norm_clip\": 1}"),
        }) {
      assertTrue(m.startsWith("differential_privacy"), m);
    }
  }

  @Test
  void settingsRoundTripThroughModelJsonsForm() throws Exception {
    DifferentialPrivacy dp = DifferentialPrivacy.of(1.0, 1.1);
    JsonNode config = DifferentialPrivacy.toConfig(dp);
    assertEquals(1.0, config.get("l2_norm_clip").asDouble());
    assertTrue(config.get("target_epsilon").isNull());
    assertEquals(dp, DifferentialPrivacy.fromConfig(config));
    assertTrue(DifferentialPrivacy.toConfig(null).isNull());
  }
}
