package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.BaseOptimizer;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.ops.Setting;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Each fit setting is declared once: its YAML key, its Java setter and getter, its command-line
 * option, its default and its README row must all agree with the declaration, or this fails naming
 * the setting.
 */
class ConfigReferenceTest {
  private static final Path README = Path.of(System.getProperty("user.dir"), "..", "README.md");

  /** A valid value other than the default, to see that each way of setting it arrives. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object another(Setting<?> s) {
    Object d = s.defaultValue();
    Object candidate;
    if (d instanceof Integer i) {
      candidate = i + 1;
    } else if (d instanceof Long l) {
      candidate = l + 1;
    } else if (d instanceof Double x) {
      candidate = x == 0 ? 0.5 : x / 2;
    } else if (d instanceof Boolean b) {
      candidate = !b;
    } else if (d instanceof Enum<?> e) {
      Object[] constants = e.getDeclaringClass().getEnumConstants();
      candidate = constants[(e.ordinal() + 1) % constants.length];
    } else {
      throw new AssertionError("no sample value for " + s.key() + " of " + d.getClass());
    }
    return ((Setting) s).check(candidate);
  }

  @Test
  void everyFitSettingArrivesByYamlJavaAndTheCommandLineWithItsDeclaredDefault() throws Exception {
    CommandSpec train = Cli.train();
    for (Setting<?> s : FitOptions.SETTINGS) {
      Object value = another(s);
      @SuppressWarnings("unchecked")
      Setting<Object> setting = (Setting<Object>) s;

      FitOptions fresh = new FitOptions();
      Method getter = FitOptions.class.getMethod(s.javaName());
      assertEquals(
          s.defaultValue(), getter.invoke(fresh), s.key() + ": the getter gives the default");

      Method setter =
          Arrays.stream(FitOptions.class.getMethods())
              .filter(m -> m.getName().equals(s.javaName()) && m.getParameterCount() == 1)
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          s.key() + ": no setter FitOptions." + s.javaName() + "(...)"));
      FitOptions viaJava = new FitOptions();
      setter.invoke(viaJava, value);
      assertEquals(value, getter.invoke(viaJava), s.key() + ": the Java setter");

      ObjectNode yaml = JsonNodeFactory.instance.objectNode();
      yaml.set(s.key(), setting.toJson(value));
      assertEquals(
          value, getter.invoke(FitOptions.fromConfig(yaml, "fit")), s.key() + ": the YAML key");

      if (s != FitOptions.VERBOSE) {
        assertTrue(
            train.optionsMap().containsKey(s.optionName()),
            s.key() + ": no option " + s.optionName());
        String config = JobConfigTest.YAML;
        JobConfig parsed =
            JobConfig.parse(
                config,
                "job.yaml",
                Cli.parse(train, new String[] {s.optionName(), setting.format(value)}));
        assertEquals(
            value, getter.invoke(parsed.fit()), s.key() + ": the option " + s.optionName());
      }
    }
  }

  @Test
  void theReadmesConfigurationTablesAreTheDeclarations() throws IOException {
    String readme = Files.readString(README);
    String updated = ConfigReference.update(readme);
    assertEquals(
        updated,
        readme,
        "the README's configuration reference is out of date; run "
            + "bin/sparkdp reference --update README.md");
    List<String> missing = new ArrayList<>();
    for (Setting<?> s : FitOptions.SETTINGS) {
      String row = "| `fit." + s.key() + "` |";
      int at = readme.indexOf(row);
      if (at < 0
          || !readme
              .substring(at, readme.indexOf('\n', at))
              .endsWith("| " + s.defaultText() + " |")) {
        missing.add(s.key());
      }
    }
    assertEquals(List.of(), missing, "settings whose README row or default is missing");
  }

  @Test
  void everyKeyOfEveryLayerOptimizerScheduleRegularizerAndInitializerHasItsReadmeRow()
      throws IOException {
    String readme = Files.readString(README);
    List<String> missing = new ArrayList<>();
    Map<String, Map<String, ? extends RecordSettings<?>>> kinds = new LinkedHashMap<>();
    kinds.put("layer", Layer.kinds());
    kinds.put("schedule", LearningRate.schedules());
    kinds.put("regularizer", Regularizer.kinds());
    kinds.put("initializer", Initializer.withArguments());
    kinds.put("optimizer", Configs.OPTIMIZERS);
    kinds.forEach(
        (kind, byName) ->
            byName.forEach(
                (name, settings) -> {
                  for (Setting<?> s : settings.own()) {
                    String row = "| `" + name + "` | `" + s.key() + "` |";
                    if (!readme.contains(row)) {
                      missing.add(kind + " " + name + "." + s.key());
                    }
                  }
                }));
    for (Setting<?> s : BaseOptimizer.SETTINGS.settings()) {
      if (!readme.contains("| every optimizer | `" + s.key() + "` |")) {
        missing.add("every optimizer's " + s.key());
      }
    }
    for (Activation a : Activation.values()) {
      if (!readme.contains("| `" + a.kerasName() + "` |")) {
        missing.add("activation " + a.kerasName());
      }
    }
    for (Loss l : Loss.values()) {
      if (!readme.contains("| `" + l.kerasName() + "`")) {
        missing.add("loss " + l.kerasName());
      }
    }
    for (Initializer.Preset p : Initializer.Preset.values()) {
      if (!readme.contains("| `" + p.kerasName() + "` |")) {
        missing.add("initializer " + p.kerasName());
      }
    }
    assertEquals(List.of(), missing, "declared names and keys without a README row");
  }
}
