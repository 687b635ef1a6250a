package io.pulse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;

/** Assertions on the service's answers. */
public final class Responses {

  private Responses() {
  }

  /**
   * The answer is a JSON error with this status and code, and (unless {@code inMessage} is null) a message that
   * mentions {@code inMessage}; answers the body.
   */
  public static JsonObject assertError(HttpResponse<Buffer> response, int status, String code, String inMessage) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertTrue(response.getHeader("Content-Type").startsWith("application/json"), response.getHeader("Content-Type"));
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(code, body.getString("code"), body.encode());
    assertNotNull(body.getString("message"), body.encode());
    if (inMessage != null) {
      assertTrue(body.getString("message").contains(inMessage), "message should name " + inMessage + ": "
          + body.encode());
    }
    return body;
  }
}
