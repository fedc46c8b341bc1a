package org.sparkdp.driver;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where two JSON trees differ, by path ({@code model.layers[0].units: 64 in the checkpoint, 32
 * now}), so that a refused resume names the setting instead of showing two excerpts. The {@code
 * config} of a Keras wrapper ({@code {"class_name": ..., "config": {...}}}) is left out of paths,
 * as a job file's {@code model.layers[0].units} has none.
 */
final class JsonDiff {
  private JsonDiff() {}

  /**
   * The differences of {@code now} from {@code before}, depth first in {@code before}'s order, as
   * {@code PATH: BEFORE in the BEFORENAME, NOW now}; at most {@code max}, then a count of the rest.
   */
  static List<String> describe(
      String path, JsonNode before, JsonNode now, String beforeName, int max) {
    List<String> all = new ArrayList<>();
    walk(path, before, now, beforeName, all);
    if (all.size() <= max) {
      return all;
    }
    List<String> shown = new ArrayList<>(all.subList(0, max));
    shown.add("and " + (all.size() - max) + " more");
    return shown;
  }

  private static void walk(
      String path, JsonNode before, JsonNode now, String beforeName, List<String> out) {
    // By text: a long written as 9 reads back as an int.
    if (before.toString().equals(now.toString())) {
      return;
    }
    if (before.isObject() && now.isObject()) {
      boolean wrapper = before.has("class_name") && now.has("class_name");
      Set<String> keys = new LinkedHashSet<>();
      before.fieldNames().forEachRemaining(keys::add);
      now.fieldNames().forEachRemaining(keys::add);
      for (String key : keys) {
        String child = wrapper && key.equals("config") ? path : join(path, key);
        walk(child, before.path(key), now.path(key), beforeName, out);
      }
      return;
    }
    if (before.isArray() && now.isArray()) {
      if (before.size() != now.size()) {
        out.add(
            path
                + ": "
                + before.size()
                + " entries in the "
                + beforeName
                + ", "
                + now.size()
                + " now");
      }
      Iterator<JsonNode> a = before.elements();
      Iterator<JsonNode> b = now.elements();
      for (int i = 0; a.hasNext() && b.hasNext(); i++) {
        walk(path + "[" + i + "]", a.next(), b.next(), beforeName, out);
      }
      return;
    }
    out.add(path + ": " + text(before) + " in the " + beforeName + ", " + text(now) + " now");
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** A value as a job file would show it; {@code none} for an absent one, long ones shortened. */
  private static String text(JsonNode node) {
    String text =
        node.isMissingNode() ? "none" : node.isTextual() ? node.asText() : node.toString();
    return text.length() > 60 ? text.substring(0, 57) + "..." : text;
  }
}
