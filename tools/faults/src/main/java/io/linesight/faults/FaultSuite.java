package io.linesight.faults;

import io.linesight.common.FileTrees;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.LocalInfra;
import io.linesight.localstack.ServiceProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Node;

/**
 * {@code ./run faults}: the packaged services on their own 3-broker Kafka cluster and redis-server (child processes on free
 * ports, so they can be killed), put through crashes, outages, corrupt models, hostile inputs and auth checks, one
 * after the other; prints one table and exits non-zero when a row fails or loses a frame.
 */
public final class FaultSuite {
    /** What the scenarios work on; the classifier and trainer change when they are killed and started again. */
    static final class Context {
        final LocalInfra infra;
        final LocalInfra.Addresses addresses;
        final LineSightSystem system;
        final PredictionLedger ledger;
        final Map<String, String> passwords;
        final Path work;
        ServiceProcess classifier;
        ServiceProcess trainer;
        /** Frames labelled so that the trainer can run (once per suite, by the first row that needs it). */
        final Set<String> trainingFrames = new LinkedHashSet<>();

        Context(LocalInfra infra, LocalInfra.Addresses addresses, LineSightSystem system, Map<String, String> passwords, Path work) {
            this.infra = infra;
            this.work = work;
            this.addresses = addresses;
            this.system = system;
            this.passwords = passwords;
            this.classifier = system.classifier;
            this.trainer = system.trainer;
            this.ledger = new PredictionLedger(addresses.kafkaBootstrap(), Map.of());
        }

        String camera() {
            return Credentials.CAMERA.authorization(passwords);
        }

        String operator() {
            return Credentials.OPERATOR.authorization(passwords);
        }

        String admin() {
            return Credentials.ADMIN.authorization(passwords);
        }

        /** Camera rate during faults (8 frames/s): enough frames to lose some if anything were wrong, little enough for 2 cores. */
        Camera camera(String cameraId) {
            return new Camera(system.ingest.url("/api/v1/frames"), camera(), cameraId, 8);
        }

        /** Posts one frame; fails unless ingest acknowledges it. Its frame id. */
        String postFrame(String cameraId) {
            return frameId(postFrameAnswer(cameraId));
        }

        /** Posts one frame; fails unless ingest acknowledges it. The JSON answer (frameId, audit, ...). */
        String postFrameAnswer(String cameraId) {
            return postFrameAnswer(cameraId, "image/jpeg", ImageSamples.neuImage("inclusion", 1 + (int) (System.nanoTime() % 300)));
        }

        /** Posts the given image; fails unless ingest acknowledges it. */
        String postFrameAnswer(String cameraId, String contentType, byte[] image) {
            Http.Answer answer = Http.post(system.ingest.url("/api/v1/frames"), camera(), contentType, image, "X-Camera-Id", cameraId);
            if (answer.status() != 202) {
                throw new IllegalStateException("frame not accepted: " + answer.status() + " " + answer.body());
            }
            return answer.body();
        }

        static String frameId(String answer) {
            return answer.replaceAll(".*\"frameId\":\"([^\"]+)\".*", "$1");
        }

        /** The broker leading a partition now ("kafka-2"). */
        String leaderOf(String topic, int partition) throws Exception {
            try (Admin admin = kafkaAdmin()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (true) {
                    TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
                    Node leader = description.partitions().stream().filter(p -> p.partition() == partition).findFirst()
                            .orElseThrow(() -> new IllegalStateException(topic + " has no partition " + partition)).leader();
                    if (leader != null && !leader.isEmpty()) {
                        return LocalInfra.broker(leader.id());
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(topic + "-" + partition + " has no leader");
                    }
                    Thread.sleep(200);
                }
            }
        }

        /** Waits until every replica of every topic (LineSight's and Kafka's own) is in sync again. */
        void awaitFullIsr(Duration within) throws Exception {
            try (Admin admin = kafkaAdmin()) {
                long deadline = System.nanoTime() + within.toNanos();
                while (true) {
                    Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
                    List<String> behind = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                            .flatMap(t -> t.partitions().stream().filter(p -> p.isr().size() < p.replicas().size())
                                    .map(p -> t.name() + "-" + p.partition())).toList();
                    if (behind.isEmpty()) {
                        return;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("replicas still out of sync after " + within + ": " + behind);
                    }
                    Thread.sleep(500);
                }
            }
        }

        /** The broker whose controller leads the KRaft metadata quorum now. */
        String activeController() throws Exception {
            try (Admin admin = kafkaAdmin()) {
                return LocalInfra.broker(admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId());
            }
        }

        private Admin kafkaAdmin() {
            return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, addresses.kafkaBootstrap()));
        }

        KafkaProducer<String, byte[]> producer() {
            return Scenarios.producer(addresses.kafkaBootstrap(), new Properties());
        }

        List<ServiceProcess> services() {
            return List.of(system.ingest, classifier, trainer);
        }
    }

    /** A named fault and whether the CI subset runs it. */
    private record Fault(String name, boolean inCi, Check check) {
    }

    private interface Check {
        Row run(Context ctx) throws Exception;
    }

    private static final List<Fault> FAULTS = List.of(
            new Fault("classifier-kill", true, ctx -> new Scenarios(ctx).classifierKilled()),
            new Fault("classifier-replicas", true, ctx -> new ReplicaFaults(ctx).classifierReplicas()),
            new Fault("ingest-replicas", true, ctx -> new ReplicaFaults(ctx).ingestReplicas()),
            new Fault("broker-kill", true, ctx -> new Scenarios(ctx).oneBrokerDown(false, false)),
            new Fault("controller-kill", true, ctx -> new Scenarios(ctx).oneBrokerDown(true, false)),
            new Fault("broker-freeze", true, ctx -> new Scenarios(ctx).oneBrokerDown(false, true)),
            new Fault("broker-outage", true, ctx -> new Scenarios(ctx).brokerLongOutage()),
            new Fault("redis-kill", true, ctx -> new Scenarios(ctx).redisOutage(false)),
            new Fault("redis-stop", true, ctx -> new Scenarios(ctx).redisOutage(true)),
            new Fault("corrupt-versions", true, ctx -> new VersionFaults(ctx).corruptVersions()),
            new Fault("forged-pointers", true, ctx -> new VersionFaults(ctx).forgedPointers()),
            new Fault("late-registry", true, ctx -> new VersionFaults(ctx).lateRegistry()),
            new Fault("trainer-kill", true, ctx -> new Scenarios(ctx).trainerKilled()),
            new Fault("trainer-standby", true, ctx -> new ReplicaFaults(ctx).trainerStandby()),
            new Fault("rollback-during-run", true, ctx -> new VersionFaults(ctx).rollbackDuringRun()),
            new Fault("auto-rollback", true, ctx -> new VersionFaults(ctx).autoRollback()),
            new Fault("shadow-promoted", true, ctx -> new VersionFaults(ctx).shadowPromoted()),
            new Fault("registry-reset", true, ctx -> new VersionFaults(ctx).registryReset()),
            new Fault("hostile-inputs", true, ctx -> new HostileInputs(ctx).hostileInputs()),
            new Fault("image-bombs", true, ctx -> new HostileInputs(ctx).imageBombs()),
            new Fault("auth", true, ctx -> new HostileInputs(ctx).authAndSecrets()),
            new Fault("kafka-sasl-redis-auth", true, ctx -> new HostileInputs(ctx).securedInfrastructure()));

    /** The Kafka cluster the services run on: three brokers, so one may fail without a camera noticing. */
    static final int BROKERS = 3;

    private FaultSuite() {
    }

    public static void main(String[] args) throws Exception {
        boolean ci = List.of(args).contains("--ci");
        if (List.of(args).contains("--help")) {
            System.out.println("Usage: ./run faults [--ci] [--only NAME,...]\nFaults: "
                    + FAULTS.stream().map(Fault::name).toList() + "\nWork folder: .faults/ (logs in .faults-logs/)");
            return;
        }
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--only")) {
                only.addAll(List.of(args[i + 1].split(",")));
            }
        }
        List<Row> rows = run(Path.of(System.getProperty("linesight.faults.dir", ".faults")), ci, only);
        System.exit(rows.stream().allMatch(r -> r.passed() && r.lost() == 0 && r.labelsLost() == 0) ? 0 : 1);
    }

    /** Runs the faults (all, the CI subset, or the named ones) and prints the table; the rows for tests. */
    public static List<Row> run(Path work, boolean ciSubset, List<String> only) throws Exception {
        if (Files.exists(work)) {
            FileTrees.deleteRecursively(work);
        }
        LocalInfra infra = LocalInfra.onFreePorts(work.resolve("infra"), BROKERS);
        List<Row> rows = new ArrayList<>();
        long start = System.nanoTime();
        try {
            LocalInfra.Addresses addresses = infra.start();
            Map<String, String> passwords = new LinkedHashMap<>();
            for (Credentials role : Credentials.values()) {
                passwords.put(role.passwordVariable(), role.user() + "-" + UUID.randomUUID());
            }
            System.out.println("faults: starting " + BROKERS + " Kafka brokers, Redis, ingest, classifier and trainer in " + work.toAbsolutePath());
            try (LineSightSystem system = LineSightSystem.start("faults", addresses, work, Map.of("LINESIGHT_TRAINER_MIN_HOLDOUT", "10",
                    "LINESIGHT_TRAINER_MIN_NEW_SAMPLES", "100000", "LINESIGHT_TRAINER_MAX_INTERVAL", "24h",
                    "LINESIGHT_TRAINER_CHECK_INTERVAL", "2s"), passwords)) {
                Context ctx = new Context(infra, addresses, system, passwords, work);
                for (Fault fault : FAULTS) {
                    if ((ciSubset && !fault.inCi()) || (!only.isEmpty() && !only.contains(fault.name()))) {
                        continue;
                    }
                    System.out.printf("faults: %s...%n", fault.name());
                    long faultStart = System.nanoTime();
                    Row row;
                    try {
                        row = fault.check().run(ctx);
                    } catch (Exception | AssertionError e) {
                        row = new Row(fault.name(), 0, 0, 0, "failed: " + e, false);
                    }
                    rows.add(row);
                    System.out.printf("faults: %s %s in %.0f s%n", fault.name(), row.passed() ? "held" : "FAILED",
                            (System.nanoTime() - faultStart) / 1e9);
                }
                ctx.ledger.close();
                // The relaunched processes are not the system's own: stop them too.
                if (ctx.classifier != system.classifier) {
                    ctx.classifier.close();
                }
                if (ctx.trainer != system.trainer) {
                    ctx.trainer.close();
                }
            }
        } finally {
            infra.stop();
        }
        print(rows, (System.nanoTime() - start) / 1e9);
        return rows;
    }

    private static void print(List<Row> rows, double seconds) {
        System.out.printf("%n%-58s %6s %5s %5s %-19s %-5s  %s%n", "fault", "acked", "lost", "dups", "labels acked / lost", "held", "figures");
        for (Row r : rows) {
            System.out.printf("%-58s %6d %5d %5d %-19s %-5s  %s%n", r.scenario(), r.acknowledged(), r.lost(), r.duplicates(),
                    r.labels() == null ? "-" : r.labels().acknowledged() + " / " + r.labels().lost(), r.passed() ? "yes" : "NO", r.figures());
        }
        System.out.printf("%d faults in %.1f min; lost frames in total: %d; lost labels in total: %d%n", rows.size(), seconds / 60,
                rows.stream().mapToLong(Row::lost).sum(), rows.stream().mapToLong(Row::labelsLost).sum());
    }
}
