package io.linesight.e2e;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * A collector as the services see one: OTLP over HTTP (protobuf) on 127.0.0.1, keeping the service name, trace id and
 * name of every span it receives. The messages are read field by field (ExportTraceServiceRequest -> ResourceSpans ->
 * ScopeSpans -> Span), so no OpenTelemetry proto classes are needed.
 */
final class OtlpReceiver implements AutoCloseable {
    /** One received span. */
    record Span(String service, String traceId, String name) {
    }

    private final HttpServer server;
    private final List<Span> spans = new CopyOnWriteArrayList<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (InputStream body = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                    ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                if (exchange.getRequestURI().getPath().endsWith("/v1/traces")) {
                    read(body.readAllBytes());
                }
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse
            exchange.close();
        });
        server.start();
    }

    /** The endpoint to give the services (QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT). */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Span> spans() {
        return List.copyOf(spans);
    }

    private void read(byte[] request) throws InvalidProtocolBufferException {
        for (ByteString resourceSpans : field(UnknownFieldSet.parseFrom(request), 1)) {
            UnknownFieldSet resource = UnknownFieldSet.parseFrom(resourceSpans);
            String service = "";
            for (ByteString resourceMessage : field(resource, 1)) {
                for (ByteString attribute : field(UnknownFieldSet.parseFrom(resourceMessage), 1)) {
                    UnknownFieldSet keyValue = UnknownFieldSet.parseFrom(attribute);
                    if (string(keyValue, 1).equals("service.name")) {
                        service = string(UnknownFieldSet.parseFrom(field(keyValue, 2).get(0)), 1);
                    }
                }
            }
            for (ByteString scopeSpans : field(resource, 2)) {
                for (ByteString span : field(UnknownFieldSet.parseFrom(scopeSpans), 2)) {
                    UnknownFieldSet fields = UnknownFieldSet.parseFrom(span);
                    spans.add(new Span(service, HexFormat.of().formatHex(field(fields, 1).get(0).toByteArray()), string(fields, 5)));
                }
            }
        }
    }

    private static List<ByteString> field(UnknownFieldSet message, int number) {
        return message.hasField(number) ? message.getField(number).getLengthDelimitedList() : List.of();
    }

    private static String string(UnknownFieldSet message, int number) {
        List<ByteString> values = field(message, number);
        return values.isEmpty() ? "" : values.get(0).toStringUtf8();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
