package io.linesight.faults;

import io.linesight.common.HashSelection;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ServingPointers;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The faults, each on the running system; each returns one row of the table. */
final class Scenarios {
    private static final Duration SETTLE = Duration.ofMinutes(2);
    /** Longer than every producer's delivery timeout (15 s here, 2 min by Kafka's default). */
    private static final Duration LONG_OUTAGE = Duration.ofMinutes(3);
    /**
     * With one broker of three down, the longest a camera may go without an acknowledged frame: the broker session
     * (4 s) after a new controller is elected, ingest's request timeout on a frozen broker (3 s) and the retry.
     */
    private static final Duration MAX_ELECTION_GAP = Duration.ofSeconds(12);

    private final FaultSuite.Context ctx;

    Scenarios(FaultSuite.Context ctx) {
        this.ctx = ctx;
    }

    /** 1. The classifier is SIGKILLed mid-stream and started again: every acknowledged frame still gets a prediction. */
    Row classifierKilled() throws Exception {
        Camera camera = ctx.camera("cam-kill");
        Thread.sleep(6000);
        ctx.classifier.kill();
        Thread.sleep(3000);
        ctx.classifier = ctx.classifier.relaunch();
        ctx.classifier.awaitHealthy("/q/health/ready", SETTLE);
        Thread.sleep(4000);
        camera.close();
        long lost = ctx.ledger.awaitAll(camera.acknowledged, SETTLE);
        return new Row("classifier SIGKILL mid-stream + restart", camera.acknowledged.size(), lost,
                ctx.ledger.duplicates(camera.acknowledged), "non-202 answers " + camera.refusedStatuses(),
                lost == 0 && camera.refused.isEmpty());
    }

    /**
     * 2. One broker of the three is SIGKILLed (or frozen with SIGSTOP, a partitioned broker's minimum) for 10 s under
     * camera traffic and labelling, then restarted: the leader of the camera's partition, or the active controller.
     * Its partitions get new leaders within the broker session (4 s), so cameras get at most a short run of 503s.
     */
    Row oneBrokerDown(boolean controller, boolean frozen) throws Exception {
        String cameraId = controller ? "cam-controller" : frozen ? "cam-broker-frozen" : "cam-broker";
        // A broker restarted by the previous row must be back in sync first, or this row would take a second copy away.
        ctx.awaitFullIsr(SETTLE);
        Camera camera = ctx.camera(cameraId);
        Operator operator = new Operator(ctx.system.ingest.url("/api/v1/labels"), ctx.operator(), camera.acknowledged, Duration.ofSeconds(2));
        Thread.sleep(5000);
        for (long deadline = System.nanoTime() + SETTLE.toNanos(); camera.partition < 0 && System.nanoTime() < deadline; ) {
            Thread.sleep(200);
        }
        String victim = controller ? ctx.activeController() : ctx.leaderOf(Topic.FRAMES.topicName(), camera.partition);
        if (frozen) {
            ctx.infra.freeze(victim, true);
        } else {
            ctx.infra.kill(victim);
        }
        Thread.sleep(10_000);
        if (frozen) {
            ctx.infra.freeze(victim, false);
        } else {
            ctx.infra.restart(victim);
        }
        Thread.sleep(8000);
        camera.close();
        operator.finish(SETTLE);
        long lost = ctx.ledger.awaitAll(camera.acknowledged, SETTLE);
        LabelCheck labels = labelCheck(operator);
        // The trainer lease rides out the broker's loss (its group coordinator may have been on it): no restart.
        boolean leaseKept = ctx.trainer.isAlive() && ReplicaFaults.awaitRole(ctx.trainer, "active", SETTLE) > 0;
        String role = controller ? "the active controller" : "the camera's partition leader";
        return new Row((frozen ? "Kafka: 1 of 3 brokers frozen 10 s (" : "Kafka: 1 of 3 brokers SIGKILLed 10 s (") + role + ")",
                camera.acknowledged.size(), lost, ctx.ledger.duplicates(camera.acknowledged), new Row.Labels(operator.saved.size(), labels.lost()),
                String.format("%s %s; non-202 %s, longest run of non-202 %d ms, longest gap between acknowledgements %d ms, slowest answer"
                        + " %d ms; labels refused %d, after a 503 %d, published twice %d; trainer kept its lease %s", frozen ? "froze" : "killed",
                        victim, camera.refusedStatuses(), camera.longestRefusalMillis.get(), camera.longestAckGapMillis.get(), camera.maxMillis.get(),
                        operator.refused.size(), labels.retriedSaved(), labels.duplicates(), leaseKept ? "yes" : "NO"),
                lost == 0 && labels.lost() == 0 && operator.refused.isEmpty() && labels.everyFrameLabelled()
                        && camera.refused.stream().allMatch(a -> a.status() == 503 && a.retryAfter() != null)
                        && camera.longestAckGapMillis.get() <= MAX_ELECTION_GAP.toMillis());
    }

    /** Labels the operator saw saved but linesight.labels does not hold with their class, and what the retries did. */
    private record LabelCheck(long lost, long retriedSaved, long duplicates, boolean everyFrameLabelled) {
    }

    private LabelCheck labelCheck(Operator operator) {
        Map<String, List<String>> published = TopicLog.labelsBySource(ctx.addresses.kafkaBootstrap(), LabelSource.CORRECTION,
                operator.saved.keySet(), Duration.ofSeconds(60));
        long lost = operator.saved.entrySet().stream()
                .filter(saved -> !published.getOrDefault(saved.getKey(), List.of()).contains(saved.getValue())).count();
        // A label in flight at the kill may be written yet answered 503; its retry writes it again (harmless: the trainer
        // keeps one sample per frame and source).
        long duplicates = published.values().stream().filter(labels -> labels.size() > 1).count();
        long retriedSaved = operator.unavailable.stream().filter(operator.saved::containsKey).count();
        return new LabelCheck(lost, retriedSaved, duplicates, operator.saved.size() + operator.refused.size() == operator.frames());
    }

    /**
     * Two of the three brokers down 3 min, past every delivery timeout: no write can reach its 2 in-sync replicas, so
     * ingest answers 503 + Retry-After, while a camera streams and an operator labels each acknowledged frame through
     * the API 20 s behind the line, so labels meet the outage. Services whose channels failed exit (liveness watchdog)
     * and are started again, as the restart policies do; afterwards frames are acknowledged again, every acknowledged
     * frame has a prediction and every saved label is on linesight.labels with its class.
     */
    Row brokerLongOutage() throws Exception {
        ctx.awaitFullIsr(SETTLE);
        Camera camera = ctx.camera("cam-outage");
        Operator operator = new Operator(ctx.system.ingest.url("/api/v1/labels"), ctx.operator(), camera.acknowledged, Duration.ofSeconds(20));
        Thread.sleep(30_000);
        List<String> down = ctx.infra.brokers().subList(1, 3);
        for (String broker : down) {
            ctx.infra.kill(broker);
        }
        Thread.sleep(LONG_OUTAGE.toMillis());
        for (String broker : down) {
            ctx.infra.restart(broker);
        }
        int ackedBeforeRecovery = camera.acknowledged.size();
        Supervised recovery = superviseUntilReady(Duration.ofMinutes(3));
        Thread.sleep(8000);
        camera.close();
        operator.finish(SETTLE);
        long lost = ctx.ledger.awaitAll(camera.acknowledged, SETTLE);
        LabelCheck labels = labelCheck(operator);
        long unavailable = camera.count(503);
        boolean allWithRetryAfter = camera.refused.stream().allMatch(a -> a.status() == 503 && a.retryAfter() != null);
        int ackedAfter = camera.acknowledged.size() - ackedBeforeRecovery;
        return new Row("Kafka: 2 of 3 brokers down 3 min under traffic + labelling", camera.acknowledged.size(), lost,
                ctx.ledger.duplicates(camera.acknowledged), new Row.Labels(operator.saved.size(), labels.lost()),
                String.format("killed %s; 503 + Retry-After %d, other refusals %s; labels saved after a 503 %d, refused %d, published twice %d;"
                        + " restarted after exiting: %s; ready again %s, frames acked after %d", down, unavailable, camera.refused.size() - unavailable,
                        labels.retriedSaved(), operator.refused.size(), labels.duplicates(), recovery.restarted().isEmpty() ? "none" : recovery.restarted(),
                        recovery.ready() ? "yes" : "NO", ackedAfter),
                lost == 0 && labels.lost() == 0 && operator.refused.isEmpty() && labels.everyFrameLabelled() && unavailable > 0
                        && allWithRetryAfter && labels.retriedSaved() > 0 && recovery.ready() && ackedAfter > 0);
    }

    /** What the restart policy did: the restarts (name and exit status) and whether every service was ready at the end. */
    private record Supervised(List<String> restarted, boolean ready) {
    }

    /**
     * Plays the restart policy (compose restart: unless-stopped, Kubernetes, ./run): the classifier or trainer that exited
     * is started again, until every service is ready.
     */
    private Supervised superviseUntilReady(Duration within) throws Exception {
        List<String> restarted = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (!ctx.classifier.isAlive()) {
                restarted.add(ctx.classifier.name + " (exit " + ctx.classifier.exitValue() + ")");
                ctx.classifier = ctx.classifier.relaunch();
            }
            if (!ctx.trainer.isAlive()) {
                restarted.add(ctx.trainer.name + " (exit " + ctx.trainer.exitValue() + ")");
                ctx.trainer = ctx.trainer.relaunch();
            }
            boolean ready = true;
            for (ServiceProcess service : ctx.services()) {
                ready &= service.isAlive() && Http.get(service.url("/q/health/ready"), null).status() == 200
                        && Http.get(service.url("/q/health/live"), null).status() == 200;
            }
            if (ready) {
                return new Supervised(restarted, true);
            }
            Thread.sleep(1000);
        }
        return new Supervised(restarted, false);
    }

    /** 3. Redis lost (SIGKILL) or frozen (SIGSTOP): classification goes on, health degraded, bypasses counted, bounded waits. */
    Row redisOutage(boolean frozen) throws Exception {
        String metrics = ctx.classifier.url("/q/metrics");
        double bypassBefore = Http.metric(metrics, "linesight_classifier_cache_total", "result=\"bypass\"");
        Camera camera = ctx.camera(frozen ? "cam-redis-stop" : "cam-redis-kill");
        Thread.sleep(4000);
        if (frozen) {
            ctx.infra.freeze("redis", true);
        } else {
            ctx.infra.kill("redis");
        }
        Thread.sleep(8000);
        Http.Answer degraded = Http.get(ctx.classifier.url("/q/health"), null);
        long slowestDuringOutage = camera.maxMillis.get();
        if (frozen) {
            ctx.infra.freeze("redis", false);
        } else {
            ctx.infra.restart("redis");
        }
        Thread.sleep(6000);
        camera.close();
        long lost = ctx.ledger.awaitAll(camera.acknowledged, SETTLE);
        double bypasses = Http.metric(metrics, "linesight_classifier_cache_total", "result=\"bypass\"") - bypassBefore;
        Http.Answer recovered = awaitHealth(ctx.classifier.url("/q/health"));
        boolean saidDegraded = degraded.body().contains("\"DOWN\"") || degraded.body().toLowerCase().contains("degraded");
        // Ingest's Redis calls are bounded by quarkus.redis.timeout (2 s); a camera request may add one Kafka send.
        boolean bounded = slowestDuringOutage < 2000 + 1500;
        return new Row(frozen ? "Redis frozen (SIGSTOP) 8 s" : "Redis killed (SIGKILL) + restarted", camera.acknowledged.size(), lost,
                ctx.ledger.duplicates(camera.acknowledged), String.format("cache bypasses %.0f, health during outage %s, after %s, "
                        + "slowest ingest answer %d ms, non-202 answers %s", bypasses, saidDegraded ? "degraded" : "UP",
                        recovered.status() == 200 ? "UP" : "not UP", slowestDuringOutage, camera.refusedStatuses()),
                lost == 0 && bypasses > 0 && saidDegraded && recovered.status() == 200 && bounded && camera.refused.isEmpty());
    }

    /** 5. The trainer is SIGKILLed mid-training: nothing is published, and the next run completes. */
    Row trainerKilled() throws Exception {
        List<Integer> before = new ModelRegistry(ctx.system.registry).versions(ctx.system.model);
        Set<String> frames = labelForTraining();
        long lost = ctx.ledger.awaitAll(frames, SETTLE);
        CompletableFuture<Http.Answer> longRun = CompletableFuture.supplyAsync(() -> Http.post(ctx.trainer.url("/api/v1/training/run"),
                ctx.admin(), "application/json", "{\"epochs\":400,\"strategy\":\"full\"}".getBytes(StandardCharsets.UTF_8)));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ctx.trainer.log().contains("Fine-tuning " + ctx.system.model + " version") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        boolean wasTraining = ctx.trainer.log().contains("Fine-tuning " + ctx.system.model + " version");
        Thread.sleep(3000);
        ctx.trainer.kill();
        longRun.join();
        List<Integer> afterKill = new ModelRegistry(ctx.system.registry).versions(ctx.system.model);
        ctx.trainer = ctx.trainer.relaunch();
        ctx.trainer.awaitHealthy("/q/health/ready", SETTLE);
        // The killed process's lease lapses after its timeout; the relaunched one then takes it.
        ReplicaFaults.awaitRole(ctx.trainer, "active", SETTLE);
        Http.Answer next = Http.postWaiting(ctx.trainer.url("/api/v1/training/run"), ctx.admin(), "application/json",
                "{\"epochs\":1,\"strategy\":\"head\"}".getBytes(StandardCharsets.UTF_8));
        boolean completed = next.status() == 200 && (next.body().contains("\"promoted\"") || next.body().contains("\"rejected\""));
        return new Row("trainer SIGKILL mid-training + next run", frames.size(), lost, ctx.ledger.duplicates(frames),
                String.format("%d labels; killed %s; versions before %s, after kill %s; next run: %d %s", frames.size(),
                        wasTraining ? "while training" : "BEFORE training started", before, afterKill, next.status(),
                        next.body().replaceAll(".*\"result\":\"(\\w+)\".*", "$1")),
                wasTraining && before.equals(afterKill) && completed && lost == 0);
    }

    /**
     * Labels frames until the trainer's AUDIT holdout can gate a run (its minimum is 10; the default fraction 0.5 of
     * audit images, by content hash), once per suite; the labelled frames. Each frame is an image never sent before, so
     * its content's side is decided by this label, not by camera traffic that other rows labelled.
     */
    Set<String> labelForTraining() throws Exception {
        if (!ctx.trainingFrames.isEmpty()) {
            return ctx.trainingFrames;
        }
        Map<String, Boolean> audited = new LinkedHashMap<>();
        int holdout = 0;
        while (holdout < 12 && audited.size() < 400) {
            byte[] image = ImageSamples.noisePng(2000, System.nanoTime());
            String answer = ctx.postFrameAnswer("cam-train", "image/png", image);
            String frameId = FaultSuite.Context.frameId(answer);
            boolean audit = answer.contains("\"audit\":true");
            audited.put(frameId, audit);
            holdout += audit && HashSelection.isHoldout(Sha256.hex(image), 0.5) ? 1 : 0;
        }
        ctx.ledger.awaitAll(audited.keySet(), SETTLE);
        String samples = ctx.trainer.url("/q/metrics");
        Map<String, Double> collected = new LinkedHashMap<>();
        for (String source : List.of("AUDIT", "REVIEW")) {
            collected.put(source, Http.metric(samples, "linesight_trainer_samples_total", "source=\"" + source + "\""));
        }
        int labelled = 0;
        for (Map.Entry<String, Boolean> frame : audited.entrySet()) {
            String label = LineSightSystem.CLASSES.get(labelled % 3);
            String source = frame.getValue() ? "AUDIT" : "REVIEW";
            Http.Answer answer = Http.post(ctx.system.ingest.url("/api/v1/labels"), ctx.operator(), "application/json",
                    ("{\"frameId\":\"" + frame.getKey() + "\",\"label\":\"" + label + "\",\"source\":\"" + source + "\"}")
                            .getBytes(StandardCharsets.UTF_8));
            if (answer.status() == 202) {
                labelled++;
                collected.merge(source, 1.0, Double::sum);
                ctx.trainingFrames.add(frame.getKey());
            }
        }
        // The samples reach the trainer's store, counted per source: a trainer restarted by an earlier row may still be
        // catching up on that row's CORRECTION labels.
        long deadline = System.nanoTime() + SETTLE.toNanos();
        for (Map.Entry<String, Double> expected : collected.entrySet()) {
            String filter = "source=\"" + expected.getKey() + "\"";
            while (Http.metric(samples, "linesight_trainer_samples_total", filter) < expected.getValue() && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
        }
        return ctx.trainingFrames;
    }

    private Http.Answer awaitHealth(String url) throws InterruptedException {
        Http.Answer answer = Http.get(url, null);
        for (int i = 0; i < 60 && answer.status() != 200; i++) {
            Thread.sleep(500);
            answer = Http.get(url, null);
        }
        return answer;
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap, Properties extra) {
        Properties props = new Properties();
        props.putAll(extra);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
}
