package org.sparkdp.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonDiffTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<String> diff(String before, String now, int max) throws Exception {
    JsonNode a = JSON.readTree(before.replace('\'', '"'));
    JsonNode b = JSON.readTree(now.replace('\'', '"'));
    return JsonDiff.describe("", a, b, "checkpoint", max);
  }

  @Test
  void namesTheKerasLayerSettingByItsJobFilePath() throws Exception {
    String before =
        "{'model': {'layers': [{'class_name': 'Dense', 'config': {'units': 64, 'activation':"
            + " 'relu'}}]}}";
    assertEquals(
        List.of("model.layers[0].units: 64 in the checkpoint, 32 now"),
        diff(before, before.replace("64", "32"), 3));
  }

  @Test
  void namesMissingKeysAndArraysOfAnotherLength() throws Exception {
    assertEquals(
        List.of(
            "a.b: none in the checkpoint, 1 now",
            "c: 2 entries in the checkpoint, 3 now",
            "d: x in the checkpoint, [1] now"),
        diff("{'a': {}, 'c': [1, 2], 'd': 'x'}", "{'a': {'b': 1}, 'c': [1, 2, 3], 'd': [1]}", 3));
  }

  @Test
  void numbersWrittenAsLongAndReadAsIntAreEqual() throws Exception {
    assertEquals(List.of(), diff("{'seed': 9}", "{'seed': 9}", 3));
  }

  @Test
  void showsAtMostMaxAndCountsTheRest() throws Exception {
    assertEquals(
        List.of("a: 1 in the checkpoint, 2 now", "and 2 more"),
        diff("{'a': 1, 'b': 1, 'c': 1}", "{'a': 2, 'b': 2, 'c': 2}", 1));
  }
}
