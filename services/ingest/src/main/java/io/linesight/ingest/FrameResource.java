package io.linesight.ingest;

import io.linesight.common.FrameReader;
import io.linesight.common.Topic;
import io.linesight.proto.RecordRef;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * POST /api/v1/frames: a camera image in, a record on linesight.frames out (cameras, admins).
 * GET /api/v1/frames/{id}/image: the image back from Kafka, for the review page (operators, admins).
 */
@Path("/api/v1/frames")
@RolesAllowed({"camera", "admin"})
public class FrameResource {
    private final FramePublisher publisher;
    private final FrameIndex index;
    private final FrameReader frames;

    FrameResource(FramePublisher publisher, FrameIndex index, FrameReader frames) {
        this.publisher = publisher;
        this.index = index;
        this.frames = frames;
    }

    /** The image of a frame, read back from linesight.frames; 404 never seen, 410 past the retention. */
    @GET
    @RolesAllowed({"operator", "admin"})
    @APIResponse(responseCode = "200", description = "the image bytes, in the type the camera sent")
    @APIResponse(responseCode = "404", description = "unknown_frame", content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "410", description = "frame_expired", content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @Path("/{frameId}/image")
    public Response image(@PathParam("frameId") String frameId) {
        FrameIndex.Entry frame = index.find(frameId);
        if (frame == null) {
            throw new ApiError(404, "unknown_frame", "frame " + frameId + " was never accepted by ingest");
        }
        FrameReader.Fetched fetched = index.expired(frame) ? null
                : frames.fetch(RecordRef.newBuilder().setTopic(Topic.FRAMES.topicName()).setPartition(frame.partition())
                        .setOffset(frame.offset()).build(), frameId);
        if (fetched == null || fetched.frame() == null) {
            throw new ApiError(410, "frame_expired", "frame " + frameId + " is no longer in Kafka");
        }
        return Response.ok(fetched.frame().getImage().toByteArray(), fetched.frame().getContentType())
                .header("Cache-Control", "private, max-age=3600").build();
    }

    /**
     * Answers 202 only once the broker acknowledged the frame. Camera and line may come as headers
     * (X-Camera-Id, X-Line-Id, X-Captured-At) or query parameters (camera, line, capturedAt);
     * capture time is epoch milliseconds or ISO-8601.
     */
    @POST
    @APIResponse(responseCode = "202", description = "on linesight.frames, acknowledged by the broker",
            content = @Content(schema = @Schema(implementation = FramePublisher.Accepted.class)))
    @APIResponse(responseCode = "400", description = "missing_camera_id, invalid_camera_id, invalid_line_id, empty_body, undecodable_image, bad_capture_time",
            content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "413", description = "frame_too_large, too_many_pixels, decoded_too_large, record_too_large",
            content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "415", description = "unsupported_media_type", content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "503", description = "broker_unavailable or decoder_busy: nothing stored, retry after Retry-After seconds",
            content = @Content(schema = @Schema(implementation = ApiError.Body.class)))
    @Consumes(MediaType.WILDCARD) // the type is checked by the publisher, so a wrong one gets a 415 with a reason
    @Produces(MediaType.APPLICATION_JSON)
    public Response post(byte[] image, @HeaderParam("Content-Type") String contentType,
            @HeaderParam("X-Camera-Id") String cameraHeader, @QueryParam("camera") String cameraQuery,
            @HeaderParam("X-Line-Id") String lineHeader, @QueryParam("line") String lineQuery,
            @HeaderParam("X-Captured-At") String capturedHeader, @QueryParam("capturedAt") String capturedQuery) {
        FramePublisher.Accepted accepted = publisher.publish(new FramePublisher.Upload(
                firstPresent(cameraHeader, cameraQuery), firstPresent(lineHeader, lineQuery),
                parseCaptureTime(firstPresent(capturedHeader, capturedQuery)), contentType, image));
        return Response.accepted(accepted).build();
    }

    private static String firstPresent(String header, String query) {
        return header != null && !header.isBlank() ? header.trim() : query;
    }

    private static Long parseCaptureTime(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return value.chars().allMatch(Character::isDigit) ? Long.parseLong(value) : Instant.parse(value).toEpochMilli();
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new ApiError(400, "bad_capture_time", "capture time '" + value + "' is neither epoch milliseconds nor ISO-8601");
        }
    }
}
