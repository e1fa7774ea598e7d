package io.linesight.service;

import io.linesight.proto.ModelVersion;

/**
 * CDI event: the shadow candidate of this deployment's model changed (fired by ServingPointerTracker). {@code pointer}
 * is the SHADOW pointer to run, or null when the shadow of {@code version} ended.
 */
public record ShadowPointerChanged(ModelVersion pointer, int version) {
}
