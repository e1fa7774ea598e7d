package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class DefaultsTest {
    @Test
    void toolsSizeTopicsLikeTheServicesFromTheSameVariables() {
        TopicSetup.Settings defaults = Defaults.topicSettings();
        assertEquals(new TopicSetup.Settings(3, (short) 0, 0, new FrameSizeLimit(8 * 1024 * 1024), Duration.ofDays(7)), defaults);

        TopicSetup.Settings site = Defaults.topicSettings(Map.of("LINESIGHT_FRAMES_MAX_BYTES", "16777216",
                "LINESIGHT_FRAMES_RETENTION", "36h", "LINESIGHT_TOPICS_PARTITIONS", "12", "LINESIGHT_TOPICS_REPLICATION_FACTOR", "3",
                "LINESIGHT_TOPICS_MIN_INSYNC_REPLICAS", "2"));
        assertEquals(new TopicSetup.Settings(12, (short) 3, 2, new FrameSizeLimit(16 * 1024 * 1024), Duration.ofHours(36)), site);
        assertEquals(Duration.ofMinutes(30), Defaults.duration("30m"));
        assertEquals(Duration.ofDays(2), Defaults.duration("P2D"));
    }

    @Test
    void replicationFitsTheClusterUnlessSet() {
        TopicSetup.Settings fitted = Defaults.topicSettings();
        assertEquals(List.of(1, 2, 3, 3), Stream.of(1, 2, 3, 5).map(b -> (int) fitted.replicationFactor(b)).toList());
        assertEquals(List.of(1, 1, 2, 2), Stream.of(1, 2, 3, 5).map(fitted::minInsyncReplicas).toList());
        TopicSetup.Settings set = Defaults.topicSettings(Map.of("LINESIGHT_TOPICS_REPLICATION_FACTOR", "2"));
        assertEquals(2, set.replicationFactor(5));
        assertEquals(1, set.minInsyncReplicas(5));
    }
}
