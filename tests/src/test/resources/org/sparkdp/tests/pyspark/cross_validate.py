"""CrossValidator over a 2x2 grid (learning rate, hidden units) with 2 folds; prints the metrics and the best
model's Params as JSON. Usage: cross_validate.py DATA.csv"""
import json
import sys

from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import SparkSession

from sparkdp import Dense, SequentialEstimator

spark = SparkSession.builder.getOrCreate()
data = spark.read.csv(sys.argv[1], header=True, inferSchema=True).coalesce(1)
inputs = [c for c in data.columns if c != "label"]
data = VectorAssembler(inputCols=inputs, outputCol="features").transform(data)
estimator = SequentialEstimator(loss="sparse_categorical_crossentropy", epochs=3, batch_size=16, seed=3,
                                verbose=0)
grid = (ParamGridBuilder()
        .addGrid(estimator.learningRate, [0.0001, 0.03])
        .addGrid(estimator.layers, [[Dense(units, activation="relu", input_dim=len(inputs)),
                                     Dense(3, activation="softmax")] for units in (1, 16)])
        .build())
evaluator = MulticlassClassificationEvaluator(metricName="accuracy")
cv = CrossValidator(estimator=estimator, estimatorParamMaps=grid, evaluator=evaluator, numFolds=2, seed=5)
model = cv.fit(data)
best = model.bestModel
print("result " + json.dumps({
    "metrics": list(model.avgMetrics),
    "grid": [{"learningRate": m[estimator.learningRate],
              "layers": estimator.layers.typeConverter(m[estimator.layers])} for m in grid],
    "best": {"learningRate": best.getOrDefault("learningRate"), "layers": best.getOrDefault("layers")},
    "best_accuracy": evaluator.evaluate(best.transform(data)),
}))
