package io.linesight.trainer;

import io.linesight.proto.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Reads linesight.model-versions: the version serving now is the one fine-tuning starts from. */
@ApplicationScoped
public class ServingPointer {
    private final String modelName;
    private final AccuracyMetrics accuracy;
    private volatile ModelVersion serving;

    ServingPointer(TrainerConfig config, AccuracyMetrics accuracy) {
        this.modelName = config.model().name();
        this.accuracy = accuracy;
    }

    @Incoming("model-versions")
    void onPointer(ModelVersion pointer) {
        if (pointer != null && pointer.getModelName().equals(modelName)) {
            serving = pointer;
            accuracy.servingChanged(pointer.getVersion());
        }
    }

    /** The serving pointer, or null before any version serves. */
    public ModelVersion serving() {
        return serving;
    }
}
