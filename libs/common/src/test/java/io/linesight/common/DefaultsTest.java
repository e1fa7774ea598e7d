package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DefaultsTest {
    @Test
    void toolsSizeTopicsLikeTheServicesFromTheSameVariables() {
        TopicSetup.Settings defaults = Defaults.topicSettings();
        assertEquals(new TopicSetup.Settings(3, (short) 1, new FrameSizeLimit(8 * 1024 * 1024), Duration.ofDays(7)), defaults);

        TopicSetup.Settings site = Defaults.topicSettings(Map.of("LINESIGHT_FRAMES_MAX_BYTES", "16777216",
                "LINESIGHT_FRAMES_RETENTION", "36h", "LINESIGHT_TOPICS_PARTITIONS", "12", "LINESIGHT_TOPICS_REPLICATION_FACTOR", "3"));
        assertEquals(new TopicSetup.Settings(12, (short) 3, new FrameSizeLimit(16 * 1024 * 1024), Duration.ofHours(36)), site);
        assertEquals(Duration.ofMinutes(30), Defaults.duration("30m"));
        assertEquals(Duration.ofDays(2), Defaults.duration("P2D"));
    }
}
