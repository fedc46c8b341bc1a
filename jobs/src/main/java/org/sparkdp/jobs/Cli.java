package org.sparkdp.jobs;

import java.io.PrintWriter;
import java.util.List;
import org.sparkdp.FitOptions;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.Setting;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The jobs' command lines, declared with picocli: {@code --help} for each command, a suggestion for
 * a mistyped option, and the shell completion script ({@code bin/sparkdp completion}). {@code
 * train} takes every fit setting as an option ({@code batch_size} is {@code --batch-size}), from
 * the settings' own declarations. A usage error is a {@link ConfigException} with one line (exit
 * code 2).
 */
final class Cli {
  /** Fit settings with no command-line option: {@code --verbose} means stack traces with errors. */
  private static final List<Setting<?>> NOT_ON_THE_COMMAND_LINE = List.of(FitOptions.VERBOSE);

  private final ParseResult result;

  private Cli(ParseResult result) {
    this.result = result;
  }

  /** {@code bin/sparkdp train}: a job file with command-line options laid over it. */
  static CommandSpec train() {
    CommandSpec spec =
        command(
            "train",
            "Train a model from a job file (YAML in Keras' vocabulary); options "
                + "override the file.");
    option(spec, "--config", "FILE", "the job file");
    option(
        spec,
        "--train",
        "PATH",
        "training data: .csv, .parquet, .libsvm, idx:IMAGES,LABELS or an IDX images file; or"
            + " table:NAME, query:SQL, FORMAT:PATH[?OPTION=VALUE&...] (delta, orc, json, ...)");
    option(spec, "--validation", "PATH", "validation data, in place of validation_split");
    option(spec, "--test", "PATH", "test data, evaluated after training");
    option(spec, "--output", "DIR", "the model directory (default: runs/train-TIME)");
    option(
        spec,
        "--model-from",
        "FILE",
        "a Keras model to train further: .keras (layers, weights, compile config) or JSON (layers)");
    option(spec, "--init-weights", "FILE", "an .npz of weights in Keras' layout to start from");
    flag(spec, "--resume", "continue from the newest checkpoint in OUTPUT/checkpoints");
    option(
        spec,
        "--sign-with",
        "KEY",
        "sign the model with this private key (bin/sparkdp keygen): a manifest of every file and"
            + " its signature, committed with the model");
    for (Setting<?> s : FitOptions.SETTINGS) {
      if (onCommandLine(s)) {
        option(
            spec,
            s.optionName(),
            label(s),
            s.doc().replace("`", "") + " (default: " + s.defaultText() + ")");
      }
    }
    return spec;
  }

  /** {@code bin/sparkdp keygen}. */
  static CommandSpec keygen() {
    CommandSpec spec =
        command("keygen", "Make an owner's Ed25519 key pair: STEM.key (private) and STEM.pub.");
    option(spec, "--out", "STEM", "where the two files go: STEM.key and STEM.pub");
    overwrite(spec, "existing STEM.key and STEM.pub (the old private key is lost)");
    return spec;
  }

  /** {@code bin/sparkdp sign}. */
  static CommandSpec sign() {
    CommandSpec spec =
        command(
            "sign",
            "Sign a model directory: a manifest of every file's SHA-256 and the provenance, and"
                + " its Ed25519 signature, committed with the files.");
    option(spec, "--model", "DIR", "the model directory");
    option(spec, "--key", "KEY", "the owner's private key (STEM.key of keygen)");
    overwrite(spec, "a manifest.json or manifest.sig in DIR that sign did not write");
    return spec;
  }

  /** {@code bin/sparkdp verify}. */
  static CommandSpec verify() {
    CommandSpec spec =
        command(
            "verify",
            "Check a model directory against its signed manifest: one line per file and one for"
                + " the signature; exit code 0 only when all match.");
    option(spec, "--model", "DIR", "the model directory");
    option(
        spec,
        "--public-key",
        "PUB",
        "the owner's public key (STEM.pub of keygen); without it, the signature is checked"
            + " against the key the manifest names, which proves integrity, not ownership");
    return spec;
  }

  /** {@code bin/sparkdp fingerprint}. */
  static CommandSpec fingerprint() {
    CommandSpec spec =
        command(
            "fingerprint",
            "The training data's fingerprint, as a model's provenance records it, from the data"
                + " alone.");
    // Also named --train, so that a job file's data.train gives way to it as to train's option.
    spec.addOption(
        OptionSpec.builder("--data", "--train")
            .paramLabel("PATH")
            .type(String.class)
            .description("the data, as for train's --train")
            .build());
    option(
        spec,
        "--config",
        "FILE",
        "a job file: its data.train (unless --data) and its first layer's input_dim");
    option(spec, "--label-column", "NAME", "the label column (default: label)");
    option(
        spec,
        "--input-dim",
        "N",
        "the number of features (needed for CSV and LibSVM without --config)");
    return spec;
  }

  /** {@code bin/sparkdp privacy}. */
  static CommandSpec privacy() {
    CommandSpec spec =
        command(
            "privacy",
            "The privacy a planned differentially private run spends (its epsilon at delta), or"
                + " with --target-epsilon the noise multiplier it needs; as train accounts it.");
    option(spec, "--epochs", "E", "epochs of the run");
    option(spec, "--batch-size", "B", "its batch size (the expected batch with Poisson sampling)");
    option(spec, "--rows", "N", "the training rows (after any validation_split)");
    option(spec, "--noise-multiplier", "S", "sigma: the noise's standard deviation over the clip");
    option(spec, "--target-epsilon", "E", "or the epsilon the run may spend: prints sigma");
    option(spec, "--delta", "D", "delta (default: 1e-5)");
    return spec;
  }

  /** {@code bin/sparkdp watermark-check}. */
  static CommandSpec watermarkCheck() {
    CommandSpec spec =
        command(
            "watermark-check",
            "Read the owner's watermark from a model's weights: the bit error rate, and the"
                + " probability that an unmarked model matches as well by chance.");
    option(spec, "--model", "DIR", "a model directory");
    option(spec, "--weights", "FILE", "or a weights file (.npz in Keras' layout) alone");
    option(spec, "--key", "KEY", "the owner's private key that the watermark was made with");
    option(
        spec,
        "--bits",
        "N",
        "the watermark's bits (default: as the model's training_config records, else 64)");
    option(
        spec,
        "--layer",
        "N",
        "the layer that carries it (default: as the model's training_config records, else 0)");
    option(
        spec,
        "--threshold",
        "P",
        "claim the watermark when the chance of so many matches is at most P (default: 1e-6)");
    return spec;
  }

  /** {@code bin/sparkdp evaluate}. */
  static CommandSpec evaluate() {
    CommandSpec spec =
        command("evaluate", "The loss and metrics of a saved model on labelled data.");
    option(spec, "--model", "DIR", "the model directory");
    option(spec, "--data", "PATH", "the data, as for train's --train");
    option(spec, "--label-column", "NAME", "the label column (default: label)");
    option(
        spec,
        "--output",
        "FILE",
        "also write the metrics (and a classifier's confusion matrix) as JSON");
    option(spec, "--plot", "FILE", "draw a classifier's confusion matrix into this PNG");
    overwrite(spec, "an existing --output or --plot that evaluate did not write");
    noManifestCheck(spec);
    return spec;
  }

  /** {@code bin/sparkdp predict}. */
  static CommandSpec predict() {
    CommandSpec spec = command("predict", "A saved model's outputs and predictions for every row.");
    option(spec, "--model", "DIR", "the model directory");
    option(spec, "--data", "PATH", "the data, as for train's --train");
    option(spec, "--label-column", "NAME", "a label column to keep beside the prediction");
    option(spec, "--output", "PATH", "where the predictions go (a new path)");
    option(
        spec,
        "--format",
        "FORMAT",
        "parquet (with the output vector) or csv (one column per output)");
    noManifestCheck(spec);
    return spec;
  }

  /**
   * A file that the command writes replaces an existing one of another kind only with this flag
   * (see {@link org.sparkdp.io.OutputFile}).
   */
  private static void overwrite(CommandSpec spec, String what) {
    flag(spec, "--overwrite", "replace " + what);
  }

  /**
   * A signed model that does not match its manifest is refused unless {@code --no-manifest-check}
   * is given; with {@code --require-signer}, any model but one its owner signed is refused.
   */
  private static void noManifestCheck(CommandSpec spec) {
    flag(
        spec,
        "--no-manifest-check",
        "load a signed model even if it does not match its manifest (see bin/sparkdp verify)");
    option(
        spec,
        "--require-signer",
        "PUB",
        "load the model only if the owner of this public key (STEM.pub of keygen) signed it and"
            + " it matches its manifest; an unsigned model, or one signed by another key, is"
            + " refused");
  }

  /** {@code bin/sparkdp export}. */
  static CommandSpec export() {
    CommandSpec spec =
        command("export", "A saved model as a Keras 3 .keras file or an ONNX model.");
    option(spec, "--model", "DIR", "the model directory");
    option(spec, "--format", "FORMAT", "keras (Keras 3's .keras) or onnx (opset 17)");
    option(spec, "--output", "FILE", "the file to write");
    overwrite(spec, "an existing --output that is not an earlier export of the same format");
    return spec;
  }

  /** Whether {@code train} takes the fit setting {@code s} as an option. */
  static boolean onCommandLine(Setting<?> s) {
    return !NOT_ON_THE_COMMAND_LINE.contains(s);
  }

  /**
   * What an option's value looks like: {@code N}, {@code X}, or the choices ({@code sync|local}).
   */
  private static String label(Setting<?> s) {
    if (s.expectation().startsWith("one of [")) {
      return s.expectation()
          .substring("one of [".length(), s.expectation().length() - 1)
          .replace(", ", "|");
    }
    if (s == FitOptions.WATERMARK) {
      return "KEY|key=KEY,bits=N,layer=N,strength=X";
    }
    if (s == FitOptions.DIFFERENTIAL_PRIVACY) {
      return "l2_norm_clip=C,noise_multiplier=S|target_epsilon=E[,delta=D,sampling=poisson|shuffle,"
          + "secure_noise=true]";
    }
    if (s == FitOptions.CLASS_WEIGHT) {
      return "CLASS:WEIGHT,...";
    }
    if (s == FitOptions.CALLBACKS) {
      return "JSON";
    }
    if (s.expectation().equals("a text")) {
      return "NAME";
    }
    return s.defaultValue() instanceof Double ? "X" : s == FitOptions.BATCH_SIZE ? "N|all" : "N";
  }

  private static CommandSpec command(String name, String description) {
    CommandSpec spec = CommandSpec.create().name("sparkdp " + name);
    spec.usageMessage().description(description);
    spec.addOption(
        OptionSpec.builder("--help", "-h").usageHelp(true).description("show this help").build());
    flag(spec, "--verbose", "print stack traces with errors");
    return spec;
  }

  private static void option(CommandSpec spec, String name, String label, String description) {
    spec.addOption(
        OptionSpec.builder(name)
            .paramLabel(label)
            .type(String.class)
            .description(description)
            .build());
  }

  private static void flag(CommandSpec spec, String name, String description) {
    spec.addOption(
        OptionSpec.builder(name).arity("0").type(boolean.class).description(description).build());
  }

  /**
   * Parses {@code args} for {@code spec}; {@code null} when help was asked for (and printed to
   * standard output).
   *
   * @throws ConfigException naming the bad option, with picocli's suggestion for a mistyped one
   */
  static Cli parse(CommandSpec spec, String[] args) {
    // As spark-submit does, a repeated option takes its last value.
    CommandLine line = new CommandLine(spec).setOverwrittenOptionsAllowed(true);
    ParseResult result;
    try {
      result = line.parseArgs(args);
    } catch (CommandLine.UnmatchedArgumentException e) {
      List<String> suggestions = e.getSuggestions();
      String first = e.getUnmatched().isEmpty() ? "?" : e.getUnmatched().get(0);
      throw new ConfigException(
          (first.startsWith("-") ? "unknown option" : "unexpected argument")
              + " '"
              + first
              + "'"
              + (suggestions.isEmpty()
                  ? ""
                  : " (did you mean " + String.join(" or ", suggestions) + "?)")
              + "; see "
              + spec.name()
              + " --help");
    } catch (CommandLine.ParameterException e) {
      throw new ConfigException(e.getMessage() + "; see " + spec.name() + " --help");
    }
    if (result.isUsageHelpRequested()) {
      line.usage(new PrintWriter(System.out, true));
      return null;
    }
    return new Cli(result);
  }

  /** The bash completion script for {@code bin/sparkdp} and its commands. */
  static String completion() {
    CommandLine root = new CommandLine(CommandSpec.create().name("sparkdp"));
    for (CommandSpec job : List.of(train(), evaluate(), predict(), fingerprint(), export())) {
      CommandSpec sub = job.name(job.name().substring("sparkdp ".length()));
      if (!sub.name().equals("export")) {
        // Export runs without Spark.
        sub.addOption(OptionSpec.builder("--master").paramLabel("URL").type(String.class).build());
        sub.addOption(
            OptionSpec.builder("--conf").paramLabel("KEY=VALUE").type(String.class).build());
      }
      root.addSubcommand(sub.name(), new CommandLine(sub));
    }
    for (CommandSpec plain : List.of(keygen(), sign(), verify(), watermarkCheck(), privacy())) {
      CommandSpec sub = plain.name(plain.name().substring("sparkdp ".length()));
      root.addSubcommand(sub.name(), new CommandLine(sub));
    }
    for (String other :
        List.of(
            "quickstart",
            "bench",
            "setup",
            "spark-home",
            "class-archive",
            "test",
            "completion",
            "help")) {
      root.addSubcommand(other, new CommandLine(CommandSpec.create().name(other)));
    }
    return picocli.AutoComplete.bash("sparkdp", root);
  }

  String get(String name) {
    return result.matchedOptionValue(name, null);
  }

  boolean has(String name) {
    return result.hasMatchedOption(name);
  }

  boolean flag(String name) {
    return result.matchedOptionValue(name, false);
  }

  String require(String name) {
    String v = get(name);
    if (v == null || v.isBlank()) {
      throw new ConfigException(
          "option " + name + " is required; see " + result.commandSpec().name() + " --help");
    }
    return v;
  }
}
