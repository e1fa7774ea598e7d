package io.linesight.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.linesight.common.RedisKeys;
import io.linesight.proto.ClassScore;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.redis.datasource.sortedset.SortedSetCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * What operators should look at, kept in Redis so every ingest replica sees one queue: AUDIT frames (chosen
 * at ingest by hash, shown blind) and the lowest-confidence predictions from linesight.predictions.
 */
@ApplicationScoped
public class ReviewQueue {
    static final String AUDIT_KEY = "review:audit";
    static final String UNCERTAIN_KEY = "review:uncertain";
    /** Bound on each set: the queue is a work list, not an archive. */
    private static final int MAX_ITEMS = 2000;

    /** One item of the queue; AUDIT items carry no model answer, so operators are not anchored by it. */
    public record Item(String frameId, String kind, String cameraId, Integer modelVersion, List<Score> topK) {
    }

    public record Score(String className, float probability) {
    }

    /** Header of the review page: the serving version and its classes, audit accuracy so far, items waiting. */
    public record Summary(String model, Integer version, List<String> classes, long waiting, Long auditLabels,
            Double auditAccuracy) {
    }

    private final SortedSetCommands<String, String> sets;
    private final HashCommands<String, String, Long> counts;
    private final ValueCommands<String, byte[]> values;
    private final FrameIndex index;

    private static final Logger LOG = Logger.getLogger(ReviewQueue.class);
    private final Counter failures;

    ReviewQueue(RedisDataSource redis, FrameIndex index, MeterRegistry registry) {
        this.sets = redis.sortedSet(String.class);
        this.counts = redis.hash(Long.class);
        this.values = redis.value(byte[].class);
        this.index = index;
        this.failures = Counter.builder("linesight.review.queue.failures")
                .description("Review items not queued because Redis failed").register(registry);
    }

    void addAudit(String frameId, long receivedAtMs) {
        bestEffort(frameId, () -> {
            sets.zadd(AUDIT_KEY, receivedAtMs, frameId);
            sets.zremrangebyrank(AUDIT_KEY, 0, -MAX_ITEMS - 1);
        });
    }

    /**
     * Queueing is best effort, like the frame index: the frame is already safe in Kafka, and a Redis outage must
     * neither fail the camera's request nor stop the predictions consumer. Logged and counted.
     */
    private void bestEffort(String frameId, Runnable write) {
        try {
            write.run();
        } catch (RuntimeException e) {
            failures.increment();
            LOG.warnf("Frame %s not queued for review, Redis failed: %s", frameId, e.toString());
        }
    }

    /** Consumes linesight.predictions: the less confident the top class, the earlier a frame is reviewed. */
    @Incoming("predictions")
    void onPrediction(Prediction prediction) {
        if (prediction == null || prediction.getTopKCount() == 0 || prediction.getCached()) {
            return;
        }
        bestEffort(prediction.getFrameId(), () -> {
            // Only frames this ingest can take a label for; audit frames are queued blind on arrival instead.
            FrameIndex.Entry entry = index.find(prediction.getFrameId());
            if (entry == null || entry.audit()) {
                return;
            }
            sets.zadd(UNCERTAIN_KEY, prediction.getTopK(0).getProbability(), prediction.getFrameId());
            // Keep the least confident ones.
            sets.zremrangebyrank(UNCERTAIN_KEY, MAX_ITEMS, -1);
        });
    }

    /** Audit outcome of the version that served a frame: the page shows the serving version's audit accuracy. */
    void countAudit(int version, boolean correct) {
        counts.hincrby("review:audit-accuracy:" + version, "total", 1);
        if (correct) {
            counts.hincrby("review:audit-accuracy:" + version, "correct", 1);
        }
    }

    Summary summary(ModelVersion serving) {
        long waiting = sets.zcard(AUDIT_KEY) + sets.zcard(UNCERTAIN_KEY);
        if (serving == null) {
            return new Summary(null, null, List.of(), waiting, null, null);
        }
        Map<String, Long> audit = counts.hgetall("review:audit-accuracy:" + serving.getVersion());
        long total = audit.getOrDefault("total", 0L);
        return new Summary(serving.getModelName(), serving.getVersion(), serving.getClassesList(), waiting, total,
                total == 0 ? null : audit.getOrDefault("correct", 0L) / (double) total);
    }

    /** A labelled frame leaves the queue. */
    void done(String frameId) {
        sets.zrem(AUDIT_KEY, frameId);
        sets.zrem(UNCERTAIN_KEY, frameId);
    }

    /** AUDIT frames first (oldest first), then the least confident predictions; expired frames are dropped. */
    public List<Item> next(int limit) {
        List<Item> items = new ArrayList<>();
        for (String frameId : sets.zrange(AUDIT_KEY, 0, -1)) {
            if (items.size() >= limit) {
                return items;
            }
            FrameIndex.Entry entry = live(frameId, AUDIT_KEY);
            if (entry != null) {
                items.add(new Item(frameId, "AUDIT", entry.camera(), null, null));
            }
        }
        for (String frameId : sets.zrange(UNCERTAIN_KEY, 0, -1)) {
            if (items.size() >= limit) {
                break;
            }
            FrameIndex.Entry entry = live(frameId, UNCERTAIN_KEY);
            if (entry == null || entry.audit()) {
                continue;
            }
            Prediction prediction = firstPrediction(frameId);
            if (prediction != null) {
                items.add(new Item(frameId, "REVIEW", entry.camera(), prediction.getModelVersion(),
                        prediction.getTopKList().stream().map(ReviewQueue::score).toList()));
            }
        }
        return items;
    }

    /** The classifier's first answer for a frame (what served it), or null. */
    Prediction firstPrediction(String frameId) {
        byte[] stored = values.get(RedisKeys.firstPrediction(frameId));
        try {
            return stored == null ? null : Prediction.parseFrom(stored);
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    private FrameIndex.Entry live(String frameId, String set) {
        FrameIndex.Entry entry = index.find(frameId);
        if (entry == null || index.expired(entry)) {
            sets.zrem(set, frameId);
            return null;
        }
        return entry;
    }

    private static Score score(ClassScore score) {
        return new Score(score.getClassName(), score.getProbability());
    }
}
