package io.linesight.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A packaged service or the training CLI run as a child process, its output in a log file. */
final class ServiceProcess implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("e2e.root", ".."));
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final String name;
    final int port;
    private final Process process;
    private final Path log;

    private ServiceProcess(String name, int port, Process process, Path log) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** Starts services/MODULE's quarkus-run.jar on the given port with the given environment; logs as NAME. */
    static ServiceProcess service(String name, String module, int port, Map<String, String> env) throws IOException {
        Path jar = ROOT.resolve("services").resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        all.put("OPT_OUT_TRACKING", "true");
        all.put("TF_CPP_MIN_LOG_LEVEL", "2");
        return start(name, port, List.of(java(), "-Xmx1g", "-jar", jar.toString()), all);
    }

    /** Runs the training CLI to completion (a separate JVM: TensorFlow Java never enters this one). */
    static void trainingCli(String... args) throws IOException, InterruptedException {
        Path jar;
        try (var jars = Files.list(ROOT.resolve("libs/training/target"))) {
            jar = jars.filter(p -> p.getFileName().toString().endsWith("-cli.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("build libs/training first"));
        }
        List<String> command = new java.util.ArrayList<>(List.of(java(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        ServiceProcess cli = start("training-cli-" + args[0], 0, command, Map.of("TF_CPP_MIN_LOG_LEVEL", "2"));
        if (!cli.process.waitFor(10, TimeUnit.MINUTES) || cli.process.exitValue() != 0) {
            throw new IllegalStateException("training CLI " + String.join(" ", args) + " failed:\n" + cli.tail());
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Waits until GET path answers 200. */
    void awaitHealthy(String path, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited:\n" + tail());
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(name + " not healthy at " + path + " after " + timeout + ":\n" + tail());
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static ServiceProcess start(String name, int port, List<String> command, Map<String, String> env) throws IOException {
        Path logs = Files.createDirectories(Path.of("target/e2e-logs"));
        Path log = logs.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return new ServiceProcess(name, port, builder.start(), log);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
