package io.linesight.faults;

import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** A camera posting real NEU frames at a fixed rate on its own thread, keeping every answer. */
final class Camera implements AutoCloseable {
    private static final List<String> CLASSES = LineSightSystem.CLASSES;
    private static final AtomicLong NEXT_IMAGE = new AtomicLong();

    final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    final List<Http.Answer> refused = new CopyOnWriteArrayList<>();
    final AtomicLong maxMillis = new AtomicLong();
    /** The longest time from a non-202 answer's request to the next 202's answer: how long the camera could not deliver. */
    final AtomicLong longestRefusalMillis = new AtomicLong();
    /** The longest time between two acknowledgements' answers: how long the line went without a delivered frame. */
    final AtomicLong longestAckGapMillis = new AtomicLong();
    /** The partition of the last acknowledged frame (one camera id, one partition). */
    volatile int partition = -1;
    /** When the current run of non-202 answers began (nanoTime), -1 while frames are acknowledged; the camera thread's. */
    private long refusedSince = -1;
    private long lastAckNanos = -1;
    private final Thread thread;
    private volatile boolean running = true;

    Camera(String framesUrl, String authorization, String cameraId, double framesPerSecond) {
        long periodNanos = (long) (1e9 / framesPerSecond);
        thread = new Thread(() -> {
            long next = System.nanoTime();
            while (running) {
                long sent = System.nanoTime();
                long n = NEXT_IMAGE.getAndIncrement();
                byte[] image = ImageSamples.neuImage(CLASSES.get((int) (n % CLASSES.size())), 1 + (int) (n / CLASSES.size() % 300));
                Http.Answer answer = Http.post(framesUrl, authorization, "image/jpeg", image, "X-Camera-Id", cameraId);
                statuses.computeIfAbsent(answer.status(), s -> new AtomicLong()).incrementAndGet();
                maxMillis.accumulateAndGet(answer.millis(), Math::max);
                if (answer.status() == 202) {
                    acknowledged.add(FaultSuite.Context.frameId(answer.body()));
                    partition = Integer.parseInt(answer.body().replaceAll(".*\"partition\":(\\d+).*", "$1"));
                    long now = System.nanoTime();
                    if (lastAckNanos >= 0) {
                        longestAckGapMillis.accumulateAndGet((now - lastAckNanos) / 1_000_000, Math::max);
                    }
                    lastAckNanos = now;
                    if (refusedSince >= 0) {
                        longestRefusalMillis.accumulateAndGet((now - refusedSince) / 1_000_000, Math::max);
                        refusedSince = -1;
                    }
                } else {
                    refused.add(answer);
                    if (refusedSince < 0) {
                        refusedSince = sent;
                    }
                }
                next += periodNanos;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    try {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "camera-" + cameraId);
        thread.start();
    }

    /** Status -> count of the answers that were not 202. */
    Map<Integer, Long> refusedStatuses() {
        Map<Integer, Long> counts = new TreeMap<>();
        refused.forEach(a -> counts.merge(a.status(), 1L, Long::sum));
        return counts;
    }

    long count(int status) {
        return statuses.getOrDefault(status, new AtomicLong()).get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(120_000);
        if (refusedSince >= 0) {
            longestRefusalMillis.accumulateAndGet((System.nanoTime() - refusedSince) / 1_000_000, Math::max);
        }
    }
}
