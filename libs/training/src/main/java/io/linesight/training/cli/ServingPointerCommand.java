package io.linesight.training.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import io.linesight.common.Defaults;
import io.linesight.common.Topic;
import io.linesight.common.TopicScan;
import io.linesight.common.TopicSetup;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ServingPointers;
import io.linesight.common.registry.SigningKeys;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.ProtobufSerializer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Writes the pointer of a verified version to linesight.model-versions (promote, rollback and shadow). */
abstract class ServingPointerCommand {
    @Mixin
    RegistryOptions registry;

    @Mixin
    SigningOptions signing;

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--artifact-base-uri",
            description = "Base URI classifiers fetch versions from, e.g. http://trainer:8082/registry/ (default: the trainer's"
                    + " $LINESIGHT_REGISTRY_PUBLIC_URL + /registry/ when set, else file:// of the registry).")
    String artifactBaseUri;

    /**
     * Kafka client settings from KAFKA_* environment variables, as the services read them (KAFKA_SASL_MECHANISM ->
     * sasl.mechanism): TLS and SASL for promote and rollback.
     */
    static Map<String, Object> clientSettings(Map<String, String> env) {
        Map<String, Object> settings = new HashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("KAFKA_") && !name.equals("KAFKA_BOOTSTRAP_SERVERS")) {
                settings.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return settings;
    }

    /** --artifact-base-uri, else the trainer's public URL (the variable the trainer reads), else the registry folder. */
    String artifactBaseUri(Map<String, String> env) {
        if (artifactBaseUri != null) {
            return artifactBaseUri;
        }
        String trainer = env.get("LINESIGHT_REGISTRY_PUBLIC_URL");
        return trainer != null && !trainer.isBlank() ? trainer.replaceAll("/+$", "") + "/registry/"
                : registry.open().root().toUri().toString();
    }

    /**
     * Verifies the version, signs its manifest (or keeps the signature it has when no key is given), then writes its
     * pointer. The end of a shadow (REJECTED) names only the version: a version that no longer verifies can be ended.
     */
    int write(int version, ModelStatus status) throws Exception {
        ModelVersion pointer = status == ModelStatus.REJECTED ? ModelVersion.newBuilder().setModelName(registry.model)
                .setVersion(version).setStatus(status).setCreatedAtMs(System.currentTimeMillis()).build() : verified(version, status);
        Map<String, Object> config = new HashMap<>(clientSettings(System.getenv()));
        config.putAll(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000));
        Map<String, Object> adminConfig = new HashMap<>(clientSettings(System.getenv()));
        adminConfig.put("bootstrap.servers", bootstrapServers);
        try (Admin admin = Admin.create(adminConfig)) {
            TopicSetup.ensureTopics(admin, Defaults.topicSettings(System.getenv()), Duration.ofSeconds(20));
        }
        try (KafkaProducer<String, ModelVersion> producer = new KafkaProducer<>(config, new StringSerializer(),
                new ProtobufSerializer<>())) {
            RecordMetadata written = producer.send(new ProducerRecord<>(Topic.MODEL_VERSIONS.topicName(), ServingPointers.key(pointer),
                    pointer)).get(30, TimeUnit.SECONDS);
            System.out.printf("%s %s version %d (%s) -> %s partition %d offset %d%n", switch (status) {
                case SERVING -> "promoted";
                case SHADOW -> "shadowing";
                case REJECTED -> "ended the shadow of";
                default -> "rolled back to";
            }, registry.model, version, pointer.getArtifactUri(),
                    Topic.MODEL_VERSIONS.topicName(), written.partition(), written.offset());
        }
        return 0;
    }

    private ModelVersion verified(int version, ModelStatus status) throws Exception {
        RegistryOptions.Verified verified = registry.verified(version);
        ModelManifest manifest = verified.manifest();
        SigningKeys.SigningKey key = signing.keyOrNull();
        if (key != null) {
            ManifestSignature.sign(verified.dir(), key);
        } else if (!Files.isRegularFile(verified.dir().resolve(ManifestSignature.FILE_NAME))) {
            throw new IllegalArgumentException("version " + version + " is unsigned and classifiers refuse unsigned versions:"
                    + " give --signing-key or $LINESIGHT_TRAINER_SIGNING_KEY");
        }
        String base = artifactBaseUri(System.getenv());
        String uri = ServingPointers.artifactUri(base, registry.model, version);
        ModelVersion pointer = ServingPointers.of(manifest, uri, status == ModelStatus.SHADOW ? ModelStatus.SERVING : status);
        return status == ModelStatus.SHADOW ? ServingPointers.shadowBeside(pointer, servingPointer(version)) : pointer;
    }

    /** The serving pointer a shadow of {@code version} runs beside: the newest on the model's key. */
    private ModelVersion servingPointer(int version) {
        Map<String, Object> settings = new HashMap<>(clientSettings(System.getenv()));
        settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        AtomicReference<ModelVersion> serving = new AtomicReference<>();
        boolean whole = TopicScan.readToEnd(settings, Topic.MODEL_VERSIONS, Duration.ofSeconds(20), record -> {
            if (registry.model.equals(record.key())) {
                try {
                    serving.set(ModelVersion.parseFrom(record.value()));
                } catch (InvalidProtocolBufferException e) {
                    // not a pointer: the services skip it too
                }
            }
        });
        if (!whole) {
            throw new IllegalStateException(Topic.MODEL_VERSIONS.topicName() + " could not be read to its end in 20 s: the serving"
                    + " pointer is unknown, so no shadow is written");
        }
        if (serving.get() == null) {
            throw new IllegalStateException("no version of " + registry.model + " serves yet: promote one before shadowing another");
        }
        if (serving.get().getVersion() == version) {
            throw new IllegalArgumentException("version " + version + " serves already: a shadow runs beside the serving version");
        }
        return serving.get();
    }
}
