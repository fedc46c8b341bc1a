package org.sparkdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths as users write them: a colon in a name is part of the name, not a scheme. */
class HadoopFilesTest {
  private static final Configuration CONF = new Configuration();

  @TempDir Path dir;

  @Test
  void aNameWithAColonIsARelativePathTakenLiterally() {
    org.apache.hadoop.fs.Path template = HadoopFiles.path("model-{epoch:02d}-{val_loss:.4f}");
    assertNull(template.toUri().getScheme());
    assertEquals("model-{epoch:02d}-{val_loss:.4f}", template.getName());
    assertNull(HadoopFiles.path("runs/a:b").toUri().getScheme());
    assertEquals("/abs/a:b", HadoopFiles.path("/abs/a:b").toUri().getPath());
  }

  @Test
  void schemesAndAuthoritiesAreKeptAndAChildWithAColonGoesUnderThem() {
    org.apache.hadoop.fs.Path hdfs = HadoopFiles.path("hdfs://nn:8020/models/m");
    assertEquals("hdfs", hdfs.toUri().getScheme());
    assertEquals("nn:8020", hdfs.toUri().getAuthority());
    org.apache.hadoop.fs.Path child = HadoopFiles.child(hdfs, "epoch:01");
    assertEquals("hdfs://nn:8020/models/m/epoch:01", child.toString());
    assertEquals("file", HadoopFiles.path("file:/tmp/x").toUri().getScheme());
    assertEquals("s3a", HadoopFiles.path("s3a://bucket/k:v").toUri().getScheme());
  }

  @Test
  void aFileWithAColonIsWrittenAtomicallyAndListedByItsName() throws Exception {
    String file = dir.resolve("log:all.csv").toString();
    HadoopFiles.writeAtomically(file, new byte[] {1, 2}, CONF);
    HadoopFiles.writeAtomically(file, new byte[] {3}, CONF);
    assertArrayEquals(new byte[] {3}, HadoopFiles.read(file, CONF, 10));
    assertEquals(List.of("log:all.csv"), HadoopFiles.list(dir.toString(), CONF));
    assertArrayEquals(new byte[] {3}, Files.readAllBytes(dir.resolve("log:all.csv")));
  }
}
