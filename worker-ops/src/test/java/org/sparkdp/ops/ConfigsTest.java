package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws IOException {
    return JSON.readTree(text.replace('\'', '"'));
  }

  @Test
  void kerasModelParsesWithInferredInputSizes() throws IOException {
    ModelSpec spec =
        Configs.model(
            json(
                "[{'type':'dense','units':64,'activation':'relu','input_dim':784},"
                    + "{'type':'dense','units':64,'activation':'relu'},{'type':'dense','units':10,'activation':'softmax'}]"),
            "model.layers");
    assertEquals(784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10, spec.layout().size());
    assertEquals(64, spec.inputOf(2));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{'units':0,'activation':'relu','input_dim':3}|model.layers[0].units: must be a positive integer, got 0",
        "{'units':4,'activation':'mish','input_dim':3}|model.layers[0].activation: unknown activation 'mish'",
        "{'units':4,'activation':'relu'}|model.layers: the first layer needs input_dim",
        "{'type':'conv3d','units':4}|model.layers[0].type: unknown layer type 'conv3d' (supported: dense, dropout, layer_normalization, activation,",
        "{'type':'dropout','rate':1.0,'input_dim':3}|model.layers[0].rate: must be a number in [0, 1), got 1.0",
        "{'type':'dropout','input_dim':3}|model.layers[0].rate: missing (a number in [0, 1))",
        "{'type':'layer_normalization','epsilon':0,'input_dim':3}|model.layers[0].epsilon: must be a positive number, got 0",
        "{'type':'activation','activation':'mish','input_dim':3}|model.layers[0].activation: unknown activation 'mish'",
        "{'units':4,'input_dim':3,'kernel_regularizer':'l3'}|model.layers[0].kernel_regularizer: unknown regularizer 'l3' (expected one of [l1, l2, l1_l2]",
        "{'units':4,'input_dim':3,'kernel_regularizer':{'type':'l2','l2':-1}}|model.layers[0].kernel_regularizer.l2: must be 0 or a positive number, got -1",
        "{'units':4,'input_dim':3,'bias_initializer':'orthogonal'}|model.layers: layer dense, weight bias: orthogonal initializes two-dimensional weights only",
        "{'units':4,'input_dim':3,'kernel_initializer':{'type':'random_normal','sd':1}}|model.layers[0].kernel_initializer: unknown key [sd]",
        "{'units':4,'input_dim':3,'actvation':'relu'}|model.layers[0]: unknown key [actvation]",
        "{'units':-2,'input_dim':3}|model.layers[0].units: must be a positive integer, got -2",
        "{'units':2.5,'input_dim':3}|model.layers[0].units: must be a positive integer, got 2.5",
        "{'input_dim':3}|model.layers[0].units: missing (a positive integer)",
        "{'units':4,'input_dim':3,'use_bias':'yes'}|model.layers[0].use_bias: must be true or false, got 'yes'",
        "{'units':4,'input_dim':3,'kernel_initializer':'he_uniformm'}|model.layers[0].kernel_initializer: unknown initializer 'he_uniformm' (expected one of [zeros, ones, glorot_uniform",
      })
  void badLayersNameTheKey(String layer, String message) throws IOException {
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> Configs.model(json("[" + layer + "]"), "model.layers"));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{'optimizer':{'type':'adam','learning_rate':0},'loss':'mse'}|compile.optimizer.learning_rate: must be a positive number, got 0",
        "{'optimizer':{'type':'sgd','learning_rate':-1},'loss':'mse'}|compile.optimizer.learning_rate: must be a positive number, got -1",
        "{'optimizer':{'type':'sgd','learning_rate':'NaN'},'loss':'mse'}|compile.optimizer.learning_rate: must be a positive number, got NaN",
        "{'optimizer':{'type':'sgd','learning_rate':{'type':'exponential_decay','decay_steps':10,'decay_rate':0.5}},'loss':'mse'}|compile.optimizer.learning_rate.initial_learning_rate: missing",
        "{'optimizer':{'type':'sgd','learning_rate':{'type':'step_decay'}},'loss':'mse'}|compile.optimizer.learning_rate.type: unknown learning-rate schedule 'step_decay'",
        "{'optimizer':{'type':'adam','clipnorm':1,'clipvalue':1},'loss':'mse'}|compile.optimizer.clipnorm: only one of clipnorm, clipvalue and global_clipnorm",
        "{'optimizer':{'type':'rmsprop','rho':1.5},'loss':'mse'}|compile.optimizer.rho: must be a number in [0, 1), got 1.5",
        "{'optimizer':'adam','loss':{'type':'huber','delta':0}}|compile.loss.delta: must be a positive number, got 0",
        "{'optimizer':'adam','loss':{'type':'mae','delta':1}}|compile.loss: unknown key [delta]",
        "{'optimizer':{'type':'adam','beta_1':1.0},'loss':'mse'}|compile.optimizer.beta_1: must be a number in [0, 1), got 1.0",
        "{'optimizer':{'type':'adam','betta_1':0.5},'loss':'mse'}|compile.optimizer: unknown key [betta_1]",
        "{'optimizer':'adadelta','loss':'mse'}|compile.optimizer: unknown optimizer 'adadelta' (supported: sgd, adam, adamw, rmsprop, adagrad, nadam, adamax)",
        "{'optimizer':'adam','loss':'squared_hinge'}|compile.loss: unknown loss 'squared_hinge'",
        "{'optimizer':'adam','loss':'mse','metrics':['f1_score']}|compile.metrics[0]: unknown metric 'f1_score'",
        "{'optimizer':'adam','loss':'mse','metrics':[{'type':'auc','curve':'roc2'}]}|compile.metrics[0].curve: unknown curve 'roc2'",
        "{'optimizer':'adam','loss':'mse','metrics':[{'type':'precision','class_id':-1}]}|compile.metrics[0].class_id: must be 0 or a positive integer, got -1",
        "{'optimizer':'adam','loss':'mse','metrics':[{'type':'recall','thresholds':1.5}]}|compile.metrics[0].thresholds: must be a number in [0, 1], got 1.5",
        "{'optimizer':'adam','loss':'mse','metrics':[{'type':'auc','curv':'pr'}]}|compile.metrics[0]: unknown key [curv]",
        "{'optimizer':'adam','loss':'mse','metrics':['precision','precision']}|compile.metrics[1]: a second metric named 'precision'",
        "{'optimizer':'adam','loss':'mse','metrics':[{'type':'mae','name':'val_mae'}]}|compile.metrics[0].name: a metric cannot be named 'val_mae'",
        "{'optimizer':'adam'}|compile.loss: missing",
      })
  void badCompileSettingsNameTheKey(String compile, String message) throws IOException {
    ConfigException e =
        assertThrows(ConfigException.class, () -> Configs.compile(json(compile), "compile"));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @Test
  void optimizerDefaultsAreKeras() throws IOException {
    Adam adam = (Adam) Configs.optimizer(json("'adam'"), "o");
    assertEquals(Adam.defaults(), adam);
    Sgd sgd = (Sgd) Configs.optimizer(json("{'type':'sgd','momentum':0.9,'nesterov':true}"), "o");
    assertEquals(new Sgd(0.01, 0.9, true), sgd);
  }

  @Test
  void modelJsonRoundTrips() throws IOException {
    ModelSpec spec =
        ModelSpec.of(
            Dense.of(8, "tanh").withInputDim(5).withUseBias(false),
            Dense.of(3, "softmax").withInitializers(Initializer.HE_NORMAL, Initializer.ONES));
    CompileConfig compile =
        new CompileConfig(
            new Sgd(0.05, 0.5, true),
            Loss.CATEGORICAL_CROSSENTROPY,
            false,
            CompileConfig.metrics("acc"));
    byte[] bytes = ModelFile.toBytes(ModelFile.modelJson(spec, compile, 3, "abc", null, null));
    ModelFile.Saved saved = ModelFile.parse(bytes, "model.json");
    assertEquals(spec, saved.spec());
    assertEquals(compile, saved.compile());
    assertEquals(3, saved.labelWidth());
    assertEquals("abc", saved.weightsSha256());
  }

  /** Every layer kind, initializer, regularizer, optimizer and schedule, through model.json. */
  @Test
  void modelJsonRoundTripsEveryLayerOptimizerScheduleRegularizerAndInitializer()
      throws IOException {
    ModelSpec spec =
        ModelSpec.of(
            new Dropout(0.1, 5L, 6),
            Dense.of(8, "gelu")
                .withInitializers(
                    new Initializer.VarianceScaling(
                        2.0, Initializer.Mode.FAN_AVG, Initializer.Distribution.UNIFORM),
                    new Initializer.Constant(0.1))
                .withRegularizers(new Regularizer.L1L2(0.001, 0.002), new Regularizer.L1(0.003)),
            new LayerNormalization(
                0.01,
                true,
                false,
                new Initializer.RandomNormal(0.5, 0.1),
                Initializer.LECUN_NORMAL,
                new Regularizer.L2(0.01),
                null,
                0),
            ActivationLayer.of("leaky_relu"),
            Dropout.of(0.5),
            Dense.of(8, "relu")
                .withInitializers(
                    new Initializer.Orthogonal(1.5), new Initializer.RandomUniform(-1, 1)),
            Dense.of(8, "selu")
                .withInitializers(
                    new Initializer.Identity(2), new Initializer.TruncatedNormal(0, 0.2)),
            Dense.of(3, "linear"),
            ActivationLayer.of("softmax"));
    List<Optimizer> optimizers =
        List.of(
            new Sgd(
                new LearningRate.PiecewiseConstantDecay(
                    List.of(10L, 20L), List.of(0.1, 0.05, 0.01)),
                0.9,
                true,
                new BaseOptimizer(null, 1.0, null, null)),
            new Adam(
                new LearningRate.ExponentialDecay(0.01, 100, 0.9, true),
                0.8,
                0.99,
                1e-6,
                true,
                new BaseOptimizer(0.001, null, 0.5, null)),
            AdamW.defaults(),
            new RmsProp(
                new LearningRate.CosineDecay(0.0, 1000, 0.1, 0.01, 100),
                0.8,
                0.5,
                1e-6,
                true,
                new BaseOptimizer(null, null, null, 2.0)),
            new Adagrad(
                new LearningRate.InverseTimeDecay(0.1, 10, 0.5, false),
                0.2,
                1e-6,
                BaseOptimizer.NONE),
            Nadam.defaults(),
            Adamax.defaults());
    List<Loss> losses =
        List.of(
            Loss.CATEGORICAL_CROSSENTROPY, Loss.HUBER, Loss.KL_DIVERGENCE, Loss.CATEGORICAL_HINGE);
    for (int i = 0; i < optimizers.size(); i++) {
      Loss loss = losses.get(i % losses.size());
      CompileConfig compile =
          new CompileConfig(
              optimizers.get(i), loss, false, CompileConfig.metrics("accuracy"), 0.25 + i);
      if (loss != Loss.HUBER) {
        compile =
            new CompileConfig(optimizers.get(i), loss, false, CompileConfig.metrics("accuracy"));
      }
      byte[] bytes = ModelFile.toBytes(ModelFile.modelJson(spec, compile, 3, "abc", null, null));
      ModelFile.Saved saved = ModelFile.parse(bytes, "model.json");
      assertEquals(spec, saved.spec());
      assertEquals(compile, saved.compile(), optimizers.get(i).kerasName());
    }
    JsonNode json =
        ModelFile.modelJson(
            spec,
            new CompileConfig(Adam.defaults(), Loss.MEAN_SQUARED_ERROR, false, List.of()),
            3,
            "",
            null,
            null);
    assertEquals(
        List.of(
            "dropout",
            "dense",
            "layer_normalization",
            "activation",
            "dropout_1",
            "dense_1",
            "dense_2",
            "dense_3",
            "activation_1"),
        spec.names(),
        "Keras' default names, counted per kind");
    assertEquals("LayerNormalization", json.at("/config/layers/2/class_name").asText());
    assertEquals(
        List.of("layer_normalization/beta"),
        List.copyOf(spec.weightNames()).subList(2, 3),
        "no gamma without scale");
    assertEquals(6, json.at("/config/layers/0/config/input_dim").asInt());
  }

  /** A model.json as sparkdp wrote it before layers other than Dense existed. */
  static final String OLD_MODEL_JSON =
      "{'format':'sparkdp.model','format_version':1,'class_name':'Sequential',"
          + "'config':{'name':'sequential','layers':["
          + "{'class_name':'Dense','config':{'name':'dense','units':5,'activation':'tanh',"
          + "'use_bias':true,'input_dim':4,'kernel_initializer':'glorot_uniform','bias_initializer':'zeros'}},"
          + "{'class_name':'Dense','config':{'name':'dense_1','units':3,'activation':'softmax',"
          + "'use_bias':true,'kernel_initializer':'he_normal','bias_initializer':'zeros'}}]},"
          + "'compile_config':{'optimizer':{'type':'sgd','learning_rate':0.05,'momentum':0.9,'nesterov':true},"
          + "'loss':'sparse_categorical_crossentropy','from_logits':false,'metrics':['accuracy']},"
          + "'label_width':1,'weights':{'file':'weights.npz','sha256':'abc','shapes':{"
          + "'dense/kernel':[4,5],'dense/bias':[5],'dense_1/kernel':[5,3],'dense_1/bias':[3]}},"
          + "'training_config':{},'provenance':{}}";

  @Test
  void aModelJsonOfTheFormatBeforeStillLoads() throws IOException {
    ModelFile.Saved saved =
        ModelFile.parse(
            json(OLD_MODEL_JSON).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
            "model.json");
    assertEquals(
        ModelSpec.of(
            Dense.of(5, "tanh").withInputDim(4),
            Dense.of(3, "softmax").withInitializers(Initializer.HE_NORMAL, Initializer.ZEROS)),
        saved.spec());
    assertEquals(
        new CompileConfig(
            new Sgd(0.05, 0.9, true),
            Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
            false,
            CompileConfig.metrics("accuracy")),
        saved.compile());
  }

  @Test
  void lossThatDoesNotFitTheLastLayerIsExplained() {
    ModelSpec spec = ModelSpec.of(Dense.of(3, "relu").withInputDim(2));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Network(spec, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1));
    assertTrue(e.getMessage().contains("needs a softmax last layer"), e.getMessage());
  }
}
