"""Loads the pipeline model that pipeline_fit.py saved (in a new session) and writes its predictions
(after.json). Usage: pipeline_load.py DATA.csv OUT_DIR"""
import json
import sys

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import SparkSession

data_path, out = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.getOrCreate()
data = spark.read.csv(data_path, header=True, inferSchema=True).coalesce(1)
model = PipelineModel.load(out + "/pipeline-model")
print("stages " + " ".join(type(s).__module__ + "." + type(s).__name__ for s in model.stages))
rows = model.transform(data).select("prediction", vector_to_array("probability").alias("p")).collect()
with open(out + "/after.json", "w") as f:
    json.dump([[r.prediction, list(r.p)] for r in rows], f)
estimator = Pipeline.load(out + "/pipeline").getStages()[-1]
print("estimator %s batchSize=%d learningRate=%s seed=%d" % (
    type(estimator).__name__, estimator.getOrDefault("batchSize"), estimator.getOrDefault("learningRate"),
    estimator.getOrDefault("seed")))
