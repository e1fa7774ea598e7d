package io.linesight.faults;

import com.google.protobuf.InvalidProtocolBufferException;
import io.linesight.common.Topic;
import io.linesight.common.TopicScan;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/** What really is on a topic (TopicScan). */
final class TopicLog {
    private TopicLog() {
    }

    /**
     * The labels of {@code source} each frame has on linesight.labels (in order), for the frames asked about; waits at
     * most {@code within} for a broker that just came back.
     */
    static Map<String, List<String>> labelsBySource(String bootstrap, LabelSource source, Collection<String> frameIds, Duration within) {
        Map<String, List<String>> labels = new HashMap<>();
        for (Label label : labels(bootstrap, frameIds, within)) {
            if (label.getSource() == source) {
                labels.computeIfAbsent(label.getFrameId(), k -> new ArrayList<>()).add(label.getLabel());
            }
        }
        return labels;
    }

    /** Every label of the frames asked about, in topic order within a partition. */
    static List<Label> labels(String bootstrap, Collection<String> frameIds, Duration within) {
        List<Label> labels = new ArrayList<>();
        readToEnd(bootstrap, Topic.LABELS, within, bytes -> {
            try {
                Label label = Label.parseFrom(bytes);
                if (frameIds.contains(label.getFrameId())) {
                    labels.add(label);
                }
            } catch (InvalidProtocolBufferException e) {
                // the hostile-inputs row writes garbage here on purpose
            }
        });
        return labels;
    }

    /** The pointers of {@code model} on linesight.model-versions made at or after {@code sinceMs}, in topic order. */
    static List<ModelVersion> pointersSince(String bootstrap, String model, long sinceMs, Duration within) {
        List<ModelVersion> pointers = new ArrayList<>();
        readToEnd(bootstrap, Topic.MODEL_VERSIONS, within, bytes -> {
            try {
                ModelVersion pointer = ModelVersion.parseFrom(bytes);
                if (pointer.getModelName().equals(model) && pointer.getCreatedAtMs() >= sinceMs) {
                    pointers.add(pointer);
                }
            } catch (InvalidProtocolBufferException e) {
                // the hostile-inputs row writes garbage on every topic
            }
        });
        return pointers;
    }

    private static void readToEnd(String bootstrap, Topic topic, Duration within, Consumer<byte[]> each) {
        TopicScan.readToEnd(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic, within, r -> each.accept(r.value()));
    }
}
