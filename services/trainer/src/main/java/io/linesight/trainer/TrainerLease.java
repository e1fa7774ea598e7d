package io.linesight.trainer;

import io.linesight.common.Topic;
import io.linesight.proto.ModelVersion;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * One active trainer among replicas. Each replica's consumer joins group linesight.trainer.lease-group on
 * linesight.trainer-lease, an empty topic of one partition: the replica the group assigns it to is the active trainer,
 * the others serve the registry and wait. A killed or frozen holder misses its heartbeats and the group hands the
 * partition on after linesight.trainer.lease-timeout. Taking the lease:
 * <ol>
 * <li>opens the serving-pointer producer under one transactional.id shared by every replica: its initTransactions
 * fences the former holder's producer, so a holder that was frozen and wakes up cannot publish a pointer;</li>
 * <li>reads linesight.samples into the sample store (SampleRebuild), then resumes the labels channel.</li>
 * </ol>
 * Losing the lease exits the process (status 4): it may have been mid-run, and the supervisor restarts it as a standby.
 */
@ApplicationScoped
public class TrainerLease {
    private static final Logger LOG = Logger.getLogger(TrainerLease.class);
    static final int EXIT_STATUS = 4;

    private final Map<String, Object> kafkaConfig;
    private final SampleRebuild rebuild;
    private final String group;
    private final Duration timeout;
    private final String transactionalId;
    private volatile KafkaProducer<String, byte[]> pointers;
    private volatile boolean held;
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    TrainerLease(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, SampleRebuild rebuild, TrainerConfig config,
            MeterRegistry registry) {
        this.kafkaConfig = kafkaConfig;
        this.rebuild = rebuild;
        this.group = config.leaseGroup();
        this.timeout = config.leaseTimeout();
        this.transactionalId = group + "-pointers";
        Gauge.builder("linesight.trainer.active", this, lease -> lease.active() ? 1 : 0)
                .description("1 on the replica that holds the trainer lease and may train and publish, 0 on a standby")
                .register(registry);
    }

    /** After the channels are wired (the labels channel waits paused until this replica holds the lease). */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent start) {
        Thread thread = new Thread(this::holdOrWait, "trainer-lease");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether this replica holds the lease, has fenced the former holder and has its sample store complete. */
    boolean active() {
        return held && pointers != null && rebuild.done();
    }

    /** Readiness stays UP on a standby (it serves the registry); its data names the role: active, taking or standby. */
    @Produces
    @Readiness
    HealthCheck role() {
        return () -> HealthCheckResponse.named("trainer-lease").up()
                .withData("role", active() ? "active" : held ? "taking" : "standby").build();
    }

    /**
     * Sends a serving pointer in a transaction of the fenced producer and waits for the commit; a producer fenced by a
     * newer holder fails here, before anything is visible, and this replica exits.
     */
    void publish(ModelVersion pointer) {
        KafkaProducer<String, byte[]> producer = pointers;
        if (!active() || producer == null) {
            throw new IllegalStateException("this trainer replica does not hold the lease: it publishes nothing");
        }
        try {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(Topic.MODEL_VERSIONS.topicName(), pointer.getModelName(), pointer.toByteArray()))
                    .get(60, TimeUnit.SECONDS);
            producer.commitTransaction();
        } catch (Exception e) {
            lost("the pointer of version " + pointer.getVersion() + " could not be committed (" + e + ")");
            throw new IllegalStateException("serving pointer not published: " + e, e);
        }
    }

    private void holdOrWait() {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, timeout.toMillis() / 5));
        // Sticky: a standby joining does not take the partition from the holder (an eager assignor would revoke it).
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        LOG.infof("Trainer lease: joining group %s on %s; standby until it assigns this replica the partition", group,
                Topic.TRAINER_LEASE.topicName());
        while (running) {
            try (KafkaConsumer<byte[], byte[]> leaseConsumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer = leaseConsumer;
                leaseConsumer.subscribe(List.of(Topic.TRAINER_LEASE.topicName()), new Listener());
                while (running) {
                    leaseConsumer.poll(Duration.ofMillis(500));
                }
            } catch (WakeupException stopping) {
                return;
            } catch (RuntimeException e) {
                if (held) {
                    lost("the lease consumer failed (" + e + ")");
                    return;
                }
                LOG.warnf("Trainer lease: consumer failed while standby, joining again: %s", e.toString());
            }
        }
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty() && !held) {
                held = true;
                Thread taking = new Thread(TrainerLease.this::take, "trainer-lease-take");
                taking.setDaemon(true);
                taking.start();
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty() && held) {
                lost("the group revoked it");
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty() && held) {
                lost("its heartbeats stopped reaching the group");
            }
        }
    }

    /** Fences the former holder, then completes the sample store; the replica is active once both are done. */
    private void take() {
        LOG.infof("Trainer lease taken: fencing the former holder's producer (%s)", transactionalId);
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try {
            KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
            producer.initTransactions();
            pointers = producer;
        } catch (RuntimeException e) {
            lost("the pointer producer could not fence the former holder (" + e + ")");
            return;
        }
        rebuild.rebuildUntilDone();
        LOG.info("Trainer lease: this replica is the active trainer");
    }

    private void lost(String why) {
        if (!running) {
            return;
        }
        running = false;
        held = false;
        LOG.errorf("Trainer lease lost: %s. Exiting with status %d so this replica restarts as a standby", why, EXIT_STATUS);
        Quarkus.asyncExit(EXIT_STATUS);
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        KafkaConsumer<byte[], byte[]> leaseConsumer = consumer;
        if (leaseConsumer != null) {
            leaseConsumer.wakeup();
        }
        KafkaProducer<String, byte[]> producer = pointers;
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
