"""Checks a .keras file against Keras 3's layout (keras/src/saving/saving_lib.py) with h5py, and its
weights against a weights.npz of the same model. Usage: check_keras_file.py MODEL.keras WEIGHTS.npz.
Prints one line per finding; exits 1 at the first difference."""
import io
import json
import re
import sys
import zipfile

import h5py
import numpy as np

# The variables each layer class creates, in order (Keras 3's layers).
VARIABLES = {"Dense": ["kernel", "bias"], "LayerNormalization": ["gamma", "beta"],
             "Dropout": [], "Activation": [],
             "SimpleRNN": ["kernel", "recurrent_kernel", "bias"],
             "LSTM": ["kernel", "recurrent_kernel", "bias"], "GRU": ["kernel", "recurrent_kernel", "bias"]}
VARIABLES.update({"Conv1D": ["kernel", "bias"], "Conv2D": ["kernel", "bias"], "Flatten": []})
VARIABLES.update({k: [] for k in ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
                                  "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
                                  "GlobalMaxPooling2D")})
# Layers whose variables are their cell's (keras/src/layers/rnn/rnn.py keeps the cell as `cell`).
IN_CELL = {"SimpleRNN", "LSTM", "GRU"}
VARIABLES["BatchNormalization"] = ["gamma", "beta", "moving_mean", "moving_variance"]


def fail(message):
    print("FAIL " + message)
    sys.exit(1)


def snake(name):
    """Keras' to_snake_case: MaxPooling1D is max_pooling1d."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


keras_path, npz_path = sys.argv[1], sys.argv[2]
npz = np.load(npz_path)
with zipfile.ZipFile(keras_path) as zf:
    names = [i.filename for i in zf.infolist()]
    if sorted(names) != ["config.json", "metadata.json", "model.weights.h5"]:
        fail("entries %s" % names)
    for info in zf.infolist():
        if info.compress_type != zipfile.ZIP_STORED:
            fail("%s is compressed" % info.filename)
    metadata = json.loads(zf.read("metadata.json"))
    if not metadata["keras_version"].startswith("3.") or "date_saved" not in metadata:
        fail("metadata %s" % metadata)
    config = json.loads(zf.read("config.json"))
    weights = zf.read("model.weights.h5")

# config.json: serialize_keras_object's shape.
for key in ("module", "class_name", "config", "registered_name", "build_config"):
    if key not in config:
        fail("config.json has no %s" % key)
if config["class_name"] != "Sequential" or config["module"] != "keras":
    fail("model class %s.%s" % (config["module"], config["class_name"]))
layers = config["config"]["layers"]
first = layers[0]
if first["class_name"] != "InputLayer" or first["config"]["batch_shape"][0] is not None:
    fail("first layer %s" % first)
for layer in layers:
    for key in ("module", "class_name", "config", "registered_name"):
        if key not in layer:
            fail("layer %s has no %s" % (layer.get("class_name"), key))
    if layer["module"] != "keras.layers":
        fail("layer module %s" % layer["module"])
compile_config = config.get("compile_config")
if compile_config is not None:
    optimizer = compile_config["optimizer"]
    if optimizer["module"] != "keras.optimizers" or "learning_rate" not in optimizer["config"]:
        fail("optimizer %s" % optimizer)

# model.weights.h5: H5IOStore's groups.
seen_npz = set()
datasets = 0
with h5py.File(io.BytesIO(weights), "r") as f:
    expected_root = {"layers", "vars"} | ({"optimizer"} if compile_config is not None else set())
    if set(f.keys()) != expected_root:
        fail("root groups %s" % sorted(f.keys()))
    if not isinstance(f["vars"], h5py.Group) or len(f["vars"]) != 0:
        fail("root vars is not an empty group")
    counts = {}
    layer_names = []
    for layer in layers[1:]:
        kind = layer["class_name"]
        base = snake(kind)
        n = counts.get(base, 0)
        counts[base] = n + 1
        name = base if n == 0 else "%s_%d" % (base, n)
        layer_names.append(name)
        group = f["layers/%s/vars" % name]
        if kind in IN_CELL:
            if len(group) != 0:
                fail("layers/%s/vars is not empty: the variables are the cell's" % name)
            group = f["layers/%s/cell/vars" % name]
        own = [v for v in VARIABLES[kind]
               if v in ("kernel", "recurrent_kernel") or (v == "bias" and layer["config"].get("use_bias", True))
               or (v == "gamma" and layer["config"].get("scale", True))
               or (v == "beta" and layer["config"].get("center", True))
               or v.startswith("moving_")]
        if sorted(group.keys()) != [str(i) for i in range(len(own))]:
            fail("layers/%s/vars holds %s, expected %d variables" % (name, sorted(group.keys()), len(own)))
        for i, variable in enumerate(own):
            ds = group[str(i)]
            array = npz["%s/%s" % (name, variable)]
            if ds.dtype != np.float32 or ds.shape != array.shape:
                fail("layers/%s/vars/%d: %s %s, npz %s %s" % (name, i, ds.dtype, ds.shape, array.dtype, array.shape))
            if not np.array_equal(ds[()], array):
                fail("layers/%s/vars/%d differs from %s/%s" % (name, i, name, variable))
            seen_npz.add("%s/%s" % (name, variable))
            datasets += 1
    if sorted(f["layers"].keys()) != sorted(layer_names):
        fail("layers groups %s" % sorted(f["layers"].keys()))
    if compile_config is not None:
        opt = f["optimizer/vars"]
        if opt["0"].dtype != np.int64 or opt["0"].shape != () or opt["0"][()] != 0:
            fail("optimizer/vars/0 (iterations) %s %s" % (opt["0"].dtype, opt["0"][()]))
        lr = compile_config["optimizer"]["config"]["learning_rate"]
        if isinstance(lr, float):
            if opt["1"].dtype != np.float32 or abs(float(opt["1"][()]) - lr) > 1e-9 * max(1, lr):
                fail("optimizer/vars/1 (learning rate) %s" % opt["1"][()])
if seen_npz != set(npz.files):
    fail("npz arrays not in the file: %s" % sorted(set(npz.files) - seen_npz))
print("OK %d datasets, %d layers, compile_config %s" % (datasets, len(layers) - 1, compile_config is not None))
