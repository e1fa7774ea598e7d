package io.linesight.trainer;

import io.linesight.common.FrameSizeLimit;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.proto.TrainingSample;
import io.linesight.proto.TrainingSampleDeserializer;
import io.smallrye.reactive.messaging.ChannelRegistry;
import io.smallrye.reactive.messaging.PausableChannel;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads linesight.samples from the beginning into the sample store, up to the end offsets seen when this replica takes
 * the trainer lease (TrainerLease): a new replica, a lost disk, or a standby whose store another replica's samples have
 * since outdated are all complete again. The labels channel starts paused and is resumed only then, so no content's
 * side is decided before its earlier samples are back. It then follows the topic a while longer, for samples the
 * former holder wrote in its last moments. Reading again is harmless: the store keeps the newest record per key.
 * Retried until the broker answers.
 */
@ApplicationScoped
public class SampleRebuild {
    private static final Logger LOG = Logger.getLogger(SampleRebuild.class);
    /** About 4 minutes of retries with the backoff below. */
    private static final int ATTEMPTS = 10;

    private final SampleStore store;
    private final Map<String, Object> kafkaConfig;
    private final FrameSizeLimit limit;
    private final ChannelRegistry channels;

    SampleRebuild(SampleStore store, @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, FrameSizeLimit limit,
            ChannelRegistry channels) {
        this.store = store;
        this.kafkaConfig = kafkaConfig;
        this.limit = limit;
        this.channels = channels;
    }

    /** Whether the store holds linesight.samples as it was when the lease was taken, and labels flow. */
    boolean done() {
        return store.isRebuilt();
    }

    /**
     * Rebuilds, then resumes the labels channel (wired at LIBRARY_BEFORE, so it is registered as pausable by then),
     * then keeps reading the topic for {@code follow}: a sample the former lease holder wrote after the snapshot, in
     * the moments before it stopped, still reaches this store. Gives up after {@code ATTEMPTS} failed attempts (the
     * lease then passes to a replica that can).
     *
     * @return whether the store was rebuilt
     */
    boolean rebuildUntilDone(Duration follow) {
        Duration backoff = Duration.ofSeconds(1);
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try (KafkaConsumer<String, TrainingSample> consumer = consumer()) {
                long kept = readToEnd(consumer);
                LOG.infof("Sample store rebuilt from %s: %d samples; this replica is the active trainer", Topic.SAMPLES.topicName(), kept);
                resumeLabels();
                long deadline = System.nanoTime() + follow.toNanos();
                long late = 0;
                while (System.nanoTime() < deadline) {
                    late += apply(consumer.poll(Duration.ofMillis(500)));
                }
                LOG.infof("Followed %s for %s after the rebuild: %d later samples applied", Topic.SAMPLES.topicName(), follow, late);
                return true;
            } catch (RuntimeException e) {
                LOG.warnf("Rebuilding the sample store from %s failed (attempt %d of %d), retrying in %s: %s", Topic.SAMPLES.topicName(),
                        attempt, ATTEMPTS, backoff, e);
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    return false;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : backoff.multipliedBy(2);
            }
        }
        return store.isRebuilt();
    }

    private void resumeLabels() {
        store.markRebuilt();
        PausableChannel labels = channels.getPausable(SampleCollector.LABELS_CHANNEL);
        if (labels == null) {
            throw new IllegalStateException("channel " + SampleCollector.LABELS_CHANNEL + " is not registered as pausable: it needs mp.messaging.incoming."
                    + SampleCollector.LABELS_CHANNEL + ".pausable=true and its wiring done before this observer");
        }
        labels.resume();
    }

    /** Reads the topic up to its end offsets now; returns how many records the store kept. */
    long rebuild() {
        try (KafkaConsumer<String, TrainingSample> consumer = consumer()) {
            return readToEnd(consumer);
        }
    }

    private KafkaConsumer<String, TrainingSample> consumer() {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, limit.maxMessageBytes());
        return new KafkaConsumer<>(props, new StringDeserializer(), new TrainingSampleDeserializer());
    }

    private long readToEnd(KafkaConsumer<String, TrainingSample> consumer) {
        List<TopicPartition> partitions = consumer.partitionsFor(Topic.SAMPLES.topicName(), Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
        long kept = 0;
        long read = 0;
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue())) {
            ConsumerRecords<String, TrainingSample> records = consumer.poll(Duration.ofSeconds(1));
            if (read / 1000 != (read + records.count()) / 1000) {
                LOG.infof("Rebuilding the sample store: %d records read", read + records.count());
            }
            read += records.count();
            kept += apply(records);
        }
        return kept;
    }

    /** Puts the well-formed records into the store; how many it kept (newer than what it had). */
    private long apply(ConsumerRecords<String, TrainingSample> records) {
        long kept = 0;
        for (ConsumerRecord<String, TrainingSample> record : records) {
            if (wellFormed(record) && store.put(record.value())) {
                kept++;
            }
        }
        return kept;
    }

    /**
     * A sample under its own key (or, from before samples were kept per source, its frame id) whose image, unless
     * pruned, has the content hash it claims; others are skipped.
     */
    private static boolean wellFormed(ConsumerRecord<String, TrainingSample> record) {
        TrainingSample sample = record.value();
        boolean ok = sample != null && (SampleStore.key(sample.getFrameId(), sample.getSource()).equals(record.key())
                || sample.getFrameId().equals(record.key()))
                && (sample.getPruned() || Sha256.hex(sample.getImage()).equals(sample.getSha256()));
        if (!ok) {
            LOG.warnf("Skipping %s record at %s-%d offset %d: not a sample of its key with its image's hash",
                    Topic.SAMPLES.topicName(), record.topic(), record.partition(), record.offset());
        }
        return ok;
    }
}
