package io.linesight.localstack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The packaged system for a test class, the fault suite or the demo: ingest, classifier and optionally the trainer as
 * child processes on a given broker and Redis, and a version promoted; {@link #start} also makes the bootstrap version 1
 * (untrained, width 8, 32x32, 3 NEU classes) with the training CLI. Versions are promoted with artifact URIs on the
 * trainer's HTTP registry when it runs, file:// otherwise, and signed with the system's own key pair (work/keys).
 */
public final class LineSightSystem implements AutoCloseable {
    public static final List<String> CLASSES = List.of("crazing", "inclusion", "scratches");
    /** The class these systems count as good parts (NEU has only defects: one stands in), and their escape target. */
    public static final String GOOD_CLASS = "crazing";
    static final String ESCAPE_TARGET = "0.05";
    public static final Duration WAIT = Duration.ofMinutes(3);

    public final ServiceProcess ingest;
    public final ServiceProcess classifier;
    public final ServiceProcess trainer;
    public final String model;
    public final Path registry;
    /** Where the classifier fetches versions from: the trainer's HTTP registry, or the folder itself. */
    public final String artifactBase;
    /** The key the trainer and promote sign with and the classifier trusts (work/keys). */
    public final SigningKeyFiles keys;
    private final LocalInfra.Addresses infra;
    private final Map<String, String> extraEnv;

    private LineSightSystem(ServiceProcess ingest, ServiceProcess classifier, ServiceProcess trainer, String model,
            Path registry, String artifactBase, SigningKeyFiles keys, LocalInfra.Addresses infra, Map<String, String> extraEnv) {
        this.keys = keys;
        this.infra = infra;
        this.extraEnv = extraEnv;
        this.ingest = ingest;
        this.classifier = classifier;
        this.trainer = trainer;
        this.model = model;
        this.registry = registry;
        this.artifactBase = artifactBase;
    }

    /** Announces {@code version} as serving, as an operator's ./run promote does. */
    public void promote(int version) throws Exception {
        pointer("promote", version);
    }

    /** Runs a version as the shadow candidate beside the serving one (./run shadow). */
    public void shadow(int version) throws Exception {
        pointer("shadow", version);
    }

    private void pointer(String command, int version) throws Exception {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.putAll(keys.env());
        ServiceProcess.trainingCli(env, command, "--registry", registry.toString(), "--model", model, "--version",
                Integer.toString(version), "--bootstrap-servers", infra.kafkaBootstrap(),
                "--artifact-base-uri", artifactBase);
    }

    /**
     * On the given Kafka and Redis, working in {@code workRoot/model}, with the untrained bootstrap version 1 (made once);
     * {@code extraEnv} goes to every service (e.g. Kafka SASL settings).
     */
    public static LineSightSystem start(String model, LocalInfra.Addresses infra, Path workRoot, Map<String, String> trainerSettings,
            Map<String, String> extraEnv) throws Exception {
        Path work = workRoot.resolve(model).toAbsolutePath();
        Path data = Files.createDirectories(work.resolve("data"));
        for (String c : CLASSES) {
            if (!Files.exists(data.resolve(c))) {
                Files.createSymbolicLink(data.resolve(c), ImageSamples.neuSurface().resolve(c).toAbsolutePath());
            }
        }
        Path registry = work.resolve("registry");
        if (!Files.exists(registry.resolve(model).resolve("1"))) {
            ServiceProcess.trainingCli("train", "--data", data.toString(), "--registry", registry.toString(), "--model", model,
                    "--epochs", "0", "--input-size", "32", "--width", "8", "--stem", "cifar", "--limit-per-class", "2",
                    "--val-fraction", "0.05", "--no-report", "--good-classes", GOOD_CLASS, "--escape-target", ESCAPE_TARGET);
        }
        Map<String, String> trainer = null;
        if (trainerSettings != null) {
            trainer = new HashMap<>(Map.of("LINESIGHT_TRAINER_GOOD_CLASSES", GOOD_CLASS, "LINESIGHT_TRAINER_ESCAPE_TARGET", ESCAPE_TARGET));
            trainer.putAll(trainerSettings);
        }
        return launch(model, infra, work, 1, trainer, Map.of("LINESIGHT_AUDIT_RATE", "0.5"), extraEnv);
    }

    /**
     * The services on the given Kafka and Redis, with the registry, samples and model cache in {@code work}, then
     * {@code version} (already in {@code work/registry}) promoted. No trainer when its settings are null.
     */
    public static LineSightSystem launch(String model, LocalInfra.Addresses infra, Path work, int version,
            Map<String, String> trainerSettings, Map<String, String> ingestSettings, Map<String, String> extraEnv) throws Exception {
        Path registry = work.resolve("registry");
        SigningKeyFiles keys = SigningKeyFiles.in(work.resolve("keys"));
        Map<String, String> env = new HashMap<>(extraEnv);
        env.putAll(keys.env());
        env.putAll(infra.serviceEnvironment());
        env.put("LINESIGHT_MODEL_NAME", model);
        ServiceProcess trainer = null;
        String artifactBase = registry.toUri().toString();
        if (trainerSettings != null) {
            int port = ServiceProcess.freePort();
            Map<String, String> trainerEnv = new HashMap<>(env);
            trainerEnv.putAll(trainerSettings);
            trainerEnv.putAll(Map.of("LINESIGHT_REGISTRY_DIR", registry.toString(), "LINESIGHT_TRAINER_SAMPLES_DIR",
                    work.resolve("samples").toString(), "LINESIGHT_REGISTRY_PUBLIC_URL", "http://127.0.0.1:" + port));
            trainer = ServiceProcess.service("trainer-" + model, "trainer", port, trainerEnv);
            artifactBase = trainer.url("/registry/");
        }
        // Consumer groups of their own: a group left by the previous test class's (stopped) services could otherwise
        // hold partitions until its session times out.
        Map<String, String> classifierEnv = new HashMap<>(env);
        classifierEnv.put("LINESIGHT_CLASSIFIER_MODEL_CACHE", work.resolve("model-cache").toString());
        classifierEnv.put("LINESIGHT_CLASSIFIER_REGISTRY_URLS", artifactBase);
        classifierEnv.put("MP_MESSAGING_INCOMING_FRAMES_GROUP_ID", "linesight-classifier-" + model);
        ServiceProcess classifier = ServiceProcess.service("classifier-" + model, "classifier", ServiceProcess.freePort(), classifierEnv);
        Map<String, String> ingestEnv = new HashMap<>(env);
        ingestEnv.putAll(ingestSettings);
        ingestEnv.put("MP_MESSAGING_INCOMING_PREDICTIONS_GROUP_ID", "linesight-ingest-review-" + model);
        ServiceProcess ingest = ServiceProcess.service("ingest-" + model, "ingest", ServiceProcess.freePort(), ingestEnv);
        LineSightSystem system = new LineSightSystem(ingest, classifier, trainer, model, registry, artifactBase, keys, infra, extraEnv);
        try {
            if (trainer != null) {
                trainer.awaitHealthy("/q/health/ready", WAIT);
            }
            ingest.awaitHealthy("/q/health/ready", WAIT);
            system.promote(version);
            classifier.awaitHealthy("/q/health/ready", WAIT);
            return system;
        } catch (Exception | AssertionError e) {
            // A service that never got ready must not leave the others running (and writing their logs) behind.
            system.close();
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        for (ServiceProcess service : new ServiceProcess[] {ingest, classifier, trainer}) {
            if (service != null) {
                service.close();
            }
        }
    }
}
