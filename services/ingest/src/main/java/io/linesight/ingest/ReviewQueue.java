package io.linesight.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.linesight.common.ActivationMaps;
import io.linesight.common.RedisKeys;
import io.linesight.proto.ActivationMap;
import io.linesight.proto.ClassScore;
import io.linesight.proto.Decision;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.sortedset.SortedSetCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * What operators should look at, kept in Redis so every ingest replica sees one queue: parts the classifier decided
 * RECHECK (a line is waiting on a human for them), AUDIT frames (chosen at ingest by hash, shown blind) and the
 * lowest-confidence predictions from linesight.predictions. An item handed to
 * a reviewer (an operator's page: log-in and page session) is claimed for a short lease (review:claim:{frame}), so two
 * reviewers, on any replicas, are never handed the same frame at once; only the lease's end frees it.
 */
@ApplicationScoped
public class ReviewQueue {
    static final String AUDIT_KEY = "review:audit";
    static final String UNCERTAIN_KEY = "review:uncertain";
    static final String RECHECK_KEY = "review:recheck";
    /** Bound on each set: the queue is a work list, not an archive. */
    private static final int MAX_ITEMS = 2000;
    /** Takes a free claim or renews the caller's own, in one step: no one can extend a claim another just took. */
    private static final String CLAIM = """
            local holder = redis.call('GET', KEYS[1])
            if holder == false then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 1
            end
            if holder == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            return 0""";
    /** Counts a frame's audit outcome only with its first AUDIT label, marker and counters in one step. */
    private static final String COUNT_AUDIT_ONCE = """
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
              redis.call('HINCRBY', KEYS[2], 'total', 1)
              if ARGV[3] == '1' then
                redis.call('HINCRBY', KEYS[2], 'correct', 1)
              end
              return 1
            end
            return 0""";

    /**
     * One item of the queue; AUDIT items carry no model answer, so operators are not anchored by it. {@code decision} is
     * the prediction's (OK, NG, RECHECK), null for AUDIT items and versions that make none; {@code heatmap} is the top
     * class's activation map, null for AUDIT items, models without one and malformed ones.
     */
    public record Item(String frameId, String kind, String cameraId, Integer modelVersion, List<Score> topK, String decision,
            Heatmap heatmap) {
    }

    /** An activation map for the page: row-major cells 0..255 over the whole frame. */
    public record Heatmap(int width, int height, int[] cells) {
        static Heatmap of(Prediction prediction) {
            ActivationMap map = prediction.getActivationMap();
            if (!prediction.hasActivationMap() || !ActivationMaps.wellFormed(map.getWidth(), map.getHeight(), map.getCells().size())) {
                return null;
            }
            int[] cells = new int[map.getCells().size()];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = map.getCells().byteAt(i) & 0xff;
            }
            return new Heatmap(map.getWidth(), map.getHeight(), cells);
        }
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
    private final ValueCommands<String, String> claims;
    private final KeyCommands<String> keys;
    private final FrameIndex index;
    private final Duration claimLease;
    private final RedisDataSource redis;

    private static final Logger LOG = Logger.getLogger(ReviewQueue.class);
    private final Counter failures;

    ReviewQueue(RedisDataSource redis, FrameIndex index, MeterRegistry registry,
            @ConfigProperty(name = "linesight.review.claim-lease") Duration claimLease) {
        this.sets = redis.sortedSet(String.class);
        this.counts = redis.hash(Long.class);
        this.values = redis.value(byte[].class);
        this.claims = redis.value(String.class);
        this.keys = redis.key();
        this.index = index;
        this.claimLease = claimLease;
        this.redis = redis;
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

    /**
     * Consumes linesight.predictions: RECHECK parts first, oldest first; then the less confident the top class, the
     * earlier a frame is reviewed.
     */
    @Incoming("predictions")
    void onPrediction(Prediction prediction) {
        // A cached answer repeats one already queued, unless the line is holding its part: every RECHECK is queued.
        if (prediction == null || prediction.getTopKCount() == 0 || (prediction.getCached() && prediction.getDecision() != Decision.RECHECK)) {
            return;
        }
        bestEffort(prediction.getFrameId(), () -> {
            // Only frames this ingest can take a label for; audit frames are queued blind on arrival instead.
            FrameIndex.Entry entry = index.find(prediction.getFrameId());
            if (entry == null || entry.audit() || keys.exists(labelledKey(prediction.getFrameId()))) {
                return;
            }
            if (prediction.getDecision() == Decision.RECHECK) {
                sets.zadd(RECHECK_KEY, prediction.getPredictedAtMs(), prediction.getFrameId());
                sets.zremrangebyrank(RECHECK_KEY, 0, -MAX_ITEMS - 1);
                return;
            }
            sets.zadd(UNCERTAIN_KEY, prediction.getTopK(0).getProbability(), prediction.getFrameId());
            // Keep the least confident ones.
            sets.zremrangebyrank(UNCERTAIN_KEY, MAX_ITEMS, -1);
        });
    }

    /**
     * Audit outcome of the version that served a frame, counted once per frame (its first AUDIT label, whichever replica
     * took it): the page shows the serving version's audit accuracy.
     */
    void countAudit(String frameId, int version, boolean correct, Duration keep) {
        redis.execute("EVAL", COUNT_AUDIT_ONCE, "2", "review:audit-counted:" + frameId, "review:audit-accuracy:" + version,
                Integer.toString(version), Long.toString(keep.toSeconds()), correct ? "1" : "0");
    }

    Summary summary(ModelVersion serving) {
        long waiting = sets.zcard(RECHECK_KEY) + sets.zcard(AUDIT_KEY) + sets.zcard(UNCERTAIN_KEY);
        if (serving == null) {
            return new Summary(null, null, List.of(), waiting, null, null);
        }
        Map<String, Long> audit = counts.hgetall("review:audit-accuracy:" + serving.getVersion());
        long total = audit.getOrDefault("total", 0L);
        return new Summary(serving.getModelName(), serving.getVersion(), serving.getClassesList(), waiting, total,
                total == 0 ? null : audit.getOrDefault("correct", 0L) / (double) total);
    }

    /**
     * A labelled frame leaves the queue for good: a prediction of it arriving later (a replica's redelivery) does not
     * queue it again. Its claim is left to lapse, so an operator who listed the queue just before cannot claim it now.
     */
    void done(String frameId, Duration keep) {
        claims.setex(labelledKey(frameId), keep.toSeconds(), "1");
        sets.zrem(RECHECK_KEY, frameId);
        sets.zrem(AUDIT_KEY, frameId);
        sets.zrem(UNCERTAIN_KEY, frameId);
    }

    /**
     * The reviewer's next items, each claimed for them: RECHECK parts first, then AUDIT frames (both oldest first), then
     * the least confident predictions; expired and labelled frames are dropped, frames another reviewer holds are skipped, the reviewer's
     * own claims are handed out again with a fresh lease.
     */
    public List<Item> next(int limit, String reviewer) {
        List<Item> items = new ArrayList<>();
        answered(RECHECK_KEY, limit, reviewer, items);
        for (String frameId : sets.zrange(AUDIT_KEY, 0, -1)) {
            if (items.size() >= limit) {
                return items;
            }
            FrameIndex.Entry entry = live(frameId, AUDIT_KEY);
            if (entry != null && claim(frameId, reviewer)) {
                items.add(new Item(frameId, "AUDIT", entry.camera(), null, null, null, null));
            }
        }
        answered(UNCERTAIN_KEY, limit, reviewer, items);
        return items;
    }

    /** Adds the set's frames, shown with the model's answer, until {@code items} holds {@code limit}. */
    private void answered(String set, int limit, String reviewer, List<Item> items) {
        for (String frameId : sets.zrange(set, 0, -1)) {
            if (items.size() >= limit) {
                return;
            }
            // A frame redelivered with another decision may sit in both sets: hand it out once.
            if (items.stream().anyMatch(i -> i.frameId().equals(frameId))) {
                continue;
            }
            FrameIndex.Entry entry = live(frameId, set);
            if (entry == null || entry.audit()) {
                continue;
            }
            Prediction prediction = firstPrediction(frameId);
            if (prediction != null && claim(frameId, reviewer)) {
                items.add(new Item(frameId, "REVIEW", entry.camera(), prediction.getModelVersion(),
                        prediction.getTopKList().stream().map(ReviewQueue::score).toList(),
                        prediction.getDecision() == Decision.DECISION_UNSPECIFIED ? null : prediction.getDecision().name(),
                        Heatmap.of(prediction)));
            }
        }
    }

    private boolean claim(String frameId, String reviewer) {
        return redis.execute("EVAL", CLAIM, "1", claimKey(frameId), reviewer, Long.toString(claimLease.toMillis())).toInteger() == 1;
    }

    private static String claimKey(String frameId) {
        return "review:claim:" + frameId;
    }

    private static String labelledKey(String frameId) {
        return "review:labelled:" + frameId;
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

    /** The frame's index entry while it still waits for a label: expired and labelled frames leave the set. */
    private FrameIndex.Entry live(String frameId, String set) {
        FrameIndex.Entry entry = index.find(frameId);
        if (entry == null || index.expired(entry) || keys.exists(labelledKey(frameId))) {
            sets.zrem(set, frameId);
            return null;
        }
        return entry;
    }

    private static Score score(ClassScore score) {
        return new Score(score.getClassName(), score.getProbability());
    }
}
