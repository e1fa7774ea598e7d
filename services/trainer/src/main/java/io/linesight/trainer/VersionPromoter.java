package io.linesight.trainer;

import io.linesight.common.OperatingPoints;
import io.linesight.common.Topic;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ServingPointers;
import io.linesight.common.registry.SigningKeys;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.service.ServingPointerTracker;
import io.linesight.training.Evaluation;
import io.linesight.training.ModelVersions;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.registry.RegistryPublisher;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Publishes an accepted candidate: the next version into the registry (atomically, signed), then its SERVING pointer on
 * linesight.model-versions through the trainer lease's fenced producer, waiting for the commit. A crash between the two
 * leaves an unserved version, never a pointer to a missing one. Only the replica holding the lease publishes; on a
 * shared registry volume the version folder's atomic creation makes a number taken twice fail for the second writer.
 * Each version carries the OK / NG / RECHECK thresholds fitted on its AUDIT holdout when good classes are configured.
 * Registry retention (RegistryRetention) follows each promotion.
 */
@Startup
@ApplicationScoped
public class VersionPromoter {
    private static final Logger LOG = Logger.getLogger(VersionPromoter.class);
    /** How long a published serving pointer may stay unread before publishing goes on regardless (another writer). */
    private static final long READ_BACK_WAIT_MS = 60_000;

    private final ModelRegistry models;
    private final String artifactBase;
    private final TrainerLease lease;

    private final ServingPointerTracker serving;

    private final SigningKeys.SigningKey signingKey;

    private final RegistryConfig registryConfig;

    private final TrainerConfig.Promotion promotion;

    /** The newest serving pointer this replica published, until its tracker has read it back. */
    private volatile ModelVersion unread;

    /** What each version's thresholds are fitted for; null when no good class is configured. */
    private final OperatingPoints.Target decisions;

    VersionPromoter(RegistryConfig registry, TrainerConfig trainer, ServingPointerTracker serving,
            TrainerLease lease) throws IOException {
        this.registryConfig = registry;
        this.serving = serving;
        this.signingKey = SigningKeys.signingKey(trainer.signingKey());
        LOG.infof("Signing versions with key %s", signingKey.id());
        this.models = new ModelRegistry(registry.dir().toAbsolutePath().normalize());
        this.artifactBase = registry.publicUrl().replaceAll("/+$", "") + "/registry/";
        this.lease = lease;
        this.promotion = trainer.promotion();
        this.decisions = OperatingPoints.Target.named(trainer.goodClasses().orElse(Set.of()), trainer.escapeTarget(),
                trainer.escapeConfidence());
    }

    /** Why versions of a model with these classes cannot get the configured operating point, or null when they can. */
    String decisionsProblem(List<String> classes) {
        try {
            if (decisions != null) {
                decisions.goodMask(classes);
            }
            return null;
        } catch (IllegalArgumentException e) {
            return "linesight.trainer.good-classes: " + e.getMessage();
        }
    }

    ModelRegistry registry() {
        return models;
    }

    /**
     * The version number it was published as; empty when the serving pointer is no longer {@code parent}, the one the
     * run started from (a rollback or a manual promote during the run wins). Checked before the registry is written
     * and again before the pointer is sent: what is left between the last check and the broker's acknowledgement is
     * the time a pointer takes to arrive, milliseconds.
     */
    OptionalInt promote(ModelVersion parent, ResNetModel candidate, Evaluation score, ModelManifest.Lineage lineage) throws Exception {
        if (!parent.equals(serving.serving()) || !lease.active()) {
            return OptionalInt.empty();
        }
        String model = parent.getModelName();
        RegistryPublisher publisher = new RegistryPublisher(models, signingKey);
        int version = publisher.nextVersion(model);
        ModelManifest manifest = ModelVersions.publish(publisher, model, version, parent.getVersion(), candidate, score, lineage,
                decisions);
        if (!parent.equals(serving.serving())) {
            LOG.warnf("Version %d of %s stays unserved: the serving pointer changed while it was published", version, model);
            return OptionalInt.empty();
        }
        ModelVersion next = ServingPointers.of(manifest, ServingPointers.artifactUri(artifactBase, model, version), ModelStatus.SERVING);
        if (promotion == TrainerConfig.Promotion.SHADOW) {
            next = ServingPointers.shadowBeside(next, parent);
        }
        ModelStatus status = next.getStatus();
        publish(next);
        LOG.infof("%s %s version %d on %s (%s)", status == ModelStatus.SHADOW ? "Shadowing (linesight.trainer.promotion=shadow)" : "Promoted",
                model, version, Topic.MODEL_VERSIONS.topicName(), next.getArtifactUri());
        if (manifest.operatingPoint() != null) {
            LOG.infof("Operating point of %s version %d on its AUDIT holdout: %s", model, version,
                    OperatingPoints.describe(manifest.operatingPoint()));
        }
        if (status == ModelStatus.SERVING) {
            applyRetention(model, version);
        }
        return OptionalInt.of(version);
    }

    /**
     * Makes {@code to} serve again instead of {@code from}: its ROLLED_BACK pointer, through the lease's fenced producer,
     * once its files verify and its manifest is signed by this trainer's key (what classifiers trust; a version signed
     * by a retired key is refused here rather than by every classifier). Nothing is written when {@code from} no
     * longer serves (an operator acted first).
     */
    void rollBack(int from, int to) throws Exception {
        ModelVersion current = serving.serving();
        if (current == null || current.getVersion() != from) {
            throw new IllegalStateException("version " + from + " no longer serves");
        }
        String model = current.getModelName();
        ManifestSignature.verify(models.versionDir(model, to), List.of(signingKey.publicKey()));
        ModelManifest manifest = ModelRegistry.verify(models.versionDir(model, to));
        publish(ServingPointers.of(manifest, ServingPointers.artifactUri(artifactBase, model, to), ModelStatus.ROLLED_BACK));
    }

    /**
     * The shadow candidate won on live labels: its SERVING pointer and the end of the shadow (REJECTED on the shadow
     * key) in one transaction, once its files and this trainer's signature verify. False, and nothing written, when
     * after the verification it no longer is the shadow beside {@code beside} (an operator or a rollback acted first).
     */
    boolean promoteShadow(ModelVersion shadow, ModelVersion beside) throws Exception {
        String model = shadow.getModelName();
        int version = shadow.getVersion();
        ManifestSignature.verify(models.versionDir(model, version), List.of(signingKey.publicKey()));
        ModelManifest manifest = ModelRegistry.verify(models.versionDir(model, version));
        if (!shadow.equals(serving.shadow()) || !beside.equals(serving.serving())) {
            return false;
        }
        publish(ServingPointers.of(manifest, ServingPointers.artifactUri(artifactBase, model, version), ModelStatus.SERVING),
                ended(shadow));
        applyRetention(model, version);
        return true;
    }

    /** Ends the shadow candidate (REJECTED on the shadow key): classifiers stop running it. */
    void endShadow(ModelVersion shadow) {
        publish(ended(shadow));
    }

    /** The end of exactly this shadow: its record (beside the same serving pointer) with status REJECTED. */
    private static ModelVersion ended(ModelVersion shadow) {
        return shadow.toBuilder().setStatus(ModelStatus.REJECTED).build();
    }

    /**
     * Publishes through the lease once the serving pointer this replica published last has been read back, so a
     * promotion, a rollback or a shadow's end is never decided on a view from before the previous one (a rollback on
     * one label and a shadow promotion on the next would otherwise undo each other). Refused meanwhile: the callers
     * try again later.
     */
    private void publish(ModelVersion... records) {
        ModelVersion last = unread;
        ModelVersion now = serving.serving();
        if (last != null && (now == null || now.getCreatedAtMs() < last.getCreatedAtMs())
                && System.currentTimeMillis() - last.getCreatedAtMs() < READ_BACK_WAIT_MS) {
            throw new IllegalStateException("the pointer to version " + last.getVersion() + " published last is not read back yet");
        }
        lease.publish(records);
        for (ModelVersion record : records) {
            if (!ServingPointers.isShadowRecord(record)) {
                unread = record;
            }
        }
    }

    /** After the pointer is out: a retention failure is logged, never turned into a failed promotion. */
    private void applyRetention(String model, int version) {
        try {
            List<Integer> deleted = RegistryRetention.apply(models, model, version, registryConfig.keepPrevious(),
                    registryConfig.pinned().orElse(Set.of()), v -> isCurrent(serving.serving(), v) || isCurrent(serving.shadow(), v));
            if (!deleted.isEmpty()) {
                LOG.infof("Registry retention: deleted %s versions %s (keeping %d below the serving one and as many ancestors,"
                        + " pinned %s)", model, deleted, registryConfig.keepPrevious(), registryConfig.pinned().orElse(Set.of()));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Registry retention failed after promoting %s version %d; nothing else changed: %s", model, version, e);
        }
    }

    private static boolean isCurrent(ModelVersion pointer, int version) {
        return pointer != null && pointer.getVersion() == version;
    }
}
