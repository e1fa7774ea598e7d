package io.linesight.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.Topic;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.ModelVersionDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.annotation.Identifier;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Two trainer leases in one group on the real broker (each a replica's, with its exit observed instead of taken): the
 * standby never takes the lease from its holder and takes it when the holder leaves; a holder whose pointer producer a
 * newer holder fenced publishes nothing, not even an uncommitted record, and exits with status 4.
 */
@QuarkusTest
@QuarkusTestResource(InfraResource.class)
@QuarkusTestResource(TestSigningKey.class)
class TrainerLeaseTest {
    /** The broker's smallest session timeout (group.min.session.timeout.ms) is 6 s. */
    private static final Duration TIMEOUT = Duration.ofSeconds(6);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    SampleRebuild rebuild;

    @Test
    void aStandbyNeverTakesTheLeaseFromItsHolderAndTakesItWhenTheHolderLeaves() throws Exception {
        String group = "lease-test-" + UUID.randomUUID();
        List<Integer> exits = new CopyOnWriteArrayList<>();
        TrainerLease holder = new TrainerLease(kafkaConfig, rebuild, group, TIMEOUT, exits::add);
        TrainerLease standby = new TrainerLease(kafkaConfig, rebuild, group, TIMEOUT, exits::add);
        try {
            holder.start();
            assertTrue(within(Duration.ofSeconds(30), holder::active), "the only member holds the lease");
            standby.start();
            Thread.sleep(TIMEOUT.multipliedBy(2).toMillis());
            assertTrue(holder.active(), "a standby joining does not take the lease");
            assertFalse(standby.active());

            holder.stop();
            assertTrue(within(TIMEOUT.multipliedBy(3), standby::active), "the standby takes over once the holder left");
            assertFalse(holder.active());
            assertEquals(List.of(), exits, "leaving is not losing: nobody exits");
        } finally {
            holder.stop();
            standby.stop();
        }
    }

    @Test
    void aHolderFencedByANewerOnePublishesNothingAndExits() throws Exception {
        String group = "lease-test-" + UUID.randomUUID();
        List<Integer> exits = new CopyOnWriteArrayList<>();
        TrainerLease holder = new TrainerLease(kafkaConfig, rebuild, group, TIMEOUT, exits::add);
        try {
            holder.start();
            assertTrue(within(Duration.ofSeconds(30), holder::active));
            // What a newer holder does on taking the lease: the same transactional.id, initialised again.
            Map<String, Object> props = new HashMap<>(kafkaConfig);
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group + "-pointers");
            try (KafkaProducer<String, byte[]> newer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
                newer.initTransactions();
            }
            String model = "fenced-" + UUID.randomUUID();
            ModelVersion pointer = ModelVersion.newBuilder().setModelName(model).setVersion(7).setStatus(ModelStatus.SERVING).build();

            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> holder.publish(pointer));

            assertTrue(causedByFencing(refused), "refused because the broker fenced the producer: " + refused);
            assertEquals(List.of(TrainerLease.EXIT_STATUS), exits, "a fenced holder exits");
            assertFalse(holder.active());
            assertEquals(0, TopicReader.await(Topic.MODEL_VERSIONS.topicName(), new ModelVersionDeserializer(),
                    r -> r.value() != null && r.value().getModelName().equals(model), 1, Duration.ofSeconds(5)).size(),
                    "not even an uncommitted pointer is on the topic");
        } finally {
            holder.stop();
        }
    }

    private static boolean causedByFencing(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    private static boolean within(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return condition.getAsBoolean();
    }
}
