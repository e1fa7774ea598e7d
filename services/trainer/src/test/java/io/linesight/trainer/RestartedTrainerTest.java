package io.linesight.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.localstack.ImageSamples;
import io.linesight.proto.Frame;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.RecordRef;
import io.linesight.proto.TrainingSample;
import io.linesight.proto.TrainingSampleDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import io.linesight.testsupport.TopicWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * A trainer restarted on a store an earlier start finished rebuilding: it does not read linesight.samples again, and
 * its labels channel, paused until the store is complete, is resumed at start, so labels become samples.
 */
@QuarkusTest
@TestProfile(RestartedTrainerTest.RebuiltStore.class)
@QuarkusTestResource(InfraResource.class)
@QuarkusTestResource(TestSigningKey.class)
class RestartedTrainerTest {

    /** A samples folder holding the marker an earlier, finished rebuild left. */
    public static class RebuiltStore implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path dir = Files.createDirectories(Path.of("target/samples/restarted-" + UUID.randomUUID()));
                Files.writeString(dir.resolve("rebuilt"), "written by an earlier start\n");
                return Map.of("linesight.trainer.samples-dir", dir.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void labelsBecomeSamplesWithoutAnotherRebuild() throws Exception {
        byte[] image = ImageSamples.neuImage("scratches", 7);
        String frameId = UUID.randomUUID().toString();
        try (TopicWriter writer = new TopicWriter()) {
            Frame frame = Frame.newBuilder().setFrameId(frameId).setCameraId("cam-r").setContentType("image/jpeg")
                    .setImage(ByteString.copyFrom(image)).setSha256(Sha256.hex(image)).build();
            RecordMetadata where = writer.send(Topic.FRAMES.topicName(), "cam-r", frame.toByteArray());
            Label label = Label.newBuilder().setFrameId(frameId).setLabel("scratches").setSource(LabelSource.REVIEW).setOperatorId("op")
                    .setFrameRef(RecordRef.newBuilder().setTopic(where.topic()).setPartition(where.partition()).setOffset(where.offset()))
                    .setServedModelVersion(1).setPredictedClass("crazing").setCameraId("cam-r").build();
            writer.send(Topic.LABELS.topicName(), frameId, label.toByteArray());
        }
        TrainingSample sample = TopicReader.await(Topic.SAMPLES.topicName(), new TrainingSampleDeserializer(),
                r -> r.key().equals(frameId + "/REVIEW"), 1, Duration.ofSeconds(60)).get(0).value();
        assertEquals("scratches", sample.getLabel());
    }
}
