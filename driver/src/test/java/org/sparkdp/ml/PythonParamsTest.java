package org.sparkdp.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import org.junit.jupiter.api.Test;

/**
 * The Python stages declare their Params in Python, as PySpark's own do ({@code
 * python/sparkdp/_params.py}), so that they work on Spark Connect, where Python cannot ask the JVM
 * stage for them. That file is made from the Java stages' Params and must stay equal to what they
 * make now: a Param renamed, retyped, with another default or doc on one side only fails here.
 * {@code -Dsparkdp.writePythonParams=true} writes the file anew.
 */
class PythonParamsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path FILE = Path.of("..", "python", "sparkdp", "_params.py");

  /** The Params whose values sparkdp's Python converters read (a list of layers, ...). */
  private static final Map<String, String> SPECIAL =
      Map.of(
          "layers", "_convert.layers_json",
          "optimizer", "_convert.optimizer_json",
          "loss", "_convert.loss_json");

  @Test
  void thePythonDeclarationsAreTheJavaStagesParamsWithTheirTypesDefaultsAndDocs()
      throws IOException {
    String expected = render(new SequentialEstimator("e"), new SequentialModel("m"));
    if (Boolean.getBoolean("sparkdp.writePythonParams")) {
      Files.writeString(FILE, expected);
    }
    String actual = Files.readString(FILE);
    if (!expected.equals(actual)) {
      List<String> e = expected.lines().toList();
      List<String> a = actual.lines().toList();
      int line = 0;
      while (line < Math.min(e.size(), a.size()) && e.get(line).equals(a.get(line))) {
        line++;
      }
      assertEquals(
          line < e.size() ? e.get(line) : "(end of file)",
          line < a.size() ? a.get(line) : "(end of file)",
          FILE
              + " line "
              + (line + 1)
              + " differs from the Java stages' Params: run this test with"
              + " -Dsparkdp.writePythonParams=true to write it anew");
    }
  }

  @Test
  void aJavaParamOfAnotherNameTypeOrDefaultChangesTheRenderedDeclarations() {
    SequentialEstimator estimator = new SequentialEstimator("e");
    SequentialModel model = new SequentialModel("m");
    String base = render(estimator, model);
    Param<?> epochs = estimator.getParam("epochs");
    String renamed = declaration(new IntParam(estimator, "epoch", epochs.doc()));
    String retyped = declaration(new LongParam(estimator, "epochs", epochs.doc()));
    assertTrue(base.contains(declaration(epochs)), base);
    assertTrue(!base.contains(renamed) && !base.contains(retyped));
    assertEquals("1", literal(estimator.getDefault(epochs).get()));
    assertTrue(base.contains("epochs=1,"), "the default of epochs is 1 in: " + base);
    // What the converter names: a Param type the renderer does not know is refused, not guessed.
    assertThrows(
        IllegalArgumentException.class,
        () -> declaration(new org.apache.spark.ml.param.FloatParam(estimator, "x", "a float")));
  }

  /** The Python module: the estimator's Params, then the model's own. */
  static String render(Params estimator, Params model) {
    Set<String> stage =
        Arrays.stream(estimator.params()).map(Param::name).collect(Collectors.toSet());
    List<Param<?>> facts = new ArrayList<>();
    for (Param<?> p : model.params()) {
      if (!stage.contains(p.name())) {
        facts.add(p);
      }
    }
    StringBuilder py = new StringBuilder();
    py.append(
        "\"\"\"The Params of sparkdp's ML stages, declared in Python as PySpark's own stages declare"
            + " theirs.\n\n"
            + "Made from the Java stages (org.sparkdp.ml) by the driver's PythonParamsTest, which"
            + " fails when this file and\nthe Java Params differ: do not edit by hand, run that test"
            + " with -Dsparkdp.writePythonParams=true.\n\"\"\"\n\n"
            + "from pyspark.ml.param import Param, Params, TypeConverters\n\n"
            + "from sparkdp import _convert\n");
    section(
        py,
        "_SequentialParams",
        "The Params of SequentialEstimator and SequentialModel.",
        estimator,
        Arrays.asList(estimator.params()));
    section(
        py,
        "_ModelFacts",
        "The Params a fit sets on SequentialModel: what it learnt about itself.",
        model,
        facts);
    return py.toString();
  }

  private static void section(
      StringBuilder py, String name, String doc, Params owner, List<Param<?>> params) {
    py.append("\n\nclass ").append(name).append("(Params):\n");
    py.append("    \"\"\"").append(doc).append("\"\"\"\n\n");
    for (Param<?> p : params) {
      py.append("    ").append(p.name()).append(" = ").append(declaration(p)).append("\n");
    }
    List<String> defaults = new ArrayList<>();
    for (Param<?> p : params) {
      if (owner.hasDefault(p)) {
        defaults.add("            " + p.name() + "=" + literal(owner.getDefault(p).get()) + ",");
      }
    }
    py.append("\n    def __init__(self, *args):\n        super().__init__(*args)\n");
    if (!defaults.isEmpty()) {
      py.append("        self._setDefault(\n")
          .append(String.join("\n", defaults))
          .append("\n        )\n");
    }
  }

  /** {@code Param(Params._dummy(), "name", "doc", typeConverter=...)}. */
  static String declaration(Param<?> p) {
    return "Param(Params._dummy(), "
        + literal(p.name())
        + ", "
        + literal(p.doc())
        + ", typeConverter="
        + converter(p)
        + ")";
  }

  private static String converter(Param<?> p) {
    if (SPECIAL.containsKey(p.name())) {
      return SPECIAL.get(p.name());
    }
    if (p instanceof IntParam) {
      return "_convert.to_int";
    }
    if (p instanceof LongParam) {
      return "_convert.to_long";
    }
    if (p instanceof DoubleParam) {
      return "TypeConverters.toFloat";
    }
    if (p instanceof BooleanParam) {
      return "TypeConverters.toBoolean";
    }
    if (p instanceof StringArrayParam) {
      return "TypeConverters.toListString";
    }
    if (p.getClass() == Param.class) {
      return "TypeConverters.toString"; // every plain Param of the stages holds text
    }
    throw new IllegalArgumentException(
        "Param " + p.name() + ": no Python converter for " + p.getClass().getName());
  }

  /** A Python literal of a default value (JSON's string escapes are Python's). */
  static String literal(Object value) {
    try {
      if (value instanceof Boolean b) {
        return b ? "True" : "False";
      }
      if (value instanceof Double d) {
        if (d.isInfinite() || d.isNaN()) {
          return "float(\"" + d + "\")";
        }
        return Double.toString(d);
      }
      if (value instanceof String[] items) {
        return "["
            + Arrays.stream(items).map(PythonParamsTest::literal).collect(Collectors.joining(", "))
            + "]";
      }
      if (value instanceof Number || value instanceof String) {
        return JSON.writeValueAsString(value);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    throw new IllegalArgumentException("no Python literal for " + value.getClass().getName());
  }
}
