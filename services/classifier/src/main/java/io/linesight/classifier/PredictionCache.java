package io.linesight.classifier;

import com.google.protobuf.InvalidProtocolBufferException;
import io.linesight.common.RedisKeys;
import io.linesight.proto.Prediction;
import io.linesight.service.FramesConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Redis on the hot path: one MGET per batch for cached predictions (key: image SHA-256 + version), one
 * pipelined write per batch for new ones, both bounded by linesight.cache.timeout; after a failure Redis is
 * bypassed for a while and classification goes on uncached. Each frame's first prediction (SET NX) is written
 * asynchronously, bypass or not.
 */
@ApplicationScoped
public class PredictionCache {
    private static final Logger LOG = Logger.getLogger(PredictionCache.class);

    /** A record write may wait this long (it holds no batch); beyond it, it counts as failed. */
    private static final Duration FIRST_PREDICTION_TIMEOUT = Duration.ofSeconds(5);

    private final Redis redis;
    private final CacheConfig config;
    private final FramesConfig frames;
    private final Counter hits;
    private final Counter misses;
    private final Counter bypasses;
    private final Counter firstPredictionFailures;
    private volatile long bypassUntilNanos;
    private volatile long lastFirstPredictionWarnNanos = System.nanoTime() - Duration.ofHours(1).toNanos();
    private volatile String lastError;

    PredictionCache(Redis redis, CacheConfig config, FramesConfig frames, MeterRegistry registry) {
        this.redis = redis;
        this.config = config;
        this.frames = frames;
        this.hits = counter(registry, "hit");
        this.misses = counter(registry, "miss");
        this.bypasses = counter(registry, "bypass");
        this.firstPredictionFailures = Counter.builder("linesight.classifier.first.predictions.failures")
                .description("First predictions of frames that Redis failed to record").register(registry);
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder("linesight.classifier.cache").tag("result", result)
                .description("Prediction cache lookups by result").register(registry);
    }

    /** Opens the connection at start, so the first batch does not pay for it within the 20 ms bound. */
    void connect(@Observes StartupEvent start) {
        try {
            redis.send(Request.cmd(Command.PING)).await().atMost(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /** Cached predictions for the keys, null where there is none (or Redis is unavailable). */
    List<Prediction> lookup(List<String> keys) {
        Prediction[] found = new Prediction[keys.size()];
        if (keys.isEmpty()) {
            return Arrays.asList(found);
        }
        if (bypassing()) {
            bypasses.increment(keys.size());
            return Arrays.asList(found);
        }
        Request mget = Request.cmd(Command.MGET);
        keys.forEach(mget::arg);
        try {
            Response response = redis.send(mget).await().atMost(config.timeout());
            for (int i = 0; i < keys.size(); i++) {
                Response value = response.get(i);
                found[i] = value == null ? null : Prediction.parseFrom(value.toBytes());
            }
            lastError = null;
            long hitCount = Arrays.stream(found).filter(p -> p != null).count();
            hits.increment(hitCount);
            misses.increment(keys.size() - hitCount);
        } catch (RuntimeException | InvalidProtocolBufferException e) {
            failed(e);
            bypasses.increment(keys.size());
            Arrays.fill(found, null);
        }
        return Arrays.asList(found);
    }

    /** New predictions as cache entries in one pipelined write, bounded like lookups; then as their frames' first ones. */
    void store(List<String> cacheKeys, List<Prediction> predictions) {
        if (!cacheKeys.isEmpty() && !bypassing()) {
            List<Request> writes = new ArrayList<>();
            long ttl = config.ttl().toMillis();
            for (int i = 0; i < cacheKeys.size(); i++) {
                writes.add(Request.cmd(Command.SET).arg(cacheKeys.get(i)).arg(predictions.get(i).toByteArray()).arg("PX").arg(ttl));
            }
            try {
                redis.batch(writes).await().atMost(config.timeout());
            } catch (RuntimeException e) {
                failed(e);
            }
        }
        recordFirst(predictions);
    }

    /**
     * Each frame's first prediction (SET NX) is a record, not a cache entry: the review queue shows it and labels are
     * scored against it. So it is written even while lookups bypass Redis, and without waiting: a slow Redis never
     * holds a batch. Writes that fail anyway are counted and logged (at most once per retry-after period).
     */
    void recordFirst(List<Prediction> firstPredictions) {
        if (firstPredictions.isEmpty()) {
            return;
        }
        List<Request> writes = new ArrayList<>();
        long retention = frames.retention().toMillis();
        for (Prediction prediction : firstPredictions) {
            writes.add(Request.cmd(Command.SET).arg(RedisKeys.firstPrediction(prediction.getFrameId()))
                    .arg(prediction.toByteArray()).arg("NX").arg("PX").arg(retention));
        }
        redis.batch(writes).ifNoItem().after(FIRST_PREDICTION_TIMEOUT).fail().subscribe().with(written -> {
        }, e -> {
            firstPredictionFailures.increment(firstPredictions.size());
            long now = System.nanoTime();
            if (now - lastFirstPredictionWarnNanos > config.retryAfter().toNanos()) {
                lastFirstPredictionWarnNanos = now;
                LOG.warnf("First predictions of %d frames not recorded, Redis failed (%s): they cannot be reviewed or scored",
                        firstPredictions.size(), e.toString());
            }
        });
    }

    /** Whether Redis answered the last lookup: false from a failure until a lookup after the bypass succeeds. */
    boolean healthy() {
        return lastError == null;
    }

    String lastError() {
        return lastError;
    }

    private boolean bypassing() {
        return System.nanoTime() < bypassUntilNanos;
    }

    private void failed(Exception e) {
        Duration pause = config.retryAfter();
        bypassUntilNanos = System.nanoTime() + pause.toNanos();
        lastError = e.toString();
        LOG.warnf("Redis unavailable (%s): classifying uncached for %d ms", e.toString(), pause.toMillis());
    }
}
