package io.linesight.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.linesight.common.HashSelection;
import io.linesight.common.Sha256;
import io.linesight.proto.LabelSource;
import io.linesight.proto.TrainingSample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The holdout's integrity and the label policy, on a real sample store in a temporary folder. */
class TrainingDataTest {
    private static final List<String> CLASSES = List.of("crazing", "inclusion", "scratches");

    @TempDir
    Path dir;

    private long offset;

    @Test
    void aDuplicatedImageNeverLandsOnBothSides() throws Exception {
        SampleStore store = new SampleStore(dir, 0.5);
        byte[] image = image(true, 1);
        collect(store, "f1", image, true, LabelSource.AUDIT, "crazing");
        // The same image streamed again under other frame ids, labelled every way.
        collect(store, "f2", image, false, LabelSource.REVIEW, "crazing");
        collect(store, "f3", image, true, LabelSource.AUDIT, "crazing");
        collect(store, "f4", image, false, LabelSource.CORRECTION, "crazing");

        TrainingData data = TrainingData.of(store.entries(), CLASSES, 100);
        assertEquals(1, data.holdout().size(), "one content, one holdout item");
        assertEquals(Set.of(), contents(data.train()));
    }

    @Test
    void aRelabelledHoldoutImageIsNeverTrainedOnAndATrainedImageNeverJoinsTheHoldout() throws Exception {
        SampleStore store = new SampleStore(dir, 0.5);
        byte[] judged = image(true, 2);
        collect(store, "h", judged, true, LabelSource.AUDIT, "crazing");
        collect(store, "h", judged, true, LabelSource.AUDIT, "inclusion");
        // Seen with the model's answer: these never vote on the holdout, however many.
        collect(store, "h", judged, true, LabelSource.REVIEW, "scratches");
        collect(store, "h", judged, true, LabelSource.CORRECTION, "scratches");
        byte[] trained = image(true, 3); // would qualify for the holdout, but was first seen outside an audit
        collect(store, "t", trained, false, LabelSource.REVIEW, "scratches");
        collect(store, "t2", trained, true, LabelSource.AUDIT, "scratches");

        TrainingData data = TrainingData.of(store.entries(), CLASSES, 100);
        assertEquals(Set.of(Sha256.hex(judged)), contents(data.holdout()));
        assertEquals("inclusion", data.holdout().get(0).label(), "the newest AUDIT label of the pair, no other source");
        assertEquals(Set.of(Sha256.hex(trained)), contents(data.train()));

        SampleStore reopened = new SampleStore(dir, 0.5);
        assertEquals(data, TrainingData.of(reopened.entries(), CLASSES, 100), "sides survive a restart");
    }

    @Test
    void conflictingLabelsAreCountedAndTheMajorityWinsThenTheNewest() throws Exception {
        SampleStore store = new SampleStore(dir, 0.5);
        byte[] majority = image(false, 4);
        collect(store, "a", majority, false, LabelSource.REVIEW, "inclusion");
        collect(store, "b", majority, false, LabelSource.CORRECTION, "inclusion");
        collect(store, "c", majority, false, LabelSource.REVIEW, "crazing");
        byte[] tie = image(false, 5);
        collect(store, "d", tie, false, LabelSource.REVIEW, "crazing");
        collect(store, "e", tie, false, LabelSource.REVIEW, "scratches");
        byte[] agreed = image(false, 6);
        collect(store, "f", agreed, false, LabelSource.REVIEW, "crazing");
        collect(store, "g", agreed, false, LabelSource.CORRECTION, "crazing");

        TrainingData data = TrainingData.of(store.entries(), CLASSES, 100);
        assertEquals(2, data.conflicts());
        assertEquals("inclusion", label(data, majority), "the majority, though answered first");
        assertEquals("scratches", label(data, tie), "a tie goes to the class labelled last, not the first alphabetically");
    }

    @Test
    void retentionKeepsAUniformCapPerClassAndTheWholeHoldout() throws Exception {
        SampleStore store = new SampleStore(dir, 0.5);
        for (int i = 0; i < 6; i++) {
            collect(store, "t" + i, image(false, 10 + i), false, LabelSource.REVIEW, "crazing");
            collect(store, "h" + i, image(true, 10 + i), true, LabelSource.AUDIT, "crazing");
        }
        TrainingData data = TrainingData.of(store.entries(), CLASSES, 2);
        assertEquals(2, data.train().size());
        assertEquals(store.entries().stream().filter(e -> !e.holdout()).map(SampleStore.Entry::sha256)
                .sorted(Comparator.comparingDouble(c -> HashSelection.fraction("reservoir:" + c))).limit(2).collect(Collectors.toSet()),
                contents(data.train()), "the two of lowest reservoir hash, whatever the arrival order");
        assertEquals(6, data.holdout().size());
        assertEquals(4, data.toPrune().size());
        assertTrue(data.toPrune().stream().noneMatch(SampleStore.Entry::holdout));

        for (SampleStore.Entry entry : data.toPrune()) {
            assertTrue(store.put(store.sample(entry).toBuilder().clearImage().setPruned(true).build()));
        }
        TrainingData after = TrainingData.of(store.entries(), CLASSES, 2);
        assertEquals(contents(data.train()), contents(after.train()), "the same two are kept");
        assertEquals(List.of(), after.toPrune());
        assertEquals(contents(data.holdout()), contents(after.holdout()));
    }

    @Test
    void anOlderRecordNeverReplacesANewerOneAndTheFrozenSideWins() throws Exception {
        SampleStore store = new SampleStore(dir, 0.5);
        byte[] image = image(true, 6);
        TrainingSample newer = collect(store, "f", image, true, LabelSource.AUDIT, "inclusion");
        TrainingSample older = newer.toBuilder().setLabel("crazing").setLabelOffset(newer.getLabelOffset() - 1).build();
        assertFalse(store.put(older));
        assertEquals("inclusion", store.entries().get(0).label());

        // A record claiming the other side (as a forged or stale one might) is stored on the content's frozen side.
        store.put(newer.toBuilder().setFrameId("g").setHoldout(false).setLabelOffset(++offset).build());
        assertTrue(store.entries().stream().allMatch(SampleStore.Entry::holdout));
        assertEquals(1, store.sideConflicts());

        // Retention's stub loses to a label that arrived after the run read the store.
        SampleStore.Entry read = store.entries().stream().filter(e -> e.frameId().equals("f")).findFirst().orElseThrow();
        collect(store, "f", image, true, LabelSource.AUDIT, "scratches");
        assertFalse(store.replaceIfUnchanged(read, store.sample(read).toBuilder().clearImage().setPruned(true).build()));
        assertEquals("scratches", store.entries().stream().filter(e -> e.frameId().equals("f")).findFirst().orElseThrow().label());
    }

    /** What SampleCollector does for one label: the side from the store, then the sample. */
    private TrainingSample collect(SampleStore store, String frameId, byte[] image, boolean auditFrame, LabelSource source,
            String label) throws Exception {
        String sha256 = Sha256.hex(image);
        Thread.sleep(2); // distinct creation times, as real labels have
        TrainingSample sample = TrainingSample.newBuilder().setFrameId(frameId).setSource(source).setLabel(label)
                .setImage(ByteString.copyFrom(image)).setSha256(sha256).setContentType("image/png")
                .setHoldout(store.side(sha256, auditFrame)).setLabelOffset(++offset).setLabelledAtMs(System.currentTimeMillis()).build();
        assertTrue(store.put(sample));
        return sample;
    }

    /** Bytes whose content hash falls on the wanted side of the 0.5 holdout fraction. */
    private static byte[] image(boolean holdoutHash, int seed) {
        for (int i = 0; ; i++) {
            byte[] bytes = ("image " + seed + " " + i).getBytes(StandardCharsets.UTF_8);
            if (HashSelection.isHoldout(Sha256.hex(bytes), 0.5) == holdoutHash) {
                return bytes;
            }
        }
    }

    private static Set<String> contents(List<TrainingData.Item> items) {
        return items.stream().map(TrainingData.Item::sha256).collect(Collectors.toSet());
    }

    private static String label(TrainingData data, byte[] image) {
        return data.train().stream().filter(i -> i.sha256().equals(Sha256.hex(image))).findFirst().orElseThrow().label();
    }
}
