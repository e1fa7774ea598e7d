package io.linesight.faults;

import io.linesight.common.Topic;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionDeserializer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads linesight.predictions from the start for the whole suite: predictions per frame id, served versions, cache hits. */
final class PredictionLedger implements AutoCloseable {
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Map<String, Integer> versions = new ConcurrentHashMap<>();
    private final Map<String, Boolean> cached = new ConcurrentHashMap<>();
    private final Map<String, Float> topScores = new ConcurrentHashMap<>();
    private final Map<String, String> topClasses = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;

    PredictionLedger(String bootstrap, Map<String, String> clientSettings) {
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "linesight-faults-" + System.nanoTime());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        reader = new Thread(() -> {
            try (KafkaConsumer<String, Prediction> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new PredictionDeserializer())) {
                consumer.subscribe(List.of(Topic.PREDICTIONS.topicName()));
                while (running) {
                    for (ConsumerRecord<String, Prediction> record : consumer.poll(Duration.ofMillis(200))) {
                        if (record.value() != null) {
                            counts.computeIfAbsent(record.value().getFrameId(), k -> new AtomicInteger()).incrementAndGet();
                            versions.put(record.value().getFrameId(), record.value().getModelVersion());
                            cached.put(record.value().getFrameId(), record.value().getCached());
                            if (record.value().getTopKCount() > 0) {
                                topScores.put(record.value().getFrameId(), record.value().getTopK(0).getProbability());
                                topClasses.put(record.value().getFrameId(), record.value().getTopK(0).getClassName());
                            }
                        }
                    }
                }
            }
        }, "prediction-ledger");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits until every frame has a prediction or the time is up; returns the frames still without one. */
    long awaitAll(Collection<String> frameIds, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long missing;
        do {
            missing = frameIds.stream().filter(id -> !counts.containsKey(id)).count();
            if (missing > 0) {
                Thread.sleep(250);
            }
        } while (missing > 0 && System.nanoTime() < deadline);
        return missing;
    }

    /** Predictions beyond the first, over these frames (at-least-once redelivery after a crash). */
    long duplicates(Collection<String> frameIds) {
        return frameIds.stream().mapToLong(id -> Math.max(0, counts.getOrDefault(id, new AtomicInteger()).get() - 1)).sum();
    }

    Integer version(String frameId) {
        return versions.get(frameId);
    }

    /** Whether the frame's latest prediction was answered from the cache. */
    boolean cached(String frameId) {
        return cached.getOrDefault(frameId, false);
    }

    /** The probability of the frame's top class in its latest prediction (-1 without one). */
    double topScore(String frameId) {
        return topScores.getOrDefault(frameId, -1f);
    }

    /** The frame's top class in its latest prediction, null without one. */
    String topClass(String frameId) {
        return topClasses.get(frameId);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        reader.join(5000);
    }
}
