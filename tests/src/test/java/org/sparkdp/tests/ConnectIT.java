package org.sparkdp.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.connect.proto.Command;
import org.apache.spark.connect.proto.ExecutePlanResponse;
import org.apache.spark.connect.proto.Expression;
import org.apache.spark.connect.proto.Fetch;
import org.apache.spark.connect.proto.MlCommand;
import org.apache.spark.connect.proto.MlCommandResult;
import org.apache.spark.connect.proto.MlOperator;
import org.apache.spark.connect.proto.MlParams;
import org.apache.spark.connect.proto.MlRelation;
import org.apache.spark.connect.proto.ObjectRef;
import org.apache.spark.connect.proto.Relation;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.connect.SparkSession;
import org.apache.spark.sql.connect.common.LiteralValueProtoConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdp.ml.SequentialEstimator;
import org.sparkdp.ml.SequentialModel;
import org.sparkdp.testkit.Blobs;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;

/**
 * sparkdp's ML stages over a real Spark Connect server ({@code SparkConnectServer} on local[2] in a
 * JVM of its own, with the app jar, {@code spark-connect} and {@code spark-pipelines}), driven by
 * Spark Connect's JVM client with the {@code MlCommand} messages that PySpark's client sends
 * ({@code pyspark/ml/util.py}: {@code try_remote_fit}, {@code try_remote_transform_relation},
 * {@code try_remote_call}, {@code RemoteMLWriter}, {@code RemoteMLReader}, {@code
 * del_remote_cache}). The reference is a classic fit in this JVM on the same file with the same
 * Params. Runs on the default Spark line (4.2) only; the other lines' profiles leave it out.
 */
@org.junit.jupiter.api.parallel.ResourceLock(BadInputIT.TEST_JVM_SPARK)
class ConnectIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ESTIMATOR = "org.sparkdp.ml.SequentialEstimator";
  private static final String MODEL = "org.sparkdp.ml.SequentialModel";
  private static final String LAYERS =
      "[{\"type\": \"dense\", \"units\": 8, \"activation\": \"relu\", \"input_dim\": 4},"
          + " {\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}]";
  private static final String[] INPUTS = {"x0", "x1", "x2", "x3"};

  @TempDir static Path dir;
  private static Process server;
  private static String url;
  private static Path csv;

  /** The classic fit's outputs: predictions, history and provenance, its saved directory. */
  private static List<String> classicPredictions;

  private static String classicHistory;
  private static JsonNode classicProvenance;
  private static Path classicSaved;

  @BeforeAll
  static void startServerAndFitClassically() throws Exception {
    csv = Blobs.of(300, 4, 3, 5).writeCsv(dir.resolve("data.csv"));
    int port = freePort();
    url = "sc://127.0.0.1:" + port;
    server = startServer(port);
    // The classic reference, in this JVM, while the server starts.
    org.apache.spark.sql.classic.SparkSession classic =
        org.apache.spark.sql.classic.SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    try {
      org.apache.spark.sql.Dataset<Row> data =
          new VectorAssembler()
              .setInputCols(INPUTS)
              .setOutputCol("features")
              .transform(
                  classic
                      .read()
                      .option("header", "true")
                      .option("inferSchema", "true")
                      .csv(csv.toString())
                      .coalesce(1));
      SequentialEstimator estimator =
          new SequentialEstimator("SequentialEstimator_reference")
              .setLayers(LAYERS)
              .setLoss("sparse_categorical_crossentropy")
              .setMetrics("accuracy")
              .setLearningRate(0.01)
              .setParam("epochs", 4)
              .setParam("batchSize", 16)
              .setParam("verbose", 0)
              .setSeed(11);
      SequentialModel model = estimator.fit(data);
      classicPredictions = rows(model.transform(data).selectExpr(SELECTED), "classic");
      classicHistory = model.getOrDefault(model.getParam("historyJson")).toString();
      classicProvenance =
          JSON.readTree(model.getOrDefault(model.getParam("provenanceJson")).toString());
      classicSaved = dir.resolve("classic");
      model.write().save(classicSaved.toString());
    } finally {
      classic.stop();
    }
    awaitPort(port, 120);
  }

  @AfterAll
  static void stopServer() throws InterruptedException {
    if (server != null) {
      server.destroy();
      server.waitFor();
    }
  }

  private static final String[] SELECTED = {"prediction", "cast(probability as string) AS p"};

  /**
   * The rows of {@code data}, written by the server as JSON lines and read here: the Connect client
   * collects through Arrow, whose shaded classes clash with Spark's own on this test's classpath.
   */
  private static List<String> rows(org.apache.spark.sql.Dataset<Row> data, String name)
      throws IOException {
    Path out = dir.resolve("rows").resolve(name);
    data.coalesce(1).write().mode("overwrite").json(out.toString());
    List<String> lines = new ArrayList<>();
    try (Stream<Path> parts = Files.list(out)) {
      for (Path part :
          parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        lines.addAll(Files.readAllLines(part));
      }
    }
    return lines;
  }

  /**
   * {@code java SparkConnectServer} on local[2]: the build's Spark jars, the server's, the app jar.
   */
  private static Process startServer(int port) throws IOException {
    List<String> classpath = new ArrayList<>();
    try (Stream<Path> lib = Files.list(Launcher.HOME.resolve("jobs/target/lib"))) {
      lib.filter(p -> !p.getFileName().toString().startsWith("sparkdp-"))
          .forEach(p -> classpath.add(p.toString()));
    }
    classpath.add(System.getProperty("sparkdp.connectServerJars") + "/*");
    classpath.add(SparkDist.APP.toString());
    return Launcher.java(
        dir.resolve("connect-server.log"),
        String.join(":", classpath),
        Map.of("OPENBLAS_NUM_THREADS", "1"),
        List.of(
            "-Dspark.master=local[2]",
            "-Dspark.ui.enabled=false",
            "-Dspark.app.name=sparkdp-connect-it",
            "-Dspark.connect.grpc.binding.address=127.0.0.1",
            "-Dspark.connect.grpc.binding.port=" + port,
            "-Dlog4j2.configurationFile=" + Launcher.HOME.resolve("conf/log4j2.properties"),
            "org.apache.spark.sql.connect.service.SparkConnectServer"));
  }

  private static SparkSession connect() {
    return SparkSession.builder().remote(url).create();
  }

  /** The data as the client's DataFrame: the same file, read and coalesced as the classic one. */
  private static org.apache.spark.sql.connect.Dataset<Row> data(SparkSession session) {
    org.apache.spark.sql.connect.Dataset<Row> raw =
        (org.apache.spark.sql.connect.Dataset<Row>)
            session
                .read()
                .option("header", "true")
                .option("inferSchema", "true")
                .csv(csv.toString())
                .coalesce(1);
    return transformer(
        session,
        raw,
        "org.apache.spark.ml.feature.VectorAssembler",
        params("inputCols", INPUTS, "outputCol", "features"));
  }

  private static MlParams params(Object... nameValues) {
    MlParams.Builder b = MlParams.newBuilder();
    for (int i = 0; i < nameValues.length; i += 2) {
      b.putParams(
          (String) nameValues[i], LiteralValueProtoConverter.toLiteralProto(nameValues[i + 1]));
    }
    return b.build();
  }

  /** The Params PySpark's client sends for the reference's estimator (Python ints are ints). */
  private static MlParams estimatorParams() {
    return params(
        "layers",
        LAYERS,
        "loss",
        "sparse_categorical_crossentropy",
        "metrics",
        new String[] {"accuracy"},
        "learningRate",
        0.01,
        "epochs",
        4,
        "batchSize",
        16,
        "verbose",
        0,
        "seed",
        11);
  }

  private static MlCommandResult execute(SparkSession session, MlCommand command) {
    List<ExecutePlanResponse> responses =
        CollectionConverters.asJava(
            session.execute(Command.newBuilder().setMlCommand(command).build()));
    return responses.stream()
        .filter(ExecutePlanResponse::hasMlCommandResult)
        .map(ExecutePlanResponse::getMlCommandResult)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no MlCommandResult in " + responses));
  }

  private static MlOperator operator(String name, String uid, MlOperator.OperatorType type) {
    return MlOperator.newBuilder().setName(name).setUid(uid).setType(type).build();
  }

  /** {@code try_remote_fit}: the model's reference in the server's ML cache. */
  private static String fit(
      SparkSession session,
      String estimator,
      String uid,
      MlParams params,
      org.apache.spark.sql.connect.Dataset<Row> data) {
    MlCommandResult result =
        execute(
            session,
            MlCommand.newBuilder()
                .setFit(
                    MlCommand.Fit.newBuilder()
                        .setEstimator(
                            operator(
                                estimator, uid, MlOperator.OperatorType.OPERATOR_TYPE_ESTIMATOR))
                        .setParams(params)
                        .setDataset(data.plan().getRoot()))
                .build());
    return result.getOperatorInfo().getObjRef().getId();
  }

  /** {@code try_remote_call}: a method of a cached object, as PySpark's {@code _call_java}. */
  private static Expression.Literal fetch(SparkSession session, String ref, String method) {
    return execute(
            session,
            MlCommand.newBuilder()
                .setFetch(
                    Fetch.newBuilder()
                        .setObjRef(ObjectRef.newBuilder().setId(ref))
                        .addMethods(Fetch.Method.newBuilder().setMethod(method)))
                .build())
        .getParam();
  }

  /** {@code TransformerRelation} of a cached model. */
  private static org.apache.spark.sql.connect.Dataset<Row> transform(
      SparkSession session, String ref, org.apache.spark.sql.connect.Dataset<Row> input) {
    return relation(
        session,
        MlRelation.Transform.newBuilder()
            .setObjRef(ObjectRef.newBuilder().setId(ref))
            .setParams(MlParams.getDefaultInstance())
            .setInput(input.plan().getRoot()));
  }

  /** {@code TransformerRelation} of a transformer made on the server (VectorAssembler). */
  private static org.apache.spark.sql.connect.Dataset<Row> transformer(
      SparkSession session,
      org.apache.spark.sql.connect.Dataset<Row> input,
      String name,
      MlParams params) {
    return relation(
        session,
        MlRelation.Transform.newBuilder()
            .setTransformer(
                operator(name, name + "_it", MlOperator.OperatorType.OPERATOR_TYPE_TRANSFORMER))
            .setParams(params)
            .setInput(input.plan().getRoot()));
  }

  private static org.apache.spark.sql.connect.Dataset<Row> relation(
      SparkSession session, MlRelation.Transform.Builder transform) {
    Function1<Relation.Builder, BoxedUnit> build =
        b -> {
          b.setMlRelation(MlRelation.newBuilder().setTransform(transform));
          return BoxedUnit.UNIT;
        };
    return session.newDataFrame(build);
  }

  /** The facts of a cached model: the JSON on the second line of its {@code toString}. */
  private static JsonNode facts(SparkSession session, String ref) throws IOException {
    String text = fetch(session, ref, "toString").getString();
    String[] lines = text.split("\n", 2);
    assertTrue(lines[0].startsWith("SequentialModel: uid="), text);
    return JSON.readTree(lines[1]);
  }

  /**
   * The provenance less what differs between two JVMs: when, and the code's jars (classes dirs
   * here).
   */
  private static JsonNode comparable(JsonNode provenance) {
    ObjectNode copy = provenance.deepCopy();
    copy.remove(List.of("created_at", "code"));
    return copy;
  }

  @Test
  void theModelFittedThroughMlCommandsHasTheClassicFitsWeightsPredictionsHistoryAndProvenance()
      throws Exception {
    SparkSession session = connect();
    try {
      org.apache.spark.sql.connect.Dataset<Row> data = data(session);
      String ref =
          fit(session, ESTIMATOR, "SequentialEstimator_reference", estimatorParams(), data);
      assertEquals(300, classicPredictions.size());
      assertEquals(
          classicPredictions, rows(transform(session, ref, data).selectExpr(SELECTED), "fitted"));

      JsonNode facts = facts(session, ref);
      assertEquals(classicHistory, facts.get("historyJson").asText());
      assertEquals(4, JSON.readTree(classicHistory).get("loss").size());
      JsonNode provenance = JSON.readTree(facts.get("provenanceJson").asText());
      assertEquals(comparable(classicProvenance), comparable(provenance));
      assertTrue(
          provenance.path("data").path("train").path("rows").asLong() == 300,
          provenance.toString());
      assertTrue(facts.get("summaryText").asText().contains("Total params"), facts.toString());

      // RemoteMLWriter of a model: the same weights, bit for bit, as the classic model's.
      Path saved = dir.resolve("connect-model");
      write(session, ref, saved);
      assertBitsEqual(
          Weights.of(classicSaved.resolve("model")), Weights.of(saved.resolve("model")));

      // del_remote_cache: the reference is gone, and a fetch names it.
      MlCommandResult deleted =
          execute(
              session,
              MlCommand.newBuilder()
                  .setDelete(
                      MlCommand.Delete.newBuilder().addObjRefs(ObjectRef.newBuilder().setId(ref)))
                  .build());
      assertEquals(ref, deleted.getOperatorInfo().getObjRef().getId());
      Exception gone = assertThrows(Exception.class, () -> fetch(session, ref, "toString"));
      assertTrue(gone.getMessage().contains(ref), gone.getMessage());
    } finally {
      session.close();
    }
  }

  private static void write(SparkSession session, String ref, Path path) {
    execute(
        session,
        MlCommand.newBuilder()
            .setWrite(
                MlCommand.Write.newBuilder()
                    .setObjRef(ObjectRef.newBuilder().setId(ref))
                    .setParams(MlParams.getDefaultInstance())
                    .setPath(path.toString())
                    .setShouldOverwrite(true))
            .build());
  }

  private static void assertBitsEqual(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    int[] e = new int[expected.length];
    int[] a = new int[actual.length];
    for (int i = 0; i < e.length; i++) {
      e[i] = Float.floatToRawIntBits(expected[i]);
      a[i] = Float.floatToRawIntBits(actual[i]);
    }
    assertArrayEquals(e, a);
  }

  private static MlCommandResult read(
      SparkSession session, String name, MlOperator.OperatorType type, Path path) {
    return execute(
        session,
        MlCommand.newBuilder()
            .setRead(
                MlCommand.Read.newBuilder()
                    .setOperator(MlOperator.newBuilder().setName(name).setType(type))
                    .setPath(path.toString()))
            .build());
  }

  @Test
  void aModelAndAnEstimatorWrittenThroughConnectAreReadInANewClientSessionAndPredictTheSame()
      throws Exception {
    Path model = dir.resolve("written-model");
    Path estimator = dir.resolve("written-estimator");
    SparkSession first = connect();
    List<String> before;
    try {
      org.apache.spark.sql.connect.Dataset<Row> data = data(first);
      String ref = fit(first, ESTIMATOR, "SequentialEstimator_written", estimatorParams(), data);
      before = rows(transform(first, ref, data).selectExpr(SELECTED), "before");
      write(first, ref, model);
      execute(
          first,
          MlCommand.newBuilder()
              .setWrite(
                  MlCommand.Write.newBuilder()
                      .setOperator(
                          operator(
                              ESTIMATOR,
                              "SequentialEstimator_written",
                              MlOperator.OperatorType.OPERATOR_TYPE_ESTIMATOR))
                      .setParams(estimatorParams())
                      .setPath(estimator.toString())
                      .setShouldOverwrite(true))
              .build());
    } finally {
      first.close();
    }
    SparkSession second = connect();
    try {
      MlCommandResult loaded =
          read(second, MODEL, MlOperator.OperatorType.OPERATOR_TYPE_MODEL, model);
      String ref = loaded.getOperatorInfo().getObjRef().getId();
      assertEquals("SequentialEstimator_written", loaded.getOperatorInfo().getUid());
      org.apache.spark.sql.connect.Dataset<Row> data = data(second);
      assertEquals(before, rows(transform(second, ref, data).selectExpr(SELECTED), "after"));
      // RemoteMLReader sets the Params the server sends back on the Python model: the facts among
      // them.
      Map<String, Expression.Literal> params = loaded.getOperatorInfo().getParams().getParamsMap();
      assertEquals(classicHistory, params.get("historyJson").getString());
      assertEquals(
          comparable(classicProvenance),
          comparable(JSON.readTree(params.get("provenanceJson").getString())));
      assertEquals(16, params.get("batchSize").getInteger());

      MlCommandResult readEstimator =
          read(second, ESTIMATOR, MlOperator.OperatorType.OPERATOR_TYPE_ESTIMATOR, estimator);
      Map<String, Expression.Literal> estimatorParams =
          readEstimator.getOperatorInfo().getParams().getParamsMap();
      assertEquals(LAYERS, estimatorParams.get("layers").getString());
      assertEquals(11L, estimatorParams.get("seed").getLong());
      assertFalse(estimatorParams.containsKey("historyJson"));
    } finally {
      second.close();
    }
  }

  @Test
  void aPipelineOfVectorAssemblerStandardScalerAndTheEstimatorFitsAndTransforms() throws Exception {
    SparkSession session = connect();
    try {
      // PySpark's Pipeline on Connect: each stage's fit and transform in turn.
      org.apache.spark.sql.connect.Dataset<Row> assembled =
          transformer(
              session,
              (org.apache.spark.sql.connect.Dataset<Row>)
                  session
                      .read()
                      .option("header", "true")
                      .option("inferSchema", "true")
                      .csv(csv.toString()),
              "org.apache.spark.ml.feature.VectorAssembler",
              params("inputCols", INPUTS, "outputCol", "raw"));
      String scaler =
          fit(
              session,
              "org.apache.spark.ml.feature.StandardScaler",
              "StandardScaler_it",
              params("inputCol", "raw", "outputCol", "features", "withMean", true),
              assembled);
      org.apache.spark.sql.connect.Dataset<Row> scaled = transform(session, scaler, assembled);
      String model =
          fit(session, ESTIMATOR, "SequentialEstimator_pipeline", estimatorParams(), scaled);
      org.apache.spark.sql.connect.Dataset<Row> predicted = transform(session, model, scaled);
      List<String> rows = rows(predicted.select("label", "prediction"), "pipeline");
      assertEquals(300, rows.size());
      long right = 0;
      for (String row : rows) {
        JsonNode r = JSON.readTree(row);
        right += r.get("label").asDouble() == r.get("prediction").asDouble() ? 1 : 0;
      }
      // Spark's evaluator over Connect (try_remote_evaluate) scores the same predictions.
      double accuracy =
          execute(
                  session,
                  MlCommand.newBuilder()
                      .setEvaluate(
                          MlCommand.Evaluate.newBuilder()
                              .setEvaluator(
                                  operator(
                                      "org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator",
                                      "MulticlassClassificationEvaluator_it",
                                      MlOperator.OperatorType.OPERATOR_TYPE_EVALUATOR))
                              .setParams(params("metricName", "accuracy"))
                              .setDataset(predicted.plan().getRoot()))
                      .build())
              .getParam()
              .getDouble();
      assertEquals(right / 300.0, accuracy, 1e-12);
      assertTrue(accuracy > 0.8, "accuracy " + accuracy);
      System.out.printf("Connect pipeline: accuracy %.4f%n", accuracy);
    } finally {
      session.close();
    }
  }

  @Test
  void aBadParamValueComesBackAsOneReadableLine() {
    SparkSession session = connect();
    try {
      org.apache.spark.sql.connect.Dataset<Row> data = data(session);
      MlParams bad =
          MlParams.newBuilder()
              .putAllParams(estimatorParams().getParamsMap())
              .putParams("batchSize", LiteralValueProtoConverter.toLiteralProto(0))
              .build();
      Exception e =
          assertThrows(
              Exception.class, () -> fit(session, ESTIMATOR, "SequentialEstimator_bad", bad, data));
      String message = e.getMessage();
      System.out.println("Connect, batchSize=0: " + message);
      assertFalse(message.strip().contains("\n"), message);
      assertTrue(message.contains("batch_size: must be a positive integer"), message);
    } finally {
      session.close();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Waits for the server's port (its JVM starts Spark first). */
  private static void awaitPort(int port, int seconds) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new AssertionError(
            "the Connect server stopped: " + Files.readString(dir.resolve("connect-server.log")));
      }
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError(
        "the Connect server did not open port "
            + port
            + " in "
            + seconds
            + " s: "
            + Files.readString(dir.resolve("connect-server.log")));
  }
}
