package io.linesight.testsupport;

import io.linesight.localstack.LocalInfra;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The one source of real Kafka, Redis and MQTT broker for tests, in this order: addresses given by environment
 * (TEST_KAFKA_BOOTSTRAP, TEST_REDIS_HOSTS, TEST_MQTT_HOST and TEST_MQTT_PORT) -> Testcontainers when a Docker engine answers -> local
 * child processes ({@link LocalInfra}). Started once per test JVM and shared by every test class.
 */
public class InfraResource implements QuarkusTestResourceLifecycleManager {
    private static LocalInfra.Addresses addresses;
    /** The child-process servers, when this JVM runs them (not for given addresses or containers). */
    private static LocalInfra local;

    /** The servers of this test JVM, starting them on first use. */
    public static synchronized LocalInfra.Addresses addresses() {
        if (addresses == null) {
            addresses = startInfra();
        }
        return addresses;
    }

    /** The servers as child processes a fault test may kill and restart; empty where they are not this JVM's own. */
    public static synchronized Optional<LocalInfra> localInfra() {
        addresses();
        return Optional.ofNullable(local);
    }

    @Override
    public Map<String, String> start() {
        LocalInfra.Addresses infra = addresses();
        return Map.of("kafka.bootstrap.servers", infra.kafkaBootstrap(), "quarkus.redis.hosts", infra.redisHosts(),
                "linesight.mqtt.host", infra.mqttHost(), "linesight.mqtt.port", Integer.toString(infra.mqttPort()));
    }

    @Override
    public void stop() {
        // Servers outlive a single Quarkus application: later test classes reuse them; a shutdown hook stops them.
    }

    private static LocalInfra.Addresses startInfra() {
        String kafka = System.getenv("TEST_KAFKA_BOOTSTRAP");
        String redis = System.getenv("TEST_REDIS_HOSTS");
        String mqtt = System.getenv("TEST_MQTT_HOST");
        if (kafka != null && redis != null && mqtt != null) {
            return new LocalInfra.Addresses(kafka, redis, mqtt, Integer.parseInt(System.getenv().getOrDefault("TEST_MQTT_PORT", "1883")));
        }
        if (dockerEngineReachable()) {
            return startContainers();
        }
        return startLocal();
    }

    private static LocalInfra.Addresses startContainers() {
        KafkaContainer kafka = new KafkaContainer("apache/kafka:4.1.2")
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
        GenericContainer<?> mqtt = new GenericContainer<>("eclipse-mosquitto:2").withExposedPorts(1883)
                .withCommand("mosquitto", "-c", "/mosquitto-no-auth.conf");
        kafka.start();
        redis.start();
        mqtt.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.stop();
            redis.stop();
            mqtt.stop();
        }));
        return new LocalInfra.Addresses(kafka.getBootstrapServers(),
                "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379), mqtt.getHost(), mqtt.getMappedPort(1883));
    }

    private static LocalInfra.Addresses startLocal() {
        Path dir = Path.of(System.getProperty("test.infra.dir", "target/infra"));
        LocalInfra infra = LocalInfra.onFreePorts(dir);
        try {
            // A previous run killed before its shutdown hook may have left servers behind.
            infra.stop();
            deleteRecursively(dir);
            LocalInfra.Addresses started = infra.start();
            local = infra;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    infra.stop();
                } catch (IOException e) {
                    System.err.println("could not stop test infrastructure in " + dir + ": " + e);
                }
            }));
            return started;
        } catch (IOException e) {
            throw new IllegalStateException("could not start local Kafka, Redis and mosquitto in " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting local Kafka, Redis and mosquitto", e);
        }
    }

    /**
     * Checks for an engine before Testcontainers does: its own probe logs a loud error when there is none.
     * LINESIGHT_TEST_INFRA=local skips Docker even where an engine runs.
     */
    static boolean dockerEngineReachable() {
        if ("local".equals(System.getenv("LINESIGHT_TEST_INFRA"))) {
            return false;
        }
        if (System.getenv("DOCKER_HOST") != null) {
            return true;
        }
        Path socket = Path.of("/var/run/docker.sock");
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
