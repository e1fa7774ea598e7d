package io.linesight.faults;

import io.linesight.localstack.LineSightSystem;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An operator correcting every frame a camera got acknowledged, through the API on its own thread, as the review page
 * does: a frame is labelled {@code lag} after it was acknowledged (people review behind the line), and a 503 or 409 is
 * retried with the same label every 2 s until it is saved (202, or 200 when the broker already has it).
 */
final class Operator implements AutoCloseable {
    private static final long RETRY_MS = 2000;

    /** Frame id -> the CORRECTION label the operator saw saved. */
    final Map<String, String> saved = new ConcurrentHashMap<>();
    /** Frames whose label was refused for good (a 4xx other than 409): must stay empty. */
    final Set<String> refused = ConcurrentHashMap.newKeySet();
    /** Frames whose label got at least one 503 before it was saved: the retry path. */
    final Set<String> unavailable = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> seenAtNanos = new ConcurrentHashMap<>();
    private final Set<String> frames;
    private final Thread thread;
    private volatile boolean running = true;

    Operator(String labelsUrl, String authorization, Set<String> frames, Duration lag) {
        this.frames = frames;
        thread = new Thread(() -> {
            while (running || saved.size() + refused.size() < frames.size()) {
                long now = System.nanoTime();
                String frameId = frames.stream().filter(f -> !saved.containsKey(f) && !refused.contains(f))
                        .filter(f -> !running || now - seenAtNanos.computeIfAbsent(f, k -> now) >= lag.toNanos()).findFirst().orElse(null);
                if (frameId == null) {
                    if (!pause(200)) {
                        return;
                    }
                    continue;
                }
                String label = labelOf(frameId);
                Http.Answer answer = Http.post(labelsUrl, authorization, "application/json", ("{\"frameId\":\"" + frameId
                        + "\",\"label\":\"" + label + "\",\"source\":\"CORRECTION\"}").getBytes(StandardCharsets.UTF_8));
                if (answer.status() == 202 || answer.status() == 200) {
                    saved.put(frameId, label);
                } else if (answer.status() >= 400 && answer.status() < 500 && answer.status() != 409) {
                    refused.add(frameId);
                    System.out.println("label refused: " + answer.status() + " " + answer.body());
                } else {
                    if (answer.status() == 503) {
                        unavailable.add(frameId);
                    }
                    if (!pause(RETRY_MS)) {
                        return;
                    }
                }
            }
        }, "operator");
        thread.start();
    }

    /** How many frames there are to label (the camera's acknowledged ones). */
    int frames() {
        return frames.size();
    }

    /** The class this operator gives a frame: always the same for the same frame, so a retry repeats it. */
    static String labelOf(String frameId) {
        return LineSightSystem.CLASSES.get(Math.floorMod(frameId.hashCode(), 3));
    }

    private static boolean pause(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Labels what is left of the frames acknowledged so far, without the lag, then stops (at the latest after {@code within}). */
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
