package io.linesight.localstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Starts real Kafka brokers (KRaft, jars from Maven Central: one node, or a cluster of nodes that are each broker and
 * controller), a real redis-server and a real mosquitto (the MQTT broker decisions go to) as child processes on
 * 127.0.0.1, with their data, logs and pid files in one folder. Used by {@code ./run infra}, the tools and, on machines
 * without Docker, by the tests' InfraResource. Processes are named "kafka-1" ... "kafka-N", "redis" and "mqtt" (for
 * {@link #kill}, {@link #restart}, {@link #freeze}).
 */
public final class LocalInfra {
    private static final String BROKER_CLASSPATH_RESOURCE = "/linesight/kafka-broker.classpath";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    /** How many brokers the folder's data belongs to, written at the first start. */
    private static final String CLUSTER_FILE = "cluster.properties";

    /** Where the servers listen; what services and tests are pointed at. */
    public record Addresses(String kafkaBootstrap, String redisHosts, String mqttHost, int mqttPort) {
        /** The services' environment variables naming these servers. */
        public Map<String, String> serviceEnvironment() {
            return Map.of("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrap, "QUARKUS_REDIS_HOSTS", redisHosts,
                    "LINESIGHT_MQTT_HOST", mqttHost, "LINESIGHT_MQTT_PORT", Integer.toString(mqttPort));
        }
    }

    private static final String MQTT = "mqtt";

    private final Path dir;
    /** Client port of broker node i + 1. */
    private final List<Integer> kafkaPorts;
    private final int redisPort;
    private final int mqttPort;
    /** SASL/PLAIN password of user "linesight" on the broker, Redis' requirepass; null = open servers. */
    private final String kafkaPassword;
    private final String redisPassword;
    /**
     * Controller port of node i + 1, chosen at this object's first start and kept for its restarts (every node's
     * static voter list names them; the stored quorum state holds only node ids, so a new launcher may choose anew).
     */
    private List<Integer> controllerPorts;
    private String clusterId;

    public LocalInfra(Path dir, List<Integer> kafkaPorts, int redisPort, int mqttPort) {
        this(dir, kafkaPorts, redisPort, mqttPort, null, null);
    }

    private LocalInfra(Path dir, List<Integer> kafkaPorts, int redisPort, int mqttPort, String kafkaPassword, String redisPassword) {
        if (kafkaPorts.isEmpty()) {
            throw new IllegalArgumentException("at least one broker");
        }
        this.dir = dir.toAbsolutePath();
        this.kafkaPorts = List.copyOf(kafkaPorts);
        this.redisPort = redisPort;
        this.mqttPort = mqttPort;
        this.kafkaPassword = kafkaPassword;
        this.redisPassword = redisPassword;
    }

    /**
     * A broker that only takes SASL/PLAIN clients (user "linesight") and a Redis that requires AUTH, on free ports:
     * what a secured site runs. Clients need {@link #kafkaClientSettings()}; Redis' password is in the address.
     */
    public static LocalInfra secured(Path dir, String kafkaPassword, String redisPassword) {
        return new LocalInfra(dir, List.of(ServiceProcess.freePort()), ServiceProcess.freePort(), ServiceProcess.freePort(),
                kafkaPassword, redisPassword);
    }

    /** Kafka client settings for this broker (empty for an open one), in Kafka's property names. */
    public Map<String, String> kafkaClientSettings() {
        if (kafkaPassword == null) {
            return Map.of();
        }
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"linesight\" password=\""
                        + kafkaPassword + "\";");
    }

    /** The same settings as the environment variables services and the training CLI read (KAFKA_SASL_MECHANISM, ...). */
    public Map<String, String> kafkaClientEnvironment() {
        Map<String, String> env = new HashMap<>();
        kafkaClientSettings().forEach((k, v) -> env.put("KAFKA_" + k.toUpperCase(Locale.ROOT).replace('.', '_'), v));
        return env;
    }

    /** One broker on free ports, for tests that must not collide with a running ./run infra. */
    public static LocalInfra onFreePorts(Path dir) {
        return onFreePorts(dir, 1);
    }

    /** A cluster of this many brokers on free ports. */
    public static LocalInfra onFreePorts(Path dir, int brokers) {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < brokers; i++) {
            ports.add(ServiceProcess.freePort());
        }
        return new LocalInfra(dir, ports, ServiceProcess.freePort(), ServiceProcess.freePort());
    }

    /** The process name of broker node {@code node} (1-based; also its KRaft node id). */
    public static String broker(int node) {
        return "kafka-" + node;
    }

    public List<String> brokers() {
        return IntStream.rangeClosed(1, kafkaPorts.size()).mapToObj(LocalInfra::broker).toList();
    }

    /** Every client takes the full list: any broker that answers tells it where the others are. */
    public Addresses addresses() {
        String bootstrap = kafkaPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        return new Addresses(bootstrap, redisPassword == null ? "redis://127.0.0.1:" + redisPort
                : "redis://:" + redisPassword + "@127.0.0.1:" + redisPort, "127.0.0.1", mqttPort);
    }

    public Addresses start() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        if (!runningNames().isEmpty()) {
            throw new IllegalStateException("infrastructure already running from " + dir + " (stop it first)");
        }
        OptionalInt storedBrokers = storedBrokers(dir);
        if (storedBrokers.isPresent() && storedBrokers.getAsInt() != brokers().size()) {
            throw new IllegalStateException(dir + " holds the data of a cluster of " + storedBrokers.getAsInt()
                    + " broker(s): remove it to start " + brokers().size());
        }
        Files.writeString(dir.resolve(CLUSTER_FILE), "brokers=" + brokers().size() + "\n");
        for (String name : brokers()) {
            Path meta = dir.resolve(name + "-data").resolve("meta.properties");
            if (Files.exists(meta)) {
                Properties properties = new Properties();
                try (InputStream in = Files.newInputStream(meta)) {
                    properties.load(in);
                }
                clusterId = properties.getProperty("cluster.id");
            }
        }
        try {
            startRedis();
            startMqtt();
            startBrokers(brokers());
        } catch (IOException | RuntimeException | InterruptedException e) {
            stop();
            throw e;
        }
        Addresses addresses = addresses();
        Files.writeString(dir.resolve("addresses.env"), "KAFKA_BOOTSTRAP_SERVERS=" + addresses.kafkaBootstrap()
                + "\nREDIS_HOSTS=" + addresses.redisHosts() + "\nMQTT=" + addresses.mqttHost() + ":" + addresses.mqttPort() + "\n");
        return addresses;
    }

    /** Stops what {@link #start()} started (from this or an earlier process, any number of brokers); returns what was stopped. */
    public List<String> stop() throws IOException {
        List<String> stopped = new ArrayList<>();
        for (String name : startedNames()) {
            Optional<ProcessHandle> process = pid(name).flatMap(ProcessHandle::of);
            if (process.isPresent() && process.get().isAlive()) {
                terminate(process.get());
                stopped.add(name);
            }
            Files.deleteIfExists(dir.resolve(name + ".pid"));
        }
        Files.deleteIfExists(dir.resolve("addresses.env"));
        return stopped;
    }

    /** Sends SIGKILL to one server, as a crash would; for fault tests. */
    public void kill(String name) throws IOException {
        if (!name.equals("redis") && !name.equals(MQTT) && !brokers().contains(name)) {
            throw new IllegalArgumentException("no server " + name + ": use redis, mqtt or one of " + brokers());
        }
        pid(name).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }

    /** Starts one server again after {@link #kill} (same port, same data: Kafka keeps its log). */
    public void restart(String name) throws IOException, InterruptedException {
        if (isRunning(name)) {
            throw new IllegalStateException(name + " is still running");
        }
        if (name.equals("redis")) {
            startRedis();
        } else if (name.equals(MQTT)) {
            startMqtt();
        } else if (brokers().contains(name)) {
            startBrokers(List.of(name));
        } else {
            throw new IllegalArgumentException("no server " + name + ": use redis, mqtt or one of " + brokers());
        }
    }

    /** SIGSTOP (frozen, connections stay open: the hardest case for timeouts) or SIGCONT; for fault tests. */
    public void freeze(String name, boolean frozen) throws IOException, InterruptedException {
        long pid = pid(name).orElseThrow(() -> new IllegalStateException(name + " is not running"));
        // The shell's builtin kill: no procps needed on a minimal machine.
        new ProcessBuilder("sh", "-c", "kill -" + (frozen ? "STOP " : "CONT ") + pid).inheritIO().start().waitFor();
    }

    public boolean isRunning(String name) throws IOException {
        return pid(name).flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The cluster size the folder's data belongs to, if a start wrote it. */
    private static OptionalInt storedBrokers(Path dir) throws IOException {
        Path file = dir.resolve(CLUSTER_FILE);
        if (!Files.exists(file)) {
            return OptionalInt.empty();
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        return OptionalInt.of(Integer.parseInt(properties.getProperty("brokers", "1").trim()));
    }

    /** The servers with a pid file in the folder: what a start, here or in an earlier process, launched. */
    private List<String> startedNames() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".pid"))
                    .map(f -> f.substring(0, f.length() - ".pid".length())).sorted().toList();
        }
    }

    private List<String> runningNames() throws IOException {
        List<String> running = new ArrayList<>();
        for (String name : startedNames()) {
            if (isRunning(name)) {
                running.add(name);
            }
        }
        return running;
    }

    private void startRedis() throws IOException, InterruptedException {
        String redisServer = findOnPath("redis-server").orElseThrow(() -> new IllegalStateException(
                "redis-server not found on PATH: install Debian's redis-server (apt-get install redis-server)"));
        Path data = Files.createDirectories(dir.resolve("redis-data"));
        List<String> command = new ArrayList<>(List.of(redisServer, "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                "--dir", data.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no"));
        if (redisPassword != null) {
            command.addAll(List.of("--requirepass", redisPassword));
        }
        Process process = launch("redis", command);
        awaitReady("redis", process, () -> redisAnswersPing(redisPort, redisPassword));
    }

    /** Debian's mosquitto, anonymous clients on 127.0.0.1 only, nothing persisted (the decisions' record is Kafka). */
    private void startMqtt() throws IOException, InterruptedException {
        String mosquitto = findOnPath("mosquitto").orElseThrow(() -> new IllegalStateException(
                "mosquitto not found on PATH: install Debian's mosquitto (apt-get install mosquitto mosquitto-clients)"));
        Path config = dir.resolve("mosquitto.conf");
        Files.writeString(config, "listener " + mqttPort + " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                + "log_dest stdout\nmax_queued_messages 10000\n");
        Process process = launch(MQTT, List.of(mosquitto, "-c", config.toString()));
        awaitReady(MQTT, process, () -> portOpen(mqttPort));
    }

    /**
     * Launches the named broker nodes, then waits for each: a node of a cluster starts only once a majority of the
     * controller quorum answers, so all of a fresh cluster's nodes must be launched before any is awaited.
     */
    private void startBrokers(List<String> names) throws IOException, InterruptedException {
        int nodes = kafkaPorts.size();
        if (controllerPorts == null) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                ports.add(ServiceProcess.freePort());
            }
            controllerPorts = ports;
            if (clusterId == null) {
                clusterId = randomClusterId();
            }
        }
        String voters = IntStream.rangeClosed(1, nodes).mapToObj(n -> n + "@127.0.0.1:" + controllerPorts.get(n - 1))
                .collect(Collectors.joining(","));
        // Internal topics replicated as LineSight's own are by default (TopicSetup): min(3, brokers), min ISR one less.
        String replicas = Integer.toString(Math.min(3, nodes));
        String minInsync = Integer.toString(Math.max(1, Math.min(3, nodes) - 1));
        String classpath = brokerClasspath();
        Map<String, Process> launched = new LinkedHashMap<>();
        Map<String, Long> logStarts = new HashMap<>();
        for (String name : names) {
            int node = brokers().indexOf(name) + 1;
            int port = kafkaPorts.get(node - 1);
            Path data = dir.resolve(name + "-data");
            Properties props = new Properties();
            props.setProperty("process.roles", "broker,controller");
            props.setProperty("node.id", Integer.toString(node));
            props.setProperty("controller.quorum.voters", voters);
            String listener = kafkaPassword == null ? "PLAINTEXT" : "SASL_PLAINTEXT";
            props.setProperty("listeners", listener + "://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPorts.get(node - 1));
            props.setProperty("advertised.listeners", listener + "://127.0.0.1:" + port);
            props.setProperty("controller.listener.names", "CONTROLLER");
            props.setProperty("inter.broker.listener.name", listener);
            props.setProperty("listener.security.protocol.map", listener + ":" + listener + ",CONTROLLER:PLAINTEXT");
            if (kafkaPassword != null) {
                props.setProperty("sasl.enabled.mechanisms", "PLAIN");
                props.setProperty("sasl.mechanism.inter.broker.protocol", "PLAIN");
                props.setProperty("listener.name.sasl_plaintext.plain.sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"linesight\" password=\""
                                + kafkaPassword + "\" user_linesight=\"" + kafkaPassword + "\";");
            }
            props.setProperty("log.dirs", data.toString());
            // Services create every topic from the shared topic table; a typo must not create a new one.
            props.setProperty("auto.create.topics.enable", "false");
            props.setProperty("offsets.topic.replication.factor", replicas);
            props.setProperty("transaction.state.log.replication.factor", replicas);
            props.setProperty("transaction.state.log.min.isr", minInsync);
            props.setProperty("share.coordinator.state.topic.replication.factor", replicas);
            props.setProperty("share.coordinator.state.topic.min.isr", minInsync);
            // A killed broker is fenced, and its partitions led elsewhere, after 4 s without a heartbeat (Kafka: 9 s):
            // loopback never drops a heartbeat, so the shorter session only shortens the gap a crash leaves.
            props.setProperty("broker.session.timeout.ms", "4000");
            props.setProperty("broker.heartbeat.interval.ms", "500");
            // Short-lived consumers in tests: do not wait 3 s for more group members.
            props.setProperty("group.initial.rebalance.delay.ms", "0");
            Path config = dir.resolve(name + ".properties");
            try (OutputStream out = Files.newOutputStream(config)) {
                props.store(out, "written by LineSight LocalInfra");
            }
            if (!Files.exists(data.resolve("meta.properties"))) {
                Path formatLog = dir.resolve(name + "-format.log");
                Process format = new ProcessBuilder(javaCommand(classpath, "kafka.tools.StorageTool", "format",
                        "--cluster-id", clusterId, "--config", config.toString(), "--ignore-formatted"))
                        .redirectErrorStream(true).redirectOutput(formatLog.toFile()).start();
                if (format.waitFor() != 0) {
                    throw new IllegalStateException("Kafka storage format failed, see " + formatLog);
                }
            }
            Path log = dir.resolve(name + ".log");
            logStarts.put(name, Files.exists(log) ? Files.size(log) : 0);
            launched.put(name, launch(name, javaCommand(classpath, "kafka.Kafka", config.toString())));
        }
        for (var entry : launched.entrySet()) {
            String name = entry.getKey();
            int port = kafkaPorts.get(brokers().indexOf(name));
            awaitReady(name, entry.getValue(), () -> logContains(name, logStarts.get(name), "Kafka Server started") && portOpen(port));
        }
    }

    private List<String> javaCommand(String classpath, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms128m", "-Xmx768m", "-XX:+UseG1GC", "-Djava.awt.headless=true", "-cp", classpath, mainClass));
        command.addAll(List.of(args));
        return command;
    }

    private Process launch(String name, List<String> command) throws IOException {
        Path log = dir.resolve(name + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        Files.writeString(dir.resolve(name + ".pid"), Long.toString(process.pid()));
        return process;
    }

    private interface Probe {
        boolean ready() throws IOException;
    }

    private void awaitReady(String name, Process process, Probe probe) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ", see "
                        + dir.resolve(name + ".log") + ":\n" + tail(name));
            }
            if (probe.ready()) {
                return;
            }
            Thread.sleep(200);
        }
        process.destroyForcibly();
        throw new IllegalStateException(name + " not ready after " + READY_TIMEOUT.toSeconds() + " s, see "
                + dir.resolve(name + ".log") + ":\n" + tail(name));
    }

    /** Whether the log written after byte {@code from} (this start, not an earlier one) contains the text. */
    private boolean logContains(String name, long from, String text) throws IOException {
        Path log = dir.resolve(name + ".log");
        if (!Files.exists(log)) {
            return false;
        }
        String content = Files.readString(log, StandardCharsets.ISO_8859_1);
        return content.length() > from && content.substring((int) from).contains(text);
    }

    private String tail(String name) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve(name + ".log"), StandardCharsets.ISO_8859_1);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** The process id of a broker ("kafka-1", ...) or "redis" as started here, from its pid file. */
    public Optional<Long> pid(String name) throws IOException {
        Path file = dir.resolve(name + ".pid");
        return Files.exists(file) ? Optional.of(Long.parseLong(Files.readString(file).trim())) : Optional.empty();
    }

    private static void terminate(ProcessHandle process) {
        process.destroy();
        try {
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
        }
    }

    private static String brokerClasspath() throws IOException {
        try (InputStream in = LocalInfra.class.getResourceAsStream(BROKER_CLASSPATH_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing " + BROKER_CLASSPATH_RESOURCE + ": build libs/kafka-broker first");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }

    private static boolean redisAnswersPing(int port, String password) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            socket.setSoTimeout(500);
            String auth = password == null ? "" : "AUTH " + password + "\r\n";
            socket.getOutputStream().write((auth + "PING\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] answer = socket.getInputStream().readNBytes(password == null ? 7 : 12);
            return new String(answer, StandardCharsets.US_ASCII).endsWith(password == null ? "+PONG\r\n" : "+OK\r\n+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean portOpen(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String randomClusterId() {
        byte[] uuid = new byte[16];
        String id;
        do {
            // A leading '-' would be read as an option by the storage tool.
            new SecureRandom().nextBytes(uuid);
            id = Base64.getUrlEncoder().withoutPadding().encodeToString(uuid);
        } while (id.startsWith("-"));
        return id;
    }

    private static Optional<String> findOnPath(String program) {
        for (String entry : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(entry, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        Path sbin = Path.of("/usr/sbin", program);
        return Files.isExecutable(sbin) ? Optional.of(sbin.toString()) : Optional.empty();
    }

    /** {@code ./run infra up|down|status}: arguments are the command, then the data folder. */
    public static void main(String[] args) throws Exception {
        if (args.length < 2 || (args.length == 4 && !args[2].equals("--brokers")) || args.length == 3 || args.length > 4) {
            System.err.println("usage: LocalInfra up|down|status DIR [--brokers N]   (ports: LINESIGHT_KAFKA_PORT, the first"
                    + " broker's, the next ones following it; LINESIGHT_REDIS_PORT, LINESIGHT_MQTT_PORT)");
            System.exit(2);
        }
        // Without --brokers, the size the folder's data has (so ./run ingest after "up --brokers 3" restarts 3), else 1.
        int brokers = args.length == 4 ? Integer.parseInt(args[3]) : storedBrokers(Path.of(args[1]).toAbsolutePath()).orElse(1);
        if (brokers < 1) {
            System.err.println("--brokers must be at least 1");
            System.exit(2);
        }
        int kafkaPort = Integer.parseInt(System.getenv().getOrDefault("LINESIGHT_KAFKA_PORT", "9092"));
        int redisPort = Integer.parseInt(System.getenv().getOrDefault("LINESIGHT_REDIS_PORT", "6379"));
        int mqttPort = Integer.parseInt(System.getenv().getOrDefault("LINESIGHT_MQTT_PORT", "1883"));
        LocalInfra infra = new LocalInfra(Path.of(args[1]),
                IntStream.range(0, brokers).mapToObj(i -> kafkaPort + i).toList(), redisPort, mqttPort);
        switch (args[0]) {
            case "up" -> {
                Addresses addresses = infra.start();
                System.out.println("Kafka  " + addresses.kafkaBootstrap() + "   (KRaft, " + brokers + " broker(s), logs "
                        + infra.dir.resolve("kafka-*.log") + ")");
                System.out.println("Redis  " + addresses.redisHosts() + "   (log " + infra.dir.resolve("redis.log") + ")");
                System.out.println("MQTT   " + addresses.mqttHost() + ":" + addresses.mqttPort() + "   (mosquitto, log "
                        + infra.dir.resolve(MQTT + ".log") + ")");
            }
            case "down" -> {
                List<String> stopped = infra.stop();
                System.out.println(stopped.isEmpty() ? "nothing was running" : "stopped " + String.join(", ", stopped));
            }
            case "status" -> {
                Path addresses = infra.dir.resolve("addresses.env");
                List<String> started = infra.startedNames();
                List<String> running = infra.runningNames();
                System.out.println(started.isEmpty() ? "nothing started from " + infra.dir : started.stream()
                        .map(n -> n + (running.contains(n) ? " running" : " stopped")).collect(Collectors.joining(", ")));
                boolean allRunning = !started.isEmpty() && running.size() == started.size();
                if (allRunning && Files.exists(addresses)) {
                    System.out.print(Files.readString(addresses));
                }
                System.exit(allRunning ? 0 : 3);
            }
            default -> {
                System.err.println("unknown command " + args[0] + ": use up, down or status");
                System.exit(2);
            }
        }
    }
}
