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
import org.sparkdp.Callbacks;
import org.sparkdp.CsvLogger;
import org.sparkdp.EarlyStopping;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.BaseOptimizer;
import org.sparkdp.ops.Configs;
import org.sparkdp.ops.Initializer;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.Loss;
import org.sparkdp.ops.Metric;
import org.sparkdp.ops.RecordSettings;
import org.sparkdp.ops.Regularizer;
import org.sparkdp.ops.Setting;
import org.sparkdp.ops.Watermark;
import org.sparkdp.ops.privacy.DifferentialPrivacy;
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
    if (s == FitOptions.CLASS_WEIGHT) {
      candidate = Map.of(0, 1.0, 1, 20.0);
    } else if (s == FitOptions.SAMPLE_WEIGHT_COL) {
      candidate = "weight";
    } else if (s == FitOptions.CALLBACKS) {
      candidate =
          List.of(
              EarlyStopping.of(Map.of("patience", 2, "restore_best_weights", true)),
              CsvLogger.of(Map.of("filename", "/tmp/log.csv")));
    } else if (d instanceof Integer i) {
      candidate = i + 1;
    } else if (d instanceof Long l) {
      candidate = l + 1;
    } else if (d instanceof Double x) {
      candidate = x == 0 ? 0.5 : x / 2;
    } else if (d instanceof Boolean b) {
      candidate = !b;
    } else if (s == FitOptions.WATERMARK) {
      candidate = new Watermark("owner.key", 32, 1, 0.05);
    } else if (s == FitOptions.DIFFERENTIAL_PRIVACY) {
      candidate =
          new DifferentialPrivacy(0.5, 1.1, null, 1e-6, DifferentialPrivacy.Sampling.SHUFFLE, true);
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
      // Compared as configuration: callbacks made twice from the same settings are two objects.
      java.util.function.Function<Object, Object> json = v -> setting.toJson(v);

      Method setter =
          Arrays.stream(FitOptions.class.getMethods())
              .filter(m -> m.getName().equals(s.javaName()) && m.getParameterCount() == 1)
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          s.key() + ": no setter FitOptions." + s.javaName() + "(...)"));
      FitOptions viaJava = new FitOptions();
      if (setter.isVarArgs()) {
        // callbacks(Callback...): the list's elements as the array.
        List<?> list = (List<?>) value;
        Object array =
            java.lang.reflect.Array.newInstance(
                setter.getParameterTypes()[0].getComponentType(), list.size());
        for (int i = 0; i < list.size(); i++) {
          java.lang.reflect.Array.set(array, i, list.get(i));
        }
        setter.invoke(viaJava, array);
      } else {
        setter.invoke(viaJava, value);
      }
      assertEquals(
          json.apply(value), json.apply(getter.invoke(viaJava)), s.key() + ": the Java setter");

      ObjectNode yaml = JsonNodeFactory.instance.objectNode();
      yaml.set(s.key(), setting.toJson(value));
      assertEquals(
          json.apply(value),
          json.apply(getter.invoke(FitOptions.fromConfig(yaml, "fit"))),
          s.key() + ": the YAML key");

      if (s != FitOptions.VERBOSE) {
        assertTrue(
            train.optionsMap().containsKey(s.optionName()),
            s.key() + ": no option " + s.optionName());
        String config = JobConfigTest.YAML;
        JobConfig parsed =
            JobConfig.parse(
                config,
                "job.yaml",
                Cli.parse(train, new String[] {s.optionName(), commandLine(setting, value)}));
        assertEquals(
            json.apply(value),
            json.apply(getter.invoke(parsed.fit())),
            s.key() + ": the option " + s.optionName());
      }
    }
  }

  /**
   * A value as the command line gives it; the watermark's and differential privacy's settings as
   * {@code key=value,...}.
   */
  private static String commandLine(Setting<Object> s, Object value) {
    if (value instanceof Watermark w) {
      return "key="
          + w.key()
          + ",bits="
          + w.bits()
          + ",layer="
          + w.layer()
          + ",strength="
          + w.strength();
    }
    if (value instanceof DifferentialPrivacy dp) {
      return "l2_norm_clip="
          + dp.l2NormClip()
          + ",noise_multiplier="
          + dp.noiseMultiplier()
          + ",delta="
          + dp.delta()
          + ",sampling="
          + Setting.name(dp.sampling())
          + ",secure_noise="
          + dp.secureNoise();
    }
    return s.format(value);
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
  void everyKeyOfEveryLayerOptimizerScheduleRegularizerInitializerCallbackAndMetricHasItsReadmeRow()
      throws IOException {
    String readme = Files.readString(README);
    List<String> missing = new ArrayList<>();
    Map<String, Map<String, ? extends RecordSettings<?>>> kinds = new LinkedHashMap<>();
    kinds.put("layer", Layer.kinds());
    kinds.put("schedule", LearningRate.schedules());
    kinds.put("regularizer", Regularizer.kinds());
    kinds.put("initializer", Initializer.withArguments());
    kinds.put("optimizer", Configs.OPTIMIZERS);
    kinds.put("callback", Callbacks.kinds());
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
    // A metric's rows name it with its short name, if any: | `mean_absolute_error` (`mae`) | ...
    Metric.kinds()
        .forEach(
            (name, settings) -> {
              for (Setting<?> s : settings.own()) {
                boolean found =
                    readme
                        .lines()
                        .anyMatch(
                            l ->
                                l.startsWith("| `" + name + "`")
                                    && l.contains("| `" + s.key() + "` |"));
                if (!found) {
                  missing.add("metric " + name + "." + s.key());
                }
              }
            });
    assertEquals(List.of(), missing, "declared names and keys without a README row");
  }
}
