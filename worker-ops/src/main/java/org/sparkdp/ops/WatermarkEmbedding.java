package org.sparkdp.ops;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An ownership watermark bound to one layer's kernel (Uchida et al., 2017). With the kernel {@code
 * W [in, units]} of the chosen layer, {@code w [in]} is its mean over the output units (the paper's
 * choice: {@code w_i = (1/units) sum_l W[i, l]}), and the owner's secret projection {@code X [T,
 * in]} and bit string {@code b [T]} come from the owner's key through a keyed PRF (HMAC-SHA256 in
 * counter mode; X standard normal by Box-Muller, as the paper's "random" projection). The bits read
 * from a kernel are {@code b'_j = [(X w)_j >= 0]}.
 *
 * <p>As a {@link Penalty} it is the paper's embedding regularizer, {@code E_R = strength * sum_j
 * BCE(sigmoid((X w)_j), b_j)}, whose gradient {@code dE_R/dW[i, l] = strength / units * sum_j
 * (sigmoid((X w)_j) - b_j) X[j, i]} it adds on the driver at each step (in double).
 *
 * <p>An unmarked model's bits are independent fair coins against {@code b} ({@code X} is drawn
 * independently of it and symmetric), so its matches follow Binomial(T, 1/2); {@link #chance} is
 * the probability of at least as many matches by chance.
 */
public final class WatermarkEmbedding implements Penalty {
  private static final String DOMAIN = "sparkdp.watermark.v1/";

  private final int bits;
  private final int inputs;
  private final int units;
  private final int kernelOffset;
  private final double strength;
  private final double[] projection;
  private final boolean[] target;

  private WatermarkEmbedding(
      int bits,
      int inputs,
      int units,
      int kernelOffset,
      double strength,
      double[] projection,
      boolean[] target) {
    this.bits = bits;
    this.inputs = inputs;
    this.units = units;
    this.kernelOffset = kernelOffset;
    this.strength = strength;
    this.projection = projection;
    this.target = target;
  }

  /**
   * The watermark of {@code spec} on the layer it names of a model laid out as {@code layout},
   * derived from {@code secret} (the owner's key material, at least 16 bytes).
   *
   * @throws ConfigException if the layer does not exist or has fewer inputs than bits
   */
  public static WatermarkEmbedding derive(byte[] secret, Watermark spec, ParameterLayout layout) {
    if (spec.layer() >= layout.layers()) {
      throw new ConfigException(
          "watermark.layer: "
              + spec.layer()
              + " but the model's layers are numbered 0 to "
              + (layout.layers() - 1));
    }
    int l = spec.layer();
    int kernel = layout.offset(l, "kernel");
    if (kernel < 0) {
      throw new ConfigException(
          "watermark.layer: layer "
              + l
              + " has no kernel; the watermark goes into a dense or convolution layer's kernel");
    }
    // The kernel as [values per unit, units]: [in, units] for dense, [kh * kw * in, filters] for a
    // convolution (Uchida et al.'s reading of a convolution's kernel).
    int[] shape =
        layout.views().stream()
            .filter(v -> v.layer() == l && v.weight().equals("kernel"))
            .findFirst()
            .orElseThrow()
            .shape();
    int units = shape[shape.length - 1];
    return derive(
        secret,
        spec.bits(),
        spec.layer(),
        Initializer.size(shape) / units,
        units,
        kernel,
        spec.strength());
  }

  /**
   * The watermark of {@code bits} bits for a kernel {@code [inputs, units]} of layer {@code layer}
   * that starts at {@code kernelOffset} of the arrays it reads.
   */
  public static WatermarkEmbedding derive(
      byte[] secret,
      int bits,
      int layer,
      int inputs,
      int units,
      int kernelOffset,
      double strength) {
    if (secret.length < 16) {
      throw new IllegalArgumentException("a watermark key needs at least 16 bytes of secret");
    }
    if (bits > inputs) {
      throw new ConfigException(
          "watermark.bits: "
              + bits
              + " bits cannot be embedded in layer "
              + layer
              + ", whose kernel has "
              + inputs
              + " inputs (at most one bit per input)");
    }
    Prf projectionStream =
        new Prf(secret, DOMAIN + "projection/" + bits + "/" + layer + "/" + inputs);
    double[] x = new double[bits * inputs];
    for (int i = 0; i < x.length; i += 2) {
      // Box-Muller: two standard normals from two uniforms, u1 in (0, 1].
      double u1 = (projectionStream.nextLong53() + 1) * 0x1.0p-53;
      double u2 = projectionStream.nextLong53() * 0x1.0p-53;
      double r = Math.sqrt(-2 * Math.log(u1));
      x[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < x.length) {
        x[i + 1] = r * Math.sin(2 * Math.PI * u2);
      }
    }
    Prf bitStream = new Prf(secret, DOMAIN + "bits/" + bits);
    boolean[] b = new boolean[bits];
    long word = 0;
    for (int j = 0; j < bits; j++) {
      if (j % 64 == 0) {
        word = bitStream.nextLong();
      }
      b[j] = (word >>> (j % 64) & 1) == 1;
    }
    return new WatermarkEmbedding(bits, inputs, units, kernelOffset, strength, x, b);
  }

  /** The owner's bit string. */
  public boolean[] target() {
    return target.clone();
  }

  /** The secret projection {@code X [T, inputs]}, row-major (for tests of this package). */
  double[] projection() {
    return projection.clone();
  }

  @Override
  public double apply(float[] params, float[] grad) {
    double[] w = meanOverUnits(params, kernelOffset);
    double[] g = new double[inputs];
    double loss = 0;
    for (int j = 0; j < bits; j++) {
      double z = dot(j, w);
      // BCE(sigmoid(z), b) = softplus(z) - b z, stable for large |z|.
      loss += softplus(z) - (target[j] ? z : 0);
      double residual = sigmoid(z) - (target[j] ? 1 : 0);
      for (int i = 0; i < inputs; i++) {
        g[i] += residual * projection[j * inputs + i];
      }
    }
    if (grad != null) {
      double scale = strength / units;
      for (int i = 0; i < inputs; i++) {
        float gi = (float) (g[i] * scale);
        int row = kernelOffset + i * units;
        for (int u = 0; u < units; u++) {
          grad[row + u] += gi;
        }
      }
    }
    return strength * loss;
  }

  /**
   * The bits that the kernel at {@code offset} of {@code array} (laid out {@code [inputs, units]})
   * carries: {@code (X w)_j >= 0}.
   */
  public boolean[] extract(float[] array, int offset) {
    if (offset < 0 || (long) offset + (long) inputs * units > array.length) {
      throw new IllegalArgumentException(
          "no kernel of [" + inputs + ", " + units + "] at " + offset + " of " + array.length);
    }
    double[] w = meanOverUnits(array, offset);
    boolean[] read = new boolean[bits];
    for (int j = 0; j < bits; j++) {
      read[j] = dot(j, w) >= 0;
    }
    return read;
  }

  /** How many of the bits that the kernel at {@code offset} of {@code array} carries are wrong. */
  public int bitErrors(float[] array, int offset) {
    boolean[] read = extract(array, offset);
    int errors = 0;
    for (int j = 0; j < bits; j++) {
      errors += read[j] == target[j] ? 0 : 1;
    }
    return errors;
  }

  /**
   * The probability that an unmarked model matches at least {@code matches} of {@code bits} bits:
   * the tail of Binomial(bits, 1/2), exact.
   */
  public static double chance(int bits, int matches) {
    if (bits < 1 || matches < 0 || matches > bits) {
      throw new IllegalArgumentException(matches + " matches of " + bits + " bits");
    }
    BigInteger count = BigInteger.ZERO;
    BigInteger binomial = BigInteger.ONE; // C(bits, k), from k = 0
    for (int k = 0; k <= bits; k++) {
      if (k >= matches) {
        count = count.add(binomial);
      }
      binomial = binomial.multiply(BigInteger.valueOf(bits - k)).divide(BigInteger.valueOf(k + 1));
    }
    return new BigDecimal(count)
        .divide(new BigDecimal(BigInteger.ONE.shiftLeft(bits)), MathContext.DECIMAL64)
        .doubleValue();
  }

  /**
   * The fewest matches of {@code bits} bits whose {@link #chance} is at most {@code threshold}, or
   * {@code bits + 1} when none is.
   */
  public static int matchesNeeded(int bits, double threshold) {
    int m = bits;
    while (m >= 0 && chance(bits, m) <= threshold) {
      m--;
    }
    return m + 1;
  }

  private double[] meanOverUnits(float[] array, int offset) {
    double[] w = new double[inputs];
    for (int i = 0; i < inputs; i++) {
      double s = 0;
      int row = offset + i * units;
      for (int u = 0; u < units; u++) {
        s += array[row + u];
      }
      w[i] = s / units;
    }
    return w;
  }

  private double dot(int j, double[] w) {
    double z = 0;
    int row = j * inputs;
    for (int i = 0; i < inputs; i++) {
      z += projection[row + i] * w[i];
    }
    return z;
  }

  private static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  private static double softplus(double z) {
    return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }

  /** HMAC-SHA256 in counter mode: block {@code n} is HMAC(secret, label || n). */
  private static final class Prf {
    private final Mac mac;
    private final byte[] label;
    private final ByteBuffer block = ByteBuffer.allocate(32);
    private long counter;

    Prf(byte[] secret, String label) {
      try {
        mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK has no HMAC-SHA256", e);
      }
      this.label = label.getBytes(StandardCharsets.UTF_8);
      block.position(block.limit());
    }

    long nextLong() {
      if (!block.hasRemaining()) {
        mac.update(label);
        mac.update(ByteBuffer.allocate(8).putLong(counter++).array());
        block.clear();
        block.put(mac.doFinal());
        block.flip();
      }
      return block.getLong();
    }

    /** A uniform integer in {@code [0, 2^53)}. */
    long nextLong53() {
      return nextLong() >>> 11;
    }
  }
}
