package io.linesight.service;

import io.linesight.common.DecodeBudget;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import org.jboss.logging.Logger;

/**
 * The process's one image decode budget, from linesight.frames.*, with its gauges: linesight.decode.memory.used and
 * .limit, and linesight.jvm.heap.peak, what a hostile image would have pushed up.
 */
@ApplicationScoped
public class DecodeBudgets {
    private static final Logger LOG = Logger.getLogger(DecodeBudgets.class);

    @Produces
    @Singleton
    DecodeBudget decodeBudget(FramesConfig frames, MeterRegistry registry) {
        DecodeBudget budget = DecodeBudget.ofHeapShare(frames.maxPixels(), frames.maxDecodedBytes(), frames.decodeHeapShare());
        Gauge.builder("linesight.decode.memory.used", budget, DecodeBudget::inUseBytes).baseUnit("bytes")
                .description("Heap held by the images decoding now").register(registry);
        Gauge.builder("linesight.decode.memory.limit", budget, DecodeBudget::totalBytes).baseUnit("bytes")
                .description("Heap the images decoding at once may hold").register(registry);
        Gauge.builder("linesight.jvm.heap.peak", DecodeBudgets::heapPeakBytes).baseUnit("bytes")
                .description("Sum of the heap pools' peak usage since start (an upper bound of the heap's peak)").register(registry);
        LOG.infof("Image decoding: %d MiB for the images decoding at once (%.0f%% of a %d MiB heap), at most %d MiB and %d pixels an image",
                budget.totalBytes() >> 20, frames.decodeHeapShare() * 100, Runtime.getRuntime().maxMemory() >> 20,
                budget.imageLimitBytes() >> 20, budget.maxPixels());
        return budget;
    }

    /** Made at start, not at the first image: the log line and the gauges are there before any upload. */
    void createAtStart(@Observes StartupEvent start, DecodeBudget budget) {
        budget.totalBytes();
    }

    private static double heapPeakBytes() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(pool -> pool.getType() == MemoryType.HEAP)
                .mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
    }
}
