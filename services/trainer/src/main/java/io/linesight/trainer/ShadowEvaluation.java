package io.linesight.trainer;

import io.linesight.common.AccuracyComparison;
import io.linesight.common.AccuracyComparison.Tally;
import io.linesight.common.registry.ModelVerificationException;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.linesight.service.ServingPointerTracker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads linesight.predictions.shadow; judges the shadow candidate against the serving version on the same live frames.
 * An AUDIT label scores both when the frame was served by the serving version and answered by the shadow: the serving
 * answer is the label's own (predicted class), the shadow's the one on linesight.predictions.shadow. The evidence
 * belongs to one pair of pointers (the SHADOW record and the serving pointer it runs beside): any new record of either
 * starts it again. Tested at
 * checkpoints of the paired count (CheckpointJudge, linesight.shadow.*): the shadow ahead by more than the margin
 * serves (VersionPromoter.promoteShadow); behind by more than the margin, it is ended. By the replica holding the
 * lease, after each label.
 */
@ApplicationScoped
public class ShadowEvaluation {
    private static final Logger LOG = Logger.getLogger(ShadowEvaluation.class);
    /** Shadow answers kept for labels to come, newest last: hours of frames at tens per second. */
    private static final int ANSWERS_KEPT = 200_000;

    private final ServingPointerTracker pointers;
    private final VersionPromoter promoter;
    private final TrainerLease lease;
    private final ShadowConfig config;
    private final CheckpointJudge promotion;
    private final CheckpointJudge ending;
    private final Counter promoted;
    private final Counter ended;
    private final Counter failed;
    /** frame id -> the shadow's version and top class. */
    private final Map<String, Answer> answers = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Answer> eldest) {
            return size() > ANSWERS_KEPT;
        }
    };
    /** The pointers scored; the tallies restart when either record changes. */
    private Pair judged;
    private long pairs;
    private long shadowRight;
    private long servingRight;

    private record Answer(int version, String topClass) {
    }

    private record Pair(ModelVersion shadow, ModelVersion serving) {
    }

    ShadowEvaluation(ServingPointerTracker pointers, VersionPromoter promoter, TrainerLease lease, ShadowConfig config,
            MeterRegistry registry) {
        this.pointers = pointers;
        this.promoter = promoter;
        this.lease = lease;
        this.config = config;
        this.promotion = new CheckpointJudge(config.rule());
        this.ending = new CheckpointJudge(config.rule());
        this.promoted = outcome(registry, "promoted");
        this.ended = outcome(registry, "ended");
        this.failed = outcome(registry, "failed");
        for (String role : new String[] {"shadow", "serving"}) {
            Gauge.builder("linesight.accuracy.shadow.ratio", this, e -> e.accuracy(role.equals("shadow")))
                    .tag("role", role).description("Accuracy of the shadow candidate and of the serving version on the same live AUDIT frames")
                    .register(registry);
        }
        Gauge.builder("linesight.accuracy.shadow.labels", this, ShadowEvaluation::pairs)
                .description("Live AUDIT frames both the shadow candidate and the serving version answered").register(registry);
        Gauge.builder("linesight.trainer.shadow.answers", this, ShadowEvaluation::answersKept)
                .description("Shadow answers kept for labels to come").register(registry);
    }

    private static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("linesight.trainer.shadow.outcomes").tag("outcome", outcome)
                .description("Shadow candidates promoted or ended on live AUDIT labels").register(registry);
    }

    @Incoming("predictions-shadow")
    synchronized void onAnswer(Prediction answer) {
        if (answer != null && answer.getTopKCount() > 0) {
            answers.put(answer.getFrameId(), new Answer(answer.getModelVersion(), answer.getTopK(0).getClassName()));
        }
    }

    /** Scores one label (the first AUDIT label of a frame, as AccuracyMetrics counts it) and judges. */
    synchronized void record(Label label, boolean firstOfFrame) {
        ModelVersion shadow = pointers.shadow();
        ModelVersion serving = pointers.serving();
        if (shadow == null || serving == null) {
            return;
        }
        Pair now = new Pair(shadow, serving);
        if (!now.equals(judged)) {
            judged = now;
            pairs = 0;
            shadowRight = 0;
            servingRight = 0;
        }
        Answer answer = answers.get(label.getFrameId());
        if (firstOfFrame && label.getSource() == LabelSource.AUDIT && answer != null && answer.version() == shadow.getVersion()
                && label.getServedModelVersion() == serving.getVersion() && !label.getPredictedClass().isEmpty()) {
            pairs++;
            shadowRight += answer.topClass().equals(label.getLabel()) ? 1 : 0;
            servingRight += label.getPredictedClass().equals(label.getLabel()) ? 1 : 0;
        }
        if (lease.active()) {
            judge(now);
        }
    }

    private void judge(Pair pair) {
        Tally shadowTally = new Tally(shadowRight, pairs);
        Tally servingTally = new Tally(servingRight, pairs);
        long now = System.nanoTime();
        int win = promotion.due(pair, shadowTally, shadowTally, servingTally, now);
        if (win >= 0) {
            act(pair, win, promotion, true);
            return;
        }
        int loss = ending.due(pair, shadowTally, servingTally, shadowTally, now);
        if (loss >= 0) {
            act(pair, loss, ending, false);
        }
    }

    private void act(Pair pair, int checkpoint, CheckpointJudge judge, boolean promote) {
        ModelVersion shadow = pair.shadow();
        String evidence = String.format("on %d live AUDIT frames, shadow %.3f vs serving version %d %.3f; lower bound of the gap"
                + " %.3f at %.4f (checkpoint %d), margin %.3f", pairs, shadowRight / (double) pairs, pair.serving().getVersion(),
                servingRight / (double) pairs, AccuracyComparison.lowerBound(promote ? new Tally(shadowRight, pairs) : new Tally(servingRight, pairs),
                        promote ? new Tally(servingRight, pairs) : new Tally(shadowRight, pairs), judge.confidenceAt(checkpoint)),
                judge.confidenceAt(checkpoint), checkpoint, config.margin());
        try {
            if (promote) {
                if (!promoter.promoteShadow(shadow, pair.serving())) {
                    LOG.infof("Shadow version %d not promoted: the pointers changed while it was verified (%s)", shadow.getVersion(),
                            evidence);
                    return;
                }
                promoted.increment();
                LOG.infof("Promoted shadow version %d to serving: %s", shadow.getVersion(), evidence);
            } else {
                promoter.endShadow(shadow);
                ended.increment();
                LOG.infof("Ended shadow version %d, worse than the serving version: %s", shadow.getVersion(), evidence);
            }
            judge.acted(checkpoint);
        } catch (ModelVerificationException e) {
            failed.increment();
            judge.failed(checkpoint, true, System.nanoTime());
            LOG.errorf("Shadow version %d does not verify, so it cannot serve: %s", shadow.getVersion(), e.getMessage());
        } catch (Exception e) {
            failed.increment();
            judge.failed(checkpoint, false, System.nanoTime());
            LOG.errorf("Could not %s shadow version %d (%s), retrying with the first label 30 s from now: %s",
                    promote ? "promote" : "end", shadow.getVersion(), evidence, e);
        }
    }

    private synchronized double accuracy(boolean shadow) {
        return pairs == 0 ? Double.NaN : (shadow ? shadowRight : servingRight) / (double) pairs;
    }

    private synchronized double pairs() {
        return pairs;
    }

    private synchronized double answersKept() {
        return answers.size();
    }
}
