package io.linesight.faults;

import com.sun.net.httpserver.HttpServer;
import io.linesight.common.FileTrees;
import io.linesight.common.Topic;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ServingPointers;
import io.linesight.common.registry.SigningKeys;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Faults in what the classifier is told to serve: corrupt, forged and unreachable versions. */
final class VersionFaults {
    private static final Duration SETTLE = Duration.ofMinutes(2);

    private final FaultSuite.Context ctx;

    VersionFaults(FaultSuite.Context ctx) {
        this.ctx = ctx;
    }

    /** Corrupt versions, correctly signed, announced as serving: each refused with its reason; version 1 keeps serving. */
    Row corruptVersions() throws Exception {
        Path registry = ctx.system.registry;
        String model = ctx.system.model;
        Path good = registry.resolve(model).resolve("1");
        ModelManifest original = ModelRegistry.verify(good);
        Map<String, Integer> refusedBy = new LinkedHashMap<>();
        int version = 10 + new Random().nextInt(80);
        List<String> failures = new ArrayList<>();
        for (String kind : List.of("checksum", "unloadable", "input_shape", "class_count")) {
            version++;
            Path dir = registry.resolve(model).resolve(Integer.toString(version));
            FileTrees.copyRecursively(good, dir);
            Path variables;
            try (Stream<Path> files = Files.walk(dir.resolve(ModelManifest.SERVING_DIR))) {
                variables = files.filter(f -> f.getFileName().toString().startsWith("variables.data")).findFirst().orElseThrow();
            }
            ModelManifest manifest = switch (kind) {
                case "checksum" -> {
                    flipByte(variables);
                    yield with(original, version, original.classes(), original.inputSize(), original.files());
                }
                case "unloadable" -> {
                    try (RandomAccessFile file = new RandomAccessFile(variables.toFile(), "rw")) {
                        file.setLength(file.length() / 2);
                    }
                    yield with(original, version, original.classes(), original.inputSize(), ModelRegistry.describeFiles(dir));
                }
                case "input_shape" -> with(original, version, original.classes(), original.inputSize() * 2, original.files());
                default -> {
                    List<String> classes = new ArrayList<>(original.classes());
                    classes.add("rust");
                    yield with(original, version, classes, original.inputSize(), original.files());
                }
            };
            ModelRegistry.JSON.writeValue(dir.resolve(ModelManifest.FILE_NAME).toFile(), manifest);
            ManifestSignature.sign(dir, signingKey());
            double before = refusals(kind);
            announce(ServingPointers.of(manifest, ServingPointers.artifactUri(ctx.system.artifactBase, model, version), ModelStatus.SERVING));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (refusals(kind) <= before && System.nanoTime() < deadline) {
                Thread.sleep(250);
            }
            boolean refused = refusals(kind) > before;
            boolean logged = ctx.classifier.log().contains("Refusing " + model + " version " + version + " (" + kind + ")");
            refusedBy.put(kind, refused && logged ? 1 : 0);
            if (!refused || !logged) {
                failures.add(kind + (refused ? " (no log line)" : " (not refused)"));
            }
        }
        double serving = Http.metric(ctx.classifier.url("/q/metrics"), "linesight_classifier_serving_version", null);
        // Still classifying with the good version.
        String id = ctx.postFrame("cam-models");
        long lost = ctx.ledger.awaitAll(Set.of(id), SETTLE);
        ctx.system.promote(1); // the trainer follows the pointer: leave it on a good version
        return new Row("corrupt versions (checksum, truncated, input shape, classes)", 1, lost, 0,
                String.format("refused with metric + log: %s; serving version %.0f", refusedBy, serving),
                failures.isEmpty() && serving == 1 && lost == 0 && ctx.ledger.version(id) == 1);
    }


    /**
     * Forged pointers: unsigned, signed by an unknown key, a signed manifest whose path escapes the version folder, a
     * registry URL nobody trusts, a signed manifest promising a terabyte. Each refused with its reason before any byte
     * is used; nothing lands outside the model cache, the foreign address gets no request; version 1 keeps serving.
     */
    Row forgedPointers() throws Exception {
        String model = ctx.system.model;
        Path registry = ctx.system.registry;
        ModelManifest good = ModelRegistry.verify(registry.resolve(model).resolve("1"));
        int version = 100 + new Random().nextInt(800);
        String escaped = "escaped-" + version;
        KeyPair unknown = SigningKeys.generate();
        List<ModelManifest.FileEntry> escaping = new ArrayList<>(good.files());
        escaping.add(new ModelManifest.FileEntry("serving/../../../../" + escaped, good.files().get(0).sha256(), 10));
        List<ModelManifest.FileEntry> huge = good.files().stream().map(f -> f.path().startsWith(ModelManifest.SERVING_DIR + "/")
                ? new ModelManifest.FileEntry(f.path(), f.sha256(), 1L << 40) : f).toList();
        AtomicInteger foreignRequests = new AtomicInteger();
        HttpServer foreign = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        foreign.createContext("/", exchange -> {
            foreignRequests.incrementAndGet();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        foreign.start();
        Map<String, String> expected = new LinkedHashMap<>();
        Map<String, Double> before = new LinkedHashMap<>();
        for (String reason : List.of("signature", "bad_path", "untrusted_source", "oversized")) {
            before.put(reason, refusals(reason));
        }
        try {
            announce(forge(version + 1, good, good.files(), null), ctx.system.artifactBase);
            expected.put("unsigned", "signature");
            announce(forge(version + 2, good, good.files(), new SigningKeys.SigningKey(unknown.getPrivate(), unknown.getPublic())),
                    ctx.system.artifactBase);
            expected.put("wrong key", "signature");
            announce(forge(version + 3, good, escaping, signingKey()), ctx.system.artifactBase);
            expected.put("path escape", "bad_path");
            announce(forge(version + 5, good, good.files(), signingKey()), "http://127.0.0.1:" + foreign.getAddress().getPort() + "/registry/");
            expected.put("foreign URL", "untrusted_source");
            announce(forge(version + 4, good, huge, signingKey()), ctx.system.artifactBase);
            expected.put("oversized", "oversized");
            Map<String, Long> wanted = Map.of("signature", 2L, "bad_path", 1L, "untrusted_source", 1L, "oversized", 1L);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && !wanted.entrySet().stream()
                    .allMatch(e -> refusals(e.getKey()) - before.get(e.getKey()) >= e.getValue())) {
                Thread.sleep(250);
            }
            Map<String, Long> refused = new LinkedHashMap<>();
            wanted.keySet().forEach(reason -> refused.put(reason, Math.round(refusals(reason) - before.get(reason))));
            long escapedFiles;
            try (Stream<Path> files = Files.walk(ctx.work)) {
                escapedFiles = files.filter(f -> f.getFileName().toString().equals(escaped)).count();
            }
            double serving = Http.metric(ctx.classifier.url("/q/metrics"), "linesight_classifier_serving_version", null);
            String id = ctx.postFrame("cam-forged");
            long lost = ctx.ledger.awaitAll(Set.of(id), SETTLE);
            return new Row("forged pointers (unsigned, wrong key, path escape, foreign URL, oversized)", 1, lost, 0,
                    String.format("refused by reason %s; requests to the foreign address %d; files written outside the cache %d;"
                            + " serving version %.0f", refused, foreignRequests.get(), escapedFiles, serving),
                    refused.equals(wanted) && foreignRequests.get() == 0 && escapedFiles == 0 && serving == 1 && lost == 0
                            && ctx.ledger.version(id) == 1);
        } finally {
            foreign.stop(0);
        }
    }

    /**
     * The registry (the trainer) is down when a version is promoted and a classifier starts: the classifier retries the
     * fetch, is not ready meanwhile (and says why), and serves once the registry answers 60 s later. Frames acknowledged
     * in between wait in Kafka and are all predicted.
     */
    Row lateRegistry() throws Exception {
        String model = ctx.system.model;
        int version = 1000 + new Random().nextInt(8000);
        Path dir = ctx.system.registry.resolve(model).resolve(Integer.toString(version));
        FileTrees.copyRecursively(ctx.system.registry.resolve(model).resolve("1"), dir);
        ModelManifest good = ModelRegistry.readManifest(dir);
        ModelRegistry.JSON.writeValue(dir.resolve(ModelManifest.FILE_NAME).toFile(), with(good, version, good.classes(),
                good.inputSize(), good.files()));
        ctx.trainer.kill();
        ctx.classifier.kill();
        // A new pod (KEDA scaling out while the trainer restarts): an empty model cache, nothing to fall back on.
        FileTrees.deleteRecursively(ctx.system.registry.resolveSibling("model-cache"));
        ctx.system.promote(version);
        ctx.classifier = ctx.classifier.relaunch();
        List<String> frames = new ArrayList<>();
        Http.Answer waiting = null;
        long registryDown = System.nanoTime();
        while (System.nanoTime() - registryDown < Duration.ofSeconds(60).toNanos()) {
            frames.add(ctx.postFrame("cam-late-registry"));
            Thread.sleep(2000);
            waiting = Http.get(ctx.classifier.url("/q/health/ready"), null);
        }
        double retries = Http.metric(ctx.classifier.url("/q/metrics"), "linesight_classifier_fetch_retries_total", null);
        ctx.trainer = ctx.trainer.relaunch();
        ctx.trainer.awaitHealthy("/q/health/ready", SETTLE);
        ctx.classifier.awaitHealthy("/q/health/ready", SETTLE);
        long lost = ctx.ledger.awaitAll(frames, SETTLE);
        boolean servedLate = frames.stream().allMatch(f -> Integer.valueOf(version).equals(ctx.ledger.version(f)));
        boolean saidWhy = waiting != null && waiting.status() == 503 && waiting.body().contains("not fetched yet");
        ctx.system.promote(1);
        return new Row("registry down 60 s while a classifier starts", frames.size(), lost, ctx.ledger.duplicates(frames),
                String.format("fetch retries %.0f; readiness while waiting %s%s; frames predicted by version %d: %s", retries,
                        waiting == null ? "-" : waiting.status(), saidWhy ? " (says why)" : "", version, servedLate ? "all" : "NOT all"),
                lost == 0 && retries > 0 && saidWhy && servedLate);
    }

    /**
     * A rollback while a fine-tune runs: the run starts from version R (a signed copy of version 1) and the operator
     * points serving back at version 1 meanwhile: the run's outcome is superseded, nothing is published, version 1 keeps serving.
     */
    Row rollbackDuringRun() throws Exception {
        Set<String> frames = new Scenarios(ctx).labelForTraining();
        ModelManifest good = ModelRegistry.verify(ctx.system.registry.resolve(ctx.system.model).resolve("1"));
        int version = 10_000 + new Random().nextInt(5000);
        forge(version, good, good.files(), signingKey());
        ctx.system.promote(version);
        // The trainer starts its run from what it last read on linesight.model-versions.
        boolean servedR = ctx.trainer.awaitLogCount("Serving pointer: " + ctx.system.model + " version " + version + " (", 1, SETTLE)
                && awaitServing(version, 1);
        List<Integer> before = new ModelRegistry(ctx.system.registry).versions(ctx.system.model);
        String started = "Fine-tuning " + ctx.system.model + " version " + version;
        CompletableFuture<Http.Answer> run = CompletableFuture.supplyAsync(() -> Http.postWaiting(ctx.trainer.url("/api/v1/training/run"),
                ctx.admin(), "application/json", "{\"epochs\":20,\"strategy\":\"head\"}".getBytes(StandardCharsets.UTF_8)));
        boolean wasTraining = ctx.trainer.awaitLogCount(started, 1, SETTLE);
        String servingOne = "Serving " + ctx.system.model + " version 1 (";
        int servedOneBefore = ctx.classifier.logCount(servingOne);
        // The operator's rollback: version 1's own signed pointer, as ./run promote --version 1 publishes it (directly,
        // so it lands within the run, however few samples make it short).
        announce(good, ctx.system.artifactBase);
        Http.Answer outcome = run.join();
        List<Integer> after = new ModelRegistry(ctx.system.registry).versions(ctx.system.model);
        boolean backOnOne = ctx.classifier.awaitLogCount(servingOne, servedOneBefore + 1, SETTLE)
                && Http.metric(ctx.classifier.url("/q/metrics"), "linesight_classifier_serving_version", null) == 1;
        String result = outcome.body().replaceAll(".*\"result\":\"(\\w+)\".*", "$1");
        return new Row("rollback to version 1 during a training run", frames.size(), ctx.ledger.awaitAll(frames, SETTLE),
                ctx.ledger.duplicates(frames), String.format("run on version %d; rolled back %s; outcome %d %s; versions published by the"
                        + " run %s; serving version 1 %s", version, wasTraining ? "while training" : "BEFORE training started", outcome.status(),
                        result, after.stream().filter(v -> !before.contains(v)).toList(), backOnOne ? "yes" : "NO"),
                servedR && wasTraining && outcome.status() == 200 && result.equals("superseded")
                        && outcome.body().contains("-> version 1 ") && before.equals(after) && backOnOne);
    }

    /**
     * A bad version promoted into a live stream is rolled back automatically on live AUDIT labels. Version B is version
     * 1's files with its class names rotated: it verifies, loads and serves, and names a wrong class for every frame.
     * The truth an operator gives each image is what version 1 answered for it. A camera streams through both swaps.
     */
    Row autoRollback() throws Exception {
        String model = ctx.system.model;
        int bad = servingOneBesideARotatedCopy(30_000);
        Map<Integer, String> truth = new LinkedHashMap<>();
        Set<String> posted = new LinkedHashSet<>();
        String rolledBack = "Rolled back version " + bad + " to version 1:";
        int labelledOne;
        int labelledBad = 0;
        boolean badServed;
        boolean backOnOne;
        try (Camera camera = ctx.camera("cam-rollback-live")) {
            labelledOne = auditLabelled(1, 60, truth, posted);
            int servedBad = ctx.classifier.logCount("Serving " + model + " version " + bad + " (");
            int servedOne = ctx.classifier.logCount("Serving " + model + " version 1 (");
            ctx.system.promote(bad);
            badServed = awaitServing(bad, servedBad + 1);
            for (int round = 0; round < 4 && !ctx.trainer.log().contains(rolledBack); round++) {
                labelledBad += auditLabelled(bad, 20, truth, posted);
            }
            backOnOne = ctx.trainer.awaitLogCount(rolledBack, 1, SETTLE)
                    && ctx.classifier.awaitLogCount("Serving " + model + " version 1 (", servedOne + 1, SETTLE);
            posted.addAll(camera.acknowledged);
        }
        long lost = ctx.ledger.awaitAll(posted, SETTLE);
        String evidence = ctx.trainer.log().lines().filter(l -> l.contains(rolledBack)).findFirst()
                .map(l -> l.replaceAll(".*Rolled back", "Rolled back")).orElse("NO rollback logged");
        return new Row("bad version rolled back on live AUDIT labels", posted.size(), lost, ctx.ledger.duplicates(posted),
                String.format("version %d (classes rotated) served %s; AUDIT labels sent: %d on version 1, %d on version %d;"
                        + " version 1 serves again %s; %s", bad, badServed ? "yes" : "NO", labelledOne, labelledBad, bad,
                        backOnOne ? "yes" : "NO", evidence),
                badServed && backOnOne && lost == 0);
    }

    /**
     * A shadow candidate promoted on live AUDIT labels in a live stream. Version B (version 1's files, class names
     * rotated: wrong on every frame) serves by an operator's rollback, which automatic rollback leaves alone. Version S,
     * a signed copy of version 1, runs as the shadow beside it. Labelled with version 1's own answers, the frames both
     * answered put S ahead; the trainer must promote it by itself, with no frame lost through the swap.
     */
    Row shadowPromoted() throws Exception {
        String model = ctx.system.model;
        int bad = servingOneBesideARotatedCopy(40_000);
        int shadow = bad + 1;
        Path one = ctx.system.registry.resolve(model).resolve("1");
        forge(one, shadow, ModelRegistry.verify(one), ModelRegistry.verify(one).files(), signingKey());
        Map<Integer, String> truth = new LinkedHashMap<>();
        Set<String> posted = new LinkedHashSet<>();
        String promotedLine = "Promoted shadow version " + shadow + " to serving:";
        int labelled = 0;
        boolean badServed;
        boolean shadowServes;
        try (Camera camera = ctx.camera("cam-shadow-live")) {
            auditLabelled(1, 60, truth, posted); // version 1's answer for each image posted: the truth
            int servedBad = ctx.classifier.logCount("Serving " + model + " version " + bad + " (");
            announce(ServingPointers.of(ModelRegistry.verify(ctx.system.registry.resolve(model).resolve(Integer.toString(bad))),
                    ServingPointers.artifactUri(ctx.system.artifactBase, model, bad), ModelStatus.ROLLED_BACK));
            badServed = awaitServing(bad, servedBad + 1);
            ctx.system.shadow(shadow);
            boolean shadowing = ctx.classifier.awaitLogCount("Shadowing " + model + " version " + shadow + " ", 1, SETTLE);
            for (int round = 0; shadowing && round < 6 && !ctx.trainer.log().contains(promotedLine); round++) {
                labelled += auditLabelled(bad, 20, truth, posted);
            }
            shadowServes = ctx.trainer.awaitLogCount(promotedLine, 1, SETTLE) && awaitServing(shadow, 1);
            posted.addAll(camera.acknowledged);
        }
        long lost = ctx.ledger.awaitAll(posted, SETTLE);
        String evidence = ctx.trainer.log().lines().filter(l -> l.contains(promotedLine)).findFirst()
                .map(l -> l.replaceAll(".*Promoted shadow", "Promoted shadow")).orElse("NO promotion logged");
        ctx.system.promote(1);
        return new Row("shadow candidate promoted on live AUDIT labels", posted.size(), lost, ctx.ledger.duplicates(posted),
                String.format("version %d (classes rotated) served by rollback %s; shadow %d; AUDIT labels on frames served by %d: %d;"
                        + " the shadow serves %s; %s", bad, badServed ? "yes" : "NO", shadow, bad, labelled, shadowServes ? "yes" : "NO",
                        evidence),
                badServed && shadowServes && lost == 0);
    }

    /**
     * Version 1 serves; a signed copy of its files with the class names rotated (it verifies, loads and serves, and names
     * a wrong class for every frame) is published under a fresh number from {@code base} on, which is returned.
     */
    private int servingOneBesideARotatedCopy(int base) throws Exception {
        ctx.system.promote(1);
        Path one = ctx.system.registry.resolve(ctx.system.model).resolve("1");
        ModelManifest good = ModelRegistry.verify(one);
        List<String> rotated = new ArrayList<>(good.classes());
        rotated.add(rotated.remove(0));
        int bad = base + new Random().nextInt(5000);
        forge(one, bad, with(good, 1, rotated, good.inputSize(), good.files()), good.files(), signingKey());
        return bad;
    }

    /**
     * Posts NEU images until {@code audits} of them were chosen for audit and answered by {@code version}, and labels
     * those AUDIT with their truth: version 1's answer for the image, remembered in {@code truth} by image number on
     * the first pass. The AUDIT labels sent.
     */
    private int auditLabelled(int version, int audits, Map<Integer, String> truth, Set<String> posted) throws Exception {
        int sent = 0;
        long deadline = System.nanoTime() + SETTLE.toNanos();
        for (int n = 0; sent < audits && n < 4 * audits + truth.size() && System.nanoTime() < deadline; n++) {
            int image = 1 + n % 250;
            if (version != 1 && !truth.containsKey(image)) {
                continue;
            }
            String answer = ctx.postFrameAnswer("cam-rollback", "image/jpeg", ImageSamples.neuImage("scratches", image));
            String frameId = FaultSuite.Context.frameId(answer);
            posted.add(frameId);
            if (ctx.ledger.awaitAll(Set.of(frameId), Duration.ofSeconds(20)) > 0 || !Integer.valueOf(version).equals(ctx.ledger.version(frameId))) {
                continue;
            }
            truth.putIfAbsent(image, ctx.ledger.topClass(frameId));
            if (answer.contains("\"audit\":true")) {
                Http.Answer labelled = Http.post(ctx.system.ingest.url("/api/v1/labels"), ctx.operator(), "application/json",
                        ("{\"frameId\":\"" + frameId + "\",\"label\":\"" + truth.get(image) + "\",\"source\":\"AUDIT\"}")
                                .getBytes(StandardCharsets.UTF_8));
                sent += labelled.status() == 202 ? 1 : 0;
            }
        }
        return sent;
    }

    /**
     * A registry reset that reuses a number: version R is replaced by a model with other weights. The classifier loads
     * the new files, and its cache, keyed by the manifest digest, answers nothing from the old R.
     */
    Row registryReset() throws Exception {
        String model = ctx.system.model;
        Path modelDir = ctx.system.registry.resolve(model);
        ModelManifest good = ModelRegistry.verify(modelDir.resolve("1"));
        int version = 20_000 + new Random().nextInt(5000);
        forge(version, good, good.files(), signingKey());
        ctx.system.promote(version);
        boolean first = awaitServing(version, 1);
        byte[] image = ImageSamples.neuImage("patches", 1 + new Random().nextInt(300));
        List<String> frames = new ArrayList<>();
        List<Boolean> before = List.of(predictedFromCache(image, frames), predictedFromCache(image, frames));
        double scoreBefore = ctx.ledger.topScore(frames.get(0));
        // The reset: a new registry's first model (other initial weights), published under the same number.
        Path other = ctx.work.resolve("reset-registry");
        FileTrees.deleteRecursively(other);
        ServiceProcess.trainingCli(ctx.system.keys.env(), "train", "--data", ctx.system.registry.resolveSibling("data").toString(),
                "--registry", other.toString(), "--model", model, "--epochs", "0", "--input-size", Integer.toString(good.inputSize()),
                "--width", "8", "--stem", "cifar", "--limit-per-class", "2", "--val-fraction", "0.05", "--no-report", "--seed", "7");
        Path reset = other.resolve(model).resolve("1");
        ModelManifest resetManifest = ModelRegistry.verify(reset);
        FileTrees.deleteRecursively(modelDir.resolve(Integer.toString(version)));
        forge(reset, version, resetManifest, resetManifest.files(), signingKey());
        ctx.system.promote(version);
        boolean reloaded = awaitServing(version, 2);
        List<Boolean> afterReset = List.of(predictedFromCache(image, frames), predictedFromCache(image, frames));
        // Other weights answer the same image with another score: the new files really serve.
        boolean newWeights = ctx.ledger.topScore(frames.get(2)) != scoreBefore;
        boolean allByR = frames.stream().allMatch(f -> Integer.valueOf(version).equals(ctx.ledger.version(f)));
        ctx.system.promote(1);
        awaitServing(1, 1);
        long lost = ctx.ledger.awaitAll(frames, SETTLE);
        return new Row("registry reset reusing a version number", frames.size(), lost, ctx.ledger.duplicates(frames),
                String.format("version %d reloaded with the new files %s; same image answered from cache before the reset %s, after %s;"
                        + " all by version %d %s; top score %.4f -> %.4f", version, reloaded ? "yes" : "NO", before, afterReset, version,
                        allByR ? "yes" : "NO", scoreBefore, ctx.ledger.topScore(frames.get(2))),
                first && reloaded && newWeights && before.equals(List.of(false, true)) && afterReset.equals(List.of(false, true)) && allByR
                        && lost == 0);
    }

    /**
     * Posts {@code image}, waits for its prediction; whether it came from the cache. A Redis call slower than the
     * classifier's cache timeout (20 ms) bypasses the cache for 2 s: the next frame waits that out.
     */
    private boolean predictedFromCache(byte[] image, List<String> frames) throws Exception {
        Http.Answer answer = Http.post(ctx.system.ingest.url("/api/v1/frames"), ctx.camera(), "image/jpeg", image, "X-Camera-Id", "cam-reset");
        if (answer.status() != 202) {
            throw new IllegalStateException("frame not accepted: " + answer.status() + " " + answer.body());
        }
        String frameId = FaultSuite.Context.frameId(answer.body());
        frames.add(frameId);
        ctx.ledger.awaitAll(List.of(frameId), SETTLE);
        Thread.sleep(2500); // the cache entry is written with the prediction, not before the ledger sees it; a bypass ends
        return ctx.ledger.cached(frameId);
    }

    /** Waits until the classifier logged serving {@code version} at least {@code times} times. */
    private boolean awaitServing(int version, int times) throws Exception {
        return ctx.classifier.awaitLogCount("Serving " + ctx.system.model + " version " + version + " (", times, SETTLE);
    }

    /** A copy of version 1 as {@code version} with the given files, signed by {@code key} (unsigned when null). */
    private ModelManifest forge(int version, ModelManifest good, List<ModelManifest.FileEntry> files, SigningKeys.SigningKey key)
            throws IOException {
        return forge(ctx.system.registry.resolve(good.modelName()).resolve("1"), version, good, files, key);
    }

    /** A copy of the version folder {@code source} as {@code version}, its manifest from {@code template} with {@code files}. */
    private ModelManifest forge(Path source, int version, ModelManifest template, List<ModelManifest.FileEntry> files,
            SigningKeys.SigningKey key) throws IOException {
        Path dir = ctx.system.registry.resolve(template.modelName()).resolve(Integer.toString(version));
        FileTrees.copyRecursively(source, dir);
        Files.delete(dir.resolve(ManifestSignature.FILE_NAME));
        ModelManifest forged = with(template, version, template.classes(), template.inputSize(), files);
        ModelRegistry.JSON.writeValue(dir.resolve(ModelManifest.FILE_NAME).toFile(), forged);
        if (key != null) {
            ManifestSignature.sign(dir, key);
        }
        return forged;
    }

    private void announce(ModelManifest manifest, String base) throws Exception {
        announce(ServingPointers.of(manifest, ServingPointers.artifactUri(base, manifest.modelName(), manifest.version()),
                ModelStatus.SERVING));
    }

    private SigningKeys.SigningKey signingKey() throws IOException {
        return SigningKeys.signingKey(ctx.system.keys.signingKey().toString());
    }

    private double refusals(String reason) {
        return Http.metric(ctx.classifier.url("/q/metrics"), "linesight_classifier_swaps_refused_total", "reason=\"" + reason + "\"");
    }

    private void announce(ModelVersion pointer) throws Exception {
        try (KafkaProducer<String, byte[]> producer = ctx.producer()) {
            producer.send(new ProducerRecord<>(Topic.MODEL_VERSIONS.topicName(), pointer.getModelName(), pointer.toByteArray())).get();
        }
    }

    private static ModelManifest with(ModelManifest m, int version, List<String> classes, int inputSize, List<ModelManifest.FileEntry> files) {
        return new ModelManifest(m.modelName(), version, m.version(), classes, inputSize, m.inputChannels(), m.architecture(),
                m.preprocessing(), m.holdoutMetrics(), m.lineage(), System.currentTimeMillis(), files, m.calibration(),
                // Thresholds name classes: other classes would be refused for them before the fault under test.
                classes.equals(m.classes()) ? m.operatingPoint() : null);
    }

    private static void flipByte(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(raf.length() / 2);
            int b = raf.read();
            raf.seek(raf.length() / 2);
            raf.write(b ^ 0xff);
        }
    }

}
