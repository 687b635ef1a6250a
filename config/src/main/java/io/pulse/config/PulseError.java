package io.pulse.config;

import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

/**
 * The failures every module reports, with the Taskcluster error code and HTTP status they map to.
 * On the event bus a failure travels as a {@link ServiceException} whose failure code is the HTTP status
 * and whose debug info carries {@code {"code": "<name>"}}, so REST and bus callers see the same codes.
 */
public enum PulseError {
  MALFORMED_PAYLOAD("MalformedPayload", 400),
  INPUT_VALIDATION("InputValidationError", 400),
  INVALID_REQUEST_ARGUMENTS("InvalidRequestArguments", 400),
  INVALID_NAMESPACE("InvalidNamespace", 400),
  AUTHENTICATION_FAILED("AuthenticationFailed", 401),
  INSUFFICIENT_SCOPES("InsufficientScopes", 403),
  RESOURCE_NOT_FOUND("ResourceNotFound", 404),
  REQUEST_CONFLICT("RequestConflict", 409),
  INTERNAL("InternalServerError", 500),
  SERVICE_UNAVAILABLE("ServiceUnavailable", 503);

  private final String code;
  private final int status;

  PulseError(String code, int status) {
    this.code = code;
    this.status = status;
  }

  public String code() {
    return code;
  }

  public int status() {
    return status;
  }

  public ServiceException exception(String message) {
    return new ServiceException(status, message, new JsonObject().put("code", code));
  }

  public <T> Future<T> fail(String message) {
    return Future.failedFuture(exception(message));
  }

  /** The error a failure stands for: its own code when it carries one, else unavailable or internal. */
  public static PulseError of(Throwable failure) {
    if (failure instanceof ServiceException) {
      JsonObject info = ((ServiceException) failure).getDebugInfo();
      String code = info == null ? null : info.getString("code");
      for (PulseError e : values()) {
        if (e.code.equals(code)) {
          return e;
        }
      }
    }
    if (failure instanceof ReplyException) {
      ReplyFailure type = ((ReplyException) failure).failureType();
      if (type == ReplyFailure.NO_HANDLERS || type == ReplyFailure.TIMEOUT) {
        return SERVICE_UNAVAILABLE;
      }
    }
    return INTERNAL;
  }

  /**
   * Turns the failure of a call to another service into one this service can pass on: its own coded failures
   * travel unchanged; a missing or silent service becomes "unavailable" naming it; anything else is internal.
   */
  public static ServiceException translate(Throwable failure, String dependency) {
    PulseError error = of(failure);
    if (error != INTERNAL && failure instanceof ServiceException && ((ServiceException) failure).getDebugInfo() != null
        && ((ServiceException) failure).getDebugInfo().containsKey("code")) {
      return (ServiceException) failure;
    }
    if (failure instanceof ReplyException) {
      ReplyFailure type = ((ReplyException) failure).failureType();
      if (type == ReplyFailure.NO_HANDLERS) {
        return SERVICE_UNAVAILABLE.exception(dependency + " is not deployed (no handler on the event bus)");
      }
      if (type == ReplyFailure.TIMEOUT) {
        return SERVICE_UNAVAILABLE.exception(dependency + " did not answer in time");
      }
    }
    return INTERNAL.exception("internal error in " + dependency);
  }
}
