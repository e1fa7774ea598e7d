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
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads linesight.samples from the beginning into the sample store, up to the end offsets seen when this replica takes
 * the trainer lease (TrainerLease): a new replica, a lost disk, or a standby whose store another replica's samples have
 * since outdated are all complete again. The labels channel starts paused and is resumed only then, so no content's
 * side is decided before its earlier samples are back. Reading again is harmless: the store keeps the newest record
 * per key. Retried until the broker answers.
 */
@ApplicationScoped
public class SampleRebuild {
    private static final Logger LOG = Logger.getLogger(SampleRebuild.class);

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

    /** Rebuilds, then resumes the labels channel (wired at LIBRARY_BEFORE, so it is registered as pausable by then). */
    void rebuildUntilDone() {
        Duration backoff = Duration.ofSeconds(1);
        while (true) {
            try {
                long kept = rebuild();
                LOG.infof("Sample store rebuilt from %s: %d samples", Topic.SAMPLES.topicName(), kept);
                resumeLabels();
                return;
            } catch (RuntimeException e) {
                LOG.warnf("Rebuilding the sample store from %s failed, retrying in %s: %s", Topic.SAMPLES.topicName(), backoff, e);
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : backoff.multipliedBy(2);
            }
        }
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

    /** Reads the topic up to its end offsets at start; returns how many records the store kept. */
    long rebuild() {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, limit.maxMessageBytes());
        try (KafkaConsumer<String, TrainingSample> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new TrainingSampleDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topic.SAMPLES.topicName(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
            long kept = 0;
            long read = 0;
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue())) {
                for (ConsumerRecord<String, TrainingSample> record : consumer.poll(Duration.ofSeconds(1))) {
                    if (++read % 1000 == 0) {
                        LOG.infof("Rebuilding the sample store: %d records read", read);
                    }
                    if (wellFormed(record) && store.put(record.value())) {
                        kept++;
                    }
                }
            }
            return kept;
        }
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
