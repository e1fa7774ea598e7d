package io.linesight.trainer;

import io.linesight.common.AccuracyComparison;
import io.linesight.common.registry.ModelVerificationException;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.service.ServingPointerTracker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Writes the predecessor's ROLLED_BACK pointer to linesight.model-versions when live AUDIT labels say, with
 * confidence, that the serving version is worse than the one it replaced by more than a margin
 * (AccuracyComparison, linesight.rollback.*). The serving version is tested at checkpoints, each once, when its AUDIT
 * labels reach min-audit-labels x 1, 2, 4, 8 ..., each spending half of the error budget left, so that testing as
 * labels arrive does not multiply false rollbacks. Checked after each label, by the replica holding the lease; a
 * rollback that failed on the broker or the lease is retried with the first label 30 s later, one whose predecessor
 * does not verify at the next checkpoint. A version that serves by a rollback (ROLLED_BACK, an operator's or
 * this bean's) is never rolled back itself: no ping-pong, and an operator's rollback stands. A SERVING pointer (a
 * promotion, or an operator's ./run promote) is judged like any; a version promoted by hand again right after its own
 * automatic rollback stands, as its checkpoint is spent.
 */
@Startup
@ApplicationScoped
public class AutoRollback {
    private static final Logger LOG = Logger.getLogger(AutoRollback.class);

    private final AccuracyMetrics accuracy;
    private final VersionPromoter promoter;
    private final TrainerLease lease;
    private final ServingPointerTracker serving;
    private final RollbackConfig config;
    private final CheckpointJudge judge;
    private final Counter rollbacks;
    private final Counter failures;

    AutoRollback(AccuracyMetrics accuracy, VersionPromoter promoter, TrainerLease lease, ServingPointerTracker serving,
            RollbackConfig config, MeterRegistry registry) {
        this.accuracy = accuracy;
        this.serving = serving;
        this.promoter = promoter;
        this.lease = lease;
        this.config = config;
        this.judge = new CheckpointJudge(config.rule());
        this.rollbacks = Counter.builder("linesight.trainer.rollbacks").tag("outcome", "rolled_back")
                .description("Automatic rollbacks on live AUDIT accuracy").register(registry);
        this.failures = Counter.builder("linesight.trainer.rollbacks").tag("outcome", "failed")
                .description("Automatic rollbacks on live AUDIT accuracy").register(registry);
        LOG.infof(config.enabled() ? "Automatic rollback: when the predecessor's AUDIT accuracy is ahead by more than %.3f at %.3f"
                + " one-sided confidence (spent over checkpoints at %d, %d, %d ... AUDIT labels)" : "Automatic rollback is off"
                + " (linesight.rollback.enabled)", config.margin(), config.confidence(), config.minAuditLabels(),
                2 * config.minAuditLabels(), 4 * config.minAuditLabels());
    }

    synchronized boolean check() {
        ModelVersion current = serving.serving();
        if (!config.enabled() || !lease.active() || current == null || current.getStatus() == ModelStatus.ROLLED_BACK) {
            return false;
        }
        return accuracy.standing().filter(s -> s.serving() == current.getVersion()).map(s -> {
            int checkpoint = judge.due(s.serving(), s.servingTally(), s.previousTally(), s.servingTally(), System.nanoTime());
            return checkpoint >= 0 && rollBack(s, checkpoint);
        }).orElse(false);
    }

    /** Whether the rollback was published. */
    private boolean rollBack(AccuracyMetrics.Standing s, int checkpoint) {
        double confidence = judge.confidenceAt(checkpoint);
        String evidence = String.format("AUDIT accuracy %.3f (%d labels) against version %d's %.3f (%d labels), lower bound of the"
                + " gap %.3f at %.4f (checkpoint %d) > margin %.3f", s.servingTally().accuracy(), s.servingTally().scored(), s.previous(),
                s.previousTally().accuracy(), s.previousTally().scored(),
                AccuracyComparison.lowerBound(s.previousTally(), s.servingTally(), confidence), confidence, checkpoint, config.margin());
        try {
            promoter.rollBack(s.serving(), s.previous());
            judge.acted(checkpoint);
            rollbacks.increment();
            LOG.warnf("Rolled back version %d to version %d: %s", s.serving(), s.previous(), evidence);
            return true;
        } catch (ModelVerificationException e) {
            // The predecessor's files or signature do not verify: trying again cannot help; the next checkpoint may.
            failures.increment();
            judge.failed(checkpoint, true, System.nanoTime());
            LOG.errorf("Could not roll back version %d to version %d (%s): it does not verify, so it is not retried at this"
                    + " checkpoint: %s", s.serving(), s.previous(), evidence, e.getMessage());
            return false;
        } catch (Exception e) {
            failures.increment();
            judge.failed(checkpoint, false, System.nanoTime());
            LOG.errorf("Could not roll back version %d to version %d (%s), retrying with the first label 30 s from now: %s",
                    s.serving(), s.previous(), evidence, e);
            return false;
        }
    }
}
