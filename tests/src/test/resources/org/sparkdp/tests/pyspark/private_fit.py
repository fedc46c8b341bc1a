"""Trains with differential privacy from sparkdp's Keras-shaped API: fit(..., differential_privacy={...}) reports
epsilon per epoch in the history. Usage: private_fit.py DATA.csv"""
import json
import sys

from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession

from sparkdp import Dense, Sequential

spark = SparkSession.builder.getOrCreate()
data = spark.read.csv(sys.argv[1], header=True, inferSchema=True)
data = VectorAssembler(inputCols=[c for c in data.columns if c != "label"], outputCol="features").transform(data)
model = Sequential([Dense(8, activation="tanh", input_dim=4), Dense(3, activation="softmax")])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(data, epochs=3, batch_size=30, seed=5,
                    differential_privacy={"l2_norm_clip": 1.0, "noise_multiplier": 1.1})
print("epsilon " + json.dumps(history.history["epsilon"]))
