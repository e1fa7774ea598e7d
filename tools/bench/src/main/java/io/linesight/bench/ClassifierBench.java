package io.linesight.bench;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.google.protobuf.ByteString;
import io.linesight.common.CpuInfo;
import io.linesight.common.DecisionTopics;
import io.linesight.common.ResNet18Cost;
import io.linesight.common.ServingSignature;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ServingPointers;
import io.linesight.common.registry.SigningKeys;
import io.linesight.localstack.LocalInfra;
import io.linesight.localstack.MqttSubscription;
import io.linesight.localstack.ServiceProcess;
import io.linesight.localstack.SigningKeyFiles;
import io.linesight.proto.Frame;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionDeserializer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code ./run bench classifier}: in one run on this machine, (a) the bare model through DJL on ready tensors,
 * then the packaged classifier against a fresh local Kafka and Redis: (b) capacity and latency at 100 % and
 * 50 % load for 200x200 and 640x480 frames at the batch size the bare model does best with (and, where the CPU has
 * bf16 units, FP32 against oneDNN's bf16 math at that batch: MathModes), (c) cache hits, (d) p99
 * around a swap, (e) per-stage times and each thread's and process's CPU, (f) the ratios, (g) decisions heard on MQTT,
 * (h) the capacity and latency with a shadow candidate beside the serving version.
 * Arguments: the registry holding versions 1 and 2 of model "bench", the classifier jar, a work folder.
 */
public final class ClassifierBench {
    private static final String MODEL = "bench";
    /** The CPU this run is on, and so its FP32 limit. */
    private static final CpuInfo CPU = CpuInfo.detect();
    /** ResNet18 at 224 (3.63 GFLOP per image) at that limit. */
    private static final double FLOP_LIMIT_IMAGES_PER_SECOND = CPU.fp32PeakFlops() / ResNet18Cost.forwardFlops(224, 64, false, 1000);

    private final Path registry;
    private final Path classifierJar;
    private SigningKeyFiles keys;
    private final Path work;
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    private final Map<String, Prediction> received = new ConcurrentHashMap<>();
    /** When this JVM's consumer got each prediction: latencies are end to end, both Kafka hops included. */
    private final Map<String, Long> receivedAt = new ConcurrentHashMap<>();
    private volatile boolean consuming = true;
    private KafkaProducer<String, byte[]> producer;
    private LocalInfra.Addresses infra;
    private int httpPort;
    private PipelineCosts costs;
    private int batchSize;

    private ClassifierBench(Path registry, Path classifierJar, Path work) {
        this.registry = registry;
        this.classifierJar = classifierJar;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ClassifierBench REGISTRY CLASSIFIER_JAR WORK_DIR");
            System.exit(2);
        }
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        new ClassifierBench(Path.of(args[0]), Path.of(args[1]), Path.of(args[2])).run();
    }

    private void run() throws Exception {
        ModelManifest manifest = new ModelRegistry(registry).manifest(MODEL, 1);
        int size = manifest.inputSize();
        System.out.printf("LineSight classifier benchmark: ResNet18 width %d, %dx%d, one run%nCPU %s%n%n",
                manifest.architecture().width(), size, size, CPU.describe());

        Path serving = new ModelRegistry(registry).versionDir(MODEL, 1).resolve("serving");
        // The classifier's default (one intra-op thread per core, TensorFlow's default inter-op pool), then one
        // inter-op thread, the alternative its configuration offers.
        Map<Integer, Double> bare = bareModel(serving, size, null);
        Map<Integer, Double> oneInterOp = bareModel(serving, size, 1);
        double bestBare = bare.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
        // The smallest batch within 5 % of the best rate: beyond it, bigger batches only add latency.
        batchSize = bare.entrySet().stream().filter(e -> e.getValue() >= 0.95 * bestBare).mapToInt(Map.Entry::getKey).min().orElse(8);
        System.out.printf("batch size %d: the smallest within 5 %% of the best bare rate (%.1f img/s); the classifier runs with it%n",
                batchSize, bestBare);
        String mathModes = MathModes.compare(serving, size, batchSize, work, CPU);
        System.out.println(mathModes);

        LocalInfra local = LocalInfra.onFreePorts(work.resolve("infra"));
        local.stop();
        infra = local.start();
        Process classifier = null;
        try {
            producer = producer();
            Thread consumer = new Thread(this::consumePredictions, "bench-consumer");
            consumer.start();
            keys = SigningKeyFiles.in(work.resolve("keys"));
            classifier = startClassifier();
            promote(1);
            awaitReady();
            costs = new PipelineCosts(httpPort, classifier.pid(), Map.of("Kafka", local.pid(LocalInfra.broker(1)).orElseThrow(),
                    "Redis", local.pid("redis").orElseThrow()));

            MqttSubscription line = MqttSubscription.start(infra.mqttHost(), infra.mqttPort(), DecisionTopics.ALL);
            List<byte[]> small = BenchFrames.neu(1800);
            List<byte[]> large = BenchFrames.upscaled(small.subList(0, 700), 640, 480);
            // JIT, first Kafka fetches and Redis connections warm up on frames of both sizes that are not measured
            // (the swap run below uses fewer than 450 of frames 700-1400).
            send(small.subList(1200, 1800), 0, "warm-up 200x200");
            send(BenchFrames.upscaled(small.subList(1200, 1300), 640, 480), 0, "warm-up 640x480");
            System.out.println();
            Pipeline smallRun = pipeline("200x200 NEU", small.subList(0, 700));
            Pipeline largeRun = pipeline("640x480 JPEG", large);
            send(small.subList(1200, 1300), 30, "warm-up cache hits");
            List<String> hitIds = new ArrayList<>();
            Latencies cacheHits = send(small.subList(0, 150), 30, "cache hits", hitIds);
            SwapRun swap = swapRun(small.subList(700, 1400), smallRun.capacity() / 2);
            ShadowRun shadowed = shadowRun(swap.serving(), small.subList(0, 700), smallRun.capacity() / 2);

            System.out.println();
            System.out.println("(a) bare model: DJL TensorFlow predictor on ready uint8 tensors, img/s");
            System.out.printf("    %-9s %30s %26s%n", "batch", "classifier default (TF pools)", CPU.cores() + " intra-op, 1 inter-op");
            bare.forEach((batch, rate) -> System.out.printf("    %-9d %30.1f %26.1f%n", batch, rate, oneInterOp.get(batch)));
            System.out.println("    " + mathModes);
            System.out.println("(b) pipeline: frames produced to Kafka -> predictions consumed; frames/s while Kafka holds a backlog, latency sent -> received");
            System.out.printf("    %-14s %10s %16s %16s%n", "frames", "frames/s", "100% p50/p99 ms", "50% p50/p99 ms");
            for (Pipeline p : List.of(smallRun, largeRun)) {
                System.out.printf("    %-14s %10.1f %7.0f /%7.0f %7.0f /%7.0f%n", p.name(), p.capacity(), p.full().percentile(50),
                        p.full().percentile(99), p.half().percentile(50), p.half().percentile(99));
            }
            System.out.printf("    record sizes (means; the README's sizing uses them): frames 200x200 NEU %.1f KB, 640x480 JPEG %.1f KB;"
                    + " predictions %.0f bytes%n", meanKilobytes(small.subList(0, 700)), meanKilobytes(large),
                    received.values().stream().mapToInt(Prediction::getSerializedSize).average().orElse(0));
            System.out.printf("(c) cache hits (same image again, end to end: both Kafka hops): p50 %.1f ms, p99 %.1f ms over %d frames%n",
                    cacheHits.percentile(50), cacheHits.percentile(99), cacheHits.count());
            printSlowest(hitIds, 3);
            System.out.printf("(d) swap under 50%% load: p99 %.0f ms in the 30 s around the swap vs %.0f ms steady (%d frames, lost %d)%n",
                    swap.around().percentile(99), smallRun.half().percentile(99), swap.around().count(), swap.lost());
            System.out.println("(e) where the time goes at 100 % load (stages overlap across frames; CPU from /proc)");
            for (Pipeline p : List.of(smallRun, largeRun, shadowed.pipeline())) {
                PipelineCosts.print(p.name(), p.full().count(), p.before(), p.after());
            }
            Latencies decided = heard(line, smallRun.halfIds());
            line.close();
            System.out.printf("(g) decisions on MQTT (QoS 1, heard by mosquitto_sub), 200x200 at 50%% load: capture -> decision p50 %.0f ms,"
                    + " p99 %.0f ms over %d of %d frames; capture -> prediction on Kafka p50 %.0f ms, p99 %.0f ms%n",
                    decided.percentile(50), decided.percentile(99), decided.count(), smallRun.halfIds().size(),
                    smallRun.half().percentile(50), smallRun.half().percentile(99));
            Pipeline withShadow = shadowed.pipeline();
            System.out.printf("(h) a shadow candidate beside the serving version (linesight.classifier.shadow-share 1.0: every frame), 200x200:"
                    + " %.1f frames/s vs %.1f without (%.2f); p50/p99 at (b)'s 50%% load %.0f / %.0f ms vs %.0f / %.0f ms;"
                    + " the shadow answered %.0f of %d frames, shed %.0f while the serving version had a batch waiting, dropped %.0f"
                    + " with its queue full%n",
                    withShadow.capacity(), smallRun.capacity(), withShadow.capacity() / smallRun.capacity(), withShadow.half().percentile(50),
                    withShadow.half().percentile(99), smallRun.half().percentile(50), smallRun.half().percentile(99), shadowed.answered(),
                    withShadow.full().count() + withShadow.half().count(), shadowed.shed(), shadowed.dropped());
            System.out.println("(f) ratios");
            double bareAtBatch = bare.get(batchSize);
            System.out.printf("    pipeline / bare model at batch %d (200x200)  %.2f   (target >= 0.9)%n", batchSize,
                    smallRun.capacity() / bareAtBatch);
            System.out.printf("    pipeline / bare model at batch %d (640x480)  %.2f   (target >= 0.9)%n", batchSize,
                    largeRun.capacity() / bareAtBatch);
            System.out.printf("    bare model / FP32 FLOP limit (%.0f img/s at 224)  %.2f   (the rest is lost in TensorFlow's kernels)%n",
                    FLOP_LIMIT_IMAGES_PER_SECOND, bestBare * (size * size) / (224.0 * 224) / FLOP_LIMIT_IMAGES_PER_SECOND);
            System.out.printf("    cache-hit p99                        %.1f ms (target <= 15 ms; two Kafka hops)%n",
                    cacheHits.percentile(99));
            System.out.printf("    swap p99 - steady p99                %.0f ms (target: within one batch, %.0f ms at batch %d)%n",
                    swap.around().percentile(99) - smallRun.half().percentile(99), batchSize * 1000 / bareAtBatch, batchSize);
            consuming = false;
            consumer.join();
        } finally {
            if (classifier != null) {
                classifier.destroy();
                classifier.waitFor(20, TimeUnit.SECONDS);
            }
            if (producer != null) {
                producer.close();
            }
            local.stop();
        }
    }

    /** Images per second by batch size, one intra-op thread per core; {@code interOpThreads} null = TensorFlow's default. */
    private Map<Integer, Double> bareModel(Path servingDir, int size, Integer interOpThreads) throws Exception {
        System.setProperty("ai.djl.tensorflow.num_intraop_threads", Integer.toString(CPU.cores()));
        if (interOpThreads == null) {
            System.clearProperty("ai.djl.tensorflow.num_interop_threads");
        } else {
            System.setProperty("ai.djl.tensorflow.num_interop_threads", interOpThreads.toString());
        }
        String pools = CPU.cores() + " intra-op, " + (interOpThreads == null ? "TF default" : interOpThreads) + " inter-op";
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(servingDir)
                .optEngine("TensorFlow").optOption("Tags", ServingSignature.TAG).optOption("SignatureDefKey", ServingSignature.KEY)
                .optTranslator(new NoopTranslator()).build();
        Map<Integer, Double> rates = new TreeMap<>();
        try (ZooModel<NDList, NDList> model = criteria.loadModel(); Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            for (int batch : new int[] {1, 8, 16, 32}) {
                byte[] pixels = new byte[batch * size * size * 3];
                new Random(batch).nextBytes(pixels);
                NDList input = new NDList(manager.create(ByteBuffer.wrap(pixels), new Shape(batch, size, size, 3), DataType.UINT8));
                double rate = imagesPerSecond(predictor, input, batch, Duration.ofSeconds(3));
                rates.put(batch, rate);
                System.out.printf("bare model batch %d, %s: %.1f img/s%n", batch, pools, rate);
            }
        }
        return rates;
    }

    /** Images per second of one batch predicted again and again (after one warm-up), for at least {@code atLeast} and 96 images. */
    static double imagesPerSecond(Predictor<NDList, NDList> predictor, NDList input, int batch, Duration atLeast) throws Exception {
        predictor.predict(input).close();
        int images = 0;
        long start = System.nanoTime();
        while (images < 96 || System.nanoTime() - start < atLeast.toNanos()) {
            predictor.predict(input).close();
            images += batch;
        }
        return images / ((System.nanoTime() - start) / 1e9);
    }

    private static double meanKilobytes(List<byte[]> frames) {
        return frames.stream().mapToInt(f -> f.length).average().orElse(0) / 1024;
    }

    private record Pipeline(String name, double capacity, Latencies full, Latencies half, List<String> halfIds, PipelineCosts.Snapshot before,
            PipelineCosts.Snapshot after) {
    }

    private record SwapRun(ModelVersion serving, Latencies around, int lost) {
    }

    /**
     * The 200x200 run with a shadow beside the serving version, and the shadow's frames meanwhile: answered, shed while
     * the serving version had a batch waiting, dropped with its queue full.
     */
    private record ShadowRun(Pipeline pipeline, double answered, double shed, double dropped) {
    }

    /** 100 %: a burst as fast as the producer goes; 50 %: a steady stream at half the measured capacity. */
    private Pipeline pipeline(String name, List<byte[]> images) throws Exception {
        return pipeline(name, images, 0);
    }

    /** As above, the steady stream at {@code steadyRate} frames/s instead when above 0. */
    private Pipeline pipeline(String name, List<byte[]> images, double steadyRate) throws Exception {
        List<byte[]> burst = images.subList(0, images.size() / 2);
        PipelineCosts.Snapshot before = costs.take();
        List<String> ids = new ArrayList<>();
        Latencies full = send(burst, 0, name + " at 100%", ids);
        PipelineCosts.Snapshot after = costs.take();
        double capacity = steadyRate(ids);
        List<String> halfIds = new ArrayList<>();
        Latencies half = send(images.subList(images.size() / 2, images.size()), steadyRate > 0 ? steadyRate : capacity / 2,
                name + " at " + (steadyRate > 0 ? String.format("%.1f/s", steadyRate) : "50%"), halfIds);
        return new Pipeline(name, capacity, full, half, halfIds, before, after);
    }

    /** Capture -> heard on MQTT for these frames, from the decisions the subscription received. */
    private Latencies heard(MqttSubscription line, List<String> ids) throws InterruptedException {
        Set<String> wanted = Set.copyOf(ids);
        Latencies latencies = new Latencies();
        for (MqttSubscription.Received message : line.await(m -> wanted.contains(m.field("frame_id")), wanted.size(), Duration.ofSeconds(10))) {
            latencies.add(message.receivedAtMs() - sentAt.get(message.field("frame_id")));
        }
        return latencies;
    }

    private SwapRun swapRun(List<byte[]> images, double rate) throws Exception {
        int count = Math.min(images.size(), (int) (rate * 30));
        CompletableFuture<ModelVersion> promoted = CompletableFuture.supplyAsync(() -> {
            try {
                Thread.sleep(15_000);
                return promote(2);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Latencies around = send(images.subList(0, count), rate, "swap at 50%");
        ModelVersion serving = promoted.get();
        long onNewVersion = received.values().stream().filter(p -> p.getModelVersion() == 2).count();
        System.out.printf("swap: %d predictions by version 2%n", onNewVersion);
        return new SwapRun(serving, around, count - around.count());
    }

    /**
     * Predictions per second while Kafka held a backlog: over the middle 80 % of the burst's predictions, so neither
     * the first batch's fill nor the last one's drain counts.
     */
    private double steadyRate(List<String> ids) {
        List<Long> times = ids.stream().map(receivedAt::get).filter(t -> t != null).sorted().toList();
        int first = times.size() / 10;
        int last = times.size() - 1 - times.size() / 10;
        return (last - first) / ((times.get(last) - times.get(first)) / 1000.0);
    }

    /** The slowest frames of a run and where their time went: before the classifier took them, or after. */
    private void printSlowest(List<String> ids, int count) {
        ids.stream().filter(receivedAt::containsKey)
                .sorted((a, b) -> Long.compare(latency(b), latency(a))).limit(count).forEach(id -> {
                    Prediction p = received.get(id);
                    long transit = p.getTimings().getQueueWaitUs() / 1000;
                    System.out.printf("    slow: frame %d of the run, sent %s, %d ms = %d to the batcher (Kafka in) + %d to published"
                            + " + %d to this consumer (Kafka out)%n", ids.indexOf(id) + 1, Instant.ofEpochMilli(sentAt.get(id)), latency(id), transit,
                            p.getPredictedAtMs() - sentAt.get(id) - transit, receivedAt.get(id) - p.getPredictedAtMs());
                });
    }

    private long latency(String id) {
        return receivedAt.get(id) - sentAt.get(id);
    }

    private Latencies send(List<byte[]> images, double rate, String label) throws Exception {
        return send(images, rate, label, new ArrayList<>());
    }

    /**
     * Sends frames at {@code rate} per second (0 = as fast as possible), adding their ids to {@code ids}, and waits
     * for their predictions.
     */
    private Latencies send(List<byte[]> images, double rate, String label, List<String> ids) throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < images.size(); i++) {
            if (rate > 0) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            ids.add(sendFrame(images.get(i), "bench-" + (i % 4)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && !receivedAt.keySet().containsAll(ids)) {
            Thread.sleep(20);
        }
        Latencies latencies = new Latencies();
        for (String id : ids) {
            if (receivedAt.containsKey(id)) {
                latencies.add(latency(id));
            }
        }
        System.out.printf("%-24s %d/%d predicted, p50 %.0f ms, p99 %.0f ms%n", label, latencies.count(), ids.size(),
                latencies.percentile(50), latencies.percentile(99));
        return latencies;
    }

    private String sendFrame(byte[] image, String camera) {
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        Frame frame = Frame.newBuilder().setFrameId(id).setCameraId(camera).setContentType("image/jpeg")
                .setImage(ByteString.copyFrom(image)).setSha256(Sha256.hex(image)).setCapturedAtMs(now).setReceivedAtMs(now).build();
        sentAt.put(id, now);
        producer.send(new ProducerRecord<>(Topic.FRAMES.topicName(), camera, frame.toByteArray()));
        return id;
    }

    private void consumePredictions() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, Prediction> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new PredictionDeserializer())) {
            consumer.subscribe(List.of(Topic.PREDICTIONS.topicName()));
            while (consuming) {
                ConsumerRecords<String, Prediction> records = consumer.poll(Duration.ofMillis(100));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<String, Prediction> record : records) {
                    if (record.value() != null && received.putIfAbsent(record.value().getFrameId(), record.value()) == null) {
                        receivedAt.put(record.value().getFrameId(), now);
                    }
                }
            }
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private Process startClassifier() throws Exception {
        httpPort = ServiceProcess.freePort();
        Files.createDirectories(work);
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:gc,safepoint:file=" + work.resolve("classifier-gc.log") + ":time", "-jar", classifierJar.toString())
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("classifier.log").toFile());
        builder.environment().putAll(keys.env());
        builder.environment().put("LINESIGHT_CLASSIFIER_REGISTRY_URLS", registry.toAbsolutePath().toUri().toString());
        builder.environment().putAll(infra.serviceEnvironment());
        builder.environment().putAll(Map.of("LINESIGHT_MODEL_NAME", MODEL, "QUARKUS_HTTP_PORT", Integer.toString(httpPort),
                "LINESIGHT_CLASSIFIER_MODEL_CACHE", work.resolve("model-cache").toString(), "OPT_OUT_TRACKING", "true",
                "LINESIGHT_CLASSIFIER_BATCH_SIZE", Integer.toString(batchSize),
                "TF_CPP_MIN_LOG_LEVEL", "2"));
        return builder.start();
    }

    /** Signs a version and publishes its SERVING pointer; returns the pointer. */
    private ModelVersion promote(int version) throws Exception {
        ModelVersion pointer = pointer(version, ModelStatus.SERVING);
        producer.send(new ProducerRecord<>(Topic.MODEL_VERSIONS.topicName(), MODEL, pointer.toByteArray())).get(30, TimeUnit.SECONDS);
        System.out.printf("promoted %s version %d%n", MODEL, version);
        return pointer;
    }

    private ModelVersion pointer(int version, ModelStatus status) throws Exception {
        ManifestSignature.sign(new ModelRegistry(registry).versionDir(MODEL, version), SigningKeys.signingKey(keys.signingKey().toString()));
        ModelManifest manifest = new ModelRegistry(registry).manifest(MODEL, version);
        return ServingPointers.of(manifest, ServingPointers.artifactUri(registry.toAbsolutePath().toUri().toString(), MODEL, version), status);
    }

    /**
     * Version 1 as the shadow beside {@code serving} (classifier default share, 1.0: every frame), then the 200x200
     * frames of (b) again at 100 % load and at {@code steadyRate}, (b)'s 50 %: none is cached for the serving version,
     * and the shadow has answered none.
     */
    private ShadowRun shadowRun(ModelVersion serving, List<byte[]> images, double steadyRate) throws Exception {
        ModelVersion shadow = ServingPointers.shadowBeside(pointer(1, ModelStatus.SHADOW), serving);
        producer.send(new ProducerRecord<>(Topic.MODEL_VERSIONS.topicName(), ServingPointers.key(shadow), shadow.toByteArray()))
                .get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (costs.metric("linesight_classifier_shadow_version") != 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the shadow did not load within 120 s, see " + work.resolve("classifier.log"));
            }
            Thread.sleep(200);
        }
        System.out.println("shadow version 1 loaded beside version " + serving.getVersion());
        String dropped = "linesight_classifier_shadow_frames_dropped_total";
        double answeredBefore = costs.metric("linesight_classifier_shadow_frames_total");
        double shedBefore = costs.metric(dropped, "reason=\"serving-busy\"");
        double droppedBefore = costs.metric(dropped, "reason=\"queue-full\"");
        Pipeline run = pipeline("200x200 NEU + shadow", images, steadyRate);
        return new ShadowRun(run, costs.metric("linesight_classifier_shadow_frames_total") - answeredBefore,
                costs.metric(dropped, "reason=\"serving-busy\"") - shedBefore, costs.metric(dropped, "reason=\"queue-full\"") - droppedBefore);
    }

    private void awaitReady() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                        + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    System.out.println("classifier ready");
                    return;
                }
            } catch (IOException notYet) {
                // Still starting.
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("classifier not ready after 180 s, see " + work.resolve("classifier.log"));
    }
}
