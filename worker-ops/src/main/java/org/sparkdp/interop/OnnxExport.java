package org.sparkdp.interop;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.sparkdp.ops.Activation;
import org.sparkdp.ops.ModelSpec;
import org.sparkdp.ops.OnnxGraph;
import org.sparkdp.ops.OnnxGraph.Attribute;
import org.sparkdp.ops.ParameterLayout;

/**
 * A Sequential model as an ONNX graph: input {@code input [batch, in]} (float32, the batch size
 * dynamic; an image is its flat row of {@code H * W * C} values, channels last, as sparkdp reads
 * it), output {@code output [batch, out]}, the outputs sparkdp's {@code predict} gives. Each layer
 * kind adds its own nodes ({@link org.sparkdp.ops.Layer#onnx}); between layers the graph carries
 * flat rows, so {@code Conv2D} and {@code MaxPooling2D} are {@code Conv} and {@code MaxPool}
 * between a reshape to NHWC, transposes to NCHW and back, and a reshape to the row, and {@code
 * Flatten} and {@code Reshape} are {@code Identity}; {@code SimpleRNN}, {@code LSTM} and {@code
 * GRU} are ONNX's {@code RNN}, {@code LSTM} and {@code GRU} (gates in ONNX's order) between
 * transposes to ONNX's {@code [T, batch, F]} and back. Opset 17, which ONNX Runtime 1.12 and later
 * run: {@code Dense} is {@code Gemm} ({@code MatMul} without a bias), {@code LayerNormalization} is
 * ONNX's (new in opset 17), {@code Dropout} is {@code Identity} (inference), and each activation is
 * its ONNX operator with Keras 3's constants ({@code HardSigmoid} alpha 1/6, beta 0.5; {@code
 * LeakyRelu} 0.2; {@code Selu}'s alpha and gamma; {@code Clip} to [0, 6] for relu6; swish as {@code
 * x * Sigmoid(x)}; exact gelu as {@code 0.5 x (1 + Erf(x / sqrt 2))}, since ONNX's {@code Gelu}
 * needs opset 20). Weights are initializers named as in {@code weights.npz} ({@code dense/kernel}).
 */
public final class OnnxExport {
  /** The ONNX operator set of the graph. */
  public static final int OPSET = 17;

  /** The IR version that goes with opset 17. */
  static final int IR_VERSION = 8;

  private OnnxExport() {}

  /** The bytes of a {@code .onnx} file of {@code spec} with {@code params}. */
  public static byte[] write(ModelSpec spec, float[] params, String producerVersion) {
    ParameterLayout layout = spec.layout();
    if (params.length != layout.size()) {
      throw new IllegalArgumentException(
          "expected " + layout.size() + " parameters, got " + params.length);
    }
    Graph g = new Graph(layout, params);
    String x = "input";
    List<String> names = spec.names();
    for (int l = 0; l < spec.layers().size(); l++) {
      g.layer = l;
      g.name = names.get(l);
      x = spec.layers().get(l).onnx(g, x);
    }
    g.graph.addNode(
        NodeProto.newBuilder()
            .setOpType("Identity")
            .setName("output")
            .addInput(x)
            .addOutput("output"));
    g.graph.setName("sequential");
    g.graph.addInput(value("input", spec.inputDim()));
    g.graph.addOutput(value("output", spec.outputUnits()));
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("sparkdp")
        .setProducerVersion(producerVersion)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(g.graph)
        .build()
        .toByteArray();
  }

  /** The nodes of {@code f(x)}; returns the output's name. */
  private static String activation(Graph g, Activation f, String x, String layer) {
    String at = layer + "/" + f.kerasName();
    return switch (f) {
      case LINEAR -> x;
      case RELU -> g.node("Relu", at, List.of(x));
      case SIGMOID -> g.node("Sigmoid", at, List.of(x));
      case TANH -> g.node("Tanh", at, List.of(x));
      case SOFTMAX -> g.node("Softmax", at, List.of(x), Attribute.of("axis", -1L));
      case ELU -> g.node("Elu", at, List.of(x), Attribute.of("alpha", 1f));
      case SELU ->
          g.node(
              "Selu",
              at,
              List.of(x),
              Attribute.of("alpha", 1.6732632423543772f),
              Attribute.of("gamma", 1.0507009873554805f));
      case GELU -> {
        String scaled =
            g.node(
                "Div",
                at + "/div",
                List.of(x, g.constant(at + "/sqrt2_value", (float) Math.sqrt(2))));
        String erf = g.node("Erf", at + "/erf", List.of(scaled));
        String onePlus =
            g.node("Add", at + "/add", List.of(erf, g.constant(at + "/one_value", 1f)));
        String times = g.node("Mul", at + "/mul", List.of(x, onePlus));
        yield g.node("Mul", at + "/half", List.of(times, g.constant(at + "/half_value", 0.5f)));
      }
      case SOFTPLUS -> g.node("Softplus", at, List.of(x));
      case SOFTSIGN -> g.node("Softsign", at, List.of(x));
      case SWISH, SILU -> {
        String s = g.node("Sigmoid", at + "/sigmoid", List.of(x));
        yield g.node("Mul", at, List.of(x, s));
      }
      case LEAKY_RELU -> g.node("LeakyRelu", at, List.of(x), Attribute.of("alpha", 0.2f));
      case RELU6 ->
          g.node("Clip", at, List.of(x, g.constant(at + "/min", 0f), g.constant(at + "/max", 6f)));
      case HARD_SIGMOID ->
          g.node(
              "HardSigmoid",
              at,
              List.of(x),
              Attribute.of("alpha", 1f / 6),
              Attribute.of("beta", 0.5f));
      case EXPONENTIAL -> g.node("Exp", at, List.of(x));
    };
  }

  /** An attribute as ONNX's protobuf. */
  private static AttributeProto attribute(Attribute a) {
    AttributeProto.Builder p = AttributeProto.newBuilder().setName(a.name());
    if (a.value() instanceof Long i) {
      p.setType(AttributeProto.AttributeType.INT).setI(i);
    } else if (a.value() instanceof Float f) {
      p.setType(AttributeProto.AttributeType.FLOAT).setF(f);
    } else if (a.value() instanceof long[] ints) {
      p.setType(AttributeProto.AttributeType.INTS);
      for (long i : ints) {
        p.addInts(i);
      }
    } else if (a.value() instanceof float[] floats) {
      p.setType(AttributeProto.AttributeType.FLOATS);
      for (float f : floats) {
        p.addFloats(f);
      }
    } else if (a.value() instanceof String[] texts) {
      p.setType(AttributeProto.AttributeType.STRINGS);
      for (String t : texts) {
        p.addStrings(ByteString.copyFromUtf8(t));
      }
    } else {
      throw new IllegalArgumentException("attribute " + a.name() + ": " + a.value());
    }
    return p.build();
  }

  /** A float32 {@code [batch, width]} input or output, the batch a named dynamic dimension. */
  private static ValueInfoProto value(String name, int width) {
    TensorShapeProto shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))
            .build();
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT.getNumber())
                        .setShape(shape)))
        .build();
  }

  /** The graph being built: nodes and initializers, seen from the layer being exported. */
  private static final class Graph implements OnnxGraph {
    final GraphProto.Builder graph = GraphProto.newBuilder();
    final ParameterLayout layout;
    final float[] params;
    int layer;
    String name;

    Graph(ParameterLayout layout, float[] params) {
      this.layout = layout;
      this.params = params;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int inputWidth() {
      return layout.inputs()[layer];
    }

    @Override
    public int[] inputShape() {
      return layout.inputShapes()[layer].clone();
    }

    @Override
    public String ints(String name, long... values) {
      TensorProto.Builder t =
          TensorProto.newBuilder()
              .setName(name)
              .setDataType(TensorProto.DataType.INT64.getNumber())
              .addDims(values.length);
      for (long v : values) {
        t.addInt64Data(v);
      }
      graph.addInitializer(t);
      return name;
    }

    @Override
    public String node(String op, String name, List<String> inputs, Attribute... attributes) {
      NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(name);
      inputs.forEach(node::addInput);
      for (Attribute a : attributes) {
        node.addAttribute(attribute(a));
      }
      graph.addNode(node);
      return name;
    }

    @Override
    public String activation(Activation f, String x) {
      return OnnxExport.activation(this, f, x, name);
    }

    @Override
    public String weight(String weight) {
      return weight(layout, params, layer, weight);
    }

    /** Weight {@code weight} of layer {@code l} as an initializer; returns its name. */
    private String weight(ParameterLayout layout, float[] params, int l, String weight) {
      ParameterLayout.View v =
          layout.views().stream()
              .filter(w -> w.layer() == l && w.weight().equals(weight))
              .findFirst()
              .orElseThrow(
                  () -> new IllegalStateException("layer " + name + " has no weight " + weight));
      ByteBuffer bytes = ByteBuffer.allocate(4 * v.size()).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(params, v.offset(), v.size());
      TensorProto.Builder t =
          TensorProto.newBuilder()
              .setName(v.name())
              .setDataType(TensorProto.DataType.FLOAT.getNumber())
              .setRawData(ByteString.copyFrom(bytes.array()));
      for (int d : v.shape()) {
        t.addDims(d);
      }
      graph.addInitializer(t);
      return v.name();
    }

    @Override
    public String constant(String name, float value, int... width) {
      int n = width.length == 0 ? 1 : width[0];
      TensorProto.Builder t =
          TensorProto.newBuilder()
              .setName(name)
              .setDataType(TensorProto.DataType.FLOAT.getNumber());
      for (int i = 0; i < n; i++) {
        t.addFloatData(value);
      }
      if (width.length > 0) {
        t.addDims(n);
      }
      graph.addInitializer(t);
      return name;
    }
  }
}
