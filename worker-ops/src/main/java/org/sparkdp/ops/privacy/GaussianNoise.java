package org.sparkdp.ops.privacy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.sparkdp.ops.Seeds;

/**
 * DP-SGD's noise: adds independent {@code N(0, stddev^2)} draws to every element of a step's
 * gradient sum, by Box-Muller on pairs of 53-bit uniforms, in {@code double}, with {@link
 * StrictMath} so that the same uniforms give the same bits on every JVM.
 *
 * <p>{@link #seeded} draws the uniforms from a counter-based generator keyed by the fit's seed and
 * the step (SplitMix64's finaliser on the key and the element's index): a rerun, a resume and any
 * partitioning add the same noise, and anyone who knows the seed can recompute it. {@link #secure}
 * draws them from AES-256 in counter mode under a key from the JDK's {@link SecureRandom}, made for
 * the fit and never stored: nobody can recompute the noise, and reruns differ.
 */
public abstract class GaussianNoise {
  private static final double TWO_PI = 2 * Math.PI;
  private static final double ULP53 = 0x1.0p-53;

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
    long[] words = uniforms(sum.length + 1 & ~1, epoch, step);
    for (int i = 0; i < sum.length; i += 2) {
      // u1 in (0, 1] keeps the logarithm finite; u2 in [0, 1).
      double u1 = ((words[i] >>> 11) + 1) * ULP53;
      double u2 = (words[i + 1] >>> 11) * ULP53;
      double r = StrictMath.sqrt(-2 * StrictMath.log(u1)) * stddev;
      double angle = TWO_PI * u2;
      sum[i] = (float) (sum[i] + r * StrictMath.cos(angle));
      if (i + 1 < sum.length) {
        sum[i + 1] = (float) (sum[i + 1] + r * StrictMath.sin(angle));
      }
    }
  }

  /** {@code n} uniform 64-bit words for the step. */
  abstract long[] uniforms(int n, int epoch, int step);

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
    long[] uniforms(int n, int epoch, int step) {
      long key = Seeds.mix(seed, NOISE_STREAM, epoch, step);
      long[] words = new long[n];
      for (int i = 0; i < n; i++) {
        words[i] = Seeds.mix64(key + (i + 1) * 0x9e3779b97f4a7c15L);
      }
      return words;
    }
  }

  private static final class Secure extends GaussianNoise {
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
    synchronized long[] uniforms(int n, int epoch, int step) {
      // The key stream itself: AES-CTR's output on zeros, never repeated within a fit.
      byte[] bytes = cipher.update(new byte[n * 8]);
      java.nio.LongBuffer longs = java.nio.ByteBuffer.wrap(bytes).asLongBuffer();
      long[] words = new long[n];
      longs.get(words);
      return words;
    }
  }
}
