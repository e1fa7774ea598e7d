package io.linesight.ingest;

import io.linesight.common.Topic;
import io.linesight.proto.Decision;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.linesight.proto.RecordRef;
import io.linesight.service.FramesConfig;
import io.linesight.service.ServingPointerTracker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * The operator API: POST /api/v1/labels (an answer for a frame, to linesight.labels), and what the review page
 * reads: GET /api/v1/review/queue and /api/v1/review/summary (images: FrameResource).
 */
@Path("/api/v1")
@RolesAllowed({"operator", "admin"})
public class LabelResource {
    /** The request body of a label; the operator is whoever logged in. */
    public record LabelRequest(String frameId, String label, String source) {
    }

    /** The answer: where the label is, or that the same label was already recorded. */
    public record LabelAccepted(String frameId, boolean duplicate, Integer partition, Long offset) {
    }

    private final FrameIndex index;
    private final ServingPointerTracker serving;
    private final ReviewQueue queue;
    private final RecordPublisher publisher;
    /** Longest a publication may hold its (frame, source) key: above the producer's delivery timeout. */
    private static final long PUBLISHING_LEASE_SECONDS = 30;
    private final int maxLabelsPerOperator;

    private final ValueCommands<String, String> values;
    private final ValueCommands<String, Long> counters;
    private final KeyCommands<String> keys;
    private final FramesConfig frames;
    private final SecurityIdentity identity;
    private final MeterRegistry registry;

    LabelResource(FrameIndex index, ServingPointerTracker serving, ReviewQueue queue, RecordPublisher publisher,
            RedisDataSource redis, FramesConfig frames, SecurityIdentity identity, MeterRegistry registry,
            @ConfigProperty(name = "linesight.labels.max-per-operator-and-frame") int maxLabelsPerOperator) {
        this.maxLabelsPerOperator = maxLabelsPerOperator;
        this.index = index;
        this.serving = serving;
        this.queue = queue;
        this.publisher = publisher;
        this.values = redis.value(String.class);
        this.counters = redis.value(Long.class);
        this.keys = redis.key();
        this.frames = frames;
        this.identity = identity;
        this.registry = registry;
    }

    /**
     * 202 once the label is on linesight.labels; 200 when the same label was already given for the frame and
     * source (nothing published twice); 400 bad fields, unknown class (the answer lists the classes) or AUDIT for a
     * frame ingest did not choose for audit, 404 frame never seen, 410 frame past the retention, 429 the operator
     * labelled this frame too often, 503 no model serves yet or Kafka unavailable.
     */
    @POST
    @APIResponse(responseCode = "202", description = "on linesight.labels", content = @Content(schema = @Schema(implementation = LabelAccepted.class)))
    @APIResponse(responseCode = "200", description = "the same label was already recorded: nothing published twice",
            content = @Content(schema = @Schema(implementation = LabelAccepted.class)))
    @APIResponse(responseCode = "400", description = "missing_field, bad_source, unknown_class, not_an_audit_frame",
            content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "429", description = "relabel_limit: this operator gave this frame its allowed number of labels",
            content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "404", description = "unknown_frame", content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "410", description = "frame_expired", content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "409", description = "label_in_progress: the same frame and source is being published; retry",
            content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "503", description = "no_serving_model, broker_unavailable", content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @Path("/labels")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response label(LabelRequest request) {
        if (request == null || blank(request.frameId()) || blank(request.label())) {
            throw new ApiError(400, "missing_field", "frameId and label are required");
        }
        LabelSource source = parseSource(request.source());
        FrameIndex.Entry frame = index.find(request.frameId());
        if (frame == null) {
            throw new ApiError(404, "unknown_frame", "frame " + request.frameId() + " was never accepted by ingest");
        }
        // The holdout must stay blind: only frames ingest chose by hash (and shows without the model's answer) are AUDIT.
        if (source == LabelSource.AUDIT && !frame.audit()) {
            throw new ApiError(400, "not_an_audit_frame", "frame " + request.frameId() + " was not chosen for blind audit;"
                    + " label it REVIEW or CORRECTION");
        }
        if (index.expired(frame)) {
            throw new ApiError(410, "frame_expired", "frame " + request.frameId() + " is older than the frames retention ("
                    + frames.retention() + ") and can no longer be used for training");
        }
        ModelVersion model = serving.serving();
        if (model == null) {
            throw new ApiError(503, "no_serving_model", "no model version serves yet, so the valid classes are unknown");
        }
        if (!model.getClassesList().contains(request.label())) {
            throw new ApiError(400, "unknown_class", "'" + request.label() + "' is not a class of " + model.getModelName()
                    + " version " + model.getVersion() + "; valid classes: " + model.getClassesList());
        }
        // Idempotence: the label published last per (frame, source) is remembered once the broker has it, so a retry
        // after a 503 publishes, and the same label again publishes nothing. One publication at a time per key.
        String key = labelKey(request.frameId(), source);
        if (request.label().equals(values.get(key))) {
            // The broker has it; the queue steps after it may not have run (Redis failed then): they are idempotent.
            Prediction served = queue.firstPrediction(request.frameId());
            recorded(request.frameId(), source, request.label(), served == null ? 0 : served.getModelVersion(),
                    served == null || served.getTopKCount() == 0 ? "" : served.getTopK(0).getClassName());
            return Response.ok(new LabelAccepted(request.frameId(), true, null, null)).build();
        }
        String publishing = key + ":publishing";
        if (values.setGet(publishing, request.label(), new SetArgs().nx().ex(PUBLISHING_LEASE_SECONDS)) != null) {
            throw new ApiError(409, "label_in_progress", "a label for this frame and source is being published; retry in a moment");
        }
        try {
            return publish(request, source, frame, identity.getPrincipal().getName());
        } finally {
            keys.del(publishing);
        }
    }

    /**
     * Counts the label against the operator's limit for the frame first (INCR: two requests cannot both take the last
     * one); the count is given back unless the broker acknowledged the label.
     */
    private Response publish(LabelRequest request, LabelSource source, FrameIndex.Entry frame, String operator) {
        String given = "labels-given:" + request.frameId() + ":" + operator;
        long count = counters.incr(given);
        AtomicBoolean acknowledged = new AtomicBoolean();
        try {
            keys.expire(given, 2 * frames.retention().toSeconds());
            if (count > maxLabelsPerOperator) {
                throw new ApiError(429, "relabel_limit", "operator " + operator + " already gave frame " + request.frameId() + " "
                        + maxLabelsPerOperator + " labels (linesight.labels.max-per-operator-and-frame)");
            }
            return publishCounted(request, source, frame, operator, acknowledged);
        } finally {
            if (!acknowledged.get()) {
                counters.decr(given);
            }
        }
    }

    private Response publishCounted(LabelRequest request, LabelSource source, FrameIndex.Entry frame, String operator,
            AtomicBoolean acknowledged) {
        Prediction served = queue.firstPrediction(request.frameId());
        Label label = Label.newBuilder()
                .setFrameId(request.frameId())
                .setFrameRef(RecordRef.newBuilder().setTopic(Topic.FRAMES.topicName()).setPartition(frame.partition())
                        .setOffset(frame.offset()))
                .setLabel(request.label())
                .setSource(source)
                .setOperatorId(operator)
                .setLabelledAtMs(System.currentTimeMillis())
                .setCameraId(frame.camera())
                .setServedModelVersion(served == null ? 0 : served.getModelVersion())
                .setPredictedClass(served == null || served.getTopKCount() == 0 ? "" : served.getTopK(0).getClassName())
                .setServedDecision(served == null ? Decision.DECISION_UNSPECIFIED : served.getDecision())
                .build();
        RecordMetadata where = publisher.send(Topic.LABELS.topicName(), label.getFrameId(), label);
        acknowledged.set(true);
        values.setex(labelKey(request.frameId(), source), 2 * frames.retention().toSeconds(), request.label());
        recorded(request.frameId(), source, request.label(), label.getServedModelVersion(), label.getPredictedClass());
        Counter.builder("linesight.labels.accepted").tag("source", source.name()).description("Labels published")
                .register(registry).increment();
        return Response.accepted(new LabelAccepted(label.getFrameId(), false, where.partition(), where.offset())).build();
    }

    /**
     * What follows a label on the broker, idempotent: the frame leaves the queue; an AUDIT label counts once, scored
     * against the version its record names (what served the frame when the label was taken).
     */
    private void recorded(String frameId, LabelSource source, String label, int servedVersion, String predictedClass) {
        Duration keep = frames.retention().multipliedBy(2);
        queue.done(frameId, keep);
        if (source == LabelSource.AUDIT && servedVersion > 0) {
            queue.countAudit(frameId, servedVersion, label.equals(predictedClass), keep);
        }
    }

    /**
     * The next frames to label, claimed for the reviewer who asks (linesight.review.claim-lease): the log-in and, from
     * the review page, its session (X-Review-Session), so two people sharing one account are still two reviewers.
     * AUDIT frames (blind) first, then the least confident predictions with their top-k.
     */
    @GET
    @Path("/review/queue")
    @APIResponse(responseCode = "200", description = "AUDIT items first, then the least confident predictions")
    @APIResponse(responseCode = "400", description = "bad_limit, bad_session", content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @Produces(MediaType.APPLICATION_JSON)
    public List<ReviewQueue.Item> queue(@QueryParam("limit") @DefaultValue("20") int limit,
            @HeaderParam("X-Review-Session") @DefaultValue("default") String session) {
        if (limit < 1 || limit > 500) {
            throw new ApiError(400, "bad_limit", "limit must be between 1 and 500");
        }
        if (!session.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new ApiError(400, "bad_session", "X-Review-Session must be 1 to 64 letters, digits, '-' or '_'");
        }
        return queue.next(limit, identity.getPrincipal().getName() + "/" + session);
    }

    /** The page's header: what serves, how it does on recent audits, how much waits. */
    @GET
    @Path("/review/summary")
    @APIResponse(responseCode = "200", description = "the serving version, its audit accuracy, items waiting")
    @Produces(MediaType.APPLICATION_JSON)
    public ReviewQueue.Summary summary() {
        return queue.summary(serving.serving());
    }

    private static LabelSource parseSource(String source) {
        List<LabelSource> allowed = List.of(LabelSource.AUDIT, LabelSource.REVIEW, LabelSource.CORRECTION);
        return allowed.stream().filter(s -> s.name().equals(source)).findFirst().orElseThrow(() -> new ApiError(400,
                "bad_source", "source must be one of " + Arrays.toString(allowed.toArray()) + ", got " + source));
    }

    private static String labelKey(String frameId, LabelSource source) {
        return "label:" + frameId + ":" + source.name();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
