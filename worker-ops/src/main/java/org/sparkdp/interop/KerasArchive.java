package org.sparkdp.interop;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.ModelSpec;

/**
 * Keras 3's {@code .keras} file: a zip of {@code metadata.json} ({@code keras_version}, {@code
 * date_saved}), {@code config.json} (the model, {@link KerasJson}) and {@code model.weights.h5}
 * ({@link KerasWeights}), entries stored uncompressed as Keras' {@code saving_lib} writes them.
 */
public final class KerasArchive {
  static final String CONFIG = "config.json";
  static final String METADATA = "metadata.json";
  static final String WEIGHTS = "model.weights.h5";

  /**
   * The Keras release whose file format this writes; Keras itself does not read it back (its loader
   * reads {@code config.json} and the weights).
   */
  static final String KERAS_FORMAT_VERSION = "3.0.0";

  private KerasArchive() {}

  /**
   * Reads a {@code .keras} file: the model from {@code config.json} (checked, and its size against
   * the parameter budget), then its weights from {@code model.weights.h5}, each dataset checked
   * before it is read.
   *
   * @throws IOException naming {@code source} and what is wrong
   */
  public static KerasModel read(byte[] file, String source) throws IOException {
    byte[] config = entry(file, CONFIG, KerasJson.MAX_BYTES, source);
    if (config == null) {
      throw new IOException(
          source
              + ": no "
              + CONFIG
              + " (a .keras file is a zip of config.json, metadata.json and model.weights.h5)");
    }
    KerasModel model = KerasJson.read(config, source + "!/" + CONFIG);
    byte[] weights = entry(file, WEIGHTS, KerasWeights.maxBytes(model.spec()), source);
    if (weights == null) {
      boolean npz = entry(file, "model.weights.npz", 0, source) != null;
      throw new IOException(
          source
              + ": no "
              + WEIGHTS
              + (npz ? " (weights saved as model.weights.npz are not supported)" : ""));
    }
    return model.withParams(KerasWeights.read(weights, model.spec(), source + "!/" + WEIGHTS));
  }

  /**
   * The bytes of entry {@code name} (at most {@code maxBytes}), or {@code null} if the archive has
   * none; with {@code maxBytes} 0, an empty array when it has one.
   */
  private static byte[] entry(byte[] file, String name, long maxBytes, String source)
      throws IOException {
    byte[] found = null;
    Set<String> seen = new HashSet<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(file))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        if (!seen.add(e.getName())) {
          throw new IOException(source + ": holds " + e.getName() + " twice");
        }
        if (e.getName().equals(name)) {
          byte[] bytes = zip.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
          if (bytes.length > maxBytes && maxBytes > 0) {
            throw new IOException(
                source + ": " + name + " is larger than the model needs (" + maxBytes + " bytes)");
          }
          found = maxBytes == 0 ? new byte[0] : bytes;
        }
      }
    } catch (IllegalArgumentException e) {
      // A zip entry name that is not UTF-8.
      throw new IOException(source + ": not a readable zip archive (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(source)) {
        throw e;
      }
      throw new IOException(source + ": not a readable .keras file (" + e.getMessage() + ")", e);
    }
    if (seen.isEmpty()) {
      throw new IOException(source + ": not a .keras file (no zip entries)");
    }
    return found;
  }

  /**
   * The bytes of a {@code .keras} file of the model: Keras 3's {@code config.json} (with the
   * compile config when {@code compile} is given), {@code metadata.json} and {@code
   * model.weights.h5} with {@code params}.
   */
  public static byte[] write(ModelSpec spec, CompileConfig compile, float[] params)
      throws IOException {
    if (params.length != spec.layout().size()) {
      throw new IllegalArgumentException(
          "expected " + spec.layout().size() + " parameters, got " + params.length);
    }
    String metadata =
        String.format(
            Locale.ROOT,
            "{\"keras_version\": \"%s\", \"date_saved\": \"%s\"}",
            KERAS_FORMAT_VERSION,
            LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd@HH:mm:ss")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      stored(zip, METADATA, metadata.getBytes(StandardCharsets.UTF_8));
      stored(zip, CONFIG, KerasJson.toBytes(KerasJson.write(spec, compile)));
      stored(zip, WEIGHTS, KerasWeights.write(spec, params, compile));
    }
    return out.toByteArray();
  }

  /** An uncompressed entry, as Python's {@code zipfile} writes by default. */
  private static void stored(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    CRC32 crc = new CRC32();
    crc.update(bytes);
    entry.setSize(bytes.length);
    entry.setCompressedSize(bytes.length);
    entry.setCrc(crc.getValue());
    zip.putNextEntry(entry);
    zip.write(bytes);
    zip.closeEntry();
  }
}
