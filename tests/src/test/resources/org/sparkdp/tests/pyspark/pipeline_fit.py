"""Fits Pipeline(VectorAssembler, StandardScaler, SequentialEstimator) on a CSV, saves it, and writes its
predictions (before.json) and its accuracy. Usage: pipeline_fit.py DATA.csv OUT_DIR"""
import json
import sys

from pyspark.ml import Pipeline
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import SparkSession

from sparkdp import Dense, SequentialEstimator

data_path, out = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.getOrCreate()
data = spark.read.csv(data_path, header=True, inferSchema=True).coalesce(1)
inputs = [c for c in data.columns if c != "label"]
estimator = SequentialEstimator(
    layers=[Dense(8, activation="relu", input_dim=len(inputs)), Dense(3, activation="softmax")],
    loss="sparse_categorical_crossentropy", metrics=["accuracy"], learning_rate=0.01, epochs=5,
    batch_size=16, seed=3)
pipeline = Pipeline(stages=[VectorAssembler(inputCols=inputs, outputCol="raw"),
                            StandardScaler(inputCol="raw", outputCol="features", withMean=True), estimator])
model = pipeline.fit(data)
predictions = model.transform(data)
rows = predictions.select("prediction", vector_to_array("probability").alias("p")).collect()
with open(out + "/before.json", "w") as f:
    json.dump([[r.prediction, list(r.p)] for r in rows], f)
accuracy = MulticlassClassificationEvaluator(metricName="accuracy").evaluate(predictions)
print("accuracy %.6f" % accuracy)
print("history " + json.dumps(model.stages[-1].history))
model.write().overwrite().save(out + "/pipeline-model")
pipeline.write().overwrite().save(out + "/pipeline")
