package io.linesight.localstack;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a line controller hears: Debian's {@code mosquitto_sub} subscribed (QoS 1) to a topic filter, every message kept
 * with the time it arrived. For tests and the bench; {@link #start} returns once the broker acknowledged the
 * subscription.
 */
public final class MqttSubscription implements AutoCloseable {
    /** One message: its topic, its payload as text and when it arrived (this host's clock). */
    public record Received(String topic, String payload, long receivedAtMs) {
        /** A string field of a flat JSON payload, or "" when it has none. */
        public String field(String name) {
            Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":\"([^\"]*)\"").matcher(payload);
            return m.find() ? m.group(1) : "";
        }
    }

    private final Process process;
    private final List<Received> received = new ArrayList<>();
    private final CountDownLatch subscribed = new CountDownLatch(1);

    private MqttSubscription(Process process) {
        this.process = process;
        Thread reader = new Thread(this::read, "mqtt-subscription");
        reader.setDaemon(true);
        reader.start();
    }

    public static MqttSubscription start(String host, int port, String topicFilter) throws IOException, InterruptedException {
        // -d prints the SUBACK (our "ready") and one debug line per message; -v puts the topic before each payload.
        // stdbuf: mosquitto_sub block-buffers a pipe, which would hold lines back.
        Process process = new ProcessBuilder("stdbuf", "-oL", "mosquitto_sub", "-h", host, "-p", Integer.toString(port), "-t", topicFilter,
                "-q", "1", "-v", "-d").redirectErrorStream(true).start();
        MqttSubscription subscription = new MqttSubscription(process);
        if (!subscription.subscribed.await(10, TimeUnit.SECONDS)) {
            subscription.close();
            throw new IllegalStateException("mosquitto_sub did not subscribe to " + topicFilter + " on " + host + ":" + port);
        }
        return subscription;
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.contains("received SUBACK")) {
                    subscribed.countDown();
                } else if (!line.startsWith("Client ") && !line.startsWith("Subscribed ") && line.indexOf(' ') > 0) {
                    int space = line.indexOf(' ');
                    synchronized (received) {
                        received.add(new Received(line.substring(0, space), line.substring(space + 1), System.currentTimeMillis()));
                        received.notifyAll();
                    }
                }
            }
        } catch (IOException ignored) {
            // the process was closed
        }
    }

    /** Waits until {@code count} messages matching {@code filter} arrived, or the timeout; returns those that did. */
    public List<Received> await(Predicate<Received> filter, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (received) {
            while (true) {
                List<Received> matching = received.stream().filter(filter).toList();
                long left = deadline - System.nanoTime();
                if (matching.size() >= count || left <= 0) {
                    return matching;
                }
                received.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    @Override
    public void close() {
        process.destroy();
    }
}
