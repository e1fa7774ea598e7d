package io.linesight.faults;

import io.linesight.localstack.LineSightSystem;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An operator correcting every frame a camera got acknowledged, through the API on its own thread, as the review page
 * does: a 503 or 409 is retried every 2 s until the label is saved (202, or 200 when the broker already has it).
 */
final class Operator implements AutoCloseable {
    private static final long RETRY_MS = 2000;

    /** Frame ids whose CORRECTION label the operator saw saved. */
    final Set<String> saved = ConcurrentHashMap.newKeySet();
    /** Frames whose label was refused for good (a 4xx other than 409): must stay empty. */
    final Set<String> refused = ConcurrentHashMap.newKeySet();
    final AtomicLong retried = new AtomicLong();
    private final Set<String> frames;
    private final Thread thread;
    private volatile boolean running = true;

    Operator(String labelsUrl, String authorization, Set<String> frames) {
        this.frames = frames;
        thread = new Thread(() -> {
            long n = 0;
            while (running || saved.size() + refused.size() < frames.size()) {
                String frameId = frames.stream().filter(f -> !saved.contains(f) && !refused.contains(f)).findFirst().orElse(null);
                if (frameId == null) {
                    pause(200);
                    continue;
                }
                String label = LineSightSystem.CLASSES.get((int) (n++ % 3));
                Http.Answer answer = Http.post(labelsUrl, authorization, "application/json", ("{\"frameId\":\"" + frameId
                        + "\",\"label\":\"" + label + "\",\"source\":\"CORRECTION\"}").getBytes(StandardCharsets.UTF_8));
                if (answer.status() == 202 || answer.status() == 200) {
                    saved.add(frameId);
                } else if (answer.status() >= 400 && answer.status() < 500 && answer.status() != 409) {
                    refused.add(frameId);
                    System.out.println("label refused: " + answer.status() + " " + answer.body());
                } else {
                    retried.incrementAndGet();
                    if (!pause(RETRY_MS)) {
                        return;
                    }
                }
            }
        }, "operator");
        thread.start();
    }

    private static boolean pause(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Labels what is left of the frames acknowledged so far, then stops (at the latest after {@code within}). */
    void finish(Duration within) throws InterruptedException {
        running = false;
        thread.join(within.toMillis());
        thread.interrupt();
    }

    @Override
    public void close() throws InterruptedException {
        finish(Duration.ZERO);
    }
}
