package io.pulse.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Taskcluster client this service knows without asking a Taskcluster deployment: its clientId, its permanent
 * accessToken and its (already expanded) scopes. Read from PULSE_STATIC_CLIENTS.
 */
public record StaticClient(String clientId, String accessToken, List<String> scopes) {

  private static final String KEY = "PULSE_STATIC_CLIENTS";

  @Override
  public String toString() {
    return "StaticClient[clientId=" + clientId + ", scopes=" + scopes + "]";
  }

  /**
   * Parses {@code [{"clientId", "accessToken", "scopes": [...]}]}. Messages name the entry, never a token
   * ({@code null}: no clients).
   */
  public static List<StaticClient> parse(String json) {
    if (json == null) {
      return List.of();
    }
    JsonArray array;
    try {
      array = new JsonArray(json);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException(KEY, "must be a JSON array of {\"clientId\", \"accessToken\", \"scopes\": [...]}");
    }
    List<StaticClient> clients = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String where = "entry " + i;
      if (!(array.getValue(i) instanceof JsonObject)) {
        throw new ConfigException(KEY, where + " must be an object {\"clientId\", \"accessToken\", \"scopes\": [...]}");
      }
      JsonObject entry = array.getJsonObject(i);
      for (String field : entry.fieldNames()) {
        if (!List.of("clientId", "accessToken", "scopes").contains(field)) {
          throw new ConfigException(KEY, where + " has unknown field '" + field + "'");
        }
      }
      Object clientId = entry.getValue("clientId");
      if (!(clientId instanceof String) || ((String) clientId).isEmpty() || ((String) clientId).length() > 256) {
        throw new ConfigException(KEY, where + " needs a clientId: a string of 1 to 256 characters");
      }
      where = "entry " + i + " (clientId " + clientId + ")";
      if (!seen.add((String) clientId)) {
        throw new ConfigException(KEY, where + " is given twice");
      }
      Object token = entry.getValue("accessToken");
      if (!(token instanceof String) || ((String) token).length() < 16) {
        throw new ConfigException(KEY, where + " needs an accessToken of at least 16 characters");
      }
      Object scopes = entry.getValue("scopes", new JsonArray());
      if (!(scopes instanceof JsonArray)) {
        throw new ConfigException(KEY, where + ": scopes must be an array of strings");
      }
      List<String> list = new ArrayList<>();
      for (Object scope : (JsonArray) scopes) {
        if (!(scope instanceof String)) {
          throw new ConfigException(KEY, where + ": scopes must be an array of strings");
        }
        list.add((String) scope);
      }
      clients.add(new StaticClient((String) clientId, (String) token, List.copyOf(list)));
    }
    return List.copyOf(clients);
  }
}
