package io.linesight.classifier;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The batcher thread: takes pending frames from FrameIntake's queue, up to batch-size at once, waiting at most
 * max-wait for more once it holds one, and hands each batch to FramePreparation, then what the cache did not answer
 * to BatchInference.
 */
@ApplicationScoped
public class FrameBatcher {
    private final ClassifierConfig config;
    private final FramePreparation preparation;
    private final BatchInference inference;
    private final BlockingQueue<PendingFrame> queue;
    private final Thread thread = new Thread(this::run, "batcher");
    private volatile boolean running = true;

    FrameBatcher(ClassifierConfig config, FramePreparation preparation, BatchInference inference) {
        this.config = config;
        this.preparation = preparation;
        this.inference = inference;
        this.queue = new ArrayBlockingQueue<>(4 * config.batchSize());
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
        while (running) {
            try {
                PendingFrame first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<PendingFrame> frames = new ArrayList<>(max);
                frames.add(first);
                queue.drainTo(frames, max - 1);
                long deadline = System.nanoTime() + maxWaitNanos;
                while (frames.size() < max) {
                    PendingFrame next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    frames.add(next);
                }
                PreparedBatch prepared = preparation.prepare(frames);
                if (!prepared.frames().isEmpty()) {
                    inference.submit(prepared);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
