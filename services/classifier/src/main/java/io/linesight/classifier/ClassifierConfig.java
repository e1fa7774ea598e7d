package io.linesight.classifier;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** linesight.classifier.*: batching, inference device, which versions to trust and the model cache; values and why in application.properties. */
@ConfigMapping(prefix = "linesight.classifier")
public interface ClassifierConfig {
    /** Most frames per inference. */
    int batchSize();

    /** Longest a batch waits for more frames once it holds one. */
    Duration maxWait();

    int topK();

    /** auto (GPU when one is visible), cpu or gpu. */
    DeviceSelection.Mode device();

    /** Where fetched and verified versions are kept. */
    Path modelCache();

    /** Ed25519 public keys (PEM text or file) a version's manifest must be signed by. */
    String trustedKeys();

    /** Registry base URLs versions may be fetched from; an artifact URI under none of them gets no request. */
    List<String> registryUrls();

    /** Most bytes a version's serving/ files may add up to. */
    MemorySize maxVersionBytes();

    /** Longest wait between two fetches of a version whose registry did not answer. */
    Duration fetchRetryMax();

    /** Threads decoding and resizing frames, in parallel with inference. */
    int preprocessThreads();

    /** TensorFlow's threads within one op (0 = one per core the JVM sees). */
    int inferenceThreads();

    /** TensorFlow's threads running independent ops at once. */
    int inferenceInteropThreads();

    /** Share of frames the shadow candidate also answers (0-1), audit frames always; each frame's choice is fixed by its id. */
    double shadowShare();
}
