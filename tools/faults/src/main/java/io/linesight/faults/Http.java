package io.linesight.faults;

import io.linesight.localstack.MetricsText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The suite's HTTP client: Authorization header, raw bodies, status and time of each answer. */
final class Http {
    /** An answer: status, Retry-After header (or null), body, milliseconds taken. */
    record Answer(int status, String retryAfter, String body, long millis) {
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {
    }

    static Answer post(String url, String authorization, String contentType, byte[] body, String... headers) {
        return post(Duration.ofSeconds(60), url, authorization, contentType, body, headers);
    }

    /** A request that may take long: a training run answers when it ends. */
    static Answer postWaiting(String url, String authorization, String contentType, byte[] body) {
        return post(Duration.ofMinutes(10), url, authorization, contentType, body);
    }

    private static Answer post(Duration timeout, String url, String authorization, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request.build());
    }

    /** GET with {@code headers} as name, value, name, value ... */
    static Answer get(String url, String authorization, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request.build());
    }

    private static Answer send(HttpRequest request) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null), response.body(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            return new Answer(-1, null, e.toString(), (System.nanoTime() - start) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, null, "interrupted", (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** Sum of one metric's samples in a Prometheus text exposition, e.g. ("linesight_classifier_cache_total", "result=\"bypass\""). */
    static double metric(String metricsUrl, String name, String labelFilter) {
        return MetricsText.sum(get(metricsUrl, null).body(), name, labelFilter);
    }
}
