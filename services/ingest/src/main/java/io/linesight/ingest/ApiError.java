package io.linesight.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** A refused request: HTTP status, a stable error code and a detail for the sender. Nothing was published. */
public class ApiError extends RuntimeException {
    /** The JSON body of every error answer. */
    public record Body(String error, String detail) {
    }

    private final int status;
    private final String error;
    private final Integer retryAfterSeconds;

    public ApiError(int status, String error, String detail) {
        this(status, error, detail, null);
    }

    private ApiError(int status, String error, String detail, Integer retryAfterSeconds) {
        super(detail);
        this.status = status;
        this.error = error;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** The broker could not take the record in time: the client should retry later, not give up. */
    public static ApiError unavailable(String detail, int retryAfterSeconds) {
        return new ApiError(503, "broker_unavailable", detail, retryAfterSeconds);
    }

    /** Too many large images decoding at once: the client should retry shortly. */
    public static ApiError busy(String detail, int retryAfterSeconds) {
        return new ApiError(503, "decoder_busy", detail, retryAfterSeconds);
    }

    public String error() {
        return error;
    }

    static class Mapper {
        @ServerExceptionMapper
        Response map(ApiError e) {
            Response.ResponseBuilder response = Response.status(e.status).type(MediaType.APPLICATION_JSON)
                    .entity(new Body(e.error, e.getMessage()));
            if (e.retryAfterSeconds != null) {
                response.header("Retry-After", e.retryAfterSeconds);
            }
            return response.build();
        }

        /** Unparseable JSON: a 400 that says so, instead of an empty body. */
        @ServerExceptionMapper
        Response malformedJson(JsonProcessingException e) {
            return json(400, "malformed_json", "the body is not the expected JSON: " + e.getOriginalMessage());
        }

        @ServerExceptionMapper
        Response mismatchedJson(MismatchedInputException e) {
            return malformedJson(e);
        }

        /** The framework's own client errors (unknown path, wrong method or media type, bad body) get a reason too. */
        @ServerExceptionMapper
        Response clientError(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (status < 400 || status >= 500 || e.getResponse().hasEntity()) {
                return e.getResponse();
            }
            String detail = e.getMessage() == null || e.getMessage().isBlank() ? Response.Status.fromStatusCode(status).getReasonPhrase()
                    : e.getMessage();
            // fromResponse keeps the framework's headers (Allow, WWW-Authenticate, ...).
            return Response.fromResponse(e.getResponse()).type(MediaType.APPLICATION_JSON).entity(new Body("http_" + status, detail)).build();
        }

        private static Response json(int status, String error, String detail) {
            return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new Body(error, detail)).build();
        }
    }
}
