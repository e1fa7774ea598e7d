package io.linesight.classifier;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The batcher thread: takes pending frames from FrameIntake's queue as they arrive and has FramePreparation answer
 * what the cache holds at once (and hands those hits to the shadow candidate); the misses gather into batches of up to batch-size, waiting at most max-wait after
 * the first one, which go to BatchInference.
 */
@ApplicationScoped
public class FrameBatcher {
    private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private final ClassifierConfig config;
    private final FramePreparation preparation;
    private final BatchInference inference;
    private final ShadowModel shadow;
    private final BlockingQueue<PendingFrame> queue;
    private final Thread thread = new Thread(this::run, "batcher");
    private volatile boolean running = true;

    FrameBatcher(ClassifierConfig config, FramePreparation preparation, BatchInference inference, ShadowModel shadow) {
        this.config = config;
        this.preparation = preparation;
        this.inference = inference;
        this.shadow = shadow;
        this.queue = new ArrayBlockingQueue<>(4 * config.batchSize());
        // The shadow shares the cores: while a prepared batch waits for the model, or a full batch of frames waits here,
        // it leaves all but the audit frames.
        shadow.yieldWhile(() -> inference.waiting() > 0 || queue.size() >= config.batchSize());
    }

    void start(@Observes StartupEvent event) {
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        // Unacknowledged frames are consumed again after a restart (their offsets were not committed).
        running = false;
        thread.interrupt();
    }

    boolean offer(PendingFrame frame) {
        return queue.offer(frame);
    }

    void put(PendingFrame frame) {
        try {
            queue.put(frame);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        int max = config.batchSize();
        long maxWaitNanos = config.maxWait().toNanos();
        List<PendingFrame> misses = new ArrayList<>(max);
        long deadline = 0;
        while (running) {
            try {
                // Idle: wait for a frame. Holding misses: wait until the batch is full or max-wait has passed.
                long wait = misses.isEmpty() ? IDLE_POLL_NANOS : deadline - System.nanoTime();
                PendingFrame first = queue.poll(Math.max(wait, 0), TimeUnit.NANOSECONDS);
                if (first != null) {
                    long arrivedAt = System.nanoTime();
                    List<PendingFrame> arrived = new ArrayList<>(max);
                    arrived.add(first);
                    queue.drainTo(arrived, max - misses.size() - 1);
                    if (misses.isEmpty()) {
                        deadline = arrivedAt + maxWaitNanos;
                    }
                    List<PendingFrame> missed = preparation.answerFromCache(arrived);
                    misses.addAll(missed);
                    if (missed.size() < arrived.size()) {
                        Set<PendingFrame> inferLater = Collections.newSetFromMap(new IdentityHashMap<>());
                        inferLater.addAll(missed);
                        shadow.offerCacheHits(arrived.stream().filter(frame -> !inferLater.contains(frame)).toList());
                    }
                }
                if (!misses.isEmpty() && (misses.size() >= max || System.nanoTime() - deadline >= 0)) {
                    inference.submit(preparation.prepare(misses));
                    misses = new ArrayList<>(max);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
