package org.sparkdp.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code MODEL_CARD.md}: a model card in the sections of Mitchell et al., "Model Cards for Model
 * Reporting" (2019), written beside every model from what the model's files record: {@code
 * model.json} (topology, compile and fit settings, provenance and the job's {@code metadata}), and,
 * when the run wrote them, {@code history.json} (the training curves), {@code test-metrics.json}
 * and {@code test-per-class.json} (each class's precision and recall on the test data, and the
 * confusion matrix). What the files cannot tell (intended use, factors, ethical considerations) is
 * taken from {@code metadata} keys of the same names, or marked as not stated ({@code class_names},
 * a list, names the classes of the per-class tables).
 */
public final class ModelCard {
  public static final String FILE = "MODEL_CARD.md";

  /**
   * The per-class results on the test data: {@code {"classes": [{"class", "support", "predicted",
   * "precision", "recall", "f1"}], "confusion_matrix": [[...]]}}, rows the true class.
   */
  public static final String PER_CLASS = "test-per-class.json";

  /** The {@code metadata} keys the card puts in its sections; any others are listed as given. */
  static final List<String> METADATA_KEYS =
      List.of(
          "description",
          "owner",
          "contact",
          "version",
          "license",
          "citation",
          "intended_use",
          "out_of_scope_uses",
          "factors",
          "ethical_considerations",
          "caveats",
          "class_names");

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelCard() {}

  /**
   * The card of the model whose {@code model.json} tree is {@code model}, with the run's other
   * {@code files} (name to content); {@code signer} is the key id that signs the set, or {@code
   * null}.
   */
  public static byte[] markdown(JsonNode model, Map<String, byte[]> files, String signer) {
    JsonNode provenance = model.path("provenance");
    JsonNode metadata = provenance.path("metadata");
    JsonNode training = model.path("training_config");
    StringBuilder md = new StringBuilder();
    String title = text(metadata, "name", "Model card");
    md.append("# ").append(title).append("\n\n");
    if (metadata.hasNonNull("description")) {
      md.append(metadata.get("description").asText()).append("\n\n");
    }
    md.append(
        "Written by sparkdp from the model's files; the sections are those of Mitchell et al.,"
            + " \"Model Cards for Model Reporting\" (2019).\n\n");

    md.append("## Model details\n\n");
    item(md, "Owner", text(metadata, "owner", null));
    item(md, "Contact", text(metadata, "contact", null));
    item(md, "Version", text(metadata, "version", null));
    item(md, "License", text(metadata, "license", null));
    item(md, "Citation", text(metadata, "citation", null));
    item(md, "Made", made(provenance));
    item(md, "Type", architecture(model));
    item(md, "Training", trainingText(model, training));
    item(md, "Code", code(provenance.path("code")));
    item(
        md,
        "Configuration",
        provenance.path("job").hasNonNull("config_sha256")
            ? "the job's resolved configuration, SHA-256 `"
                + provenance.path("job").path("config_sha256").asText()
                + "` (recorded in model.json)"
            : null);
    item(md, "Continues from", predecessors(provenance.path("predecessors")));
    item(
        md,
        "Signed",
        signer == null
            ? "no (`bin/sparkdp sign --model DIR --key KEY` signs it)"
            : "by key `"
                + signer
                + "`: `manifest.json` lists every file's SHA-256 and `manifest.sig` signs it"
                + " (`bin/sparkdp verify --model DIR --public-key KEY.pub`)");
    JsonNode watermark = training.path("watermark");
    item(
        md,
        "Watermark",
        watermark.isObject()
            ? watermark.path("bits").asText()
                + " bits in the kernel of layer "
                + watermark.path("layer").asText()
                + " (checked with `bin/sparkdp watermark-check` and the owner's key)"
            : null);
    md.append('\n');

    md.append("## Intended use\n\n");
    paragraph(md, "Primary uses", metadata, "intended_use");
    paragraph(md, "Out of scope", metadata, "out_of_scope_uses");

    md.append("## Factors\n\n");
    paragraph(md, null, metadata, "factors");

    JsonNode test = json(files.get("test-metrics.json"));
    JsonNode perClass = json(files.get(PER_CLASS));
    md.append("## Metrics\n\n");
    md.append("- Loss: `")
        .append(model.path("compile_config").path("loss").asText())
        .append("`, the loss the model was trained on, averaged over the examples.\n");
    if (model.path("compile_config").path("metrics").toString().contains("accuracy")) {
      md.append("- Accuracy: the share of examples whose predicted class")
          .append(" (the largest output, or an output above 0.5 for one unit) is the label.\n");
    }
    if (perClass != null) {
      md.append("- Per class on the test data: precision (of the examples predicted as the class,")
          .append(" the share that are), recall (of the examples of the class, the share")
          .append(" predicted as it) and F1, their harmonic mean.\n");
    }
    md.append('\n');

    md.append("## Evaluation data\n\n");
    JsonNode testSource = provenance.path("job").path("config").path("data").path("test");
    if (test == null) {
      md.append("No test data was given; the metrics below are on the training")
          .append(" and validation data only.\n\n");
    } else {
      md.append(
          "The test data: "
              + (testSource.isMissingNode() ? "as given to the run" : source(testSource))
              + (perClass == null ? "" : ", " + supportTotal(perClass) + " examples")
              + ".\n\n");
    }

    md.append("## Training data\n\n");
    JsonNode train = provenance.path("data").path("train");
    if (train.isMissingNode()) {
      md.append("Not recorded (the model was not trained by sparkdp's `fit`).\n\n");
    } else {
      md.append("- ").append(train.path("name").asText()).append(": ");
      md.append(train.path("rows").asLong()).append(" rows trained on");
      if (train.hasNonNull("validation_rows")) {
        md.append(", ")
            .append(train.path("validation_rows").asLong())
            .append(" more held out for validation (`validation_split`)");
      }
      md.append(".\n- Fingerprint `")
          .append(train.path("fingerprint").asText())
          .append("`: an order-independent hash of every row's position, features and label;")
          .append(" `bin/sparkdp fingerprint --data PATH` computes it again from the data.\n");
      for (JsonNode v : train.path("source").path("versions")) {
        md.append("- Read from ")
            .append(v.path("format").asText())
            .append(" table `")
            .append(v.path("location").asText())
            .append("` at version ")
            .append(v.path("version").asLong())
            .append(".\n");
      }
      JsonNode validation = provenance.path("data").path("validation");
      if (!validation.isMissingNode()) {
        md.append("- Validation: ")
            .append(validation.path("name").asText())
            .append(", ")
            .append(validation.path("rows").asLong())
            .append(" rows, fingerprint `")
            .append(validation.path("fingerprint").asText())
            .append("`.\n");
      }
      JsonNode privacy = provenance.path("privacy");
      if (privacy.isObject()) {
        md.append("- Differential privacy: trained with DP-SGD, (")
            .append(number(privacy.path("epsilon")))
            .append(", ")
            .append(org.sparkdp.ops.Setting.formatNumber(privacy.path("delta").asDouble()))
            .append(")-differentially private with respect to any one row (")
            .append(privacy.path("steps").asLong())
            .append(" steps, each example's gradient clipped to ")
            .append(number(privacy.path("l2_norm_clip")))
            .append(", noise multiplier ")
            .append(number(privacy.path("noise_multiplier")))
            .append(", ")
            .append(privacy.path("sampling").asText())
            .append(" sampling at rate ")
            .append(number(privacy.path("sample_rate")))
            .append(", accounted by the ")
            .append(privacy.path("accountant").asText().toUpperCase(java.util.Locale.ROOT))
            .append(" accountant")
            .append(
                "shuffle".equals(privacy.path("sampling").asText())
                    ? ", which assumes Poisson sampling"
                    : "")
            .append(privacy.path("secure_noise").asBoolean() ? "; noise from SecureRandom" : "")
            .append(
                "). The training metrics in this card are computed on the private data without noise,"
                    + " and are not covered by it.\n");
      }
      md.append('\n');
    }

    md.append("## Quantitative analyses\n\n");
    JsonNode finals = provenance.path("final_metrics");
    if (finals.isObject() && finals.size() > 0) {
      md.append("| metric | value |\n| --- | --- |\n");
      finals.fields().forEachRemaining(e -> row(md, e.getKey(), number(e.getValue())));
      md.append('\n');
    }
    if (perClass != null) {
      perClassTables(md, perClass, metadata.path("class_names"));
    }
    JsonNode history = json(files.get("history.json"));
    if (history != null) {
      curves(md, history, files.containsKey("learning-curves.png"));
    }

    md.append("## Ethical considerations\n\n");
    paragraph(md, null, metadata, "ethical_considerations");

    md.append("## Caveats and recommendations\n\n");
    paragraph(md, null, metadata, "caveats");
    if (training.path("validation_split").asDouble(0) > 0) {
      md.append("- The validation data is the last ")
          .append(number(training.path("validation_split")))
          .append(" of the training data, taken before shuffling, as Keras takes it.\n");
    }
    if ("local".equals(training.path("strategy").asText())) {
      md.append("- Trained with `local` SGD, whose result depends on the partitioning.\n");
    }
    md.append("- The metrics are those of this data; they say nothing of data unlike it.\n\n");

    List<String> others = new ArrayList<>();
    for (Iterator<String> it = metadata.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!METADATA_KEYS.contains(key) && !key.equals("name")) {
        others.add(key);
      }
    }
    if (!others.isEmpty()) {
      md.append("## Other metadata\n\n");
      for (String key : others) {
        item(md, key, text(metadata, key, null));
      }
      md.append('\n');
    }
    return md.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String made(JsonNode provenance) {
    if (!provenance.hasNonNull("created_at")) {
      return null;
    }
    JsonNode platform = provenance.path("platform");
    return provenance.path("created_at").asText()
        + (provenance.hasNonNull("created_by")
            ? " by " + provenance.get("created_by").asText()
            : "")
        + (platform.isObject()
            ? String.format(
                Locale.ROOT,
                ", sparkdp %s on Spark %s (%s), Java %s, BLAS %s",
                platform.path("sparkdp_version").asText(),
                platform.path("spark_version").asText(),
                platform.path("spark_master").asText(),
                platform.path("java_version").asText(),
                platform.path("blas").asText())
            : "");
  }

  private static String architecture(JsonNode model) {
    StringBuilder s = new StringBuilder("Sequential neural network: ");
    JsonNode layers = model.path("config").path("layers");
    for (int i = 0; i < layers.size(); i++) {
      JsonNode c = layers.get(i).path("config");
      if (i > 0) {
        s.append(", ");
      }
      s.append(layers.get(i).path("class_name").asText())
          .append('(')
          .append(c.path("units").asText())
          .append(", ")
          .append(c.path("activation").asText());
      if (c.has("input_dim")) {
        s.append(", input ").append(c.path("input_dim").asText());
      }
      s.append(')');
    }
    return s.toString();
  }

  private static String trainingText(JsonNode model, JsonNode training) {
    JsonNode compile = model.path("compile_config");
    return String.format(
        Locale.ROOT,
        "%s (learning rate %s), loss %s; %s epochs of batch %s, strategy %s, seed %s",
        compile.path("optimizer").path("type").asText(),
        number(compile.path("optimizer").path("learning_rate")),
        compile.path("loss").asText(),
        training.path("epochs").asText("?"),
        training.path("batch_size").asText("?"),
        training.path("strategy").asText("?"),
        training.path("seed").asText("?"));
  }

  private static String code(JsonNode code) {
    if (!code.isObject()) {
      return null;
    }
    StringBuilder s = new StringBuilder("sparkdp ").append(code.path("version").asText());
    for (JsonNode jar : code.path("jars")) {
      s.append("; `").append(jar.path("name").asText()).append('`');
      if (jar.hasNonNull("sha256")) {
        s.append(" SHA-256 `").append(jar.path("sha256").asText()).append('`');
      }
    }
    return s.toString();
  }

  private static String predecessors(JsonNode list) {
    if (!list.isArray() || list.isEmpty()) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    for (JsonNode p : list) {
      String kind = p.path("kind").asText();
      String text = kind + " `" + p.path("path").asText() + "`";
      if (p.hasNonNull("epoch")) {
        text += " (epoch " + p.path("epoch").asText() + ", step " + p.path("step").asText() + ")";
      }
      if (p.hasNonNull("created_at")) {
        text += " (made " + p.path("created_at").asText() + ")";
      }
      parts.add(text);
    }
    return String.join("; ", parts) + " (their SHA-256 are in model.json)";
  }

  private static void perClassTables(StringBuilder md, JsonNode perClass, JsonNode names) {
    md.append("Per class, on the test data:\n\n");
    md.append("| class | examples | predicted | precision | recall | F1 |\n");
    md.append("| --- | --- | --- | --- | --- | --- |\n");
    for (JsonNode c : perClass.path("classes")) {
      int k = c.path("class").asInt();
      row(
          md,
          k + (names.path(k).isTextual() ? " (" + names.path(k).asText() + ")" : ""),
          c.path("support").asText(),
          c.path("predicted").asText(),
          number(c.path("precision")),
          number(c.path("recall")),
          number(c.path("f1")));
    }
    md.append('\n');
    JsonNode matrix = perClass.path("confusion_matrix");
    if (matrix.isArray() && !matrix.isEmpty()) {
      md.append("Confusion matrix (rows: the true class, columns: the predicted one):\n\n");
      List<String> header = new ArrayList<>(List.of("true \\ predicted"));
      for (int k = 0; k < matrix.size(); k++) {
        header.add(String.valueOf(k));
      }
      md.append("| ").append(String.join(" | ", header)).append(" |\n|");
      md.append(" --- |".repeat(header.size())).append('\n');
      for (int r = 0; r < matrix.size(); r++) {
        List<String> cells = new ArrayList<>(List.of(String.valueOf(r)));
        matrix.get(r).forEach(v -> cells.add(v.asText()));
        row(md, cells.toArray(new String[0]));
      }
      md.append('\n');
    }
  }

  private static void curves(StringBuilder md, JsonNode history, boolean plot) {
    List<String> keys = new ArrayList<>();
    history.fieldNames().forEachRemaining(keys::add);
    keys.remove("epoch_seconds");
    if (keys.isEmpty()) {
      return;
    }
    md.append("Training curves, per epoch");
    md.append(plot ? " (plotted in [learning-curves.png](learning-curves.png)):\n\n" : ":\n\n");
    List<String> header = new ArrayList<>(List.of("epoch"));
    header.addAll(keys);
    md.append("| ").append(String.join(" | ", header)).append(" |\n|");
    md.append(" --- |".repeat(header.size())).append('\n');
    int epochs = history.path(keys.get(0)).size();
    for (int e = 0; e < epochs; e++) {
      List<String> cells = new ArrayList<>(List.of(String.valueOf(e + 1)));
      for (String k : keys) {
        cells.add(number(history.path(k).path(e)));
      }
      row(md, cells.toArray(new String[0]));
    }
    md.append('\n');
  }

  private static long supportTotal(JsonNode perClass) {
    long total = 0;
    for (JsonNode c : perClass.path("classes")) {
      total += c.path("support").asLong();
    }
    return total;
  }

  private static String source(JsonNode source) {
    if (source.isTextual()) {
      return "`" + source.asText() + "`";
    }
    Set<String> fileKeys = Set.of("path", "images", "labels");
    List<String> parts = new ArrayList<>();
    source
        .fields()
        .forEachRemaining(
            e ->
                parts.add(
                    e.getKey()
                        + " "
                        + (fileKeys.contains(e.getKey())
                            ? "`" + e.getValue().asText() + "`"
                            : e.getValue().asText())));
    return String.join(", ", parts);
  }

  /**
   * Four significant digits, as a person writes them: {@code 0.001}, {@code 0.8717}, {@code 12}.
   */
  private static String number(JsonNode v) {
    if (!v.isNumber()) {
      return v.asText("");
    }
    double d = v.asDouble();
    if (d == Math.rint(d) && Math.abs(d) < 1e9) {
      return String.valueOf((long) d);
    }
    if (!Double.isFinite(d) || Math.abs(d) < 1e-4 || Math.abs(d) >= 1e9) {
      return String.format(Locale.ROOT, "%.3e", d);
    }
    return new java.math.BigDecimal(d)
        .round(new java.math.MathContext(4))
        .stripTrailingZeros()
        .toPlainString();
  }

  private static String text(JsonNode metadata, String key, String otherwise) {
    JsonNode v = metadata.path(key);
    if (v.isMissingNode() || v.isNull()) {
      return otherwise;
    }
    return v.isValueNode() ? v.asText() : v.toString();
  }

  private static void item(StringBuilder md, String label, String value) {
    if (value != null) {
      md.append("- **").append(label).append("**: ").append(value).append('\n');
    }
  }

  /** The {@code metadata} key's text, or a note of where to state it. */
  private static void paragraph(StringBuilder md, String label, JsonNode metadata, String key) {
    String text = text(metadata, key, "Not stated (`metadata." + key + "` in the job file).");
    md.append(label == null ? "" : "**" + label + "**: ").append(text).append("\n\n");
  }

  private static void row(StringBuilder md, String... cells) {
    md.append("| ");
    for (int i = 0; i < cells.length; i++) {
      md.append(i == 0 ? "" : " | ").append(cells[i].replace("|", "\\|"));
    }
    md.append(" |\n");
  }

  private static JsonNode json(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      return null;
    }
  }
}
