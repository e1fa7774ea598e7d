package io.linesight.trainer;

import io.linesight.common.HashSelection;
import io.linesight.common.Sha256;
import io.linesight.proto.LabelSource;
import io.linesight.proto.TrainingSample;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The trainer's samples on disk, one file per (frame, source) holding the newest label of that pair, as on the
 * compacted linesight.samples. Memory holds only an index of them (no pixels) and the frozen side of every image
 * content: decided at the content's first sample, kept for as long as any record of it exists.
 */
@ApplicationScoped
public class SampleStore {
    private static final Logger LOG = Logger.getLogger(SampleStore.class);
    /** Written once linesight.samples has been read into the folder: without it, a start reads the topic (again). */

    /** What the index keeps of a sample; the image stays in its file. */
    public record Entry(String key, String frameId, LabelSource source, String label, String sha256, boolean holdout,
            boolean pruned, int labelPartition, long labelOffset, long labelledAtMs, String contentType) {
        static Entry of(TrainingSample s) {
            return new Entry(SampleStore.key(s.getFrameId(), s.getSource()), s.getFrameId(), s.getSource(), s.getLabel(), s.getSha256(),
                    s.getHoldout(), s.getPruned(), s.getLabelPartition(), s.getLabelOffset(), s.getLabelledAtMs(), s.getContentType());
        }

        /** Whether this record replaces {@code older} of the same key: a later label, or the same label pruned. */
        boolean replaces(Entry older) {
            return labelOffset > older.labelOffset || (labelOffset == older.labelOffset && pruned && !older.pruned);
        }
    }

    private final Path dir;
    private final double holdoutFraction;
    private final Map<String, Entry> entries = new HashMap<>();
    /** Image content (sha256) -> whether it is on the holdout side. */
    private final Map<String, Boolean> sides = new HashMap<>();
    private final CountDownLatch rebuilt = new CountDownLatch(1);
    private int sideConflicts;

    @Inject
    SampleStore(TrainerConfig config) throws IOException {
        this(config.samplesDir(), config.holdoutFraction());
    }

    SampleStore(Path dir, double holdoutFraction) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.holdoutFraction = holdoutFraction;
        load();
    }

    /** The linesight.samples key of a (frame, source) pair. */
    public static String key(String frameId, LabelSource source) {
        return frameId + "/" + source.name();
    }

    /**
     * The side of an image content, decided the first time the content is seen and never changed: the holdout when
     * that first frame was chosen for blind audit by ingest and the content hash falls below the holdout fraction.
     */
    synchronized boolean side(String sha256, boolean auditFrame) {
        return sides.computeIfAbsent(sha256, s -> auditFrame && HashSelection.isHoldout(s, holdoutFraction));
    }

    /**
     * Keeps the sample unless the store has a newer one of its key. The content's frozen side wins over what the
     * record claims; records that disagree (only a damaged or forged topic has them) are counted, and the holdout side
     * wins, so an image that judged versions is never trained on. Returns whether it was kept.
     */
    synchronized boolean put(TrainingSample sample) {
        Boolean frozen = sides.get(sample.getSha256());
        if (frozen != null && frozen != sample.getHoldout()) {
            sideConflicts++;
            LOG.warnf("Sample %s says holdout=%s but its image content was frozen as holdout=%s: keeping the holdout side",
                    key(sample.getFrameId(), sample.getSource()), sample.getHoldout(), frozen);
        }
        boolean side = sides.merge(sample.getSha256(), sample.getHoldout(), Boolean::logicalOr);
        TrainingSample kept = side == sample.getHoldout() ? sample : sample.toBuilder().setHoldout(side).build();
        Entry entry = Entry.of(kept);
        Entry older = entries.get(entry.key());
        if (older != null && !entry.replaces(older)) {
            return false;
        }
        write(entry.key(), kept);
        entries.put(entry.key(), entry);
        return true;
    }

    /** Replaces {@code expected} by {@code stub} only if the store still holds exactly {@code expected}. */
    synchronized boolean replaceIfUnchanged(Entry expected, TrainingSample stub) {
        return expected.equals(entries.get(expected.key())) && put(stub);
    }

    /** Sample records whose side disagreed with their content's frozen side, since start. */
    synchronized int sideConflicts() {
        return sideConflicts;
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    synchronized boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Called once the store holds what linesight.samples held when this replica took the trainer lease. */
    void markRebuilt() {
        rebuilt.countDown();
    }

    boolean isRebuilt() {
        return rebuilt.getCount() == 0;
    }

    /** The encoded image of a sample, read from its file (empty once pruned). */
    byte[] image(Entry entry) throws IOException {
        return TrainingSample.parseFrom(Files.readAllBytes(file(entry.key()))).getImage().toByteArray();
    }

    /** The whole record of a sample as stored. */
    TrainingSample sample(Entry entry) throws IOException {
        return TrainingSample.parseFrom(Files.readAllBytes(file(entry.key())));
    }

    private void load() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".pb")).sorted().toList()) {
                try {
                    TrainingSample sample = TrainingSample.parseFrom(Files.readAllBytes(file));
                    Entry entry = Entry.of(sample);
                    if (!file.equals(file(entry.key()))) {
                        // A store from before samples were kept per (frame, source), or a file renamed by hand.
                        write(entry.key(), sample);
                        Files.delete(file);
                        LOG.infof("Sample file %s moved to %s", file.getFileName(), file(entry.key()).getFileName());
                    }
                    entries.put(entry.key(), entry);
                    sides.merge(entry.sha256(), entry.holdout(), Boolean::logicalOr);
                } catch (IOException e) {
                    LOG.warnf("Skipping unreadable sample %s: %s", file, e.getMessage());
                }
            }
        }
        LOG.infof("Sample store %s: %d samples of %d image contents", dir, entries.size(), sides.size());
    }

    private void write(String key, TrainingSample sample) {
        try {
            Path target = file(key);
            Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
            Files.write(temp, sample.toByteArray());
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store sample " + key, e);
        }
    }

    /** Named by the hash of the key: frame ids come from clients and never become paths. */
    private Path file(String key) {
        return dir.resolve(Sha256.hex(key.getBytes(StandardCharsets.UTF_8)) + ".pb");
    }
}
