package io.linesight.faults;

import io.linesight.common.Topic;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.ImageSamples.PngColour;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.LocalInfra;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.MalformedRecords;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** 6. Generated hostile frames and labels through the API and malformed records on every topic; 7. auth and secrets. */
final class HostileInputs {
    private final FaultSuite.Context ctx;
    private static final int MALFORMED_PER_TOPIC = 20;
    private final Random random = new Random(42);

    HostileInputs(FaultSuite.Context ctx) {
        this.ctx = ctx;
    }

    Row hostileInputs() throws Exception {
        Map<String, long[]> memoryBefore = memory();
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<String> unexpected = new ArrayList<>();
        String frames = ctx.system.ingest.url("/api/v1/frames");
        String labels = ctx.system.ingest.url("/api/v1/labels");
        byte[] jpeg = ImageSamples.neuImage("patches", 7);
        List<Supplier<Http.Answer>> attacks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] noise = new byte[16 + random.nextInt(4000)];
            random.nextBytes(noise);
            attacks.add(() -> Http.post(frames, ctx.camera(), "image/jpeg", noise, "X-Camera-Id", "cam-x"));
        }
        for (int i = 0; i < 200; i++) {
            byte[] truncated = Arrays.copyOf(jpeg, 100 + random.nextInt(jpeg.length - 200));
            attacks.add(() -> Http.post(frames, ctx.camera(), "image/jpeg", truncated, "X-Camera-Id", "cam-x"));
        }
        for (int i = 0; i < 100; i++) {
            int side = 20_000 + random.nextInt(80_000);
            byte[] bomb = ImageSamples.pngDeclaring(side, side);
            attacks.add(() -> Http.post(frames, ctx.camera(), "image/png", bomb, "X-Camera-Id", "cam-x"));
        }
        String[] wrongTypes = {"text/plain", "application/json", "application/octet-stream", "image/gif", "multipart/form-data"};
        for (int i = 0; i < 100; i++) {
            String type = wrongTypes[i % wrongTypes.length];
            attacks.add(() -> Http.post(frames, ctx.camera(), type, jpeg, "X-Camera-Id", "cam-x"));
        }
        byte[] oversized = new byte[9 * 1024 * 1024];
        random.nextBytes(oversized);
        System.arraycopy(jpeg, 0, oversized, 0, 4);
        for (int i = 0; i < 10; i++) {
            attacks.add(() -> Http.post(frames, ctx.camera(), "image/jpeg", oversized, "X-Camera-Id", "cam-x"));
        }
        for (int i = 0; i < 50; i++) {
            String camera = i % 2 == 0 ? "" : "cam/../../etc" + "x".repeat(300);
            attacks.add(() -> Http.post(frames, ctx.camera(), "image/jpeg", jpeg, "X-Camera-Id", camera));
        }
        String[] badLabels = {"{", "[]", "null", "{\"frameId\":\"nope\",\"label\":\"crazing\",\"source\":\"AUDIT\"}",
                "{\"frameId\":\"\",\"label\":\"\",\"source\":\"\"}", "{\"label\":\"crazing\"}",
                "{\"frameId\":\"x\",\"label\":\"crazing\",\"source\":\"ROBOT\"}", "{\"frameId\":" + "9".repeat(5000) + "}"};
        for (int i = 0; i < 350; i++) {
            byte[] body = badLabels[i % badLabels.length].getBytes(StandardCharsets.UTF_8);
            attacks.add(() -> Http.post(labels, ctx.operator(), "application/json", body));
        }
        for (Supplier<Http.Answer> attack : attacks) {
            Http.Answer answer = attack.get();
            statuses.merge(answer.status(), 1, Integer::sum);
            if (answer.status() < 400 || answer.status() >= 500 || answer.body() == null || answer.body().isBlank()) {
                unexpected.add(answer.status() + " " + answer.body());
            }
        }
        int records = 0;
        try (KafkaProducer<String, byte[]> producer = ctx.producer()) {
            for (Topic topic : Topic.values()) {
                for (int i = 0; i < MALFORMED_PER_TOPIC; i++) {
                    byte[] garbage = new byte[1 + random.nextInt(300)];
                    random.nextBytes(garbage);
                    producer.send(new ProducerRecord<>(topic.topicName(), "hostile-" + i, garbage));
                    records++;
                }
            }
            producer.flush();
        }
        Thread.sleep(5000);
        // The input topics' consumers move records that are not protobuf to their dead-letter topic, bytes unchanged.
        long framesDead = malformedDeadLetters(Topic.FRAMES_DLQ);
        long labelsDead = malformedDeadLetters(Topic.LABELS_DLQ);
        List<String> unhealthy = new ArrayList<>();
        for (ServiceProcess service : ctx.services()) {
            Http.Answer live = Http.get(service.url("/q/health/live"), null);
            if (!service.isAlive() || live.status() != 200) {
                unhealthy.add(service.name + " " + live.status() + " " + live.body());
            }
        }
        boolean healthy = unhealthy.isEmpty();
        String id = ctx.postFrame("cam-after-attack");
        long lost = ctx.ledger.awaitAll(List.of(id), Duration.ofMinutes(1));
        Map<String, long[]> memoryAfter = memory();
        StringBuilder memory = new StringBuilder();
        memoryAfter.forEach((name, after) -> memory.append(String.format("; %s heap %d->%d MB, RSS %d->%d MB", name,
                memoryBefore.get(name)[0] >> 20, after[0] >> 20, memoryBefore.get(name)[1] >> 20, after[1] >> 20)));
        if (!unexpected.isEmpty()) {
            System.out.println("unexpected answers, e.g. " + unexpected.subList(0, Math.min(3, unexpected.size())));
        }
        return new Row(String.format("%d hostile requests + %d malformed records", attacks.size(), records), 1, lost, 0,
                "statuses " + statuses + String.format(", malformed records dead-lettered: frames %d/%d, labels %d/%d", framesDead,
                        MALFORMED_PER_TOPIC, labelsDead, MALFORMED_PER_TOPIC) + (healthy ? ", all alive" : ", NOT healthy: " + unhealthy) + memory,
                unexpected.isEmpty() && healthy && lost == 0 && framesDead == MALFORMED_PER_TOPIC && labelsDead == MALFORMED_PER_TOPIC);
    }

    /** An image kind sent as a bomb, and the error it must get (null: accepted, and then classified). */
    private record Bomb(String kind, String contentType, byte[] image, String refusedAs) {
    }

    /**
     * Small images inside the pixel limit that decode to hundreds of MB, sent four at a time: 16-bit and 8-bit RGBA are
     * refused by their decoded bytes; 16-bit grey, palette and progressive JPEGs at 36 M pixels are accepted (retried
     * after a 503 while others decode) and classified. Every service stays alive; each heap's peak is printed.
     */
    Row imageBombs() throws Exception {
        int side = 6000;
        // Other bytes in every round: the classifier decodes each accepted one instead of answering from its cache.
        List<List<Bomb>> rounds = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            rounds.add(List.of(
                    new Bomb("16-bit RGBA PNG", "image/png", ImageSamples.uniformPng(side, side, 16, PngColour.RGBA, round), "decoded_too_large"),
                    new Bomb("8-bit RGBA PNG", "image/png", ImageSamples.uniformPng(side, side, 8, PngColour.RGBA, round), "decoded_too_large"),
                    new Bomb("16-bit grey PNG", "image/png", ImageSamples.uniformPng(side, side, 16, PngColour.GREY, 0x80 + round), null),
                    new Bomb("palette PNG", "image/png", ImageSamples.uniformPng(side, side, 8, PngColour.PALETTE, 0x40 + round), null),
                    new Bomb("progressive JPEG", "image/jpeg", ImageSamples.progressiveJpeg(side, side - round), null)));
        }
        List<Bomb> bombs = rounds.get(0);
        Map<String, Double> peakBefore = heapPeaks();
        String frames = ctx.system.ingest.url("/api/v1/frames");
        ExecutorService senders = Executors.newFixedThreadPool(4);
        Map<String, Map<String, Integer>> answers = new TreeMap<>();
        List<String> accepted = Collections.synchronizedList(new ArrayList<>());
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger busy = new AtomicInteger();
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (List<Bomb> round : rounds) {
                for (Bomb bomb : round) {
                    sent.add(senders.submit(() -> {
                        Http.Answer answer = Http.post(frames, ctx.camera(), bomb.contentType(), bomb.image(), "X-Camera-Id", "cam-bomb");
                        // A camera retries a 503 after its Retry-After: other images held the decode memory.
                        for (int retry = 0; answer.status() == 503 && answer.body().contains("decoder_busy") && retry < 30; retry++) {
                            busy.incrementAndGet();
                            Thread.sleep(1000L * Long.parseLong(answer.retryAfter()));
                            answer = Http.post(frames, ctx.camera(), bomb.contentType(), bomb.image(), "X-Camera-Id", "cam-bomb");
                        }
                        String error = answer.status() == 202 ? "accepted" : answer.body().replaceAll(".*\"error\":\"([^\"]+)\".*", "$1");
                        synchronized (answers) {
                            answers.computeIfAbsent(bomb.kind(), k -> new TreeMap<>()).merge(answer.status() + " " + error, 1, Integer::sum);
                        }
                        if (answer.status() == 202) {
                            accepted.add(FaultSuite.Context.frameId(answer.body()));
                        }
                        if (!error.equals(bomb.refusedAs() == null ? "accepted" : bomb.refusedAs())) {
                            wrong.add(bomb.kind() + ": " + answer.status() + " " + answer.body());
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : sent) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            senders.shutdownNow();
        }
        long lost = ctx.ledger.awaitAll(accepted, Duration.ofMinutes(3));
        List<String> dead = ctx.services().stream().filter(service -> !service.isAlive()).map(service -> service.name).toList();
        Map<String, Double> peakAfter = heapPeaks();
        StringBuilder heap = new StringBuilder();
        peakAfter.forEach((name, after) -> heap.append(String.format("; %s heap peak %.0f->%.0f MB", name, peakBefore.get(name) / (1 << 20),
                after / (1 << 20))));
        if (!wrong.isEmpty()) {
            System.out.println("unexpected bomb answers, e.g. " + wrong.subList(0, Math.min(3, wrong.size())));
        }
        String sizes = bombs.stream().map(b -> String.format("%s %d KB", b.kind(), b.image().length >> 10)).reduce((a, b) -> a + ", " + b).orElse("");
        return new Row(String.format("image bombs at %dx%d (%s)", side, side, sizes), accepted.size(), lost, ctx.ledger.duplicates(accepted),
                "answers " + answers + "; busy answers retried " + busy + (dead.isEmpty() ? "; all alive" : "; DEAD: " + dead) + heap,
                wrong.isEmpty() && dead.isEmpty() && lost == 0 && accepted.size() == 12);
    }

    /** linesight_jvm_heap_peak_bytes of each service. */
    private Map<String, Double> heapPeaks() throws Exception {
        Map<String, Double> peaks = new TreeMap<>();
        for (ServiceProcess service : ctx.services()) {
            peaks.put(service.name, Http.metric(service.url("/q/metrics"), "linesight_jvm_heap_peak_bytes", null));
        }
        return peaks;
    }

    /** Records on the dead-letter topic written by the hostile producer above, with a malformed_protobuf reason (waits for all). */
    private long malformedDeadLetters(Topic deadLetters) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.addresses.kafkaBootstrap());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(deadLetters.topicName()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long found = 0;
            // A consumer restarted by an earlier fault may wait for its killed predecessor's session to expire (45 s).
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (found < MALFORMED_PER_TOPIC && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Header reason = record.headers().lastHeader(MalformedRecords.DLQ_REASON_HEADER);
                    if (record.key() != null && record.key().startsWith("hostile-") && reason != null
                            && new String(reason.value(), StandardCharsets.UTF_8).startsWith("malformed_protobuf")) {
                        found++;
                    }
                }
            }
            return found;
        }
    }

    /** Every write endpoint refuses missing and wrong credentials (401) and the wrong role (403); no password in any log. */
    Row authAndSecrets() throws Exception {
        record Endpoint(String url, String type, byte[] body, String role, String wrongRole) {
        }
        byte[] jpeg = ImageSamples.neuImage("crazing", 3);
        List<Endpoint> endpoints = List.of(
                new Endpoint(ctx.system.ingest.url("/api/v1/frames"), "image/jpeg", jpeg, ctx.camera(), ctx.operator()),
                new Endpoint(ctx.system.ingest.url("/api/v1/labels"), "application/json",
                        "{\"frameId\":\"x\",\"label\":\"crazing\",\"source\":\"AUDIT\"}".getBytes(StandardCharsets.UTF_8), ctx.operator(), ctx.camera()),
                // The trainer knows only admins: another role's credentials are unknown there (401, checked above).
                new Endpoint(ctx.trainer.url("/api/v1/training/run"), "application/json", "{}".getBytes(StandardCharsets.UTF_8),
                        ctx.admin(), null));
        List<String> wrong = new ArrayList<>();
        int checks = 0;
        for (Endpoint e : endpoints) {
            Map<String, Integer> expected = Map.of("none", 401, "bad password", 401, "wrong role", 403);
            for (Map.Entry<String, Integer> attempt : expected.entrySet()) {
                if (attempt.getKey().equals("wrong role") && e.wrongRole() == null) {
                    continue;
                }
                String auth = switch (attempt.getKey()) {
                    case "none" -> null;
                    case "bad password" -> Credentials.basic("camera", "guess-" + random.nextInt());
                    default -> e.wrongRole();
                };
                Http.Answer answer = Http.post(e.url(), auth, e.type(), e.body(), "X-Camera-Id", "cam-auth");
                checks++;
                if (answer.status() != attempt.getValue()) {
                    wrong.add(e.url() + " " + attempt.getKey() + " -> " + answer.status());
                }
            }
        }
        List<String> leaks = new ArrayList<>();
        for (ServiceProcess service : ctx.services()) {
            String log = service.log();
            for (String secret : ctx.passwords.values()) {
                if (log.contains(secret)) {
                    leaks.add(service.name);
                }
            }
        }
        if (!wrong.isEmpty()) {
            System.out.println("auth answers not as expected: " + wrong);
        }
        return new Row("auth on every write endpoint + secrets in logs", 0, 0, 0,
                String.format("%d auth checks, %d wrong; logs with a password: %s", checks, wrong.size(), leaks),
                wrong.isEmpty() && leaks.isEmpty());
    }

    /**
     * A second site whose broker only takes SASL/PLAIN and whose Redis requires AUTH: ingest and classifier configured
     * through environment variables alone classify every frame; clients without credentials are refused; no log
     * holds a Kafka or Redis password.
     */
    Row securedInfrastructure() throws Exception {
        String kafkaPassword = "kafka-" + UUID.randomUUID();
        String redisPassword = "redis-" + UUID.randomUUID();
        LocalInfra secured = LocalInfra.secured(ctx.work.resolve("secured-infra"), kafkaPassword, redisPassword);
        try {
            LocalInfra.Addresses addresses = secured.start();
            Map<String, String> env = new HashMap<>(ctx.passwords);
            env.putAll(secured.kafkaClientEnvironment());
            try (LineSightSystem site = LineSightSystem.start("secured", addresses, ctx.work, null, env);
                    PredictionLedger ledger = new PredictionLedger(addresses.kafkaBootstrap(), secured.kafkaClientSettings())) {
                List<String> frames = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    Http.Answer answer = Http.post(site.ingest.url("/api/v1/frames"), ctx.camera(), "image/jpeg",
                            ImageSamples.neuImage("scratches", 20 + i), "X-Camera-Id", "cam-secured");
                    if (answer.status() == 202) {
                        frames.add(FaultSuite.Context.frameId(answer.body()));
                    }
                }
                long lost = ledger.awaitAll(frames, Duration.ofMinutes(2));
                boolean kafkaRefusesAnonymous = anonymousKafkaRefused(addresses.kafkaBootstrap());
                boolean redisRefusesAnonymous = anonymousRedisRefused(addresses.redisHosts());
                List<String> leaks = new ArrayList<>();
                for (ServiceProcess service : List.of(site.ingest, site.classifier)) {
                    if (service.log().contains(kafkaPassword) || service.log().contains(redisPassword)) {
                        leaks.add(service.name);
                    }
                }
                return new Row("Kafka SASL/PLAIN + Redis AUTH site", frames.size(), lost, ledger.duplicates(frames),
                        String.format("anonymous Kafka client refused %s, Redis without AUTH refused %s, logs with a password %s",
                                kafkaRefusesAnonymous, redisRefusesAnonymous, leaks),
                        frames.size() == 20 && lost == 0 && kafkaRefusesAnonymous && redisRefusesAnonymous && leaks.isEmpty());
            }
        } finally {
            secured.stop();
        }
    }

    private static boolean anonymousKafkaRefused(String bootstrap) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers",
                bootstrap, "request.timeout.ms", 3000, "default.api.timeout.ms", 5000))) {
            admin.listTopics().names().get(6, TimeUnit.SECONDS);
            return false;
        } catch (Exception expected) {
            return true;
        }
    }

    private static boolean anonymousRedisRefused(String redisHosts) throws Exception {
        URI uri = URI.create(redisHosts);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(2000);
            socket.getOutputStream().write("GET anything\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] answer = new byte[7];
            int read = socket.getInputStream().read(answer);
            return read > 0 && new String(answer, 0, read, StandardCharsets.US_ASCII).startsWith("-NOAUTH");
        }
    }

    /** Heap used (bytes) from Micrometer and RSS from /proc per service. */
    private Map<String, long[]> memory() throws Exception {
        Map<String, long[]> figures = new TreeMap<>();
        for (ServiceProcess service : ctx.services()) {
            long heap = (long) Http.metric(service.url("/q/metrics"), "jvm_memory_used_bytes", "area=\"heap\"");
            long rss = 0;
            Path status = Path.of("/proc", Long.toString(service.pid()), "status");
            if (Files.exists(status)) {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
                        rss = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                    }
                }
            }
            figures.put(service.name, new long[] {heap, rss});
        }
        return figures;
    }
}
