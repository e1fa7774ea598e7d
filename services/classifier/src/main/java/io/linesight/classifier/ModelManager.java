package io.linesight.classifier;

import ai.djl.Device;
import ai.djl.engine.Engine;
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
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Keeps the version of each serving pointer (ServingPointerTracker, from linesight.model-versions) loaded: fetch, verify,
 * load, warm up, then swap between batches. A refused version never replaces the one serving. Frames are
 * consumed only once a model serves.
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
    private final ExecutorService loader = Executors.newSingleThreadExecutor(r -> new Thread(r, "model-loader"));
    private final Counter swaps;
    private volatile ModelVersion lastAttempt;
    private volatile Device device;

    ModelManager(ClassifierConfig config, ModelConfig model, ChannelRegistry channels, MeterRegistry registry) {
        this.config = config;
        this.channels = channels;
        this.registry = registry;
        this.fetcher = new ModelFetcher(config.modelCache());
        this.swaps = Counter.builder("linesight.classifier.swaps").description("Model versions swapped in").register(registry);
        Gauge.builder("linesight.classifier.serving.version", current, c -> c.get() == null ? 0 : c.get().version().getVersion())
                .tag("model", model.name()).description("Version serving now (0 = none)").register(registry);
    }

    /** Latest pointer wins: pointers arriving during a load are collapsed into the newest one. */
    void onPointer(@Observes ServingPointerChanged changed) {
        wanted.set(changed.pointer());
        loader.submit(this::loadWanted);
    }

    private void loadWanted() {
        ModelVersion pointer = wanted.get();
        ServingModel serving = current.get();
        if (pointer == null || pointer.equals(lastAttempt)
                || (serving != null && serving.version().getVersion() == pointer.getVersion())) {
            return;
        }
        lastAttempt = pointer;
        long start = System.nanoTime();
        try {
            Path dir = fetcher.fetch(pointer);
            ServingModel loaded = ServingModel.load(dir, pointer, device(),
                    config.batchSize());
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
            Counter.builder("linesight.classifier.swaps.refused").tag("reason", e.reason())
                    .description("Model versions refused").register(registry).increment();
            LOG.errorf("Refusing %s version %d (%s): %s; %s", pointer.getModelName(), pointer.getVersion(), e.reason(),
                    e.getMessage(), serving == null ? "no model serves yet" : "version " + serving.version().getVersion() + " keeps serving");
        } catch (RuntimeException e) {
            LOG.errorf(e, "Unexpected failure loading version %d; the current model keeps serving", pointer.getVersion());
        }
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
