package org.sparkdp.ops.privacy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.sparkdp.ops.Seeds;

/**
 * DP-SGD's noise: adds independent {@code N(0, stddev^2)} draws to every element of a step's
 * gradient sum. The draws come from Doornik's ZIGNOR ziggurat (128 layers; "An Improved Ziggurat
 * Method to Generate Normal Random Samples", 2005), in {@code double}, on a stream of 64-bit words:
 * most draws cost one word, a multiplication and a comparison, and the rare wedge and tail draws
 * use {@link StrictMath}, so that the same words give the same bits on every JVM (the step's noise
 * costs a fraction of a millisecond per 100,000 weights, where Box-Muller's logarithms and sines
 * cost several).
 *
 * <p>{@link #seeded} takes the words from a counter-based generator keyed by the fit's seed and the
 * step (SplitMix64's finaliser on the key plus a counter): a rerun, a resume and any partitioning
 * add the same noise, and anyone who knows the seed can recompute it. {@link #secure} takes them
 * from AES-256 in counter mode under a key from the JDK's {@link SecureRandom}, made for the fit
 * and never stored: nobody can recompute the noise, and reruns differ.
 */
public abstract class GaussianNoise {
  private static final double ULP53 = 0x1.0p-53;
  private static final int LAYERS = 128;
  private static final double R = 3.442619855899;
  private static final double V = 9.91256303526217e-3;

  /** The layers' right edges: {@code X[0] = V / f(R)} (the base's), {@code X[1] = R}, down to 0. */
  private static final double[] X = new double[LAYERS + 1];

  /** {@code X[i + 1] / X[i]}: below it a draw lies inside the layer's rectangle under the curve. */
  private static final double[] RATIO = new double[LAYERS];

  static {
    double f = StrictMath.exp(-0.5 * R * R);
    X[0] = V / f;
    X[1] = R;
    X[LAYERS] = 0;
    for (int i = 2; i < LAYERS; i++) {
      X[i] = StrictMath.sqrt(-2 * StrictMath.log(V / X[i - 1] + f));
      f = StrictMath.exp(-0.5 * X[i] * X[i]);
    }
    for (int i = 0; i < LAYERS; i++) {
      RATIO[i] = X[i + 1] / X[i];
    }
  }

  private GaussianNoise() {}

  /** Noise recomputable from {@code seed}: the same for the same seed, epoch and step. */
  public static GaussianNoise seeded(long seed) {
    return new Seeded(seed);
  }

  /** Noise from a secret generator made now. */
  public static GaussianNoise secure() {
    return new Secure();
  }

  /** Whether the noise can be recomputed from the seed. */
  public abstract boolean reproducible();

  /**
   * Adds {@code stddev * z_i} to {@code sum[i]} for independent standard normal {@code z_i}, the
   * noise of step {@code step} of epoch {@code epoch} (both from 0).
   */
  public void add(float[] sum, double stddev, int epoch, int step) {
    if (!(stddev >= 0) || Double.isInfinite(stddev)) {
      throw new IllegalArgumentException("the noise's stddev must be 0 or more, got " + stddev);
    }
    if (stddev == 0) {
      return;
    }
    Words words = words(epoch, step);
    for (int i = 0; i < sum.length; i++) {
      sum[i] = (float) (sum[i] + stddev * normal(words));
    }
  }

  /** One standard normal draw (ZIGNOR). */
  private static double normal(Words words) {
    while (true) {
      long w = words.next();
      // The layer from the low 7 bits, the uniform in [-1, 1) from the high 53: apart.
      int i = (int) (w & (LAYERS - 1));
      double u = 2 * ((w >>> 11) * ULP53) - 1;
      if (Math.abs(u) < RATIO[i]) {
        return u * X[i];
      }
      if (i == 0) {
        return tail(words, u < 0);
      }
      double x = u * X[i];
      double f0 = StrictMath.exp(-0.5 * (X[i] * X[i] - x * x));
      double f1 = StrictMath.exp(-0.5 * (X[i + 1] * X[i + 1] - x * x));
      if (f1 + uniform(words) * (f0 - f1) < 1.0) {
        return x;
      }
    }
  }

  /** A draw from the normal's tail beyond {@code R} (Marsaglia's method), on the given side. */
  private static double tail(Words words, boolean negative) {
    double x;
    double y;
    do {
      x = StrictMath.log(uniform(words)) / R;
      y = StrictMath.log(uniform(words));
    } while (-2 * y < x * x);
    return negative ? x - R : R - x;
  }

  /** A uniform draw in (0, 1]: never 0, whose logarithm is finite. */
  private static double uniform(Words words) {
    return ((words.next() >>> 11) + 1) * ULP53;
  }

  /** A stream of uniform 64-bit words. */
  interface Words {
    long next();
  }

  /** The words of the step. */
  abstract Words words(int epoch, int step);

  private static final class Seeded extends GaussianNoise {
    /** Keeps the noise's stream apart from the seed's other streams (shuffles, dropout). */
    private static final long NOISE_STREAM = 0xd95eedL;

    private final long seed;

    Seeded(long seed) {
      this.seed = seed;
    }

    @Override
    public boolean reproducible() {
      return true;
    }

    @Override
    Words words(int epoch, int step) {
      long key = Seeds.mix(seed, NOISE_STREAM, epoch, step);
      long[] counter = {0};
      return () -> Seeds.mix64(key + ++counter[0] * 0x9e3779b97f4a7c15L);
    }
  }

  private static final class Secure extends GaussianNoise {
    private static final int BUFFER_WORDS = 4096;
    private final Cipher cipher;

    Secure() {
      SecureRandom random = new SecureRandom();
      byte[] key = new byte[32];
      byte[] counter = new byte[16];
      random.nextBytes(key);
      random.nextBytes(counter);
      try {
        cipher = Cipher.getInstance("AES/CTR/NoPadding");
        cipher.init(
            Cipher.ENCRYPT_MODE,
            new SecretKeySpec(key, "AES"),
            new IvParameterSpec(counter),
            random);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES in counter mode is not available: " + e, e);
      }
    }

    @Override
    public boolean reproducible() {
      return false;
    }

    @Override
    Words words(int epoch, int step) {
      // The key stream itself: AES-CTR's output on zeros, never repeated within a fit.
      java.nio.LongBuffer[] buffer = {java.nio.LongBuffer.allocate(0)};
      byte[] zeros = new byte[BUFFER_WORDS * 8];
      return () -> {
        if (!buffer[0].hasRemaining()) {
          synchronized (cipher) {
            buffer[0] = java.nio.ByteBuffer.wrap(cipher.update(zeros)).asLongBuffer();
          }
        }
        return buffer[0].get();
      };
    }
  }
}
