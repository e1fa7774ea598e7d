package io.linesight.ingest;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Credential errors as JSON like every other error. The review page marks its requests with
 * X-Requested-With: XMLHttpRequest and shows its own log-in errors, so those get no Basic challenge: a browser
 * would otherwise open its native log-in dialog (and a headless one would hang on it).
 */
public class AuthErrors {
    @ServerExceptionMapper({AuthenticationFailedException.class, UnauthorizedException.class})
    Response unauthenticated(HttpHeaders headers) {
        Response.ResponseBuilder response = Response.status(401).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError.Body("unauthenticated", "missing or wrong credentials"));
        if (!"XMLHttpRequest".equals(headers.getHeaderString("X-Requested-With"))) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"linesight\"");
        }
        return response.build();
    }

    @ServerExceptionMapper(ForbiddenException.class)
    Response forbidden() {
        return Response.status(403).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError.Body("forbidden", "this account's role may not do that")).build();
    }
}
