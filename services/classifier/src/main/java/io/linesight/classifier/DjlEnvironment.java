package io.linesight.classifier;

import ai.djl.engine.Engine;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Prepares DJL before any model loads, on a Quarkus-managed thread: offline (nothing may be downloaded at
 * run time), no usage tracking (it probes cloud metadata), TensorFlow's thread pools sized (DJL reads them at each
 * model load), and the TensorFlow engine initialised. Logs the oneDNN math mode TensorFlow takes from the environment.
 */
@ApplicationScoped
public class DjlEnvironment {
    private static final Logger LOG = Logger.getLogger(DjlEnvironment.class);
    /** TensorFlow's own setting, read from the process environment when it starts: BF16 uses AMX / AVX512-BF16 units. */
    private static final String MATH_MODE = "TF_SET_ONEDNN_FPMATH_MODE";

    void init(@Observes @Priority(0) StartupEvent start, ClassifierConfig config) {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        int intraOp = config.inferenceThreads() > 0 ? config.inferenceThreads() : Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.tensorflow.num_intraop_threads", Integer.toString(intraOp));
        if (config.inferenceInteropThreads() > 0) {
            System.setProperty("ai.djl.tensorflow.num_interop_threads", Integer.toString(config.inferenceInteropThreads()));
        }
        Engine engine = Engine.getEngine("TensorFlow");
        String math = System.getenv(MATH_MODE);
        LOG.infof("DJL %s with TensorFlow %s, %d GPU(s) visible; %d intra-op and %s inter-op threads; CPU math %s", Engine.getDjlVersion(),
                engine.getVersion(), engine.getGpuCount(), intraOp,
                config.inferenceInteropThreads() > 0 ? Integer.toString(config.inferenceInteropThreads()) : "TensorFlow's default",
                math == null ? "FP32 (" + MATH_MODE + " unset)" : math + " (" + MATH_MODE + ")");
    }
}
