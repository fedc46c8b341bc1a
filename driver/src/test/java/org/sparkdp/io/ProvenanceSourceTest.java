package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where Spark read a model's data from, as {@code model.json} records it and a load reads it. */
class ProvenanceSourceTest {
  private static Provenance trained() {
    return Provenance.of(
        "4.2.0",
        "local[2]",
        new Provenance.Data(
            new Provenance.DataSet("train data (delta /lake/events)", 300, null, 2, "00ff"),
            new Provenance.DataSet("validation data (v.csv)", 50, null, 1, "0aaa")),
        Map.of("loss", 0.5));
  }

  @Test
  void aTablesSourceAndVersionSurviveWritingAndReading() throws IOException {
    Provenance.Source delta =
        new Provenance.Source(
            "delta",
            "/lake/events",
            null,
            null,
            Map.of("versionAsOf", "0"),
            List.of(new Provenance.TableVersion("delta", "file:/lake/events", 0)));
    Provenance p = trained().withSources(delta, null);
    JsonNode json = p.toJson();
    JsonNode source = json.path("data").path("train").path("source");
    assertEquals("0", source.path("options").path("versionAsOf").asText());
    assertEquals(0, source.path("versions").get(0).path("version").asLong());
    assertEquals("file:/lake/events", source.path("versions").get(0).path("location").asText());
    assertFalse(source.has("table"), "no nulls written: " + source);
    // Data from files has no source: its name says which file.
    assertFalse(json.path("data").path("validation").has("source"));
    assertEquals(p.data(), Provenance.fromJson(json).data());
  }

  @Test
  void aSourceWithoutOptionsOrVersionsWritesNeither() {
    Provenance.Source table =
        new Provenance.Source(null, null, "shop.sales.events", null, Map.of(), List.of());
    JsonNode source =
        trained().withSources(table, null).toJson().path("data").path("train").path("source");
    assertEquals("shop.sales.events", source.path("table").asText());
    assertTrue(!source.has("options") && !source.has("versions"), source.toString());
  }
}
