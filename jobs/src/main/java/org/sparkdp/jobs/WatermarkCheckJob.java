package org.sparkdp.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.PrivateKey;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.io.HadoopFiles;
import org.sparkdp.io.Keys;
import org.sparkdp.io.OutputSet;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.Npz;
import org.sparkdp.ops.Watermark;
import org.sparkdp.ops.WatermarkEmbedding;

/**
 * {@code bin/sparkdp watermark-check --model DIR | --weights FILE.npz --key STEM.key}: reads the
 * owner's bits from the chosen layer's kernel and reports the bit error rate, the probability that
 * an unmarked model matches at least as many bits by chance (the tail of Binomial(bits, 1/2)), the
 * threshold, and the verdict. Exit code 0 when the watermark is shown (the chance is at most the
 * threshold), 1 when it is not.
 *
 * <p>It reads the weights as they are, with no check of hashes or signatures: a copied and
 * fine-tuned model is exactly what it is for.
 */
public final class WatermarkCheckJob {
  static final double DEFAULT_THRESHOLD = 1e-6;
  private static final long MAX_WEIGHTS_BYTES = 2_000_000_000L;

  private WatermarkCheckJob() {}

  public static void main(String[] args) {
    JobRunner.main("watermark-check", args, WatermarkCheckJob::run);
  }

  static int run(String[] args) throws Exception {
    Cli cli = Cli.parse(Cli.watermarkCheck(), args);
    if (cli == null) {
      return 0;
    }
    if (cli.has("--model") == cli.has("--weights")) {
      throw new ConfigException(
          "give one of --model DIR and --weights FILE.npz; see sparkdp watermark-check --help");
    }
    String keyFile = cli.require("--key");
    PrivateKey key = Keys.readPrivate(keyFile, "--key " + keyFile);
    double threshold =
        cli.has("--threshold") ? probability(cli.get("--threshold")) : DEFAULT_THRESHOLD;
    Configuration conf = JobRunner.hadoopConf();
    String weightsPath;
    JsonNode recorded = null;
    ModelSpec spec = null;
    if (cli.has("--model")) {
      String dir = cli.get("--model");
      OutputSet.Committed set = committed(dir, conf);
      String jsonPath = resolve(dir, ModelFile.MODEL_JSON, set);
      ModelFile.Saved saved =
          ModelFile.parse(HadoopFiles.read(jsonPath, conf, 64L << 20), jsonPath);
      recorded = saved.json().path("training_config").path("watermark");
      spec = saved.spec();
      weightsPath = resolve(dir, ModelFile.WEIGHTS, set);
    } else {
      weightsPath = cli.get("--weights");
    }
    int bits =
        cli.has("--bits")
            ? Watermark.BITS.convert(cli.get("--bits"), "--bits")
            : recorded != null && recorded.has("bits")
                ? recorded.get("bits").asInt()
                : Watermark.BITS.defaultValue();
    int layer =
        cli.has("--layer")
            ? Watermark.LAYER.convert(cli.get("--layer"), "--layer")
            : recorded != null && recorded.has("layer")
                ? recorded.get("layer").asInt()
                : Watermark.LAYER.defaultValue();

    byte[] bytes = HadoopFiles.read(weightsPath, conf, MAX_WEIGHTS_BYTES);
    if (spec != null && layer >= spec.layers().size()) {
      throw new ConfigException(
          "--layer "
              + layer
              + ": the model's layers are numbered 0 to "
              + (spec.layers().size() - 1));
    }
    // Weights alone do not say which layer is which: name the kernel as a model of Dense layers
    // does (layer 0, the default, is always "dense").
    String kernelName =
        (spec != null ? spec.names().get(layer) : layer == 0 ? "dense" : "dense_" + layer)
            + "/kernel";
    Map<String, int[]> shapes = Npz.shapes(new ByteArrayInputStream(bytes), weightsPath);
    int[] shape = shapes.get(kernelName);
    if (shape == null || shape.length != 2) {
      throw new ConfigException(
          "--layer "
              + layer
              + ": "
              + weightsPath
              + " has no 2-d array "
              + kernelName
              + " (it has "
              + String.join(", ", shapes.keySet())
              + ")");
    }
    float[] kernel = Npz.read(new ByteArrayInputStream(bytes), shapes, weightsPath).get(kernelName);
    WatermarkEmbedding mark =
        WatermarkEmbedding.derive(
            Keys.watermarkSecret(key),
            bits,
            layer,
            shape[0],
            shape[1],
            0,
            Watermark.STRENGTH.defaultValue());
    int errors = mark.bitErrors(kernel, 0);
    int matches = bits - errors;
    double chance = WatermarkEmbedding.chance(bits, matches);
    int needed = WatermarkEmbedding.matchesNeeded(bits, threshold);
    boolean shown = chance <= threshold;
    System.out.printf(
        Locale.ROOT,
        "weights: %s, %s [%d, %d]; key %s; %d bits%n",
        weightsPath,
        kernelName,
        shape[0],
        shape[1],
        Keys.keyId(Keys.publicOf(key)),
        bits);
    System.out.printf(
        Locale.ROOT,
        "bit errors: %d of %d (bit error rate %.1f%%)%n",
        errors,
        bits,
        100.0 * errors / bits);
    System.out.printf(
        Locale.ROOT,
        "chance: %.3g, the probability that an unmarked model matches %d or more of %d bits"
            + " (Binomial(%d, 1/2))%n",
        chance,
        matches,
        bits,
        bits);
    System.out.printf(
        Locale.ROOT,
        "threshold: %.3g (the watermark is claimed at %s)%n",
        threshold,
        needed > bits
            ? "no number of matches: too few bits for this threshold"
            : needed + " or more matching bits, at most " + (bits - needed) + " bit errors");
    System.out.println(
        shown
            ? "verdict: the watermark is present: these weights derive from a model marked with"
                + " this key"
            : "verdict: not shown: the bits match no better than an unmarked model's could");
    return shown ? 0 : 1;
  }

  private static OutputSet.Committed committed(String dir, Configuration conf) {
    try {
      return OutputSet.committed(dir, conf);
    } catch (IOException e) {
      return null; // a damaged record: read the directory's files as they are
    }
  }

  private static String resolve(String dir, String name, OutputSet.Committed set) {
    return set != null && set.file(name) != null ? set.file(name).path() : dir + "/" + name;
  }

  private static double probability(String text) {
    try {
      double p = Double.parseDouble(text.trim());
      if (p > 0 && p < 1) {
        return p;
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw new ConfigException("--threshold: must be a probability in (0, 1), got '" + text + "'");
  }
}
