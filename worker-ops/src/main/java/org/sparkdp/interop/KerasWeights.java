package org.sparkdp.interop;

import io.jhdf.HdfFile;
import io.jhdf.Superblock;
import io.jhdf.WritableGroupImpl;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.WritableGroup;
import io.jhdf.storage.HdfFileChannel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.sparkdp.ops.CompileConfig;
import org.sparkdp.ops.Layer;
import org.sparkdp.ops.LearningRate;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.ParameterLayout;
import org.sparkdp.ops.RecurrentCell;

/**
 * A {@code .keras} file's {@code model.weights.h5} in the layout of Keras 3's {@code H5IOStore}
 * ({@code saving_lib.py}): a group {@code vars} for the model's own variables (a Sequential model
 * has none), {@code layers/NAME/vars/I} for the layers' variables in the order the layer creates
 * them ({@code dense/vars/0} the kernel {@code [in, out]}, {@code 1} the bias; {@code
 * layer_normalization/vars/0} gamma, {@code 1} beta), an empty {@code vars} group for layers
 * without variables (a recurrent layer's are its cell's: {@code layers/lstm/cell/vars/I}), and
 * {@code optimizer/vars/I} for the optimizer's. NAME is the layer's class in snake case, counted
 * per class ({@code dense}, {@code dense_1}), which is how sparkdp names layers too.
 *
 * <p>HDF5 is read and written by jHDF. Its writer's {@code close()} writes an informative string at
 * the channel's position, over the header of a group written last when that group is empty (Keras'
 * root {@code vars} always is): this class lays the file out with jHDF's own writer and writes the
 * superblock itself, without that string.
 */
final class KerasWeights {
  /** Room per group or dataset beyond its values in a file Keras writes. */
  private static final long OVERHEAD_PER_NODE = 4096;

  private KerasWeights() {}

  /**
   * The bytes of {@code model.weights.h5}. With {@code compile}, the optimizer's group holds what
   * Keras 3 writes for a compiled model whose optimizer has not taken a step: {@code 0} the
   * iteration count (int64, 0) and {@code 1} the learning rate (float32) when it is a constant.
   */
  static byte[] write(ModelSpec spec, float[] params, CompileConfig compile) throws IOException {
    ParameterLayout layout = spec.layout();
    WritableGroupImpl root = new WritableGroupImpl(null, "/");
    root.putGroup("vars");
    WritableGroup layers = root.putGroup("layers");
    List<String> names = spec.names();
    for (int l = 0; l < spec.layers().size(); l++) {
      WritableGroup group = layers.putGroup(names.get(l));
      WritableGroup vars = group.putGroup("vars");
      if (spec.layers().get(l) instanceof RecurrentCell.Owner) {
        vars = group.putGroup("cell").putGroup("vars");
      }
      int i = 0;
      for (ParameterLayout.View v : layout.views()) {
        if (v.layer() == l) {
          vars.putDataset(String.valueOf(i++), array(params, v));
        }
      }
    }
    if (compile != null) {
      WritableGroup vars = root.putGroup("optimizer").putGroup("vars");
      vars.putDataset("0", 0L);
      if (compile.optimizer().learningRate() instanceof LearningRate.Constant c) {
        vars.putDataset("1", (float) c.value());
      }
    }
    Path file = Files.createTempFile("sparkdp-", ".weights.h5");
    try {
      try (FileChannel channel =
          FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        Superblock.SuperblockV2V3 superblock = new Superblock.SuperblockV2V3();
        HdfFileChannel hdf = new HdfFileChannel(channel, superblock);
        long end = root.write(hdf, WritableHdfFile.ROOT_GROUP_ADDRESS);
        hdf.write(superblock.toBuffer(Math.max(end, channel.size())), 0L);
      } catch (RuntimeException e) {
        throw new IOException("writing model.weights.h5 failed: " + e.getMessage(), e);
      }
      return Files.readAllBytes(file);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /**
   * A weight's values as jHDF takes them: a nested {@code float} array of the weight's shape
   * ({@code float[n]}, {@code float[in][out]}, {@code float[kh][kw][in][filters]}), row-major.
   */
  private static Object array(float[] params, ParameterLayout.View v) {
    Object array = java.lang.reflect.Array.newInstance(float.class, v.shape());
    fill(array, params, v.offset());
    return array;
  }

  /** Copies {@code params[from ..]} into the nested array; returns the index after the last. */
  private static int fill(Object array, float[] params, int from) {
    if (array instanceof float[] row) {
      System.arraycopy(params, from, row, 0, row.length);
      return from + row.length;
    }
    for (Object inner : (Object[]) array) {
      from = fill(inner, params, from);
    }
    return from;
  }

  /** Copies a nested float array into {@code params[at ..]}; returns the index after the last. */
  private static int flatten(Object array, float[] params, int at) {
    if (array instanceof float[] row) {
      System.arraycopy(row, 0, params, at, row.length);
      return at + row.length;
    }
    for (Object inner : (Object[]) array) {
      at = flatten(inner, params, at);
    }
    return at;
  }

  /** The most bytes a {@code model.weights.h5} of {@code spec} needs (its floats, headers). */
  static long maxBytes(ModelSpec spec) {
    long nodes = 8L + 3L * spec.layers().size() + spec.layout().views().size();
    return 4L * spec.layout().size() + OVERHEAD_PER_NODE * nodes + (1 << 20);
  }

  /**
   * Reads the layers' weights of {@code spec} from a {@code model.weights.h5}: each dataset's dtype
   * (float32) and shape are checked before its values are read, and its values must be finite. The
   * optimizer's variables are not read (sparkdp's optimizer starts afresh).
   *
   * @throws IOException naming {@code source}, the dataset and what is wrong
   */
  static float[] read(byte[] bytes, ModelSpec spec, String source) throws IOException {
    if (bytes.length > maxBytes(spec)) {
      throw new IOException(
          source + ": larger than the model's weights need (" + maxBytes(spec) + " bytes)");
    }
    try (HdfFile file = HdfFile.fromBytes(bytes)) {
      return read(file, spec, source);
    } catch (IOException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IOException(source + ": not a readable HDF5 file (" + describe(e) + ")", e);
    } catch (StackOverflowError e) {
      // A damaged file can link a group into itself; jHDF then recurses without end.
      throw new IOException(source + ": not a readable HDF5 file (its groups loop)", e);
    }
  }

  private static float[] read(HdfFile file, ModelSpec spec, String source) throws IOException {
    // Keras 3 files name the layers' group "layers"; files of tf.keras 2.13 and 2.14,
    // "_layer_checkpoint_dependencies" (Keras 3 reads both).
    Node layersNode = file.getChildren().get("layers");
    if (layersNode == null) {
      layersNode = file.getChildren().get("_layer_checkpoint_dependencies");
    }
    ParameterLayout layout = spec.layout();
    float[] params = new float[layout.size()];
    List<String> names = spec.names();
    Map<String, Node> children = layersNode instanceof Group g ? g.getChildren() : Map.of();
    for (int l = 0; l < spec.layers().size(); l++) {
      String name = names.get(l);
      List<Layer.Weight> weights = spec.layers().get(l).weights(layout.inputShapes()[l]);
      if (weights.isEmpty()) {
        continue;
      }
      boolean inCell = spec.layers().get(l) instanceof RecurrentCell.Owner;
      String at = "layers/" + name + (inCell ? "/cell" : "") + "/vars";
      Node group = children.get(name);
      if (inCell && group instanceof Group g) {
        group = g.getChildren().get("cell");
      }
      Node vars = group instanceof Group g ? g.getChildren().get("vars") : null;
      if (!(vars instanceof Group varsGroup)) {
        throw new IOException(source + ": no group " + at + " (the weights of layer " + name + ")");
      }
      Map<String, Node> datasets = varsGroup.getChildren();
      if (datasets.size() != weights.size()) {
        throw new IOException(
            source
                + ": "
                + at
                + " holds "
                + datasets.size()
                + " variables, but layer "
                + name
                + " has "
                + weights.size()
                + " ("
                + String.join(", ", weights.stream().map(Layer.Weight::name).toList())
                + ")");
      }
      for (int i = 0; i < weights.size(); i++) {
        Layer.Weight w = weights.get(i);
        String path = at + "/" + i;
        if (!(datasets.get(String.valueOf(i)) instanceof Dataset ds)) {
          throw new IOException(
              source + ": no dataset " + path + " (" + name + "/" + w.name() + ")");
        }
        copy(ds, params, layout.offset(l, w.name()), w.shape(), source + ": " + path);
      }
    }
    return params;
  }

  private static void copy(Dataset ds, float[] params, int offset, int[] shape, String at)
      throws IOException {
    if (ds.getAttributes().containsKey("dtype")) {
      throw new IOException(
          at + ": dtype " + ds.getAttribute("dtype").getData() + " is not float32");
    }
    if (ds.getJavaType() != float.class || ds.isCompound() || ds.isVariableLength()) {
      throw new IOException(
          at + ": dtype " + ds.getDataType().getJavaType().getSimpleName() + " is not float32");
    }
    int[] dims = ds.getDimensions();
    if (!Arrays.equals(dims, shape)) {
      throw new IOException(
          at + ": shape " + Arrays.toString(dims) + ", the model needs " + Arrays.toString(shape));
    }
    Object data = ds.getData();
    int n =
        data instanceof float[] || data instanceof Object[]
            ? flatten(data, params, offset) - offset
            : 0;
    if (n != Arrays.stream(shape).reduce(1, (a, b) -> a * b)) {
      throw new IOException(at + ": holds " + n + " values, not " + Arrays.toString(shape));
    }
    for (int i = offset; i < offset + n; i++) {
      if (!Float.isFinite(params[i])) {
        throw new IOException(at + ": value " + (i - offset) + " is " + params[i]);
      }
    }
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
