"""Trains conf/fashion-mnist.yaml's model with sparkdp's Keras-shaped API on a CSV and saves it.
Usage: seed_model.py DATA.csv EPOCHS SEED OUT_DIR"""
import sys

from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession

from sparkdp import Adam, Dense, Sequential

data_path, epochs, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
spark = SparkSession.builder.getOrCreate()
data = spark.read.csv(data_path, header=True, inferSchema=True)
data = VectorAssembler(inputCols=[c for c in data.columns if c != "label"], outputCol="features").transform(data)
model = Sequential([
    Dense(64, activation="relu", input_dim=784),
    Dense(64, activation="relu"),
    Dense(10, activation="softmax"),
])
model.compile(optimizer=Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(data, epochs=epochs, batch_size=32, validation_split=0.1, strategy="sync", seed=seed)
print("history", history.history)
model.save(out)
