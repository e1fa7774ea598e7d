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

    /**
     * Settings that shape the topics; partitions bound how far consumers scale out. A replication factor or min ISR
     * of 0 fits the cluster (see {@link #replicationFactor} and {@link #minInsyncReplicas}).
     */
    public record Settings(int partitions, short replicationFactor, int minInsyncReplicas, FrameSizeLimit limit,
            Duration framesRetention) {
        /** The replication factor on a cluster of this many brokers: as set, or min(3, brokers). */
        public short replicationFactor(int brokers) {
            return replicationFactor > 0 ? replicationFactor : (short) Math.min(3, brokers);
        }

        /** The min ISR on a cluster of this many brokers: as set, or the replication factor - 1, at least 1. */
        public int minInsyncReplicas(int brokers) {
            return minInsyncReplicas > 0 ? minInsyncReplicas : Math.max(1, replicationFactor(brokers) - 1);
        }
    }

    public static void ensureTopics(Admin admin, Settings settings, Duration timeout)
            throws InterruptedException, TimeoutException {
        try {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (existing.containsAll(Arrays.stream(Topic.values()).map(Topic::topicName).toList())) {
                return;
            }
            int brokers = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            short replicas = settings.replicationFactor(brokers);
            int minInsync = settings.minInsyncReplicas(brokers);
            if (minInsync > replicas) {
                throw new IllegalArgumentException("linesight.topics.min-insync-replicas " + minInsync
                        + " exceeds the replication factor " + replicas + ": no write could ever be acknowledged");
            }
            List<NewTopic> missing = Arrays.stream(Topic.values())
                    .filter(t -> !existing.contains(t.topicName()))
                    .map(t -> new NewTopic(t.topicName(), t.partitions(settings.partitions()), replicas)
                            .configs(t.configs(settings.limit(), settings.framesRetention(), minInsync)))
                    .toList();
            LOG.info("Creating {} topic(s) on {} broker(s): {} partitions, replication factor {}, min ISR {}", missing.size(),
                    brokers, settings.partitions(), replicas, minInsync);
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
