package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.testkit.Blobs;

/**
 * A real HDFS (Hadoop's in-process mini cluster): training reads its data from {@code hdfs://},
 * writes its checkpoints and model there, and resumes from there to the weights of a run that was
 * never stopped.
 */
@org.junit.jupiter.api.parallel.ResourceLock(YarnIT.HADOOP_MINI_CLUSTERS)
class HdfsIT {

  private static byte[] read(FileSystem fs, String path) throws Exception {
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(path))) {
      return in.readAllBytes();
    }
  }

  @Test
  void trainsFromAndIntoHdfsAndResumesThere(@TempDir Path dir) throws Exception {
    Blobs.of(2000, 6, 3, 51).writeCsv(dir.resolve("data.csv"));
    Data.config(dir.resolve("job.yaml"), 6, 3);
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    try {
      cluster.waitActive();
      FileSystem fs = cluster.getFileSystem();
      String root = "hdfs://localhost:" + cluster.getNameNodePort();
      fs.copyFromLocalFile(
          new org.apache.hadoop.fs.Path(dir.resolve("data.csv").toString()),
          new org.apache.hadoop.fs.Path("/data/train.csv"));

      String[] common =
          Launcher.train(
              root + "/data/train.csv",
              root + "/models/m",
              "--batch-size",
              "40",
              "--seed",
              "4",
              // A template with format specs, as the README's, on HDFS (whose names cannot hold
              // a colon: the filled names have none).
              "--callbacks",
              "[{\"type\": \"model_checkpoint\", \"filepath\": \"model-{epoch:02d}\"}]");
      Launcher.Result first = Launcher.run(dir, Launcher.concat(common, "--epochs", "2"));
      assertEquals(0, first.exitCode(), first.stderr());
      assertTrue(
          fs.exists(new org.apache.hadoop.fs.Path("/models/m/checkpoints/ckpt-00002-00000000")));
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/models/m/model.json")));
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/models/m/model-02/model.json")));

      Launcher.Result resumed =
          Launcher.run(dir, Launcher.concat(common, "--epochs", "4", "--resume"));
      assertEquals(0, resumed.exitCode(), resumed.stderr());
      assertTrue(
          resumed
              .stdout()
              .contains("Resuming at epoch 3, step 1 from " + root + "/models/m/checkpoints"),
          resumed.stdout());
      ModelFile.Saved saved = ModelFile.parse(read(fs, "/models/m/model.json"), "model.json");
      float[] fromHdfs =
          ModelFile.readWeights(
              saved.spec(),
              new ByteArrayInputStream(read(fs, "/models/m/weights.npz")),
              "weights.npz");
      assertEquals(4, saved.json().path("training_config").path("epochs").asInt());

      Launcher.Result local =
          Launcher.run(
              dir,
              Launcher.train(
                  "data.csv", "local", "--batch-size", "40", "--seed", "4", "--epochs", "4"));
      assertEquals(0, local.exitCode(), local.stderr());
      double d = Comparisons.maxRelativeDifference(fromHdfs, Weights.of(dir.resolve("local")));
      System.out.printf(
          "HDFS, 2 epochs + resume to 4 vs local files, 4 epochs: max |diff| / max |w| = %.3g%n",
          d);
      assertTrue(d <= 1e-5, "relative difference " + d);
    } finally {
      cluster.shutdown();
    }
  }
}
