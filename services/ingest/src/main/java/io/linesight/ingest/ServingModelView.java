package io.linesight.ingest;

import io.linesight.proto.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Reads linesight.model-versions: which version serves, hence which class names a label may use. */
@ApplicationScoped
public class ServingModelView {
    private final String modelName;
    private volatile ModelVersion serving;

    ServingModelView(IngestConfig config) {
        this.modelName = config.model().name();
    }

    @Incoming("model-versions")
    void onPointer(ModelVersion pointer) {
        if (pointer != null && pointer.getModelName().equals(modelName)) {
            serving = pointer;
        }
    }

    /** The serving pointer, or null before any version serves. */
    public ModelVersion serving() {
        return serving;
    }

    public List<String> classes() {
        ModelVersion current = serving;
        return current == null ? List.of() : current.getClassesList();
    }
}
