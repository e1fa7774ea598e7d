package io.linesight.service;

import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads linesight.model-versions: keeps the newest SERVING or ROLLED_BACK pointer of this deployment's model and
 * fires ServingPointerChanged for it. Pointers of other models, and other statuses, are ignored.
 */
@ApplicationScoped
public class ServingPointerTracker {
    private static final Logger LOG = Logger.getLogger(ServingPointerTracker.class);

    private final String modelName;
    private final Event<ServingPointerChanged> changed;
    private volatile ModelVersion serving;

    ServingPointerTracker(ModelConfig model, Event<ServingPointerChanged> changed) {
        this.modelName = model.name();
        this.changed = changed;
    }

    @Incoming("model-versions")
    void onPointer(ModelVersion pointer) {
        if (pointer == null || !pointer.getModelName().equals(modelName)) {
            return; // malformed (counted by the deserializer) or another model's
        }
        if (pointer.getStatus() != ModelStatus.SERVING && pointer.getStatus() != ModelStatus.ROLLED_BACK) {
            LOG.warnf("Ignoring pointer to version %d with status %s: this topic only carries SERVING or ROLLED_BACK",
                    pointer.getVersion(), pointer.getStatus());
            return;
        }
        serving = pointer;
        LOG.infof("Serving pointer: %s version %d (%s)", pointer.getModelName(), pointer.getVersion(), pointer.getStatus());
        changed.fire(new ServingPointerChanged(pointer));
    }

    /** The serving pointer, or null before any version serves. */
    public ModelVersion serving() {
        return serving;
    }
}
