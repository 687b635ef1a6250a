package io.pulse.client;

import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

/**
 * The failures the service reports, with the Taskcluster error code and HTTP status each maps to. On the event bus a
 * failure travels as a {@link ServiceException} whose failure code is the HTTP status and whose debug info is
 * {@code {"code": "<code>"}}, so REST and bus callers see the same codes.
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
  TOO_MANY_REQUESTS("TooManyRequests", 429),
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

  /** A failure the caller may retry after {@code seconds} (REST answers it with a {@code Retry-After} header). */
  public ServiceException exception(String message, long retryAfterSeconds) {
    ServiceException e = exception(message);
    e.getDebugInfo().put("retryAfter", retryAfterSeconds);
    return e;
  }

  /** The error a failure stands for: see {@link #coded}. */
  public static PulseError of(Throwable failure) {
    String code = codeOf(failure);
    if (code != null) {
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
   * The one mapping from any failure to what a caller is told: a coded {@link ServiceException} travels unchanged; a
   * service that is not deployed or does not answer in time is "unavailable", naming its address; anything else is an
   * internal error whose details stay in the service's log.
   */
  public static ServiceException coded(Throwable failure) {
    if (codeOf(failure) != null) {
      return (ServiceException) failure;
    }
    if (failure instanceof ReplyException) {
      ReplyException reply = (ReplyException) failure;
      if (reply.failureType() == ReplyFailure.NO_HANDLERS) {
        return SERVICE_UNAVAILABLE.exception("A part of the service is not deployed (" + reply.getMessage() + ")");
      }
      if (reply.failureType() == ReplyFailure.TIMEOUT) {
        return SERVICE_UNAVAILABLE.exception("A part of the service did not answer in time (" + reply.getMessage()
            + ")");
      }
    }
    return INTERNAL.exception("Internal error");
  }

  private static String codeOf(Throwable failure) {
    if (failure instanceof ServiceException) {
      JsonObject info = ((ServiceException) failure).getDebugInfo();
      return info == null ? null : info.getString("code");
    }
    return null;
  }
}
