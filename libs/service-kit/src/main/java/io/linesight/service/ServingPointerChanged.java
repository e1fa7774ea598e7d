package io.linesight.service;

import io.linesight.proto.ModelVersion;

/** CDI event: this deployment's model has a new serving pointer (fired by ServingPointerTracker). */
public record ServingPointerChanged(ModelVersion pointer) {
}
