package org.sparkdp.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.ops.ModelSpec;

/**
 * Model directories on any Hadoop file system: {@code model.json} and {@code weights.npz}, which
 * {@code model.json} names by its SHA-256, committed as one {@link OutputSet} with whatever other
 * files the run adds (history, plots, metrics), the {@link ModelCard} and, for a signed model, its
 * {@link Manifest}. Loading checks a signed model against its manifest, reads the committed set (or
 * a plain directory of the two files), checks every file against its recorded hash, and the
 * topology and shapes before reading any weights.
 */
public final class ModelStore {
  /**
   * Model files above this size are refused rather than read (a model of 500M float parameters).
   */
  static final long MAX_WEIGHTS_BYTES = 2_000_000_000L;

  private static final long MAX_MODEL_JSON_BYTES = 64L << 20;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelStore.class);

  private ModelStore() {}

  /** A model read from a directory, with its parameters. */
  public record Loaded(ModelFile.Saved saved, float[] params) {}

  /**
   * Writes {@code dir/weights.npz}, {@code dir/model.json} and the {@code files} beside them (name
   * to content) as one committed set; returns the weights' SHA-256. A failure or a crash at any
   * point leaves the directory's previous set whole, or the new one.
   */
  public static String save(
      String dir,
      Configuration conf,
      ModelSpec spec,
      CompileConfig compile,
      int labelWidth,
      float[] params,
      JsonNode training,
      JsonNode provenance,
      Map<String, byte[]> files)
      throws IOException {
    return save(dir, conf, spec, compile, labelWidth, params, training, provenance, files, null);
  }

  /**
   * As {@link #save(String, Configuration, ModelSpec, CompileConfig, int, float[], JsonNode,
   * JsonNode, Map)}, with a {@link ModelCard} (unless {@code files} has one) and, when {@code
   * signWith} is not {@code null}, the {@link Manifest} of all the set's files and its signature,
   * committed in the same set.
   */
  public static String save(
      String dir,
      Configuration conf,
      ModelSpec spec,
      CompileConfig compile,
      int labelWidth,
      float[] params,
      JsonNode training,
      JsonNode provenance,
      Map<String, byte[]> files,
      PrivateKey signWith)
      throws IOException {
    byte[] weights = ModelFile.weightsBytes(spec, params);
    String sha = ModelFile.sha256(weights);
    ObjectNode model = ModelFile.modelJson(spec, compile, labelWidth, sha, training, provenance);
    byte[] json = ModelFile.toBytes(model);
    Map<String, byte[]> all = new LinkedHashMap<>();
    all.put(ModelFile.WEIGHTS, weights);
    all.put(ModelFile.MODEL_JSON, json);
    all.putAll(files);
    String signer = signWith == null ? null : Keys.keyId(Keys.publicOf(signWith));
    all.computeIfAbsent(ModelCard.FILE, name -> ModelCard.markdown(model, files, signer));
    Manifest.Signed signed = null;
    if (signWith != null) {
      Map<String, Manifest.Entry> entries = new LinkedHashMap<>();
      all.forEach((name, bytes) -> entries.put(name, Manifest.Entry.of(bytes)));
      signed = Manifest.sign(entries, model.get("provenance"), signWith);
    }
    try (OutputSet set = OutputSet.begin(dir, conf)) {
      for (Map.Entry<String, byte[]> f : all.entrySet()) {
        set.add(f.getKey(), f.getValue());
      }
      if (signed != null) {
        set.add(Manifest.FILE, signed.manifest());
        set.add(Manifest.SIGNATURE, signed.signature());
      }
      set.commit();
    }
    return sha;
  }

  /**
   * Reads a model directory: the files of its committed set (or, in a plain directory, {@code
   * model.json} and {@code weights.npz}), each checked against the set's record, the shapes against
   * the topology, and the weights against the SHA-256 in {@code model.json}.
   */
  public static Loaded load(String dir, Configuration conf) throws IOException {
    return load(dir, conf, true);
  }

  /**
   * As {@link #load(String, Configuration)}; with {@code checkManifest}, a directory with a {@link
   * Manifest} must match it (every file, none added, a valid signature by the key it names), or it
   * is refused naming the first file at fault.
   */
  public static Loaded load(String dir, Configuration conf, boolean checkManifest)
      throws IOException {
    if (checkManifest) {
      checkManifest(dir, conf);
    }
    return read(dir, conf, null);
  }

  /**
   * As {@link #load(String, Configuration)}, for a deployment that takes only its owner's models:
   * the model must be signed by {@code requireSigner} and match its manifest (every file, none
   * added), or it is refused with one line that says why (not signed, no signature, signed by
   * another key or altered, naming the file). The {@code model.json} read is checked against the
   * manifest too, and the weights against {@code model.json}, so a file swapped after the check is
   * refused as well.
   */
  public static Loaded load(String dir, Configuration conf, PublicKey requireSigner)
      throws IOException {
    Manifest.Report report = Manifest.verify(dir, conf, requireSigner);
    if (!report.ok()) {
      Manifest.Finding problem = report.firstProblem();
      throw new IOException(
          dir
              + ": refused: not a model signed by the required signer "
              + Keys.keyId(requireSigner)
              + ": "
              + (!report.signed() || problem == null
                  ? "the model is not signed (no " + Manifest.FILE + ")"
                  : problem.line()));
    }
    return read(dir, conf, report.listed());
  }

  /**
   * Reads the model in {@code dir}; with {@code signed}, the files a manifest lists, its {@code
   * model.json} must be as listed.
   */
  private static Loaded read(String dir, Configuration conf, Map<String, Manifest.Entry> signed)
      throws IOException {
    OutputSet.Committed set = OutputSet.committed(dir, conf);
    if (set != null && set.file(ModelFile.MODEL_JSON) == null) {
      throw new java.io.FileNotFoundException(
          dir + " holds no model: the set committed there has no " + ModelFile.MODEL_JSON);
    }
    String jsonPath =
        set != null ? set.file(ModelFile.MODEL_JSON).path() : dir + "/" + ModelFile.MODEL_JSON;
    byte[] jsonBytes = read(set, ModelFile.MODEL_JSON, jsonPath, conf, MAX_MODEL_JSON_BYTES);
    if (signed != null && !Manifest.Entry.of(jsonBytes).equals(signed.get(ModelFile.MODEL_JSON))) {
      throw new IOException(
          jsonPath
              + ": not the "
              + ModelFile.MODEL_JSON
              + " the manifest lists (changed as it was read)");
    }
    ModelFile.Saved saved = ModelFile.parse(jsonBytes, jsonPath);
    if (saved.weightsSha256().isEmpty()) {
      throw new IOException(
          jsonPath
              + ": records no SHA-256 of its weights (weights.sha256), so they cannot be "
              + "checked");
    }
    String weightsPath =
        set != null && set.file(ModelFile.WEIGHTS) != null
            ? set.file(ModelFile.WEIGHTS).path()
            : dir + "/" + ModelFile.WEIGHTS;
    byte[] weights =
        read(set, ModelFile.WEIGHTS, weightsPath, conf, expectedWeightsBytes(saved.spec()));
    String sha = ModelFile.sha256(weights);
    if (!saved.weightsSha256().equals(sha)) {
      throw new IOException(
          weightsPath
              + ": SHA-256 "
              + sha
              + " differs from the "
              + saved.weightsSha256()
              + " recorded in model.json (the file was altered or truncated)");
    }
    float[] params =
        ModelFile.readWeights(saved.spec(), new ByteArrayInputStream(weights), weightsPath);
    return new Loaded(saved, params);
  }

  /**
   * The model in {@code dir} as a predecessor of another (its files' SHA-256 and when it was made),
   * followed by its own predecessors; empty when {@code dir} holds no readable model.
   */
  public static List<Provenance.Predecessor> lineage(String dir, Configuration conf) {
    try {
      OutputSet.Committed set = OutputSet.committed(dir, conf);
      String jsonPath =
          set != null && set.file(ModelFile.MODEL_JSON) != null
              ? set.file(ModelFile.MODEL_JSON).path()
              : dir + "/" + ModelFile.MODEL_JSON;
      if (!HadoopFiles.exists(jsonPath, conf)) {
        return List.of();
      }
      byte[] bytes = HadoopFiles.read(jsonPath, conf, MAX_MODEL_JSON_BYTES);
      ModelFile.Saved saved = ModelFile.parse(bytes, jsonPath);
      Map<String, String> sums = new java.util.TreeMap<>();
      sums.put(ModelFile.MODEL_JSON, ModelFile.sha256(bytes));
      sums.put(ModelFile.WEIGHTS, saved.weightsSha256());
      OutputSet.File manifest = set == null ? null : set.file(Manifest.FILE);
      if (manifest != null) {
        sums.put(Manifest.FILE, manifest.sha256());
      }
      Provenance earlier = Provenance.fromJson(saved.json().get("provenance"));
      List<Provenance.Predecessor> lineage = new java.util.ArrayList<>();
      lineage.add(new Provenance.Predecessor("model", dir, sums, null, null, earlier.createdAt()));
      if (earlier.predecessors() != null) {
        lineage.addAll(earlier.predecessors());
      }
      return lineage;
    } catch (IOException e) {
      LOG.warn("the model in {} cannot be read as a predecessor ({})", dir, e.getMessage());
      return List.of();
    }
  }

  /**
   * Whether {@code dir} holds a signed model: its committed set, or the directory when it has none,
   * has a {@link Manifest}.
   */
  public static boolean signed(String dir, Configuration conf) throws IOException {
    OutputSet.Committed set;
    try {
      set = OutputSet.committed(dir, conf);
    } catch (IOException e) {
      return false; // a load names the damaged record
    }
    return set != null
        ? set.file(Manifest.FILE) != null
        : HadoopFiles.exists(dir + "/" + Manifest.FILE, conf);
  }

  /** Fails, naming the first problem, if {@code dir} has a manifest that it does not match. */
  private static void checkManifest(String dir, Configuration conf) throws IOException {
    if (!signed(dir, conf)) {
      return;
    }
    Manifest.Report report = Manifest.verify(dir, conf, null);
    if (!report.ok()) {
      Manifest.Finding problem = report.firstProblem();
      throw new IOException(
          dir
              + ": the model does not match its manifest: "
              + (problem == null ? "not signed" : problem.line())
              + " (bin/sparkdp verify --model "
              + dir
              + " lists every finding; load without the manifest check to read it anyway)");
    }
  }

  /** The bytes of {@code path}, checked against the set's record when there is one. */
  private static byte[] read(
      OutputSet.Committed set, String name, String path, Configuration conf, long maxBytes)
      throws IOException {
    byte[] bytes = HadoopFiles.read(path, conf, maxBytes);
    OutputSet.File recorded = set == null ? null : set.file(name);
    if (recorded != null && !recorded.sha256().equals(ModelFile.sha256(bytes))) {
      throw new IOException(
          path
              + ": its SHA-256 differs from the one committed in "
              + OutputSet.META
              + "/"
              + OutputSet.RECORD
              + " (the file was altered or truncated after the run)");
    }
    return bytes;
  }

  /**
   * The most bytes a {@code weights.npz} of {@code spec} can take: its floats plus headers and zip
   * records.
   */
  static long expectedWeightsBytes(ModelSpec spec) {
    long bytes = 4L * spec.layout().size();
    return bytes + 1024L * spec.weightNames().size() + 4096;
  }

  /**
   * Reads an {@code .npz} of weights in Keras' layout for {@code spec} (as Keras' {@code
   * load_weights}).
   */
  public static float[] loadWeights(String path, Configuration conf, ModelSpec spec)
      throws IOException {
    // Twice the float32 size: a float64 file (NumPy's default) is then refused for its dtype.
    byte[] bytes =
        HadoopFiles.read(path, conf, Math.min(MAX_WEIGHTS_BYTES, 2 * expectedWeightsBytes(spec)));
    return ModelFile.readWeights(spec, new ByteArrayInputStream(bytes), path);
  }
}
