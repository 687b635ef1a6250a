package io.pulse.rabbit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * Reads {@code GET /api/users?columns=name,tags} token by token, keeping only the users asked for: memory stays the
 * answer's bytes however many users the broker holds.
 */
final class UserListing {

  private static final JsonFactory JSON = new JsonFactory();

  private UserListing() {
  }

  /** Puts the wanted users found ({@code {"name", "tags"}}) into {@code found}; answers how many users were listed. */
  static long read(Buffer listing, Set<String> wanted, JsonObject found) {
    long users = 0;
    try (JsonParser parser = JSON.createParser(listing.getBytes())) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw new IllegalStateException("the user listing is not a JSON array");
      }
      while (parser.nextToken() == JsonToken.START_OBJECT) {
        users++;
        String name = null;
        Object tags = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if (field.equals("name") && value == JsonToken.VALUE_STRING) {
            name = parser.getText();
          } else if (field.equals("tags") && value == JsonToken.START_ARRAY) {
            JsonArray list = new JsonArray();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
              list.add(parser.getText());
            }
            tags = list;
          } else if (field.equals("tags") && value == JsonToken.VALUE_STRING) {
            tags = parser.getText();
          } else {
            parser.skipChildren();
          }
        }
        if (name != null && wanted.contains(name)) {
          found.put(name, new JsonObject().put("name", name).put("tags", tags));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return users;
  }
}
