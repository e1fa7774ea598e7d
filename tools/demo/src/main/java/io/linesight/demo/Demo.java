package io.linesight.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.linesight.common.Defaults;
import io.linesight.common.FileTrees;
import io.linesight.common.Topic;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.LocalInfra;
import io.linesight.localstack.MetricsText;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.Decision;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.ModelVersionDeserializer;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionDeserializer;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.RescaleOp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.stream.IntStream;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code ./run demo}: the whole loop on a real defect data set, unattended. Cameras stream frames through ingest,
 * the classifier answers, a simulated operator labels AUDIT and uncertain frames from the ground truth within a
 * budget, the trainer fine-tunes and the classifier hot-swaps; a live line shows it, a report shows the result.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Streams an image folder through LineSight and shows accuracy rising as simulated operators label.",
                "A fixed share of the data (--holdout, chosen by --seed) is never streamed: the bootstrap and final versions "
                        + "are both evaluated on it. Ctrl-C ends early; the report is written either way."})
public final class Demo implements Callable<Integer> {
    private static final String MODEL = "demo";
    /** AUDIT frames a version needs before its AUDIT accuracy is compared with the estimate (the trainer's gauge needs 20). */
    private static final int MIN_AUDITED = 20;
    /**
     * Live AUDIT labels before a shadow is first judged: the demo labels about one AUDIT frame a second, so the services'
     * 50 would leave little of a short run for what follows; the one-sided test still has to clear the margin.
     */
    private static final int SHADOW_MIN_AUDIT_LABELS = 30;

    /** linesight_drift_score at which LineSightCameraDrift fires (deploy/prometheus/rules/linesight.rules.yml). */
    static final double DRIFT_ALERT_THRESHOLD = 1.0;

    enum Promotion { shadow, holdout }

    private static final Pattern DRIFT_SCORE = Pattern.compile("^linesight_drift_score\\{[^}]*camera=\"([^\"]+)\"[^}]*\\} (\\S+)$",
            Pattern.MULTILINE);

    @Option(names = "--data", defaultValue = "../shared/data/neu-surface", description = "ImageFolder to stream (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--duration", defaultValue = "600", description = "Seconds of streaming (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--rate", defaultValue = "10", description = "Frames per second over all cameras (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--cameras", defaultValue = "3", description = "Simulated cameras (default: ${DEFAULT-VALUE}).")
    int cameras;

    @Option(names = "--budget", defaultValue = "500", description = "Labels the simulated operator may give (default: ${DEFAULT-VALUE}), paced over the run: a fifth at once, "
                    + "the rest evenly until 80 %% of --duration; at most 60 %% of them REVIEW (AUDIT labels are the trainer's holdout).")
    int budget;

    @Option(names = "--audit-rate", defaultValue = "0.2", description = "Share of frames chosen for blind audit (default: ${DEFAULT-VALUE}).")
    double auditRate;

    @Option(names = "--holdout", defaultValue = "0.2", description = "Share of the data never streamed (default: ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--bootstrap-per-class", defaultValue = "10", description = "Labelled images per class for the bootstrap model (default: ${DEFAULT-VALUE}).")
    int bootstrapPerClass;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the split and the stream order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--good-classes", split = ",", defaultValue = LineSightSystem.GOOD_CLASS, description = {"Classes that count as good parts for"
            + " OK / NG / RECHECK (default: ${DEFAULT-VALUE}:", "NEU holds only defect classes, so one stands in for good)."})
    List<String> goodClasses;

    @Option(names = "--escape-target", defaultValue = "0.02", description = "Share of defective parts that may be called OK"
            + " (default: ${DEFAULT-VALUE}; the demo's audit is too small to show the services' " + Defaults.ESCAPE_TARGET + ").")
    double escapeTarget;

    @Option(names = "--promotion", defaultValue = "shadow", description = {"How a fine-tuned version that wins on the holdout comes"
            + " to serve (default: ${DEFAULT-VALUE}):", "shadow: it first answers live frames beside the serving version and serves once it"
            + " beats it on live AUDIT labels; holdout: at once."})
    Promotion promotion;

    @Option(names = "--dim-camera", defaultValue = "camera-3", description = "Camera whose lamp dims during the run, for the drift"
            + " alarm to catch (default: ${DEFAULT-VALUE}; none: no camera dims).")
    String dimCamera;

    @Option(names = "--dim-from", defaultValue = "0.5", description = "Share of --duration after which it dims (default: ${DEFAULT-VALUE}).")
    double dimFrom;

    @Option(names = "--dim-gain", defaultValue = "0.5", description = "Brightness its frames keep once dimmed (default: ${DEFAULT-VALUE}).")
    double dimGain;

    @Option(names = "--work", defaultValue = ".demo", description = "Folder for infrastructure, registry, logs and reports (default: ${DEFAULT-VALUE}).")
    Path work;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> truth = new ConcurrentHashMap<>();
    private final Map<String, Boolean> audited = new ConcurrentHashMap<>();
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    private final Set<String> labelled = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();
    private final Timeline timeline = new Timeline();
    private volatile boolean streaming = true;
    /** When --dim-camera's lamp dims. */
    private volatile long dimAtMs = Long.MAX_VALUE;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Demo()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        work = work.toAbsolutePath();
        if (!dimCamera.equals("none") && IntStream.rangeClosed(1, cameras).noneMatch(c -> dimCamera.equals("camera-" + c))) {
            System.err.printf("--dim-camera %s: the cameras are camera-1 to camera-%d, or none%n", dimCamera, cameras);
            return 2;
        }
        System.setProperty("linesight.logs", work.resolve("logs").toString());
        DataSplit split = DataSplit.create(data, work, seed, holdout, bootstrapPerClass);
        System.out.printf("data: %s, %d classes; %d images never streamed, %d per class for the bootstrap model, %d streamed%n",
                data, split.classes().size(), split.holdoutCount(), bootstrapPerClass, split.streamed().size());

        LocalInfra infra = LocalInfra.onFreePorts(work.resolve("infra"));
        infra.stop();
        FileTrees.deleteRecursively(work.resolve("infra")); // a fresh broker and Redis each run
        LocalInfra.Addresses addresses = infra.start();
        System.out.printf("Kafka %s, Redis %s%n", addresses.kafkaBootstrap(), addresses.redisHosts());
        LineSightSystem system = null;
        CountDownLatch finished = new CountDownLatch(1);
        Thread stopper = new Thread(() -> {
            streaming = false;
            try {
                finished.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            Path registry = work.resolve("registry");
            if (new ModelRegistry(registry).versions(MODEL).isEmpty()) {
                System.out.println("bootstrap: training version 1 on the labelled share (kept for the next run)");
                ServiceProcess.trainingCliInteractive("train", "--data", split.bootstrapDir().toString(), "--registry",
                        registry.toString(), "--model", MODEL, "--epochs", "15", "--input-size", "64", "--width", "16",
                        "--stem", "imagenet", "--val-fraction", "0.2", "--lr", "0.05", "--report", work.resolve("bootstrap-report").toString(),
                        "--good-classes", String.join(",", goodClasses), "--escape-target", Double.toString(escapeTarget));
            }
            int bootstrapVersion = new ModelRegistry(registry).versions(MODEL).get(0);
            JsonNode bootstrapScore = evaluate(registry, bootstrapVersion, split);
            System.out.printf("bootstrap version %d on the never-streamed slice: accuracy %.3f%n", bootstrapVersion,
                    bootstrapScore.get("accuracy").asDouble());

            system = LineSightSystem.launch(MODEL, addresses, work, bootstrapVersion, Map.of("LINESIGHT_TRAINER_MIN_NEW_SAMPLES", "60",
                    "LINESIGHT_TRAINER_MIN_HOLDOUT", "30", "LINESIGHT_TRAINER_CHECK_INTERVAL", "5s", "LINESIGHT_TRAINER_MAX_INTERVAL", "2m",
                    "LINESIGHT_TRAINER_EPOCHS", "8", "LINESIGHT_TRAINER_LEARNING_RATE", "0.02",
                    "LINESIGHT_TRAINER_GOOD_CLASSES", String.join(",", goodClasses), "LINESIGHT_TRAINER_ESCAPE_TARGET", Double.toString(escapeTarget),
                    "LINESIGHT_TRAINER_PROMOTION", promotion.name(), "LINESIGHT_SHADOW_MIN_AUDIT_LABELS", Integer.toString(SHADOW_MIN_AUDIT_LABELS)),
                    Map.of("LINESIGHT_AUDIT_RATE", Double.toString(auditRate)), Map.of());
            ServiceProcess ingest = system.ingest;
            ServiceProcess trainer = system.trainer;
            System.out.printf("ingest %s (review page %s), classifier %s, trainer %s; logs in %s%n", ingest.url(""),
                    ingest.url("/review/"), system.classifier.url(""), trainer.url(""), work.resolve("logs"));
            Thread watcher = new Thread(() -> watchPredictions(addresses), "predictions");
            watcher.setDaemon(true);
            watcher.start();
            long streamStart = System.currentTimeMillis();
            dimAtMs = dimCamera.equals("none") ? Long.MAX_VALUE : streamStart + (long) (dimFrom * durationSeconds * 1000);
            List<Thread> cameraThreads = startCameras(ingest, split);
            long end = streamStart + durationSeconds * 1000L;
            Thread operator = new Thread(() -> operate(ingest, end), "operator");
            operator.setDaemon(true);
            operator.start();

            while (streaming && System.currentTimeMillis() < end) {
                Thread.sleep(2000);
                System.out.println(status(trainer, system.classifier, end));
            }
            streaming = false;
            for (Thread camera : cameraThreads) {
                camera.join(5000);
            }
            Thread.sleep(3000); // last predictions in flight

            // The version that served last; versions from earlier runs, and shadows that never served, do not count.
            int finalVersion = timeline.lastServing().orElse(bootstrapVersion);
            JsonNode finalScore = evaluate(registry, finalVersion, split);
            List<Timeline.VersionAccuracy> accuracies = timeline.accuracyByVersion();
            List<Timeline.ShadowAccuracy> shadows = timeline.shadowByVersion();
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("data", data.toString());
            figures.put("streamedSeconds", durationSeconds);
            figures.put("framesSent", sent.get());
            figures.put("framesClassified", timeline.count());
            figures.put("labelsUsed", labelled.size());
            figures.put("promotion", promotion.name());
            figures.put("bootstrapVersion", bootstrapVersion);
            figures.put("finalVersion", finalVersion);
            figures.put("versionsPromoted", accuracies.stream().filter(a -> a.version() != bootstrapVersion).count());
            figures.put("shadowsPromoted", timeline.promotedShadows());
            figures.put("shadowByVersion", shadows);
            figures.put("pointers", timeline.pointers());
            List<Timeline.CameraDrift> drift = timeline.driftByCamera(dimCamera, dimAtMs, DRIFT_ALERT_THRESHOLD);
            figures.put("dimmedCamera", dimCamera);
            figures.put("dimmedAtSeconds", dimAtMs > System.currentTimeMillis() ? null : (dimAtMs - timeline.startMs()) / 1000);
            figures.put("driftByCamera", drift);
            figures.put("neverStreamedImages", split.holdoutCount());
            figures.put("bootstrapAccuracy", bootstrapScore.get("accuracy").asDouble());
            figures.put("finalAccuracy", finalScore.get("accuracy").asDouble());
            figures.put("bootstrapMacroRecall", bootstrapScore.get("macroRecall").asDouble());
            figures.put("finalMacroRecall", finalScore.get("macroRecall").asDouble());
            figures.put("recentAuditAccuracy", timeline.recentAuditAccuracy(100));
            figures.put("goodClasses", goodClasses);
            figures.put("escapeTarget", escapeTarget);
            for (String decision : List.of("OK", "NG", "RECHECK")) {
                figures.put("decisions" + decision, timeline.decisions(decision));
            }
            figures.put("accuracyByVersion", accuracies);
            figures.put("labelFreeError", labelFreeError(accuracies));
            Path report = Report.write(work.resolve("report-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))),
                    timeline, figures, finalScore, escapeTarget, dimAtMs);
            System.out.printf("%nnever-streamed slice (%d images): bootstrap v%d accuracy %.3f -> final v%d accuracy %.3f%n",
                    split.holdoutCount(), bootstrapVersion, bootstrapScore.get("accuracy").asDouble(), finalVersion,
                    finalScore.get("accuracy").asDouble());
            System.out.println("accuracy per served version, estimated without labels (mean calibrated top probability) / on its"
                    + " AUDIT frames / on all its frames:");
            accuracies.forEach(a -> System.out.printf("  v%d: %d frames, estimated %.3f; AUDIT %.3f (%d frames); all %.3f%n", a.version(),
                    a.frames(), a.estimated(), a.audit(), a.audited(), a.actual()));
            if (!shadows.isEmpty()) {
                System.out.println("shadow candidates on the AUDIT frames both it and the serving version answered (the trainer judges"
                        + " its own count of the labelled ones):");
                shadows.forEach(a -> System.out.printf("  v%d: %d frames answered; on %d AUDIT frames shadow %.3f vs serving %.3f%s%n",
                        a.version(), a.frames(), a.paired(), a.shadow(), a.serving(),
                        timeline.promotedShadows().contains(a.version()) ? " -> promoted" : ""));
            }
            System.out.printf("drift per camera (the alert's threshold is %.1f)%s:%n", DRIFT_ALERT_THRESHOLD, dimAtMs > System.currentTimeMillis() ? ""
                    : String.format(", %s's lamp dimmed to %.0f %% at t+%ds", dimCamera, dimGain * 100, (dimAtMs - timeline.startMs()) / 1000));
            drift.forEach(d -> System.out.printf("  %s: largest score %.2f before, %.2f after%s%n", d.camera(), d.maxBefore(), d.maxAfter(),
                    Double.isNaN(d.flaggedAfterSeconds()) ? "; never flagged" : String.format("; flagged %.0f s after", d.flaggedAfterSeconds())));
            System.out.printf("label-free estimate vs AUDIT accuracy: mean absolute error %.3f, weighted by frames (versions with %d+ AUDIT"
                    + " frames)%n", labelFreeError(accuracies), MIN_AUDITED);
            System.out.println("report: " + report);
            if (timeline.count() == 0) {
                System.err.println("demo failed: no frame was classified (is the classifier running? see its log, classifier-demo.log)");
                return 1;
            }
            return 0;
        } finally {
            if (system != null) {
                system.close();
            }
            infra.stop();
            finished.countDown();
        }
    }

    private List<Thread> startCameras(ServiceProcess ingest, DataSplit split) {
        List<DataSplit.Image> order = new ArrayList<>(split.streamed());
        Collections.shuffle(order, new Random(seed));
        AtomicInteger next = new AtomicInteger();
        String auth = Credentials.CAMERA.devAuthorization();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < cameras; c++) {
            String camera = "camera-" + (c + 1);
            Thread thread = new Thread(() -> {
                long periodNanos = (long) (1e9 * cameras / rate);
                long due = System.nanoTime();
                while (streaming) {
                    DataSplit.Image image = order.get(next.getAndIncrement() % order.size());
                    try {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(ingest.url("/api/v1/frames")))
                                .header("Authorization", auth).header("Content-Type", "image/jpeg").header("X-Camera-Id", camera)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(frame(camera, image))).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 202) {
                            JsonNode body = ModelRegistry.JSON.readTree(response.body());
                            String frameId = body.get("frameId").asText();
                            truth.put(frameId, image.label());
                            audited.put(frameId, body.get("audit").asBoolean());
                            sentAt.put(frameId, System.currentTimeMillis());
                            sent.incrementAndGet();
                        } else {
                            rejected.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        rejected.incrementAndGet();
                    }
                    due += periodNanos;
                    long sleep = due - System.nanoTime();
                    if (sleep > 0) {
                        try {
                            Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, camera);
            thread.start();
            threads.add(thread);
        }
        return threads;
    }

    /**
     * An image as the camera sends it: decoded and encoded again as a colour JPEG, darker once its lamp dims. Every
     * camera's frames take the same path, so only the dimming tells the dimmed camera apart.
     */
    private byte[] frame(String camera, DataSplit.Image image) throws IOException {
        BufferedImage original = ImageIO.read(image.path().toFile());
        BufferedImage rgb = new BufferedImage(original.getWidth(), original.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = rgb.createGraphics();
        g.drawImage(original, 0, 0, null);
        g.dispose();
        float gain = camera.equals(dimCamera) && System.currentTimeMillis() >= dimAtMs ? (float) dimGain : 1f;
        return ImageSamples.encode(new RescaleOp(gain, 0, null).filter(rgb, null), "jpg");
    }

    /**
     * The simulated operator: labels AUDIT frames and the least confident ones from the ground truth, paced so the
     * budget lasts the run ({@link #labelsAllowed}). REVIEW labels get at most 60 % of the labels so far: the trainer
     * publishes nothing without enough AUDIT labels (they are its unbiased holdout), just as a real shift should keep
     * auditing while it reviews.
     */
    private void operate(ServiceProcess ingest, long endMs) {
        String auth = Credentials.OPERATOR.devAuthorization();
        long startMs = System.currentTimeMillis();
        AtomicInteger reviews = new AtomicInteger();
        while (streaming && labelled.size() < budget) {
            try {
                Thread.sleep(1000);
                int allowed = labelsAllowed(System.currentTimeMillis() - startMs, endMs - startMs);
                HttpResponse<String> queue = http.send(HttpRequest.newBuilder(URI.create(ingest.url("/api/v1/review/queue?limit=20")))
                        .header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofString());
                if (queue.statusCode() != 200) {
                    continue;
                }
                for (JsonNode item : ModelRegistry.JSON.readTree(queue.body())) {
                    String frameId = item.get("frameId").asText();
                    String label = truth.get(frameId);
                    boolean review = "REVIEW".equals(item.get("kind").asText());
                    if (label == null || labelled.contains(frameId) || labelled.size() >= allowed
                            || (review && reviews.get() >= 0.6 * allowed)) {
                        continue;
                    }
                    String body = ModelRegistry.JSON.writeValueAsString(Map.of("frameId", frameId, "label", label,
                            "source", item.get("kind").asText()));
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(ingest.url("/api/v1/labels")))
                            .header("Authorization", auth).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() == 202 || answer.statusCode() == 200) {
                        labelled.add(frameId);
                        if (review) {
                            reviews.incrementAndGet();
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // Ingest busy or restarting: try again on the next round.
            }
        }
    }

    /**
     * Labels the operator may have given after {@code elapsedMs} of a run of {@code durationMs}: a fifth of the budget
     * at once (so the first holdout fills and a first fine-tune can run early), the rest evenly until 80 % of the run,
     * leaving the last fifth for the final fine-tune and its swap to show.
     */
    int labelsAllowed(long elapsedMs, long durationMs) {
        double share = 0.2 + 0.8 * Math.min(1.0, elapsedMs / (0.8 * durationMs));
        return (int) Math.min(budget, Math.round(budget * share));
    }

    /** Reads linesight.predictions, linesight.predictions.shadow and linesight.model-versions into the timeline. */
    private void watchPredictions(LocalInfra.Addresses infra) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Pointers are published in transactions: an aborted promotion must not count.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
                PredictionDeserializer predictions = new PredictionDeserializer();
                ModelVersionDeserializer pointers = new ModelVersionDeserializer()) {
            consumer.subscribe(List.of(Topic.PREDICTIONS.topicName(), Topic.PREDICTIONS_SHADOW.topicName(), Topic.MODEL_VERSIONS.topicName()));
            while (true) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.topic().equals(Topic.MODEL_VERSIONS.topicName())) {
                        pointer(pointers.deserialize(record.topic(), record.value()));
                        continue;
                    }
                    Timeline.Observed observed = observed(predictions.deserialize(record.topic(), record.value()));
                    if (observed == null) {
                        continue;
                    }
                    if (record.topic().equals(Topic.PREDICTIONS.topicName())) {
                        timeline.add(observed);
                    } else {
                        timeline.addShadow(observed);
                    }
                }
            }
        }
    }

    /** A prediction with the demo's ground truth, or null for frames this run did not send. */
    private Timeline.Observed observed(Prediction p) {
        String label = p == null ? null : truth.get(p.getFrameId());
        if (label == null || p.getTopKCount() == 0) {
            return null;
        }
        return new Timeline.Observed(p.getFrameId(), p.getPredictedAtMs(), p.getModelVersion(), label.equals(p.getTopK(0).getClassName()),
                audited.getOrDefault(p.getFrameId(), false), p.getPredictedAtMs() - sentAt.getOrDefault(p.getFrameId(), p.getPredictedAtMs()),
                p.getDecision() == Decision.DECISION_UNSPECIFIED ? "" : p.getDecision().name(), goodClasses.contains(label),
                p.getTopK(0).getProbability());
    }

    private void pointer(ModelVersion pointer) {
        if (pointer == null) {
            return;
        }
        long now = System.currentTimeMillis();
        boolean wasShadow = timeline.pointers().stream().anyMatch(e -> e.status().equals("SHADOW") && e.version() == pointer.getVersion());
        timeline.addPointer(new Timeline.PointerEvent(now, pointer.getVersion(), pointer.getStatus().name()));
        String what = switch (pointer.getStatus()) {
            case SERVING -> "v" + pointer.getVersion() + " serves" + (wasShadow ? ", promoted from shadow on live AUDIT labels" : "");
            case SHADOW -> "v" + pointer.getVersion() + " runs as shadow beside v" + pointer.getBesideVersion()
                    + ": it answers live frames and serves only once it beats v" + pointer.getBesideVersion() + " on live AUDIT labels";
            case REJECTED -> "shadow v" + pointer.getVersion() + " ended" + (timeline.lastServing().orElse(0) == pointer.getVersion()
                    ? ": it serves now" : "");
            case ROLLED_BACK -> "v" + pointer.getVersion() + " serves again: the version after it was rolled back";
            default -> "v" + pointer.getVersion() + " " + pointer.getStatus().name();
        };
        System.out.printf("t+%3ds | %s%n", (now - timeline.startMs()) / 1000, what);
    }

    private String status(ServiceProcess trainer, ServiceProcess classifier, long endMs) {
        String training = "";
        String shadow = "";
        StringBuilder drift = new StringBuilder();
        try {
            long now = System.currentTimeMillis();
            driftScores(http.send(HttpRequest.newBuilder(URI.create(classifier.url("/q/metrics"))).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).forEach((camera, score) -> {
                        timeline.addDrift(new Timeline.DriftSample(now, camera, score));
                        drift.append(String.format(" %s %.1f%s", camera, score, score >= DRIFT_ALERT_THRESHOLD ? " ALARM" : ""));
                    });
        } catch (Exception ignored) {
            // The classifier is busy or swapping: this line has no drift.
        }
        try {
            HttpResponse<String> last = http.send(HttpRequest.newBuilder(URI.create(trainer.url("/api/v1/training/last"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (last.statusCode() == 200) {
                JsonNode outcome = ModelRegistry.JSON.readTree(last.body());
                training = " | last training: " + outcome.get("result").asText() + " (" + outcome.get("detail").asText() + ")";
            }
            shadow = shadowTally(http.send(HttpRequest.newBuilder(URI.create(trainer.url("/q/metrics"))).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception ignored) {
            // The trainer answers between runs; the line simply omits it.
        }
        long elapsed = (System.currentTimeMillis() - timeline.startMs()) / 1000;
        double audit = timeline.recentAuditAccuracy(100);
        return String.format("t+%3ds (%3ds left) | sent %5d classified %5d (%.1f/s) | OK %d NG %d RECHECK %d | serving v%d"
                + " | audit accuracy (last 100) %s%s | labels %d/%d%s%s",
                elapsed, Math.max(0, (endMs - System.currentTimeMillis()) / 1000), sent.get(), timeline.count(),
                timeline.count() / (double) Math.max(1, elapsed), timeline.decisions("OK"), timeline.decisions("NG"),
                timeline.decisions("RECHECK"), timeline.servingVersion(),
                Double.isNaN(audit) ? "–" : String.format("%.2f", audit), shadow, labelled.size(), budget, training,
                drift.length() == 0 ? "" : " | drift" + drift);
    }

    /** linesight_drift_score per camera from the classifier's metrics (NaN while a camera's reference fills). */
    static Map<String, Double> driftScores(String metrics) {
        Map<String, Double> scores = new TreeMap<>();
        Matcher sample = DRIFT_SCORE.matcher(metrics);
        while (sample.find()) {
            scores.put(sample.group(1), Double.parseDouble(sample.group(2)));
        }
        return scores;
    }

    /**
     * The trainer's live comparison of the shadow with the serving version, from its metrics: empty while it has
     * scored no AUDIT label of a shadow.
     */
    static String shadowTally(String metrics) {
        double labels = MetricsText.sum(metrics, "linesight_accuracy_shadow_labels", null);
        if (labels < 1) {
            return "";
        }
        String ratio = "linesight_accuracy_shadow_ratio";
        return String.format(" | shadow %.2f vs serving %.2f on %.0f live AUDIT labels", MetricsText.sum(metrics, ratio, "role=\"shadow\""),
                MetricsText.sum(metrics, ratio, "role=\"serving\""), labels);
    }

    /** |estimated - AUDIT accuracy| averaged over the versions with enough AUDIT frames, weighted by their frames; NaN without any. */
    static double labelFreeError(List<Timeline.VersionAccuracy> accuracies) {
        double error = 0;
        long frames = 0;
        for (Timeline.VersionAccuracy a : accuracies) {
            if (a.audited() >= MIN_AUDITED) {
                error += Math.abs(a.estimated() - a.audit()) * a.frames();
                frames += a.frames();
            }
        }
        return frames == 0 ? Double.NaN : error / frames;
    }

    private JsonNode evaluate(Path registry, int version, DataSplit split) throws Exception {
        String json = ServiceProcess.trainingCliOutput("evaluate", "--registry", registry.toString(), "--model", MODEL,
                "--version", Integer.toString(version), "--data", split.holdoutDir().toString(), "--split", "all");
        return ModelRegistry.JSON.readTree(json);
    }

}
