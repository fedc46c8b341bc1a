package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.sparkdp.ops.Comparisons;
import org.sparkdp.ops.ModelFile;
import org.sparkdp.testkit.Blobs;

/**
 * {@code spark-submit --master yarn} on Hadoop's mini clusters: a YARN ResourceManager and
 * NodeManager and an HDFS in this JVM, their configuration written where {@code HADOOP_CONF_DIR}
 * and {@code YARN_CONF_DIR} point, Spark's own launcher scripts with the build's jars (Spark's YARN
 * support among them) as {@code SPARK_HOME}. Data is read from HDFS and models are written there.
 * The README's cluster example runs by default; client mode and a failed job run with {@code
 * -Dsparkdp.soak=true}.
 */
@ResourceLock(YarnIT.HADOOP_MINI_CLUSTERS)
class YarnIT {
  /** Hadoop's mini clusters share static state: the classes that start them run one at a time. */
  static final String HADOOP_MINI_CLUSTERS = "Hadoop's mini clusters in the test JVM";

  @TempDir static Path dir;
  private static Path sparkHome;
  private static Path hadoopConf;
  private static MiniDFSCluster hdfs;
  private static MiniYARNCluster yarn;
  private static FileSystem fs;
  private static String root;

  @BeforeAll
  static void yarnAndHdfsWithTheirConfigurationWritten() throws Exception {
    sparkHome = SparkDist.home(dir);
    Blobs.of(1000, 8, 3, 7).writeCsv(dir.resolve("data.csv"));
    Data.config(dir.resolve("job.yaml"), 8, 3);

    Configuration dfsConf = new Configuration();
    dfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
    hdfs = new MiniDFSCluster.Builder(dfsConf).numDataNodes(1).build();
    hdfs.waitActive();
    fs = hdfs.getFileSystem();
    root = "hdfs://localhost:" + hdfs.getNameNodePort();
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(dir.resolve("data.csv").toString()),
        new org.apache.hadoop.fs.Path("/data/train.csv"));

    YarnConfiguration conf = new YarnConfiguration();
    conf.set("fs.defaultFS", root);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    // JVMs reserve far more virtual memory than YARN's default ratio allows; disks here may be
    // full.
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100f);
    // The capacity scheduler's queues (its capacity-scheduler.xml is not in the minicluster jar).
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1f);
    // A real NodeManager has JAVA_HOME in its environment; this one's JVM may not.
    conf.set(YarnConfiguration.NM_ADMIN_USER_ENV, "JAVA_HOME=" + System.getProperty("java.home"));
    yarn = new MiniYARNCluster("YarnIT", 1, 1, 1);
    yarn.init(conf);
    yarn.start();
    assertTrue(yarn.waitForNodeManagersToConnect(60_000), "no NodeManager joined");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
      assertTrue(System.nanoTime() < deadline, "the ResourceManager has no port");
      Thread.sleep(100);
    }
    hadoopConf = Files.createDirectories(dir.resolve("hadoop-conf"));
    try (OutputStream out = Files.newOutputStream(hadoopConf.resolve("yarn-site.xml"))) {
      yarn.getConfig().writeXml(out);
    }
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", root);
    try (OutputStream out = Files.newOutputStream(hadoopConf.resolve("core-site.xml"))) {
      core.writeXml(out);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (yarn != null) {
      yarn.stop();
    }
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  /** {@code spark-submit --master yarn --deploy-mode MODE OPTIONS APP ARGS} from {@code dir}. */
  private static Launcher.Result submit(String mode, List<String> options, String... args)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            sparkHome.resolve("bin/spark-submit").toString(),
            "--master",
            "yarn",
            "--deploy-mode",
            mode,
            "--num-executors",
            "1",
            "--executor-cores",
            "2",
            "--executor-memory",
            "512m",
            "--driver-memory",
            "512m"));
    for (String conf :
        List.of(
            // Spark's jars are on every node (this one), as a distribution installed there:
            // nothing to upload per application.
            "spark.yarn.jars=local:" + sparkHome.resolve("jars") + "/*",
            "spark.yarn.maxAppAttempts=1",
            "spark.ui.enabled=false",
            "spark.executorEnv.OPENBLAS_NUM_THREADS=1",
            "spark.yarn.appMasterEnv.OPENBLAS_NUM_THREADS=1")) {
      command.addAll(List.of("--conf", conf));
    }
    command.addAll(options);
    command.addAll(List.of("--class", "org.sparkdp.jobs.TrainJob", SparkDist.APP.toString()));
    command.addAll(List.of(args));
    Map<String, String> env = new HashMap<>();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("HADOOP_CONF_DIR", hadoopConf.toString());
    env.put("YARN_CONF_DIR", hadoopConf.toString());
    env.put("OPENBLAS_NUM_THREADS", "1");
    return Launcher.command(dir, env, List.of(), command);
  }

  /**
   * The log {@code file} ({@code stdout} or {@code stderr}) of the application master's container
   * (the driver, in cluster deploy mode) that names {@code text}.
   */
  private static String driverLog(String file, String text) throws Exception {
    try (Stream<Path> files = Files.walk(yarn.getTestWorkDir().toPath())) {
      List<Path> logs =
          files
              .filter(p -> p.getFileName().toString().equals(file))
              .filter(p -> p.getParent().getFileName().toString().endsWith("_000001"))
              .toList();
      for (Path log : logs) {
        String content = Files.readString(log, StandardCharsets.UTF_8);
        if (content.contains(text)) {
          return content;
        }
      }
    }
    throw new AssertionError("no driver " + file + " names " + text);
  }

  private static float[] weightsOnHdfs(String model) throws Exception {
    ModelFile.Saved saved = ModelFile.parse(read(model + "/model.json"), model + "/model.json");
    return ModelFile.readWeights(
        saved.spec(), new ByteArrayInputStream(read(model + "/weights.npz")), "weights.npz");
  }

  private static byte[] read(String path) throws Exception {
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(path))) {
      return in.readAllBytes();
    }
  }

  @Test
  void theReadmesClusterExampleTrainsFromHdfsIntoHdfsWithConfigFromFiles() throws Exception {
    long start = System.nanoTime();
    Launcher.Result r =
        submit(
            "cluster",
            List.of("--files", dir.resolve("job.yaml").toString()),
            "--config",
            "job.yaml",
            "--train",
            root + "/data/train.csv",
            "--output",
            root + "/models/cluster",
            "--partitions",
            "2");
    System.out.printf("YARN cluster mode: %.1f s%n", (System.nanoTime() - start) / 1e9);
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(r.stderr().contains("final status: SUCCEEDED"), r.stderr());
    String out = driverLog("stdout", root + "/models/cluster");
    System.out.println(out);
    assertTrue(out.contains("(sync, driver channel: 2 tasks for 2 partitions, 2 task slots)"), out);
    assertTrue(out.contains("Epoch 2/2"), out);
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/models/cluster/model.json")));
    assertEquals(8 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3, weightsOnHdfs("/models/cluster").length);
  }

  @Test
  @EnabledIfSystemProperty(named = "sparkdp.soak", matches = "true")
  void clientModeTrainsFromHdfsIntoHdfsToTheWeightsOfALocalRun() throws Exception {
    long start = System.nanoTime();
    Launcher.Result r =
        submit(
            "client",
            List.of(),
            "--config",
            "job.yaml",
            "--train",
            root + "/data/train.csv",
            "--output",
            root + "/models/client",
            "--partitions",
            "2");
    System.out.printf("YARN client mode: %.1f s%n", (System.nanoTime() - start) / 1e9);
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(
        r.stdout().contains("(sync, driver channel: 2 tasks for 2 partitions, 2 task slots)"),
        r.stdout());
    Launcher.Result local =
        Launcher.run(dir, Launcher.train("data.csv", "local", "--partitions", "2"));
    assertEquals(0, local.exitCode(), local.stderr());
    double d =
        Comparisons.maxRelativeDifference(
            weightsOnHdfs("/models/client"), Weights.of(dir.resolve("local")));
    System.out.printf("YARN client mode vs local[*]: max |diff| / max |w| = %.3g%n", d);
    assertTrue(d <= 1e-6, "relative difference " + d);
  }

  @Test
  @EnabledIfSystemProperty(named = "sparkdp.soak", matches = "true")
  void aFailedJobEndsSparkSubmitNonZeroInBothDeployModes() throws Exception {
    for (String mode : List.of("client", "cluster")) {
      Launcher.Result r =
          submit(
              mode,
              List.of(),
              "--config",
              "missing.yaml",
              "--train",
              root + "/data/train.csv",
              "--output",
              root + "/models/never-" + mode);
      assertEquals(1, r.exitCode(), mode + ": " + r.stderr());
      assertFalse(fs.exists(new org.apache.hadoop.fs.Path("/models/never-" + mode)));
      if (mode.equals("client")) {
        assertTrue(
            r.stderr().contains("sparkdp train: error: --config missing.yaml: no such file"),
            r.stderr());
      } else {
        assertTrue(r.stderr().contains("final status: FAILED"), r.stderr());
        String out = driverLog("stderr", "missing.yaml");
        assertTrue(out.contains("sparkdp train: error: --config missing.yaml: no such file"), out);
      }
    }
  }
}
