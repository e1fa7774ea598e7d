package io.linesight.ingest;

import com.google.protobuf.ByteString;
import io.linesight.common.DecodeBudget;
import io.linesight.common.FrameSizeLimit;
import io.linesight.common.HashSelection;
import io.linesight.common.ImageFormat;
import io.linesight.common.ImageRejectedException;
import io.linesight.common.Images;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.proto.Frame;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Validates a camera image and publishes it to linesight.frames; indexes where it landed in Redis. */
@ApplicationScoped
public class FramePublisher {
    /** What the camera sent besides the image. */
    public record Upload(String cameraId, String lineId, Long capturedAtMs, String contentType, byte[] image) {
    }

    /** The answer of an accepted frame: where it is and how to refer to it. */
    public record Accepted(String frameId, String sha256, int partition, long offset, boolean audit) {
    }

    private final RecordPublisher publisher;
    private final FrameIndex index;
    private final ReviewQueue reviewQueue;
    private final FrameSizeLimit limit;
    private final DecodeBudget decodeBudget;
    private final AuditConfig audit;
    private final FrameKey frameKey;
    private final MeterRegistry registry;
    private final DistributionSummary bytes;
    private final Timer publishLatency;

    FramePublisher(RecordPublisher publisher, FrameIndex index, ReviewQueue reviewQueue, FrameSizeLimit limit, DecodeBudget decodeBudget,
            AuditConfig audit, PublishConfig publish, MeterRegistry registry) {
        this.publisher = publisher;
        this.frameKey = publish.frameKey();
        this.index = index;
        this.reviewQueue = reviewQueue;
        this.limit = limit;
        this.decodeBudget = decodeBudget;
        this.audit = audit;
        this.registry = registry;
        this.bytes = DistributionSummary.builder("linesight.frames.bytes").baseUnit("bytes")
                .description("Size of accepted frames").register(registry);
        this.publishLatency = Timer.builder("linesight.frames.publish").publishPercentileHistogram()
                .description("Time from validation to the broker's acknowledgement").register(registry);
    }

    public Accepted publish(Upload upload) {
        Frame frame = validate(upload);
        long start = System.nanoTime();
        RecordMetadata metadata = sendCounted(frame);
        publishLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        Counter.builder("linesight.frames.accepted").tag("camera", frame.getCameraId()).register(registry).increment();
        bytes.record(frame.getImage().size());
        // An unindexed frame cannot be labelled, so it is not queued for audit either: with Redis down, a second
        // Redis timeout would only double the camera's wait.
        if (index.remember(frame, metadata) && frame.getAudit()) {
            reviewQueue.addAudit(frame.getFrameId(), frame.getReceivedAtMs());
        }
        return new Accepted(frame.getFrameId(), frame.getSha256(), metadata.partition(), metadata.offset(), frame.getAudit());
    }

    /** A camera waits this long for decode memory, then gets a 503 to retry: a worker thread is not parked longer. */
    private static final Duration DECODE_WAIT = Duration.ofSeconds(2);
    private static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

    private Frame validate(Upload upload) {
        if (upload.cameraId() == null || upload.cameraId().isBlank()) {
            throw reject(400, "missing_camera_id", "a camera id is required (X-Camera-Id header or camera query parameter)");
        }
        // Ids become metric tags and Kafka keys: a bounded alphabet and length keep both sane.
        if (!ID_PATTERN.matcher(upload.cameraId()).matches()) {
            throw reject(400, "invalid_camera_id", "a camera id is 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
        if (upload.lineId() != null && !upload.lineId().isEmpty() && !ID_PATTERN.matcher(upload.lineId()).matches()) {
            throw reject(400, "invalid_line_id", "a line id is 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
        ImageFormat format = ImageFormat.ofContentType(upload.contentType()).orElseThrow(() -> reject(415,
                "unsupported_media_type", "Content-Type " + upload.contentType() + " is not one of image/jpeg, image/png, image/bmp"));
        byte[] image = upload.image();
        if (image == null || image.length == 0) {
            throw reject(400, "empty_body", "the request body holds no image");
        }
        if (image.length > limit.maxFrameBytes()) {
            throw reject(413, "frame_too_large",
                    "frame is " + image.length + " bytes, the limit is " + limit.maxFrameBytes());
        }
        Images.Dimensions decoded;
        try {
            decoded = Images.decode(image, format, decodeBudget, DECODE_WAIT, d -> new Images.Dimensions(d.getWidth(), d.getHeight()));
        } catch (ImageRejectedException e) {
            throw switch (e.reason()) {
                case TOO_MANY_PIXELS -> reject(413, "too_many_pixels", e.getMessage());
                case DECODED_TOO_LARGE -> reject(413, "decoded_too_large", e.getMessage());
                case BUSY -> busy(e.getMessage());
                case UNDECODABLE -> reject(400, "undecodable_image", e.getMessage());
            };
        }
        String frameId = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        return Frame.newBuilder()
                .setFrameId(frameId)
                .setCameraId(upload.cameraId())
                .setLineId(upload.lineId() == null ? "" : upload.lineId())
                .setCapturedAtMs(upload.capturedAtMs() == null ? now : upload.capturedAtMs())
                .setReceivedAtMs(now)
                .setContentType(format.contentType())
                .setImage(ByteString.copyFrom(image))
                .setSha256(Sha256.hex(image))
                .setWidth(decoded.width())
                .setHeight(decoded.height())
                .setAudit(HashSelection.isAudit(frameId, audit.rate()))
                .build();
    }

    private RecordMetadata sendCounted(Frame frame) {
        try {
            return publisher.send(Topic.FRAMES.topicName(), frameKey.of(frame), frame);
        } catch (ApiError e) {
            countRejection(e.error());
            throw e;
        }
    }

    private ApiError busy(String detail) {
        countRejection("decoder_busy");
        return ApiError.busy(detail, 1);
    }

    private ApiError reject(int status, String error, String detail) {
        countRejection(error);
        return new ApiError(status, error, detail);
    }

    private void countRejection(String reason) {
        Counter.builder("linesight.frames.rejected").tag("reason", reason)
                .description("Frames refused, by reason").register(registry).increment();
    }
}
