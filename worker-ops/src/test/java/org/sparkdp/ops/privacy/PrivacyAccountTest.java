package org.sparkdp.ops.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The account of a run: merging of steps, composition across settings, and its saved form. */
class PrivacyAccountTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void stepsAtOneSettingMergeIntoOneSegmentAndChangesStartANewOne() {
    PrivacyAccount account = PrivacyAccount.empty().after(0.01, 1.1, 100).after(0.01, 1.1, 50);
    assertEquals(List.of(new PrivacyAccount.Segment(0.01, 1.1, 150)), account.segments());
    PrivacyAccount changed = account.after(0.02, 1.1, 10).after(0.02, 0.9, 0);
    assertEquals(2, changed.segments().size());
    assertEquals(160, changed.steps());
    assertEquals(1, account.segments().size(), "an account is never changed in place");
  }

  @Test
  void composedRdpIsTheSumOfTheSegments() {
    double[] orders = Rdp.defaultOrders();
    PrivacyAccount account = PrivacyAccount.empty().after(0.01, 1.1, 300).after(0.05, 2, 40);
    double[] a = Rdp.sampledGaussian(0.01, 1.1, 300, orders);
    double[] b = Rdp.sampledGaussian(0.05, 2, 40, orders);
    double[] rdp = account.rdp(orders);
    for (int k = 0; k < orders.length; k++) {
      assertEquals(a[k] + b[k], rdp[k], 0);
    }
    PrivacySpent spent = account.spent(1e-5);
    assertEquals(Rdp.epsilon(orders, rdp, 1e-5), spent);
    assertTrue(spent.epsilon() > Rdp.epsilon(0.01, 1.1, 300, 1e-5).epsilon());
    assertEquals(0, PrivacyAccount.empty().spent(1e-5).epsilon());
  }

  @Test
  void savedAccountRestoresBitIdenticallyThroughText() throws Exception {
    PrivacyAccount account =
        PrivacyAccount.empty().after(256 / 60000.0, 1.1, 2343).after(0.1 + 0.2, 0.7, 3);
    String text = JSON.writeValueAsString(account.toJson());
    PrivacyAccount restored =
        PrivacyAccount.fromJson(JSON.readTree(text), "checkpoint.json:privacy");
    assertEquals(account, restored);
    assertEquals(account.spent(1e-5), restored.spent(1e-5));
    assertArrayEquals(account.rdp(Rdp.defaultOrders()), restored.rdp(Rdp.defaultOrders()));
    // continuing after a restore equals never stopping
    assertEquals(account.after(0.3, 0.7, 5), restored.after(0.3, 0.7, 5));
  }

  @Test
  void accountSurvivesJavaSerializationAsSparkShipsIt() throws Exception {
    PrivacyAccount account = PrivacyAccount.empty().after(0.01, 1.1, 7).after(0.02, 1.3, 2);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(account);
    }
    try (java.io.ObjectInputStream in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(account, in.readObject());
    }
  }

  @Test
  void damagedSavedAccountsAreRefusedNamingTheKey() throws Exception {
    String where = "ckpt/state.json:privacy";
    String[][] cases = {
      {"{\"accountant\":\"prv\",\"format_version\":1,\"segments\":[]}", where + ".accountant"},
      {"{\"accountant\":\"rdp\",\"format_version\":9,\"segments\":[]}", where + ".format_version"},
      {"{\"accountant\":\"rdp\",\"format_version\":1}", where + ".segments"},
      {
        "{\"accountant\":\"rdp\",\"format_version\":1,\"segments\":"
            + "[{\"sample_rate\":0.1,\"noise_multiplier\":1,\"steps\":2.5}]}",
        where + ".segments[0].steps"
      },
      {
        "{\"accountant\":\"rdp\",\"format_version\":1,\"segments\":"
            + "[{\"sample_rate\":1.5,\"noise_multiplier\":1,\"steps\":2}]}",
        where + ".segments[0]: sample_rate"
      },
      {
        "{\"accountant\":\"rdp\",\"format_version\":1,\"segments\":"
            + "[{\"sample_rate\":0.1,\"steps\":2}]}",
        where + ".segments[0].noise_multiplier"
      },
    };
    for (String[] c : cases) {
      JsonNode node = JSON.readTree(c[0]);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PrivacyAccount.fromJson(node, where));
      assertTrue(e.getMessage().startsWith(c[1]), c[0] + " -> " + e.getMessage());
    }
  }
}
