package org.sparkdp.ops;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The one door to BLAS. netlib picks the implementation once per JVM: native (OpenBLAS through
 * {@code libblas.so.3}) when the system has it, else the JDK Vector API, else plain Java; {@link
 * #implementation()} says which.
 *
 * <p>BLAS is column-major; sparkdp's blocks are row-major. A row-major {@code [m, n]} matrix is the
 * column-major {@code [n, m]} transpose, so {@code C = op(A) op(B)} in row-major is computed as
 * {@code C^T = op(B)^T op(A)^T} in column-major, with A and B swapped.
 */
public final class Blas {
  private static final BLAS BLAS_IMPL = BLAS.getInstance();

  private Blas() {}

  /**
   * The implementation in use, e.g. {@code JNIBLAS} (native), {@code VectorBLAS} or {@code
   * JavaBLAS}.
   */
  public static String implementation() {
    return BLAS_IMPL.getClass().getSimpleName();
  }

  /**
   * Why BLAS may start threads of its own in this JVM, or {@code null}: native OpenBLAS reads
   * {@code OPENBLAS_NUM_THREADS} (else {@code GOTO_NUM_THREADS}, else {@code OMP_NUM_THREADS}) from
   * the process environment once, when it loads, and otherwise runs a thread per core inside each
   * calling thread: inside Spark's task threads that is slower and gives other sums.
   */
  public static String threadsProblem() {
    if (!implementation().equals("JNIBLAS") || Runtime.getRuntime().availableProcessors() == 1) {
      return null;
    }
    for (String variable : new String[] {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS"}) {
      String value = System.getenv(variable);
      if (value != null) {
        return value.strip().equals("1") ? null : variable + " is " + value + ", not 1";
      }
    }
    String omp = System.getenv("OMP_NUM_THREADS");
    return "1".equals(omp == null ? null : omp.strip())
        ? null
        : "OPENBLAS_NUM_THREADS is not set in this JVM's environment";
  }

  /**
   * Row-major {@code C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C}, where {@code op(A)}
   * is {@code A} stored {@code [m, k]} or, if {@code transA}, the transpose of {@code A} stored
   * {@code [k, m]} (likewise B). Matrices are dense: the leading dimension is the stored row
   * length.
   */
  public static void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      float beta,
      float[] c,
      int cOff) {
    if (m == 0 || n == 0) {
      return;
    }
    checkRange("A", a, aOff, (long) m * k);
    checkRange("B", b, bOff, (long) k * n);
    checkRange("C", c, cOff, (long) m * n);
    int lda = transA ? m : k;
    int ldb = transB ? k : n;
    BLAS_IMPL.sgemm(
        transB ? "T" : "N",
        transA ? "T" : "N",
        n,
        m,
        k,
        alpha,
        b,
        bOff,
        ldb,
        a,
        aOff,
        lda,
        beta,
        c,
        cOff,
        n);
  }

  // Native BLAS does not check bounds: a wrong size must fail here, not crash the JVM.
  private static void checkRange(String name, float[] array, int off, long length) {
    if (off < 0 || off + length > array.length) {
      throw new IndexOutOfBoundsException(
          "matrix "
              + name
              + ": elements ["
              + off
              + ", "
              + (off + length)
              + ") do not fit an array of "
              + array.length);
    }
  }
}
