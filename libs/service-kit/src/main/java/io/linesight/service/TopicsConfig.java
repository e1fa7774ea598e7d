package io.linesight.service;

import io.linesight.common.Defaults;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** linesight.topics.*: the shape of topics created at start (partitions bound how far consumers scale out). */
@ConfigMapping(prefix = "linesight.topics")
public interface TopicsConfig {
    @WithDefault(Defaults.PARTITIONS)
    int partitions();

    @WithDefault(Defaults.REPLICATION_FACTOR)
    short replicationFactor();

    @WithDefault(Defaults.MIN_INSYNC_REPLICAS)
    int minInsyncReplicas();
}
