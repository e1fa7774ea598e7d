package io.linesight.service;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Exits the process (status 3) once liveness has been DOWN for linesight.liveness.exit-after: a Kafka channel that
 * failed for good (a send that failed past its delivery timeout, a nack) never recovers by itself, and compose,
 * Kubernetes and ./run restart a process that exits. Offsets commit only for finished records, so the restarted
 * process re-reads what the failed one had not finished.
 */
@Startup
@ApplicationScoped
public class LivenessWatchdog {
    private static final Logger LOG = Logger.getLogger(LivenessWatchdog.class);
    static final int EXIT_STATUS = 3;
    private static final long CHECK_MS = 5000;

    private final SmallRyeHealthReporter health;
    private final Duration exitAfter;
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "liveness-watchdog");
        t.setDaemon(true);
        return t;
    });
    private long downSinceMs = -1;

    LivenessWatchdog(SmallRyeHealthReporter health,
            @ConfigProperty(name = "linesight.liveness.exit-after", defaultValue = "60s") Duration exitAfter) {
        this.health = health;
        this.exitAfter = exitAfter;
        checker.scheduleWithFixedDelay(this::check, CHECK_MS, CHECK_MS, TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            var liveness = health.getLiveness();
            long now = System.currentTimeMillis();
            if (!liveness.isDown()) {
                downSinceMs = -1;
            } else if (downSinceMs < 0) {
                downSinceMs = now;
                LOG.warnf("Liveness is DOWN; exiting in %d s unless it recovers: %s", exitAfter.toSeconds(), liveness.getPayload());
            } else if (now - downSinceMs >= exitAfter.toMillis()) {
                LOG.errorf("Liveness DOWN for %d s, exiting with status %d so the supervisor restarts this process: %s",
                        (now - downSinceMs) / 1000, EXIT_STATUS, liveness.getPayload());
                checker.shutdown();
                Quarkus.asyncExit(EXIT_STATUS);
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "Liveness check failed");
        }
    }

    void stop(@Observes ShutdownEvent event) {
        checker.shutdownNow();
    }
}
