package org.sparkdp.ml;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkdp.FitOptions;
import org.sparkdp.History;
import org.sparkdp.Sequential;
import org.sparkdp.ops.Configs;

/**
 * The calls sparkdp's Python package makes over Py4J, in JSON (Keras' vocabulary) so that Python
 * builds no Java objects by hand: the layers, compile and fit settings are read by the same readers
 * as a job file's, and the history and metrics come back as JSON.
 */
public final class Bridge {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Bridge() {}

  /** A model of the layers in {@code layersJson}: a list of {@code {type: dense, ...}}. */
  public static Sequential sequential(String layersJson) {
    return new Sequential(StageParams.readLayers(layersJson, "layers"));
  }

  /** Compiles {@code model} with {@code {optimizer: ..., loss: ..., metrics: [...]}}. */
  public static void compile(Sequential model, String compileJson) {
    model.compile(Configs.compile(StageParams.parse(compileJson, "compile"), "compile"));
  }

  /**
   * Fits {@code model} with the fit settings of {@code fitJson} (Keras' names: {@code epochs},
   * {@code batch_size}, ...), sending the epoch lines to {@code progress} when it is given; returns
   * the history as JSON.
   */
  public static String fit(
      Sequential model,
      Dataset<Row> train,
      Dataset<Row> validation,
      String fitJson,
      String featuresCol,
      String labelCol,
      ProgressLines progress) {
    FitOptions options =
        FitOptions.fromConfig(StageParams.parse(fitJson, "fit"), "fit")
            .featuresCol(featuresCol)
            .labelCol(labelCol);
    if (progress != null && options.verbose() > 0) {
      options.verbose(0).callbacks(progress);
    }
    History history = model.fit(train, validation, options);
    return json(history.toMap());
  }

  /** {@code model.evaluate} as JSON: {@code {"loss": ..., "accuracy": ...}}. */
  public static String evaluate(
      Sequential model, Dataset<Row> data, String featuresCol, String labelCol) {
    return json(model.evaluate(data, featuresCol, labelCol, "evaluation data"));
  }

  private static String json(Map<String, ?> value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
