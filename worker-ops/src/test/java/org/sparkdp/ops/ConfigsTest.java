package org.sparkdp.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
        "{'type':'conv2d','units':4}|model.layers[0].type: unknown layer type 'conv2d' (supported: dense, dropout, layer_normalization, activation)",
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
        "{'optimizer':'adam','loss':'mse','metrics':['auc']}|compile: unknown metric 'auc'",
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
            java.util.List.of("acc"));
    byte[] bytes = ModelFile.toBytes(ModelFile.modelJson(spec, compile, 3, "abc", null, null));
    ModelFile.Saved saved = ModelFile.parse(bytes, "model.json");
    assertEquals(spec, saved.spec());
    assertEquals(compile, saved.compile());
    assertEquals(3, saved.labelWidth());
    assertEquals("abc", saved.weightsSha256());
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
