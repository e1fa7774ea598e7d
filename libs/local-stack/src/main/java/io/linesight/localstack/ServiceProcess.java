package io.linesight.localstack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A packaged service or the training CLI run as a child process, its output in a log file: how the e2e tests and
 * the demo run LineSight. The project root comes from -Dlinesight.root (default: the current folder).
 */
public final class ServiceProcess implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("linesight.root", "."));
    /** Where child process logs go: -Dlinesight.logs, default target/e2e-logs. */
    static final Path LOGS = Path.of(System.getProperty("linesight.logs", "target/e2e-logs"));
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Random RANDOM = new Random();
    /** Ports this JVM already handed out: two services started back to back never get the same one. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    public final String name;
    public final int port;
    private final Process process;
    private final Path log;
    private final List<String> command;
    private final Map<String, String> env;

    private ServiceProcess(String name, int port, Process process, Path log, List<String> command, Map<String, String> env) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
        this.command = command;
        this.env = env;
    }

    /** Starts services/MODULE's quarkus-run.jar on the given port with the given environment; logs as NAME. */
    public static ServiceProcess service(String name, String module, int port, Map<String, String> env) throws IOException {
        Path jar = ROOT.resolve("services").resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        Map<String, String> all = new HashMap<>(env);
        all.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        all.put("OPT_OUT_TRACKING", "true");
        all.put("TF_CPP_MIN_LOG_LEVEL", "2");
        if (module.equals("trainer")) {
            training(all);
        }
        return start(name, port, List.of(java(), "-Xmx1g", "-jar", jar.toString()), all);
    }

    /** Starts any program (e.g. Prometheus) as a child process on {@code port}, its output in NAME.log. */
    public static ServiceProcess program(String name, int port, List<String> command) throws IOException {
        return start(name, port, command, Map.of());
    }

    /** Runs the training CLI to completion (a separate JVM: TensorFlow Java never enters this one). */
    public static void trainingCli(String... args) throws IOException, InterruptedException {
        trainingCli(Map.of(), args);
    }

    /** The same with extra environment, e.g. Kafka SASL settings for promote. */
    public static void trainingCli(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = trainingCommand(args);
        Map<String, String> all = new HashMap<>(env);
        all.put("TF_CPP_MIN_LOG_LEVEL", "2");
        training(all);
        ServiceProcess cli = start("training-cli-" + args[0], 0, command, all);
        cli.awaitExit(args);
    }

    /** Runs the training CLI with its progress on this console (the demo's bootstrap); fails on a non-zero exit. */
    public static void trainingCliInteractive(String... args) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(trainingCommand(args)).inheritIO();
        builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
        training(builder.environment());
        if (builder.start().waitFor() != 0) {
            throw new IllegalStateException("training CLI " + String.join(" ", args) + " failed");
        }
    }

    private void awaitExit(String... args) throws InterruptedException {
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("training CLI " + String.join(" ", args) + " failed:\n" + tail());
        }
    }

    /** Runs the training CLI and returns what it printed on stdout (e.g. evaluate's JSON). */
    public static String trainingCliOutput(String... args) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(trainingCommand(args)).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
        training(builder.environment());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("training CLI " + String.join(" ", args) + " failed");
        }
        return out;
    }

    /**
     * TensorFlow Java's oneDNN at AVX2 unless the caller chose an ISA: its AVX-512 training kernels corrupt the native
     * heap on some shapes (found on an Intel Xeon with AMX and AVX512_FP16). Inference (the classifier) is left alone.
     */
    private static void training(Map<String, String> env) {
        env.putIfAbsent("ONEDNN_MAX_CPU_ISA", System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "AVX2"));
    }

    private static List<String> trainingCommand(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-jar", trainingJar().toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static Path trainingJar() throws IOException {
        try (var jars = Files.list(ROOT.resolve("libs/training/target"))) {
            return jars.filter(p -> p.getFileName().toString().endsWith("-cli.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("build libs/training first (./run build)"));
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Waits until GET path answers 200. */
    public void awaitHealthy(String path, Duration timeout) throws InterruptedException {
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

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status of a process that ended (e.g. 3: the liveness watchdog gave up on a failed channel). */
    public int exitValue() {
        return process.exitValue();
    }

    /** SIGKILL, as a crash or the OOM killer would; waits until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGSTOP (frozen: sockets stay open, heartbeats stop) or SIGCONT, for fault tests; the shell's builtin kill. */
    public void freeze(boolean frozen) throws IOException, InterruptedException {
        new ProcessBuilder("sh", "-c", "kill -" + (frozen ? "STOP " : "CONT ") + process.pid()).inheritIO().start().waitFor();
    }

    /** Whether the process exited within the time. */
    public boolean exitsWithin(Duration within) throws InterruptedException {
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The same command, port and environment started again (after {@link #kill}); the log is appended to. */
    public ServiceProcess relaunch() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        return new ServiceProcess(name, port, builder.start(), log, command, env);
    }

    /**
     * Another replica of this service: the same command and environment with {@code env} on top, on a fresh port (or
     * the one {@code env} names in QUARKUS_HTTP_PORT); logs as NAME.
     */
    public ServiceProcess replica(String name, Map<String, String> env) throws IOException {
        Map<String, String> all = new HashMap<>(this.env);
        all.put("QUARKUS_HTTP_PORT", Integer.toString(freePort()));
        all.putAll(env);
        return start(name, Integer.parseInt(all.get("QUARKUS_HTTP_PORT")), command, all);
    }

    /** How many times the log holds {@code part} so far. */
    public int logCount(String part) throws IOException {
        String text = log();
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            count++;
        }
        return count;
    }

    /** Waits until the log holds {@code part} at least {@code times} times; whether it did within the time. */
    public boolean awaitLogCount(String part, int times, Duration within) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (logCount(part) < times && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        return logCount(part) >= times;
    }

    /** The whole log so far (e.g. to check that no secret was written). */
    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static ServiceProcess start(String name, int port, List<String> command, Map<String, String> env) throws IOException {
        Path logs = Files.createDirectories(LOGS);
        Path log = logs.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return new ServiceProcess(name, port, builder.start(), log, command, env);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A port nothing listens on at the moment, on 127.0.0.1 (where every server of the local stack binds). */
    public static int freePort() {
        // Below the kernel's ephemeral range: a port from inside it can be taken by any client's outgoing connection (a
        // Kafka client, say) between this check and the server's bind, and the server then fails to start.
        int below = ephemeralRangeStart();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 10_000 + RANDOM.nextInt(Math.max(1, below - 10_000));
            if (HANDED_OUT.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                HANDED_OUT.add(port);
                return port;
            } catch (IOException taken) {
                // in use: try another
            }
        }
        throw new IllegalStateException("no free port on 127.0.0.1 between 10000 and " + below);
    }

    /** The first port of net.ipv4.ip_local_port_range (32768 by default). */
    private static int ephemeralRangeStart() {
        try {
            int start = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
            return start > 11_000 ? start : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
