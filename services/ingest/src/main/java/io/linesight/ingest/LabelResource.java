package io.linesight.ingest;

import io.linesight.common.Topic;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.linesight.proto.RecordRef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The operator API: POST /api/v1/labels (an answer for a frame, to linesight.labels), and what the review page
 * reads: GET /api/v1/review/queue and /api/v1/review/summary (images: FrameResource).
 */
@Path("/api/v1")
@RolesAllowed({"operator", "admin"})
public class LabelResource {
    /** The request body of a label. */
    public record LabelRequest(String frameId, String label, String source, String operator) {
    }

    /** The answer: where the label is, or that the same label was already recorded. */
    public record LabelAccepted(String frameId, boolean duplicate, Integer partition, Long offset) {
    }

    private final FrameIndex index;
    private final ServingModelView serving;
    private final ReviewQueue queue;
    private final RecordPublisher publisher;
    private final ValueCommands<String, String> values;
    private final IngestConfig config;
    private final SecurityIdentity identity;
    private final MeterRegistry registry;

    LabelResource(FrameIndex index, ServingModelView serving, ReviewQueue queue, RecordPublisher publisher,
            RedisDataSource redis, IngestConfig config, SecurityIdentity identity, MeterRegistry registry) {
        this.index = index;
        this.serving = serving;
        this.queue = queue;
        this.publisher = publisher;
        this.values = redis.value(String.class);
        this.config = config;
        this.identity = identity;
        this.registry = registry;
    }

    /**
     * 202 once the label is on linesight.labels; 200 when the same label was already given for the frame and
     * source (nothing published twice); 400 bad fields or unknown class (the answer lists the classes), 404
     * frame never seen, 410 frame past the retention, 503 no model serves yet or Kafka unavailable.
     */
    @POST
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
        if (index.expired(frame)) {
            throw new ApiError(410, "frame_expired", "frame " + request.frameId() + " is older than the frames retention ("
                    + config.frames().retention() + ") and can no longer be used for training");
        }
        ModelVersion model = serving.serving();
        if (model == null) {
            throw new ApiError(503, "no_serving_model", "no model version serves yet, so the valid classes are unknown");
        }
        if (!model.getClassesList().contains(request.label())) {
            throw new ApiError(400, "unknown_class", "'" + request.label() + "' is not a class of " + model.getModelName()
                    + " version " + model.getVersion() + "; valid classes: " + model.getClassesList());
        }
        // Idempotence: the first label per (frame, source) is remembered; the same one again publishes nothing.
        String key = "label:" + request.frameId() + ":" + source.name();
        String previous = values.setGet(key, request.label(), new SetArgs().nx().ex(2 * config.frames().retention().toSeconds()));
        if (request.label().equals(previous)) {
            return Response.ok(new LabelAccepted(request.frameId(), true, null, null)).build();
        }
        Prediction served = queue.firstPrediction(request.frameId());
        String operator = blank(request.operator()) ? identity.getPrincipal().getName() : request.operator();
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
                .build();
        RecordMetadata where = publisher.send(Topic.LABELS.topicName(), label.getFrameId(), label);
        queue.done(request.frameId());
        if (source == LabelSource.AUDIT && label.getServedModelVersion() > 0) {
            queue.countAudit(label.getServedModelVersion(), label.getLabel().equals(label.getPredictedClass()));
        }
        Counter.builder("linesight.labels.accepted").tag("source", source.name()).description("Labels published")
                .register(registry).increment();
        return Response.accepted(new LabelAccepted(label.getFrameId(), false, where.partition(), where.offset())).build();
    }

    /** The next frames to label: AUDIT frames (blind), then the least confident predictions with their top-k. */
    @GET
    @Path("/review/queue")
    @Produces(MediaType.APPLICATION_JSON)
    public List<ReviewQueue.Item> queue(@QueryParam("limit") @DefaultValue("20") int limit) {
        if (limit < 1 || limit > 500) {
            throw new ApiError(400, "bad_limit", "limit must be between 1 and 500");
        }
        return queue.next(limit);
    }

    /** The page's header: what serves, how it does on recent audits, how much waits. */
    @GET
    @Path("/review/summary")
    @Produces(MediaType.APPLICATION_JSON)
    public ReviewQueue.Summary summary() {
        return queue.summary(serving.serving());
    }

    private static LabelSource parseSource(String source) {
        List<LabelSource> allowed = List.of(LabelSource.AUDIT, LabelSource.REVIEW, LabelSource.CORRECTION);
        return allowed.stream().filter(s -> s.name().equals(source)).findFirst().orElseThrow(() -> new ApiError(400,
                "bad_source", "source must be one of " + Arrays.toString(allowed.toArray()) + ", got " + source));
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
