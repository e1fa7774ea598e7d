package io.linesight.trainer;

import io.linesight.common.AccuracyComparison;
import io.linesight.common.AccuracyComparison.Paired;
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
 * starts it again. Both answered the same frames, so the test is the paired one (AccuracyComparison.Paired: only the
 * frames where they disagree move it), at checkpoints of the paired count (CheckpointJudge, linesight.shadow.*): the
 * shadow ahead by more than the margin serves (VersionPromoter.promoteShadow); behind by more than the margin, it is
 * ended. By the replica holding the lease, after each label. The gauges show the pair being judged, none once it ends.
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
    /** Frames only the shadow got right, and only the serving version. */
    private long onlyShadowRight;
    private long onlyServingRight;

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
            onlyShadowRight = 0;
            onlyServingRight = 0;
        }
        Answer answer = answers.get(label.getFrameId());
        if (firstOfFrame && label.getSource() == LabelSource.AUDIT && answer != null && answer.version() == shadow.getVersion()
                && label.getServedModelVersion() == serving.getVersion() && !label.getPredictedClass().isEmpty()) {
            boolean shadowIsRight = answer.topClass().equals(label.getLabel());
            boolean servingIsRight = label.getPredictedClass().equals(label.getLabel());
            pairs++;
            shadowRight += shadowIsRight ? 1 : 0;
            servingRight += servingIsRight ? 1 : 0;
            onlyShadowRight += shadowIsRight && !servingIsRight ? 1 : 0;
            onlyServingRight += servingIsRight && !shadowIsRight ? 1 : 0;
        }
        if (lease.active()) {
            judge(now);
        }
    }

    private void judge(Pair pair) {
        Paired frames = new Paired(onlyShadowRight, onlyServingRight, pairs);
        long now = System.nanoTime();
        int win = promotion.due(pair, frames, now);
        if (win >= 0) {
            act(pair, frames, win, promotion, true);
            return;
        }
        int loss = ending.due(pair, frames.swapped(), now);
        if (loss >= 0) {
            act(pair, frames.swapped(), loss, ending, false);
        }
    }

    /** {@code frames}: seen from the side that is ahead. */
    private void act(Pair pair, Paired frames, int checkpoint, CheckpointJudge judge, boolean promote) {
        ModelVersion shadow = pair.shadow();
        String evidence = String.format("on %d live AUDIT frames, shadow %.3f vs serving version %d %.3f (only the %s right on %d,"
                + " only the %s on %d); lower bound of the paired gap %.3f at %.4f (checkpoint %d), margin %.3f", pairs,
                shadowRight / (double) pairs, pair.serving().getVersion(), servingRight / (double) pairs, promote ? "shadow" : "serving version",
                frames.onlyA(), promote ? "serving version" : "shadow", frames.onlyB(), AccuracyComparison.lowerBound(frames,
                        judge.confidenceAt(checkpoint)), judge.confidenceAt(checkpoint), checkpoint, config.margin());
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
        return !judging() || pairs == 0 ? Double.NaN : (shadow ? shadowRight : servingRight) / (double) pairs;
    }

    private synchronized double pairs() {
        return judging() ? pairs : 0;
    }

    /** Whether the tallies are those of the shadow running now beside the serving pointer. */
    private boolean judging() {
        ModelVersion shadow = pointers.shadow();
        return shadow != null && judged != null && judged.equals(new Pair(shadow, pointers.serving()));
    }

    private synchronized double answersKept() {
        return answers.size();
    }
}
