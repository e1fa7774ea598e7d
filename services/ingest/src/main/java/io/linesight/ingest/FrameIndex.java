package io.linesight.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.linesight.common.RedisKeys;
import io.linesight.proto.Frame;
import io.linesight.service.FramesConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * Remembers in Redis where each accepted frame sits in Kafka (frame:{id}), so a later label can reference
 * the frame without scanning the topic. Entries live twice the frames retention: past the retention the
 * frame is gone from Kafka but the entry still tells "expired" (410) apart from "never seen" (404).
 */
@ApplicationScoped
public class FrameIndex {
    private static final Logger LOG = Logger.getLogger(FrameIndex.class);

    /** The value stored under frame:{id}. */
    public record Entry(int partition, long offset, String camera, String sha256, boolean audit, long receivedAtMs) {
    }

    private final ValueCommands<String, String> values;
    private final ObjectMapper json;
    private final FramesConfig frames;
    private final Counter failures;

    FrameIndex(RedisDataSource redis, ObjectMapper json, FramesConfig frames, MeterRegistry registry) {
        this.values = redis.value(String.class);
        this.json = json;
        this.frames = frames;
        this.failures = Counter.builder("linesight.frames.index.failures")
                .description("Accepted frames whose Redis index entry could not be written").register(registry);
    }

    /**
     * Best effort: the frame is already safe in Kafka, so a Redis failure must not turn into an error
     * that makes the camera send it again. It is logged and counted; such a frame cannot be labelled.
     *
     * @return whether the entry was written
     */
    boolean remember(Frame frame, RecordMetadata where) {
        try {
            String entry = json.writeValueAsString(new Entry(where.partition(), where.offset(), frame.getCameraId(),
                    frame.getSha256(), frame.getAudit(), frame.getReceivedAtMs()));
            values.setex(RedisKeys.frame(frame.getFrameId()), 2 * frames.retention().toSeconds(), entry);
            return true;
        } catch (JsonProcessingException | RuntimeException e) {
            failures.increment();
            LOG.warnf("Frame %s published but not indexed in Redis: %s", frame.getFrameId(), e.toString());
            return false;
        }
    }

    /** Whether the frame is past the frames retention, so Kafka may no longer hold it. */
    public boolean expired(Entry entry) {
        return System.currentTimeMillis() - entry.receivedAtMs() > frames.retention().toMillis();
    }

    /** The entry of a frame, or null when it was never seen (or long gone). */
    public Entry find(String frameId) {
        String value = values.get(RedisKeys.frame(frameId));
        try {
            return value == null ? null : json.readValue(value, Entry.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt frame index entry for " + frameId, e);
        }
    }
}
