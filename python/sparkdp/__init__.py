"""sparkdp for PySpark: Keras' Sequential models trained data-parallel on Spark, and as Spark ML stages.

    from sparkdp import Sequential, Dense
    model = Sequential([Dense(64, activation="relu", input_dim=784), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train_df, epochs=10, batch_size=32, validation_split=0.1)

Spark needs sparkdp's app jar (``--jars sparkdp-jobs-VERSION-sparkLINE-app.jar``); this package is pure Python
and needs nothing beyond PySpark.
"""

from sparkdp.data import read_data
from sparkdp.layers import (Activation, Conv2D, Dense, Dropout, Flatten, Layer, LayerNormalization,
                            MaxPooling2D, Reshape)
from sparkdp.layers import (AveragePooling1D, AveragePooling2D, Conv1D, GlobalAveragePooling1D,
                            GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D)
from sparkdp.layers import Embedding
from sparkdp.layers import GRU, LSTM, SimpleRNN
from sparkdp.layers import BatchNormalization
from sparkdp.ml import SequentialEstimator, SequentialModel
from sparkdp.models import History, Sequential, load_model
from sparkdp.optimizers import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop

__version__ = "0.1.0"

__all__ = [
    "Activation", "Conv2D", "Dense", "Dropout", "Flatten", "Layer", "LayerNormalization", "MaxPooling2D",
    "Reshape",
    "Conv1D", "MaxPooling1D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "Embedding",
    "SimpleRNN", "LSTM", "GRU",
    "BatchNormalization",
    "SequentialEstimator", "SequentialModel",
    "History", "Sequential", "load_model", "read_data",
    "SGD", "Adagrad", "Adam", "Adamax", "AdamW", "Nadam", "RMSprop",
]
