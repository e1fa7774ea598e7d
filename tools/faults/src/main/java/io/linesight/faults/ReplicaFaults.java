package io.linesight.faults;

import io.linesight.common.Defaults;
import io.linesight.common.Topic;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;

/** Replicas of each service under traffic: classifiers sharing a group, ingests sharing a review queue, a trainer standby. */
final class ReplicaFaults {
    private static final Duration SETTLE = Duration.ofMinutes(2);
    private static final String CLASSIFIER_GROUP = "linesight-classifier-" + "faults";
    private final FaultSuite.Context ctx;

    ReplicaFaults(FaultSuite.Context ctx) {
        this.ctx = ctx;
    }

    /**
     * Classifier replicas in one group under 3 cameras: a second replica joins, then a third under traffic (it must hold
     * no partition before its model serves), then the second is SIGKILLed; every acknowledged frame gets a prediction,
     * duplicates (redelivery after the kill) are counted. Prints the assignment per replica after each step.
     */
    Row classifierReplicas() throws Exception {
        List<Camera> cameras = List.of(ctx.camera("cam-rep-a"), ctx.camera("cam-rep-b"), ctx.camera("cam-rep-c"));
        List<String> steps = new ArrayList<>();
        ServiceProcess second = ctx.classifier.replica("classifier-faults-2", Map.of("MP_MESSAGING_INCOMING_FRAMES_CLIENT_ID", "classifier-2"));
        ServiceProcess third = null;
        boolean earlyAssignment = false;
        try {
            second.awaitHealthy("/q/health/ready", LineSightSystem.WAIT);
            steps.add("2 replicas " + awaitMembers(2));
            third = ctx.classifier.replica("classifier-faults-3", Map.of("MP_MESSAGING_INCOMING_FRAMES_CLIENT_ID", "classifier-3"));
            // Until its model serves (readiness), the joining replica must hold nothing.
            long deadline = System.nanoTime() + LineSightSystem.WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                boolean ready = Http.get(third.url("/q/health/ready"), null).status() == 200;
                Map<String, List<Integer>> assignment = assignment();
                earlyAssignment |= !ready && !assignment.getOrDefault("classifier-3", List.of()).isEmpty();
                if (ready) {
                    break;
                }
                Thread.sleep(250);
            }
            steps.add("3 replicas " + awaitMembers(3));
            Thread.sleep(5000);
            second.kill();
            steps.add("classifier-2 SIGKILLed " + awaitMembers(2));
            Thread.sleep(8000);
        } finally {
            for (Camera camera : cameras) {
                camera.close();
            }
            second.close();
            if (third != null) {
                third.close();
            }
        }
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        cameras.forEach(c -> acknowledged.addAll(c.acknowledged));
        long lost = ctx.ledger.awaitAll(acknowledged, SETTLE);
        boolean everyStepSpread = steps.stream().allMatch(s -> !s.contains("[]") && !s.contains("NOT"));
        boolean refusedNone = cameras.stream().allMatch(c -> c.refused.isEmpty());
        return new Row("classifier: 2 replicas, a 3rd joins under traffic, one SIGKILLed", acknowledged.size(), lost,
                ctx.ledger.duplicates(acknowledged), String.format("assignment (linesight.frames partitions): %s; a joining replica held"
                        + " partitions before its model served: %s", String.join("; ", steps), earlyAssignment ? "YES" : "no"),
                lost == 0 && !earlyAssignment && everyStepSpread && refusedNone);
    }

    /**
     * Waits until the frames group is stable with {@code members} members, each holding a partition and together all of
     * them; the assignment (NOT ... if never).
     */
    private String awaitMembers(int members) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, List<Integer>> assignment = assignment();
        while (System.nanoTime() < deadline) {
            assignment = assignment();
            long held = assignment.values().stream().mapToLong(List::size).sum();
            if (assignment.size() == members && held == Integer.parseInt(Defaults.PARTITIONS)
                    && assignment.values().stream().noneMatch(List::isEmpty)) {
                return assignment.toString();
            }
            Thread.sleep(250);
        }
        return "NOT " + members + " members holding every partition: " + assignment;
    }

    /** Replica -> its partitions of linesight.frames (replicas named by client id; the first has the default one). */
    private Map<String, List<Integer>> assignment() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.addresses.kafkaBootstrap()))) {
            Map<String, List<Integer>> assignment = new TreeMap<>();
            for (MemberDescription member : admin.describeConsumerGroups(List.of(CLASSIFIER_GROUP)).all().get(30, TimeUnit.SECONDS)
                    .get(CLASSIFIER_GROUP).members()) {
                String replica = member.clientId().startsWith("classifier-") ? member.clientId().replaceAll("^(classifier-\\d+).*", "$1")
                        : "classifier-1";
                assignment.put(replica, member.assignment().topicPartitions().stream().filter(p -> p.topic().equals(Topic.FRAMES.topicName()))
                        .map(p -> p.partition()).sorted().toList());
            }
            return assignment;
        }
    }

    /**
     * Two ingest replicas on one Redis, a camera on each, and an operator on each working the shared review queue as the
     * page does (next items, then a label for each): no frame is handed to both operators, every saved label is on
     * linesight.labels exactly once, and each labelled audit frame counts once in the page's audit accuracy.
     */
    Row ingestReplicas() throws Exception {
        ServiceProcess second = ctx.system.ingest.replica("ingest-faults-2", Map.of());
        try {
            second.awaitHealthy("/q/health/ready", LineSightSystem.WAIT);
            long auditsBefore = auditLabels();
            Camera first = ctx.camera("cam-ingest-1");
            Camera other = new Camera(second.url("/api/v1/frames"), ctx.camera(), "cam-ingest-2", 8);
            Reviewer one = new Reviewer(ctx.system.ingest, ctx.operator(), "operator");
            Reviewer two = new Reviewer(second, ctx.admin(), "admin");
            Thread.sleep(40_000);
            first.close();
            other.close();
            Thread.sleep(10_000);
            one.close();
            two.close();
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            acknowledged.addAll(first.acknowledged);
            acknowledged.addAll(other.acknowledged);
            long lost = ctx.ledger.awaitAll(acknowledged, SETTLE);
            Map<String, String> saved = new ConcurrentHashMap<>(one.saved);
            saved.putAll(two.saved);
            Set<String> both = ConcurrentHashMap.newKeySet();
            one.handed.forEach(f -> {
                if (two.handed.contains(f)) {
                    both.add(f);
                }
            });
            List<Label> published = TopicLog.labels(ctx.addresses.kafkaBootstrap(), saved.keySet(), Duration.ofSeconds(60));
            Map<String, Long> copies = new TreeMap<>();
            published.forEach(l -> copies.merge(l.getFrameId(), 1L, Long::sum));
            long missing = saved.entrySet().stream().filter(s -> published.stream()
                    .noneMatch(l -> l.getFrameId().equals(s.getKey()) && l.getLabel().equals(s.getValue()))).count();
            long twice = copies.values().stream().filter(c -> c > 1).count();
            int serving = servingVersion();
            long auditsCountable = published.stream().filter(l -> l.getSource() == LabelSource.AUDIT && l.getServedModelVersion() == serving)
                    .map(Label::getFrameId).distinct().count();
            long auditsCounted = auditLabels() - auditsBefore;
            return new Row("ingest: 2 replicas on one Redis, an operator on each", acknowledged.size(), lost, ctx.ledger.duplicates(acknowledged),
                    new Row.Labels(saved.size(), missing), String.format("labelled via ingest-1 %d, via ingest-2 %d; frames handed to both"
                            + " operators %d; published twice %d; audit labels counted %d of %d; label refusals %s", one.saved.size(),
                            two.saved.size(), both.size(), twice, auditsCounted, auditsCountable, one.refusals + " / " + two.refusals),
                    lost == 0 && missing == 0 && both.isEmpty() && twice == 0 && auditsCounted == auditsCountable
                            && !one.saved.isEmpty() && !two.saved.isEmpty() && one.refusals.isEmpty() && two.refusals.isEmpty());
        } finally {
            second.close();
        }
    }

    private long auditLabels() {
        String body = Http.get(ctx.system.ingest.url("/api/v1/review/summary"), ctx.operator()).body();
        Matcher m = Pattern.compile("\"auditLabels\":(\\d+)").matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private int servingVersion() {
        String body = Http.get(ctx.system.ingest.url("/api/v1/review/summary"), ctx.operator()).body();
        Matcher m = Pattern.compile("\"version\":(\\d+)").matcher(body);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** An operator working the review queue of one ingest replica: next 5 items, a label for each, again. */
    private static final class Reviewer implements AutoCloseable {
        private static final Pattern ITEM = Pattern.compile("\"frameId\":\"([^\"]+)\",\"kind\":\"(AUDIT|REVIEW)\"");
        final Set<String> handed = ConcurrentHashMap.newKeySet();
        final Map<String, String> saved = new ConcurrentHashMap<>();
        final Map<Integer, Long> refusals = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        Reviewer(ServiceProcess ingest, String authorization, String name) {
            thread = new Thread(() -> {
                while (running) {
                    Matcher items = ITEM.matcher(Http.get(ingest.url("/api/v1/review/queue?limit=5"), authorization).body());
                    boolean any = false;
                    while (items.find()) {
                        any = true;
                        String frameId = items.group(1);
                        handed.add(frameId);
                        String label = Operator.labelOf(frameId);
                        Http.Answer answer = Http.post(ingest.url("/api/v1/labels"), authorization, "application/json", ("{\"frameId\":\""
                                + frameId + "\",\"label\":\"" + label + "\",\"source\":\"" + items.group(2) + "\"}").getBytes(StandardCharsets.UTF_8));
                        if (answer.status() == 202 || answer.status() == 200) {
                            saved.put(frameId, label);
                        } else {
                            refusals.merge(answer.status(), 1L, Long::sum);
                        }
                    }
                    if (!any) {
                        pause();
                    }
                }
            }, "reviewer-" + name);
            thread.start();
        }

        private static void pause() {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(60_000);
        }
    }

    /**
     * A standby trainer on the shared registry: the active one is frozen (SIGSTOP) mid-run past the lease timeout, the
     * standby takes over; the frozen one, woken, must exit without publishing (its producer is fenced); the new active
     * trains and publishes; the first comes back as a standby and takes over again when the second is SIGKILLed. Both
     * serve the registry; every version number is published once.
     */
    Row trainerStandby() throws Exception {
        new Scenarios(ctx).labelForTraining();
        String model = ctx.system.model;
        List<Integer> before = new ModelRegistry(ctx.system.registry).versions(model);
        long rowStart = System.currentTimeMillis();
        ServiceProcess standby = ctx.trainer.replica("trainer-faults-2", Map.of("LINESIGHT_TRAINER_SAMPLES_DIR",
                ctx.work.resolve("faults/samples-2").toString()));
        ServiceProcess first = ctx.trainer;
        try {
            standby.awaitHealthy("/q/health/ready", LineSightSystem.WAIT);
            boolean standbyWaits = role(standby).equals("standby") && role(first).equals("active");
            Http.Answer refused = Http.post(standby.url("/api/v1/training/run"), ctx.admin(), "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            CompletableFuture<Http.Answer> longRun = CompletableFuture.supplyAsync(() -> Http.postWaiting(first.url("/api/v1/training/run"),
                    ctx.admin(), "application/json", "{\"epochs\":400,\"strategy\":\"full\"}".getBytes(StandardCharsets.UTF_8)));
            Thread.sleep(5000);
            first.freeze(true);
            long frozenAt = System.nanoTime();
            long firstTakeover = awaitRole(standby, "active", Duration.ofSeconds(60));
            first.freeze(false);
            boolean exited = first.exitsWithin(Duration.ofSeconds(60));
            int exitStatus = exited ? first.exitValue() : -1;
            longRun.join();
            Http.Answer run = Http.postWaiting(standby.url("/api/v1/training/run"), ctx.admin(), "application/json",
                    "{\"epochs\":1,\"strategy\":\"head\"}".getBytes(StandardCharsets.UTF_8));
            boolean ran = run.status() == 200 && (run.body().contains("\"promoted\"") || run.body().contains("\"rejected\""));
            List<Integer> after = new ModelRegistry(ctx.system.registry).versions(model);
            boolean readable = after.stream().allMatch(v -> Http.get(standby.url("/registry/" + model + "/" + v + "/manifest.json"), null).status() == 200);

            ctx.trainer = first.relaunch();
            ctx.trainer.awaitHealthy("/q/health/ready", LineSightSystem.WAIT);
            boolean backAsStandby = role(ctx.trainer).equals("standby");
            standby.kill();
            long killedAt = System.nanoTime();
            long secondTakeover = awaitRole(ctx.trainer, "active", Duration.ofSeconds(60));
            List<ModelVersion> pointers = TopicLog.pointersSince(ctx.addresses.kafkaBootstrap(), model, rowStart, Duration.ofSeconds(60));
            long distinct = pointers.stream().map(ModelVersion::getVersion).distinct().count();
            boolean fresh = pointers.stream().noneMatch(p -> before.contains(p.getVersion()));
            return new Row("trainer: active frozen mid-run, standby takes over; then killed, first back", 0, 0, 0,
                    String.format("standby waited %s, its run answered %d; takeover after freeze %s, frozen one exited with %d"
                            + " (4 = lease lost); new active's run %d %s; takeover after SIGKILL %s; pointers published %s (each number"
                            + " once: %s); registry readable from the standby: %s; versions before %s, after %s", standbyWaits ? "yes" : "NO",
                            refused.status(), seconds(frozenAt, firstTakeover), exitStatus, run.status(),
                            run.body().replaceAll(".*\"result\":\"(\\w+)\".*", "$1"), seconds(killedAt, secondTakeover),
                            pointers.stream().map(ModelVersion::getVersion).toList(), distinct == pointers.size() && fresh ? "yes" : "NO",
                            readable ? "yes" : "NO", before, after),
                    standbyWaits && refused.status() == 503 && firstTakeover > 0 && exitStatus == 4 && ran && backAsStandby && secondTakeover > 0
                            && distinct == pointers.size() && fresh && readable);
        } finally {
            standby.close();
        }
    }

    private static String seconds(long fromNanos, long atNanos) {
        return atNanos < 0 ? "NEVER" : String.format("%.1f s", (atNanos - fromNanos) / 1e9);
    }

    /** The trainer-lease role in a trainer's readiness: active, taking or standby. */
    private static String role(ServiceProcess trainer) {
        return Http.get(trainer.url("/q/health/ready"), null).body().replaceAll("(?s).*\"role\"\\s*:\\s*\"(\\w+)\".*", "$1");
    }

    /** When (nanoTime) the trainer reported the role, -1 if not within the time. */
    static long awaitRole(ServiceProcess trainer, String role, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (role(trainer).equals(role)) {
                return System.nanoTime();
            }
            Thread.sleep(200);
        }
        return -1;
    }
}
