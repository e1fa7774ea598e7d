package io.linesight.faults;

import io.linesight.common.Defaults;
import io.linesight.common.RedisKeys;
import io.linesight.common.Topic;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
     * Two ingest replicas on one Redis, a camera on each, and two review pages on one shared operator log-in, one per
     * replica, working the shared review queue as the page does (next items, then a label for each): no frame is handed
     * to both pages, every saved label is on linesight.labels exactly once. Then an admin gives 20 of the audit frames a
     * second, different label through the other replica: each audit frame still counts once in the audit accuracy.
     */
    Row ingestReplicas() throws Exception {
        ServiceProcess second = ctx.system.ingest.replica("ingest-faults-2", Map.of());
        try {
            second.awaitHealthy("/q/health/ready", LineSightSystem.WAIT);
            long auditsBefore = auditLabels();
            Camera first = ctx.camera("cam-ingest-1");
            Camera other = new Camera(second.url("/api/v1/frames"), ctx.camera(), "cam-ingest-2", 8);
            Reviewer one = new Reviewer(ctx.system.ingest, ctx.operator(), "page-1");
            Reviewer two = new Reviewer(second, ctx.operator(), "page-2");
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
            Set<String> secondOpinions = secondOpinions(second, one.audits.stream().limit(20).toList(), saved);
            List<Label> published = TopicLog.labels(ctx.addresses.kafkaBootstrap(), saved.keySet(), Duration.ofSeconds(60));
            Map<String, Long> copies = new TreeMap<>();
            published.stream().filter(l -> !secondOpinions.contains(l.getFrameId())).forEach(l -> copies.merge(l.getFrameId(), 1L, Long::sum));
            long missing = saved.entrySet().stream().filter(s -> published.stream()
                    .noneMatch(l -> l.getFrameId().equals(s.getKey()) && l.getLabel().equals(s.getValue()))).count();
            long twice = copies.values().stream().filter(c -> c > 1).count();
            int serving = servingVersion();
            long auditsCountable = published.stream().filter(l -> l.getSource() == LabelSource.AUDIT && l.getServedModelVersion() == serving)
                    .map(Label::getFrameId).distinct().count();
            long auditsCounted = auditLabels() - auditsBefore;
            return new Row("ingest: 2 replicas on one Redis, a review page on each (one log-in)", acknowledged.size(), lost, ctx.ledger.duplicates(acknowledged),
                    new Row.Labels(saved.size(), missing), String.format("labelled via ingest-1 %d, via ingest-2 %d; frames handed to both"
                            + " pages %d; published twice %d; second opinions on audit frames %d; audit frames counted %d of %d; label refusals"
                            + " %s; %s", one.saved.size(), two.saved.size(), both.size(), twice, secondOpinions.size(), auditsCounted,
                            auditsCountable, one.refusals + " / " + two.refusals,
                            redisFootprint(saved.keySet().stream().limit(20).toList())),
                    lost == 0 && missing == 0 && both.isEmpty() && twice == 0 && auditsCounted == auditsCountable && secondOpinions.size() == 20
                            && !one.saved.isEmpty() && !two.saved.isEmpty() && one.refusals.isEmpty() && two.refusals.isEmpty());
        } finally {
            second.close();
        }
    }

    /**
     * What Redis holds per frame (its index entry and first prediction), what a label adds (label, relabel count, claim
     * and queue keys) and per cached prediction, averaged over a sample of labelled frames: the figures the README's
     * sizing uses.
     */
    private String redisFootprint(List<String> frames) throws IOException {
        try (RedisProbe redis = new RedisProbe(ctx.addresses.redisHosts())) {
            long everyFrame = 0;
            long labelled = 0;
            long labelKeys = 0;
            for (String frame : frames) {
                for (String key : redis.keys("*" + frame + "*")) {
                    if (key.equals(RedisKeys.frame(frame)) || key.equals(RedisKeys.firstPrediction(frame))) {
                        everyFrame += redis.memoryUsage(key);
                    } else {
                        labelled += redis.memoryUsage(key);
                        labelKeys++;
                    }
                }
            }
            List<String> cached = redis.keys("cache:*").stream().limit(50).toList();
            long cacheBytes = 0;
            for (String key : cached) {
                cacheBytes += redis.memoryUsage(key);
            }
            int n = Math.max(1, frames.size());
            return String.format("Redis per frame (index + first prediction) %d bytes, a label adds %.1f keys, %d bytes; per cached"
                    + " prediction %d bytes (means of %d frames, %d cache entries)", everyFrame / n, labelKeys / (double) n, labelled / n,
                    cacheBytes / Math.max(1, cached.size()), frames.size(), cached.size());
        }
    }

    /** An admin labels each audit frame again, another class, through the other replica; the frames it was saved for. */
    private Set<String> secondOpinions(ServiceProcess ingest, List<String> audits, Map<String, String> saved) {
        Set<String> done = ConcurrentHashMap.newKeySet();
        for (String frameId : audits) {
            String other = LineSightSystem.CLASSES.stream().filter(c -> !c.equals(saved.get(frameId))).findFirst().orElseThrow();
            Http.Answer answer = Http.post(ingest.url("/api/v1/labels"), ctx.admin(), "application/json", ("{\"frameId\":\"" + frameId
                    + "\",\"label\":\"" + other + "\",\"source\":\"AUDIT\"}").getBytes(StandardCharsets.UTF_8));
            if (answer.status() == 202) {
                done.add(frameId);
            }
        }
        return done;
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

    /** A review page working the queue through one ingest replica: next 5 items, a label for each, again. */
    private static final class Reviewer implements AutoCloseable {
        private static final Pattern ITEM = Pattern.compile("\"frameId\":\"([^\"]+)\",\"kind\":\"(AUDIT|REVIEW)\"");
        final Set<String> handed = ConcurrentHashMap.newKeySet();
        final Map<String, String> saved = new ConcurrentHashMap<>();
        /** The AUDIT frames among those saved, in the order labelled. */
        final List<String> audits = new CopyOnWriteArrayList<>();
        final Map<Integer, Long> refusals = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        Reviewer(ServiceProcess ingest, String authorization, String session) {
            thread = new Thread(() -> {
                while (running) {
                    Matcher items = ITEM.matcher(Http.get(ingest.url("/api/v1/review/queue?limit=5"), authorization,
                            "X-Review-Session", session).body());
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
                            if (items.group(2).equals("AUDIT")) {
                                audits.add(frameId);
                            }
                        } else {
                            refusals.merge(answer.status(), 1L, Long::sum);
                        }
                    }
                    if (!any) {
                        pause();
                    }
                }
            }, "reviewer-" + session);
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
     * A standby trainer on the shared registry (it is given the first one's public URL, as both stand behind one Service
     * address in a deployment): the active one is frozen (SIGSTOP) mid-run past the lease timeout, the standby takes
     * over; the frozen one, woken, exits without publishing anything; the new active trains; the first comes back as a
     * standby, serves the registry (the classifier then serves a version the second published) and takes over again when
     * the second is SIGKILLed. The only pointer of the row is the new active's promotion, if it promoted.
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
            String runStarted = "Fine-tuning " + model + " version";
            int runsBefore = first.logCount(runStarted);
            CompletableFuture<Http.Answer> longRun = CompletableFuture.supplyAsync(() -> Http.postWaiting(first.url("/api/v1/training/run"),
                    ctx.admin(), "application/json", "{\"epochs\":400,\"strategy\":\"full\"}".getBytes(StandardCharsets.UTF_8)));
            boolean wasTraining = first.awaitLogCount(runStarted, runsBefore + 1, Duration.ofSeconds(60));
            Thread.sleep(3000);
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
            Integer promoted = run.body().contains("\"promoted\"") ? Integer.valueOf(run.body().replaceAll(".*\"version\":(\\d+).*", "$1")) : null;
            // Fetched from the address the first trainer answers again: the registry both share.
            boolean served = promoted == null || servesVersion(promoted);
            standby.kill();
            long killedAt = System.nanoTime();
            long secondTakeover = awaitRole(ctx.trainer, "active", Duration.ofSeconds(60));
            List<ModelVersion> pointers = TopicLog.pointersSince(ctx.addresses.kafkaBootstrap(), model, rowStart, Duration.ofSeconds(60));
            List<Integer> published = pointers.stream().map(ModelVersion::getVersion).toList();
            boolean onlyTheNewActives = published.equals(promoted == null ? List.of() : List.of(promoted)) && !before.contains(promoted);
            return new Row("trainer: active frozen mid-run, standby takes over; then killed, first back", 0, 0, 0,
                    String.format("standby waited %s, its run answered %d; frozen %s, takeover after the freeze %s, the frozen one"
                            + " exited with %d (4 = lease lost); new active's run %d %s; pointers published in the row %s (only the new"
                            + " active's: %s); registry readable from the standby %s, the classifier serves its version %s; takeover after"
                            + " SIGKILL %s; versions before %s, after %s", standbyWaits ? "yes" : "NO", refused.status(),
                            wasTraining ? "mid-run" : "BEFORE its run started", seconds(frozenAt, firstTakeover), exitStatus, run.status(),
                            run.body().replaceAll(".*\"result\":\"(\\w+)\".*", "$1"), published, onlyTheNewActives ? "yes" : "NO",
                            readable ? "yes" : "NO", promoted == null ? "n/a (nothing promoted)" : served ? "yes" : "NO",
                            seconds(killedAt, secondTakeover), before, after),
                    standbyWaits && refused.status() == 503 && wasTraining && firstTakeover > 0 && exitStatus == 4 && ran && backAsStandby
                            && secondTakeover > 0 && onlyTheNewActives && readable && served);
        } finally {
            standby.close();
        }
    }

    /** Whether a frame posted now is predicted by {@code version} within 2 min (the classifier fetched and swapped it). */
    private boolean servesVersion(int version) throws Exception {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (System.nanoTime() < deadline) {
            String frameId = ctx.postFrame("cam-standby");
            ctx.ledger.awaitAll(List.of(frameId), Duration.ofSeconds(30));
            if (Integer.valueOf(version).equals(ctx.ledger.version(frameId))) {
                return true;
            }
            Thread.sleep(2000);
        }
        return false;
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
