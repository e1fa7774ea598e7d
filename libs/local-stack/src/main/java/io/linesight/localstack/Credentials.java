package io.linesight.localstack;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * The roles of ingest and the trainer, the environment variable that sets each password, and the development
 * password each has when it is not set (application.properties of ingest and trainer; for a laptop only).
 */
public enum Credentials {
    CAMERA, OPERATOR, ADMIN;

    public String user() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** LINESIGHT_CAMERA_PASSWORD, ... */
    public String passwordVariable() {
        return "LINESIGHT_" + name() + "_PASSWORD";
    }

    public String devPassword() {
        return user() + "-dev-password";
    }

    /** Authorization header value with the development password. */
    public String devAuthorization() {
        return basic(user(), devPassword());
    }

    /** Authorization header value with the password the services were given in {@code env}. */
    public String authorization(Map<String, String> env) {
        return basic(user(), env.get(passwordVariable()));
    }

    public static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
