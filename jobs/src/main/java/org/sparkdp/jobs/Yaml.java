package org.sparkdp.jobs;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.Mark;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;
import java.io.IOException;
import java.util.Locale;
import java.util.regex.Pattern;
import org.sparkdp.ops.ConfigException;

/**
 * Job files read strictly: a key given twice is an error (the file says two things, and YAML
 * parsers keep the last without a word); aliases ({@code *name}) are refused (Jackson would read
 * one as its name, and they are how a small file expands without bound); {@code .nan} and {@code
 * .inf} are numbers, so that a setting's own check names the value ("must be a positive number, got
 * NaN"). Every error names the file, line and column.
 */
final class Yaml {
  private static final YAMLFactory FACTORY = new YAMLFactory();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern NAN = Pattern.compile("\\.(nan|NaN|NAN)");
  private static final Pattern INF = Pattern.compile("[-+]?\\.(inf|Inf|INF)");

  private Yaml() {}

  /**
   * The tree of {@code text}; an empty document is an empty mapping.
   *
   * @throws ConfigException naming {@code source}, the line and the column
   */
  static JsonNode read(String text, String source) {
    try (JsonParser parser = FACTORY.createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return NODES.objectNode();
      }
      JsonNode root = value(parser, source, "");
      if (parser.nextToken() != null) {
        throw error(source, parser.currentLocation(), "more than one document");
      }
      return root;
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String problem =
          (e.getContext() == null ? "" : e.getContext() + ": ")
              + (e.getProblem() == null ? "" : e.getProblem());
      throw new ConfigException(
          source
              + (mark == null
                  ? ""
                  : " line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1))
              + ": not valid YAML: "
              + oneLine(problem.replace("\\t(TAB)", "tab").replace("\t(TAB)", "tab")));
    } catch (JsonProcessingException e) {
      throw error(source, e.getLocation(), "not valid YAML: " + oneLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new ConfigException(source + ": cannot be read (" + e.getMessage() + ")");
    }
  }

  /** The value at the parser's current token (its first token already read). */
  private static JsonNode value(JsonParser p, String source, String path) throws IOException {
    if (p instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
      throw error(
          source,
          p.currentTokenLocation(),
          at(path) + "aliases (*" + p.getText() + ") are not supported; write the value out");
    }
    JsonToken token = p.currentToken();
    switch (token) {
      case START_OBJECT -> {
        ObjectNode object = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          JsonLocation where = p.currentTokenLocation();
          String child = path.isEmpty() ? key : path + "." + key;
          if (object.has(key)) {
            throw error(source, where, child + ": given twice (a key may appear once)");
          }
          p.nextToken();
          object.set(key, value(p, source, child));
        }
        return object;
      }
      case START_ARRAY -> {
        ArrayNode array = NODES.arrayNode();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          array.add(value(p, source, path + "[" + array.size() + "]"));
        }
        return array;
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? NODES.numberNode(p.getBigIntegerValue())
            : p.getNumberType() == JsonParser.NumberType.LONG
                ? NODES.numberNode(p.getLongValue())
                : NODES.numberNode(p.getIntValue());
      }
      case VALUE_NUMBER_FLOAT -> {
        String text = p.getText().trim();
        if (NAN.matcher(text).matches()) {
          return NODES.numberNode(Double.NaN);
        }
        if (INF.matcher(text).matches()) {
          return NODES.numberNode(
              text.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        }
        try {
          return NODES.numberNode(p.getDoubleValue());
        } catch (JsonProcessingException | NumberFormatException e) {
          throw error(
              source, p.currentTokenLocation(), at(path) + "'" + text + "' is not a number");
        }
      }
      case VALUE_STRING -> {
        return NODES.textNode(p.getText());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return NODES.booleanNode(token == JsonToken.VALUE_TRUE);
      }
      case VALUE_NULL -> {
        return NODES.nullNode();
      }
      default ->
          throw error(
              source,
              p.currentTokenLocation(),
              at(path) + "unexpected " + token.name().toLowerCase(Locale.ROOT));
    }
  }

  private static String at(String path) {
    return path.isEmpty() ? "" : path + ": ";
  }

  private static ConfigException error(String source, JsonLocation where, String message) {
    String position =
        where == null || where.getLineNr() < 1
            ? ""
            : " line " + where.getLineNr() + ", column " + where.getColumnNr();
    return new ConfigException(source + position + ": " + message);
  }

  private static String oneLine(String text) {
    return text == null
        ? ""
        : text.lines().map(String::trim).reduce((a, b) -> a + " " + b).orElse("");
  }
}
