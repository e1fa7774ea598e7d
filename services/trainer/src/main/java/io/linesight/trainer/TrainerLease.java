package io.linesight.trainer;

import io.linesight.common.Topic;
import io.linesight.common.registry.ServingPointers;
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
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RetriableException;
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
 * The holder asks the group coordinator every quarter of the timeout whether it is still a member that nobody else
 * has replaced as the partition's owner, and counts as active only while the last such answer is younger than the
 * timeout: a holder cut off from the coordinator, or woken from a freeze, pauses at once (no training, publishing or
 * labels), before the group has handed the lease on; a coordinator that answers again resumes it. Losing the lease
 * (revoked, lost, or another member owning the partition) exits the process (status 4): it may have been mid-run, and
 * the supervisor restarts it as a standby.
 */
@ApplicationScoped
public class TrainerLease {
    private static final Logger LOG = Logger.getLogger(TrainerLease.class);
    static final int EXIT_STATUS = 4;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Map<String, Object> kafkaConfig;
    private final SampleRebuild rebuild;
    private final String group;
    private final Duration timeout;
    private final String transactionalId;
    private final IntConsumer exit;
    private volatile KafkaProducer<String, byte[]> pointers;
    private volatile boolean held;
    private volatile boolean running = true;
    private volatile long confirmedAtNanos;
    private volatile String lastError;
    private volatile String memberId;
    private final OwnerEvidence ownerEvidence = new OwnerEvidence();
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private final ScheduledExecutorService confirmer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trainer-lease-confirm");
        t.setDaemon(true);
        return t;
    });

    @Inject
    TrainerLease(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, SampleRebuild rebuild, TrainerConfig config,
            MeterRegistry registry) {
        this(kafkaConfig, rebuild, config.leaseGroup(), config.leaseTimeout(), Quarkus::asyncExit);
        Gauge.builder("linesight.trainer.active", this, lease -> lease.active() ? 1 : 0)
                .description("1 on the replica that holds the trainer lease and may train and publish, 0 on a standby")
                .register(registry);
    }

    /** {@code exit} ends the process with a status (tests observe it instead). */
    TrainerLease(Map<String, Object> kafkaConfig, SampleRebuild rebuild, String group, Duration timeout, IntConsumer exit) {
        this.kafkaConfig = kafkaConfig;
        this.rebuild = rebuild;
        this.group = group;
        this.timeout = timeout;
        this.transactionalId = group + "-pointers";
        this.exit = exit;
    }

    /** After the channels are wired (the labels channel waits paused until this replica holds the lease). */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent start) {
        start();
    }

    void start() {
        Thread thread = new Thread(this::holdOrWait, "trainer-lease");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Whether this replica holds the lease (confirmed by the coordinator within the timeout), has fenced the former
     * holder and has its sample store complete.
     */
    boolean active() {
        return held && pointers != null && rebuild.done() && System.nanoTime() - confirmedAtNanos < timeout.toNanos();
    }

    /** Readiness stays UP on a standby (it serves the registry); its data names the role: active, taking or standby. */
    @Produces
    @Readiness
    HealthCheck role() {
        return () -> {
            var response = HealthCheckResponse.named("trainer-lease").up().withData("role", active() ? "active" : held ? "taking" : "standby");
            String error = lastError;
            return (error == null ? response : response.withData("lease_error", error)).build();
        };
    }

    /**
     * Sends pointers in one transaction of the fenced producer and waits for the commit: all of them are visible, or
     * none. A producer fenced by a
     * newer holder fails before anything is visible, and this replica exits; any other failure aborts the transaction
     * and fails the publication (the run's outcome says so), and the replica stays.
     */
    void publish(ModelVersion... records) {
        KafkaProducer<String, byte[]> producer = pointers;
        if (!active() || producer == null) {
            throw new IllegalStateException("this trainer replica does not hold the lease: it publishes nothing");
        }
        try {
            producer.beginTransaction();
            for (ModelVersion pointer : records) {
                producer.send(new ProducerRecord<>(Topic.MODEL_VERSIONS.topicName(), ServingPointers.key(pointer), pointer.toByteArray()))
                        .get(60, TimeUnit.SECONDS);
            }
            commit(producer);
        } catch (Exception e) {
            if (fenced(e)) {
                // A newer holder fenced it, or this replica's own late producer from an earlier take: the group decides.
                lost("the pointer producer was fenced: another replica took the lease");
            } else {
                abort(producer);
            }
            throw new IllegalStateException("pointers to versions " + Arrays.stream(records).map(ModelVersion::getVersion).toList()
                    + " not published: " + e, e);
        }
    }

    /** Whether the failure, or one of its causes, is the broker refusing a producer that a newer holder fenced. */
    private static boolean fenced(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /** A commit that timed out may still complete: Kafka lets it be retried, and a retry never commits twice. */
    private static void commit(KafkaProducer<String, byte[]> producer) {
        for (int attempt = 1; ; attempt++) {
            try {
                producer.commitTransaction();
                return;
            } catch (RetriableException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** Aborts the failed transaction; a producer that cannot abort (its commit timed out) is replaced by a fresh one. */
    private void abort(KafkaProducer<String, byte[]> producer) {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            LOG.warnf("Aborting the pointer transaction failed, opening a new pointer producer: %s", e.toString());
            producer.close(Duration.ZERO);
            pointers = null;
            try {
                KafkaProducer<String, byte[]> fresh = pointerProducer();
                fresh.initTransactions();
                if (held && running) {
                    pointers = fresh;
                } else {
                    fresh.close(Duration.ZERO);
                }
            } catch (RuntimeException again) {
                lost("no pointer producer could be opened again (" + again + ")");
            }
        }
    }

    private void holdOrWait() {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, timeout.toMillis() / 5));
        // A coordinator that stops answering (a frozen broker keeps its sockets open) is given up within half the lease,
        // leaving time to find its successor before the session ends; Kafka's default would wait 30 s.
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(2000, timeout.toMillis() / 2));
        // Sticky: a standby joining does not take the partition from the holder (an eager assignor would revoke it).
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        LOG.infof("Trainer lease: joining group %s on %s; standby until it assigns this replica the partition", group,
                Topic.TRAINER_LEASE.topicName());
        Duration backoff = Duration.ofSeconds(1);
        while (running) {
            try (KafkaConsumer<byte[], byte[]> leaseConsumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                    Admin admin = Admin.create(kafkaConfig)) {
                consumer = leaseConsumer;
                int partitions = leaseConsumer.partitionsFor(Topic.TRAINER_LEASE.topicName(), timeout).size();
                if (partitions != 1) {
                    throw new IllegalStateException(Topic.TRAINER_LEASE.topicName() + " has " + partitions
                            + " partitions; a lease needs exactly one (delete and let a trainer create it)");
                }
                leaseConsumer.subscribe(List.of(Topic.TRAINER_LEASE.topicName()), new Listener());
                var confirming = confirmer.scheduleAtFixedRate(() -> confirm(admin), 0, timeout.toMillis() / 4, TimeUnit.MILLISECONDS);
                try {
                    while (running) {
                        leaseConsumer.poll(Duration.ofMillis(200));
                        memberId = leaseConsumer.groupMetadata().memberId();
                        lastError = null;
                        backoff = Duration.ofSeconds(1);
                    }
                } finally {
                    confirming.cancel(true);
                }
            } catch (WakeupException stopping) {
                return;
            } catch (RuntimeException e) {
                if (held) {
                    lost("the lease consumer failed (" + e + ")");
                    return;
                }
                lastError = e.toString();
                LOG.errorf("Trainer lease: cannot join group %s as a standby, retrying in %s: %s", group, backoff, e);
                pause(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * Asks the coordinator about the group (on its own thread: a slow answer never holds the poll loop). While the group
     * rebalances it lists members without assignments: membership is then enough, since a partition moves only when its
     * holder gives it up or is removed. Another member owning the partition is the only answer that ends the lease here.
     */
    private void confirm(Admin admin) {
        String me = memberId;
        if (!held || me == null) {
            return;
        }
        TopicPartition lease = new TopicPartition(Topic.TRAINER_LEASE.topicName(), 0);
        try {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(Math.max(1000, timeout.toMillis() / 2), TimeUnit.MILLISECONDS);
            boolean member = description.members().stream().anyMatch(m -> m.consumerId().equals(me));
            String owner = description.members().stream()
                    .filter(m -> !m.consumerId().equals(me) && m.assignment().topicPartitions().contains(lease))
                    .map(MemberDescription::consumerId).findFirst().orElse(null);
            if (ownerEvidence.conclusive(owner)) {
                lost("the group coordinator names member " + owner + " as the partition's owner, twice (this replica is " + me + ")");
            } else if (owner != null) {
                LOG.warnf("Trainer lease: the group coordinator names member %s as the partition's owner (this replica is %s);"
                        + " asking again before giving it up", owner, me);
            } else if (member) {
                if (System.nanoTime() - confirmedAtNanos >= timeout.toNanos()) {
                    LOG.info("Trainer lease: the group coordinator confirms it again; active again");
                }
                confirmedAtNanos = System.nanoTime();
            }
        } catch (TimeoutException | ExecutionException e) {
            if (System.nanoTime() - confirmedAtNanos >= timeout.toNanos()) {
                LOG.warnf("Trainer lease: unconfirmed for more than %s, paused until the group coordinator answers: %s", timeout, e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits up to {@code within} for this replica to be active (a confirmation that lapsed under load comes back);
     * whether it is.
     */
    boolean awaitActive(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!active() && running && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return active();
    }

    /**
     * Evidence twice over: a coordinator still loading the group after a broker start may answer once with a member
     * that is gone. Only two answers in a row naming the same other owner end the lease; the lease is not confirmed in
     * between, so it pauses meanwhile.
     */
    static final class OwnerEvidence {
        private String suspected;

        /** Whether this answer, naming {@code owner} as the partition's other owner (null: none), ends the lease. */
        synchronized boolean conclusive(String owner) {
            boolean twice = owner != null && owner.equals(suspected);
            suspected = owner;
            return twice;
        }

        /** A new hold starts without suspicion. */
        synchronized void reset() {
            suspected = null;
        }
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty() && !held && running) {
                ownerEvidence.reset();
                confirmedAtNanos = System.nanoTime();
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
        KafkaProducer<String, byte[]> producer = null;
        try {
            producer = pointerProducer();
            producer.initTransactions();
        } catch (RuntimeException e) {
            lost("the pointer producer could not fence the former holder (" + e + ")");
        }
        if (!held || !running) {
            // The lease moved on while fencing: this producer must not stay (its epoch may now fence the new holder's).
            if (producer != null) {
                producer.close(Duration.ZERO);
            }
            return;
        }
        pointers = producer;
        // Samples a former holder wrote after the snapshot (it stops within the timeout) arrive while following.
        if (!rebuild.rebuildUntilDone(timeout.multipliedBy(3))) {
            lost("the sample store could not be rebuilt from " + Topic.SAMPLES.topicName());
        }
    }

    private KafkaProducer<String, byte[]> pointerProducer() {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private void lost(String why) {
        if (!running) {
            return;
        }
        running = false;
        held = false;
        LOG.errorf("Trainer lease lost: %s. Exiting with status %d so this replica restarts as a standby", why, EXIT_STATUS);
        exit.accept(EXIT_STATUS);
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Leaves the group (a standby takes over at once) and closes the producer. */
    void stop() {
        running = false;
        held = false;
        confirmer.shutdownNow();
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
