package io.linesight.common.registry;

import io.linesight.proto.Lineage;
import io.linesight.proto.ModelFile;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.OffsetRange;
import io.linesight.proto.OperatingPoint;

/** The serving pointer of a registry version, as written to linesight.model-versions. */
public final class ServingPointers {
    private ServingPointers() {
    }

    /** Artifact URI of a version: {@code <base>/<model>/<version>/}, base file:// or http://. */
    public static String artifactUri(String base, String model, int version) {
        return (base.endsWith("/") ? base : base + "/") + model + "/" + version + "/";
    }

    /** The record key of a pointer: the model name, or "<model>/shadow" for the shadow candidate (SHADOW, or REJECTED when it ended). */
    public static String key(ModelVersion pointer) {
        return isShadowRecord(pointer) ? shadowKey(pointer.getModelName()) : pointer.getModelName();
    }

    public static String shadowKey(String model) {
        return model + "/shadow";
    }

    /** Whether a pointer is about the shadow candidate rather than what serves. */
    public static boolean isShadowRecord(ModelVersion pointer) {
        return pointer.getStatus() == ModelStatus.SHADOW || pointer.getStatus() == ModelStatus.REJECTED;
    }

    /** A SHADOW pointer of {@code candidate} beside exactly this serving pointer. */
    public static ModelVersion shadowBeside(ModelVersion candidate, ModelVersion serving) {
        return candidate.toBuilder().setStatus(ModelStatus.SHADOW).setBesideVersion(serving.getVersion())
                .setBesideCreatedAtMs(serving.getCreatedAtMs()).build();
    }

    /** Whether a SHADOW pointer runs beside this serving pointer: the one it was announced beside, not itself. */
    public static boolean runsBeside(ModelVersion shadow, ModelVersion serving) {
        return shadow.getStatus() == ModelStatus.SHADOW && serving != null && shadow.getVersion() != serving.getVersion()
                && shadow.getBesideVersion() == serving.getVersion() && shadow.getBesideCreatedAtMs() == serving.getCreatedAtMs();
    }

    /**
     * Whether a REJECTED record ends this SHADOW record: the same version, and beside the same serving pointer, or
     * beside none ({@code ./run shadow --end}: whatever shadow of that version runs). A late end of an earlier shadow
     * of the same version, beside another pointer, does not end a newer one.
     */
    public static boolean ends(ModelVersion rejected, ModelVersion shadow) {
        return shadow != null && rejected.getStatus() == ModelStatus.REJECTED && rejected.getVersion() == shadow.getVersion()
                && (rejected.getBesideCreatedAtMs() == 0 || rejected.getBesideCreatedAtMs() == shadow.getBesideCreatedAtMs());
    }

    public static ModelVersion of(ModelManifest manifest, String artifactUri, ModelStatus status) {
        ModelVersion.Builder builder = ModelVersion.newBuilder()
                .setModelName(manifest.modelName()).setVersion(manifest.version()).setParentVersion(manifest.parentVersion())
                .addAllClasses(manifest.classes()).setInputSize(manifest.inputSize())
                .setInputChannels(manifest.inputChannels()).setArtifactUri(artifactUri).setStatus(status)
                .setCreatedAtMs(System.currentTimeMillis());
        if (manifest.holdoutMetrics() != null) {
            builder.putAllHoldoutMetrics(manifest.holdoutMetrics());
        }
        manifest.files().forEach(f -> builder.addFiles(ModelFile.newBuilder().setPath(f.path()).setSha256(f.sha256())
                .setSizeBytes(f.size())));
        if (manifest.lineage() != null) {
            Lineage.Builder lineage = Lineage.newBuilder().setSampleCount(manifest.lineage().sampleCount());
            if (manifest.lineage().labelOffsets() != null) {
                manifest.lineage().labelOffsets().forEach(r -> lineage.addLabelOffsets(OffsetRange.newBuilder()
                        .setPartition(r.partition()).setFromOffset(r.fromOffset()).setToOffset(r.toOffset())));
            }
            builder.setLineage(lineage);
        }
        if (manifest.operatingPoint() != null) {
            builder.setOperatingPoint(operatingPoint(manifest.operatingPoint()));
        }
        return builder.build();
    }

    /** A manifest's operating point as the pointer carries it. */
    public static OperatingPoint operatingPoint(ModelManifest.OperatingPoint p) {
        return OperatingPoint.newBuilder().addAllGoodClasses(p.goodClasses()).putAllThresholds(p.thresholds())
                .setEscapeTarget(p.escapeTarget()).setConfidence(p.confidence()).setAuditDefects(p.auditDefects())
                .setAuditGoods(p.auditGoods()).setEscapes(p.escapes()).setEscapeRate(p.escapeRate())
                .setEscapeUpperBound(p.escapeUpperBound()).setFalseRejectRate(p.falseRejectRate()).setRecheckShare(p.recheckShare())
                .setArgmaxEscapeRate(p.argmaxEscapeRate()).setBoundMet(p.boundMet()).setDefectsNeeded(p.defectsNeeded()).build();
    }
}
