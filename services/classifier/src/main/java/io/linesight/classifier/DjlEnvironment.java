package io.linesight.classifier;

import ai.djl.engine.Engine;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Prepares DJL before any model loads, on a Quarkus-managed thread: offline (nothing may be downloaded at
 * run time), no usage tracking (it probes cloud metadata), and the TensorFlow engine initialised.
 */
@ApplicationScoped
public class DjlEnvironment {
    private static final Logger LOG = Logger.getLogger(DjlEnvironment.class);

    void init(@Observes @Priority(0) StartupEvent start) {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        Engine engine = Engine.getEngine("TensorFlow");
        LOG.infof("DJL %s with TensorFlow %s, %d GPU(s) visible", Engine.getDjlVersion(), engine.getVersion(), engine.getGpuCount());
    }
}
