package io.linesight.common;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the missing topics of the topic table; safe to run from every service at every start. */
public final class TopicSetup {
    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

    private TopicSetup() {
    }

    /** Settings that shape the topics; partitions bound how far consumers scale out. */
    public record Settings(int partitions, short replicationFactor, FrameSizeLimit limit, Duration framesRetention) {
    }

    public static void ensureTopics(Admin admin, Settings settings, Duration timeout)
            throws InterruptedException, TimeoutException {
        try {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = Arrays.stream(Topic.values())
                    .filter(t -> !existing.contains(t.topicName()))
                    .map(t -> new NewTopic(t.topicName(), settings.partitions(), settings.replicationFactor())
                            .configs(t.configs(settings.limit(), settings.framesRetention())))
                    .toList();
            if (missing.isEmpty()) {
                return;
            }
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    LOG.info("Created topic {}", entry.getKey());
                } catch (ExecutionException e) {
                    // Another service created it between our listing and our request.
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("Could not create LineSight topics: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
