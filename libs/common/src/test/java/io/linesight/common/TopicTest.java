package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicTest {
    private final FrameSizeLimit limit = new FrameSizeLimit(8 * 1024 * 1024);

    @Test
    void imageTopicsTakeTheFrameLimitPlusEnvelope() {
        for (Topic topic : new Topic[] {Topic.FRAMES, Topic.SAMPLES, Topic.FRAMES_DLQ}) {
            assertEquals(Integer.toString(8 * 1024 * 1024 + 64 * 1024),
                    topic.configs(limit, Duration.ofDays(7), 1).get("max.message.bytes"), topic.topicName());
        }
        assertFalse(Topic.PREDICTIONS.configs(limit, Duration.ofDays(7), 1).containsKey("max.message.bytes"));
    }

    @Test
    void pointerAndSamplesAreCompactedFramesExpire() {
        assertEquals("compact", Topic.MODEL_VERSIONS.configs(limit, Duration.ofDays(7), 1).get("cleanup.policy"));
        assertEquals("compact", Topic.SAMPLES.configs(limit, Duration.ofDays(7), 1).get("cleanup.policy"));
        Map<String, String> frames = Topic.FRAMES.configs(limit, Duration.ofHours(5), 2);
        assertEquals("delete", frames.get("cleanup.policy"));
        assertEquals(Long.toString(Duration.ofHours(5).toMillis()), frames.get("retention.ms"));
        assertEquals("2", frames.get("min.insync.replicas"));
    }

    @Test
    void limitMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new FrameSizeLimit(0));
    }
}
