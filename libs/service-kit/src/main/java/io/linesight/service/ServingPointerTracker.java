package io.linesight.service;

import io.linesight.common.registry.ServingPointers;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.util.Objects;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads linesight.model-versions: keeps the newest SERVING or ROLLED_BACK pointer of this deployment's model and
 * fires ServingPointerChanged for it; keeps the shadow candidate and fires ShadowPointerChanged. The shadow runs while
 * its SHADOW record (key {@code <model>/shadow}) names the current serving pointer as the one it runs beside: a
 * REJECTED record for it (ServingPointers.ends), or any other serving pointer, ends it, in whatever order the two keys' records
 * arrive. Pointers of other models, and other statuses, are ignored.
 */
@ApplicationScoped
public class ServingPointerTracker {
    private static final Logger LOG = Logger.getLogger(ServingPointerTracker.class);

    private final String modelName;
    private final Event<ServingPointerChanged> changed;
    private final Event<ShadowPointerChanged> shadowChanged;
    private volatile ModelVersion serving;
    /** The newest SHADOW record not ended by a REJECTED one; it runs only beside the serving pointer it names. */
    private ModelVersion announced;
    private volatile ModelVersion shadow;

    ServingPointerTracker(ModelConfig model, Event<ServingPointerChanged> changed, Event<ShadowPointerChanged> shadowChanged) {
        this.modelName = model.name();
        this.changed = changed;
        this.shadowChanged = shadowChanged;
    }

    @Incoming("model-versions")
    synchronized void onPointer(ModelVersion pointer) {
        if (pointer == null || !pointer.getModelName().equals(modelName)) {
            return; // malformed (counted by the deserializer) or another model's
        }
        if (ServingPointers.isShadowRecord(pointer)) {
            if (pointer.getStatus() == ModelStatus.SHADOW) {
                announced = pointer;
            } else if (ServingPointers.ends(pointer, announced)) {
                announced = null;
            }
        } else if (pointer.getStatus() == ModelStatus.SERVING || pointer.getStatus() == ModelStatus.ROLLED_BACK) {
            serving = pointer;
            LOG.infof("Serving pointer: %s version %d (%s)", pointer.getModelName(), pointer.getVersion(), pointer.getStatus());
            changed.fire(new ServingPointerChanged(pointer));
        } else {
            LOG.warnf("Ignoring pointer to version %d with status %s: this topic only carries SERVING, ROLLED_BACK, SHADOW or REJECTED",
                    pointer.getVersion(), pointer.getStatus());
            return;
        }
        ModelVersion running = announced != null && ServingPointers.runsBeside(announced, serving) ? announced : null;
        ModelVersion previous = shadow;
        if (!Objects.equals(running, previous)) {
            shadow = running;
            ModelVersion about = running != null ? running : previous;
            LOG.infof("Shadow pointer: %s version %d (%s)", about.getModelName(), about.getVersion(), running != null ? "runs"
                    : "ended");
            shadowChanged.fire(new ShadowPointerChanged(running, about.getVersion()));
        }
    }

    /** The shadow candidate's pointer, or null when none runs. */
    public ModelVersion shadow() {
        return shadow;
    }

    /** The serving pointer, or null before any version serves. */
    public ModelVersion serving() {
        return serving;
    }
}
