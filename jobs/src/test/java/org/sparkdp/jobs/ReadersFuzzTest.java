package org.sparkdp.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.sparkdp.ops.ConfigException;
import org.sparkdp.testkit.Fuzz;

/**
 * The readers of files from elsewhere in {@code jobs}: IDX files (plain and gzip), job files and
 * the lines of CSV and LibSVM data. Damaged copies of valid inputs read or are refused with the
 * reader's own exception and a message, never anything else.
 */
@Timeout(60)
class ReadersFuzzTest {
  private static final long LIMIT = 1 << 20;

  @Test
  void damagedIdxFilesAreReadOrRefusedCleanly() throws IOException {
    byte[] images = IdxTest.imageFile(40);
    byte[] labels = IdxTest.labelFile(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2});
    List<Class<? extends Throwable>> clean = List.of(IOException.class);
    Fuzz.Report[] reports = {
      Fuzz.run(
          "IDX images",
          images,
          3000,
          3,
          clean,
          b -> Idx.images(new ByteArrayInputStream(b), "x-images-idx3-ubyte", LIMIT)),
      Fuzz.run(
          "IDX images, gzip",
          IdxTest.gzip(images),
          3000,
          4,
          clean,
          b -> Idx.images(new ByteArrayInputStream(b), "x-images-idx3-ubyte.gz", LIMIT)),
      Fuzz.run(
          "IDX labels, gzip",
          IdxTest.gzip(labels),
          3000,
          5,
          clean,
          b -> Idx.labels(new ByteArrayInputStream(b), "x-labels-idx1-ubyte.gz", LIMIT)),
    };
    for (Fuzz.Report r : reports) {
      assertTrue(r.refused() > 1000, r.toString());
    }
  }

  @Test
  void damagedJobFilesParseOrAreRefusedCleanly() {
    byte[] valid = JobConfigTest.YAML.getBytes(StandardCharsets.UTF_8);
    Fuzz.Report report =
        Fuzz.run(
            "job.yaml",
            valid,
            5000,
            6,
            List.of(ConfigException.class),
            b ->
                JobConfig.parse(
                    new String(b, StandardCharsets.UTF_8),
                    "job.yaml",
                    Cli.parse(Cli.train(), new String[0])));
    assertTrue(report.refused() > 1000, report.toString());
  }

  @Test
  void damagedDataLinesParseOrAreRefusedWithTheirColumn() {
    List<Class<? extends Throwable>> clean = List.of(LineFormat.BadLine.class);
    LineFormat libsvm = new LineFormat.LibSvm(8);
    LineFormat csv =
        new LineFormat.Csv(
            "a,b,\"c,d\",label", List.of("a", "b", "c,d", "label"), new int[] {0, 1, 2}, 3);
    Fuzz.Report[] reports = {
      Fuzz.run(
          "LibSVM lines",
          "1 1:0.5 3:-2.25e-3 4:7 8:1\n".getBytes(StandardCharsets.UTF_8),
          3000,
          7,
          clean,
          b -> libsvm.parse(new String(b, StandardCharsets.UTF_8))),
      Fuzz.run(
          "CSV lines",
          "0.5,-2,\"3.25\",1\n".getBytes(StandardCharsets.UTF_8),
          3000,
          8,
          clean,
          b -> csv.parse(new String(b, StandardCharsets.UTF_8))),
    };
    for (Fuzz.Report r : reports) {
      assertTrue(r.refused() > 500, r.toString());
    }
  }
}
