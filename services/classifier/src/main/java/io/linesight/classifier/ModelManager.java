package io.linesight.classifier;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.linesight.common.registry.SigningKeys;
import io.linesight.proto.ModelVersion;
import io.linesight.service.ModelConfig;
import io.linesight.service.ServingPointerChanged;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.smallrye.reactive.messaging.ChannelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Keeps the version of each serving pointer (ServingPointerTracker, from linesight.model-versions) loaded: fetch, verify
 * the signature and checksums, load, warm up, then swap between batches. A refused version never replaces the one
 * serving; a registry that cannot be reached is retried with backoff until the version serves or a newer pointer
 * replaces it. Frames are consumed only once a model serves.
 */
@Startup
@ApplicationScoped
public class ModelManager {
    private static final Logger LOG = Logger.getLogger(ModelManager.class);
    static final String FRAMES_CHANNEL = "frames";

    private final ClassifierConfig config;
    private final ChannelRegistry channels;
    private final MeterRegistry registry;
    private final ModelFetcher fetcher;
    private final AtomicReference<ServingModel> current = new AtomicReference<>();
    private final AtomicReference<ModelVersion> wanted = new AtomicReference<>();
    private final ScheduledExecutorService loader = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "model-loader"));
    private final Counter swaps;
    private volatile ModelVersion lastAttempt;
    private volatile String notServing = "no serving pointer on linesight.model-versions yet";
    private volatile Device device;

    ModelManager(ClassifierConfig config, ModelConfig model, ChannelRegistry channels, MeterRegistry registry) {
        this.config = config;
        this.channels = channels;
        this.registry = registry;
        this.fetcher = new ModelFetcher(config.modelCache(), trustedKeys(config), new TrustedSources(config.registryUrls()),
                config.maxVersionBytes().asLongValue());
        this.swaps = Counter.builder("linesight.classifier.swaps").description("Model versions swapped in").register(registry);
        Gauge.builder("linesight.classifier.serving.version", current, c -> c.get() == null ? 0 : c.get().version().getVersion())
                .tag("model", model.name()).description("Version serving now (0 = none)").register(registry);
    }

    private static List<PublicKey> trustedKeys(ClassifierConfig config) {
        try {
            List<PublicKey> keys = SigningKeys.trustedKeys(config.trustedKeys());
            LOG.infof("Trusting versions signed by %s; fetching only from %s", keys.stream().map(SigningKeys::keyId).toList(),
                    config.registryUrls());
            return keys;
        } catch (IOException e) {
            throw new IllegalStateException("linesight.classifier.trusted-keys (LINESIGHT_CLASSIFIER_TRUSTED_KEYS): " + e.getMessage(), e);
        }
    }

    /** Latest pointer wins: pointers arriving during a load (or a retry's wait) are collapsed into the newest one. */
    void onPointer(@Observes ServingPointerChanged changed) {
        ModelVersion pointer = changed.pointer();
        wanted.set(pointer);
        loader.execute(() -> load(pointer, 0));
    }

    private void load(ModelVersion pointer, int retry) {
        ServingModel serving = current.get();
        // Same files as what serves (a rollback to it, a replay): nothing to do. Numbers alone are not enough: a reset
        // registry reuses them.
        if (wanted.get() != pointer || (retry == 0 && pointer.equals(lastAttempt))
                || (serving != null && serving.version().getVersion() == pointer.getVersion()
                        && serving.version().getFilesList().equals(pointer.getFilesList()))) {
            return;
        }
        lastAttempt = pointer;
        long start = System.nanoTime();
        try {
            ServingModel loaded = load(pointer);
            ServingModel previous = current.getAndSet(loaded);
            if (previous != null) {
                previous.retire();
            }
            swaps.increment();
            LOG.infof("Serving %s version %d (%s) after %d ms%s", pointer.getModelName(), pointer.getVersion(),
                    pointer.getStatus(), (System.nanoTime() - start) / 1_000_000,
                    previous == null ? "" : ", replacing version " + previous.version().getVersion());
            channels.getPausable(FRAMES_CHANNEL).resume();
        } catch (ModelRejectedException e) {
            if (e.reason().equals("unavailable")) {
                retryLater(pointer, retry, e, serving);
                return;
            }
            notServing = "version " + pointer.getVersion() + " refused (" + e.reason() + "): " + e.getMessage();
            Counter.builder("linesight.classifier.swaps.refused").tag("reason", e.reason())
                    .description("Model versions refused").register(registry).increment();
            LOG.errorf("Refusing %s version %d (%s): %s; %s", pointer.getModelName(), pointer.getVersion(), e.reason(),
                    e.getMessage(), serving == null ? "no model serves yet" : "version " + serving.version().getVersion() + " keeps serving");
        } catch (RuntimeException e) {
            LOG.errorf(e, "Unexpected failure loading version %d; the current model keeps serving", pointer.getVersion());
        }
    }

    /** Fetches (verified, from a trusted source) and loads a version on this classifier's device: the serving or the shadow one. */
    ServingModel load(ModelVersion pointer) throws ModelRejectedException {
        return ServingModel.load(fetcher.fetch(pointer), pointer, device(), config.batchSize());
    }

    /** Backoff doubling from 1 s up to linesight.classifier.fetch-retry-max, until it serves or a newer pointer comes. */
    private void retryLater(ModelVersion pointer, int retry, ModelRejectedException e, ServingModel serving) {
        long delayMs = Math.min(config.fetchRetryMax().toMillis(), 1000L << Math.min(retry, 20));
        notServing = "version " + pointer.getVersion() + " not fetched yet (attempt " + (retry + 1) + ", next in " + delayMs
                + " ms): " + e.getMessage();
        Counter.builder("linesight.classifier.fetch.retries").description("Version fetches retried after the registry failed")
                .register(registry).increment();
        LOG.warnf("Cannot fetch %s version %d yet (%s); retrying in %d ms; %s", pointer.getModelName(), pointer.getVersion(),
                e.getMessage(), delayMs, serving == null ? "no model serves yet" : "version " + serving.version().getVersion() + " keeps serving");
        loader.schedule(() -> load(pointer, retry + 1), delayMs, TimeUnit.MILLISECONDS);
    }

    /** Why no model serves, for readiness. */
    String notServingReason() {
        return notServing;
    }

    private Device device() {
        if (device == null) {
            device = DeviceSelection.select(config.device(), Engine.getEngine("TensorFlow").getGpuCount());
            LOG.infof("Inference device: %s (linesight.classifier.device=%s)", device, config.device());
        }
        return device;
    }

    /** The serving model with a reference held for one batch, or null when none serves; release() it after. */
    ServingModel acquire() {
        while (true) {
            ServingModel serving = current.get();
            if (serving == null || serving.tryAcquire()) {
                return serving;
            }
        }
    }

    /** What serves now, without a reference (for preparing a batch; inference uses acquire()); null when nothing does. */
    ServingModel serving() {
        return current.get();
    }

    /** What serves now, for health and logs; null when nothing does. */
    ModelVersion servingVersion() {
        ServingModel serving = current.get();
        return serving == null ? null : serving.version();
    }

    void shutdown(@Observes ShutdownEvent event) {
        loader.shutdownNow();
        ServingModel serving = current.getAndSet(null);
        if (serving != null) {
            serving.retire();
        }
    }
}
