package io.linesight.trainer;

import io.linesight.common.HashSelection;
import io.linesight.common.ImageFormat;
import io.linesight.common.Sha256;
import io.linesight.common.registry.ModelManifest;
import io.linesight.proto.LabelSource;
import io.linesight.training.data.ImageSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * What one run trains on and is judged by, one item per image content (sha256), so an image streamed under many
 * frame ids counts once and sits on one side: the side the store froze at the content's first sample.
 * <ul>
 * <li>Holdout: contents on the holdout side with at least one AUDIT label; only the blind AUDIT labels vote.</li>
 * <li>Training: contents on the training side; every source votes.</li>
 * <li>Conflicting labels: the class with most votes wins; a tie goes to the class answered last (the operators'
 * labelling time), then to the alphabetically first. Contents whose votes disagree are counted.</li>
 * <li>Retention: at most {@code maxPerClass} training contents per class, the ones of lowest
 * hash("reservoir:" + sha256), a uniform sample that does not depend on arrival order; the rest are pruned. The
 * holdout is kept whole.</li>
 * </ul>
 */
record TrainingData(List<Item> train, List<Item> holdout, int conflicts, int unknownClassLabels,
        List<SampleStore.Entry> toPrune) {
    /** One image content, its winning label, and the sample whose file holds the image. */
    record Item(String sha256, String label, SampleStore.Entry image, List<SampleStore.Entry> samples) {
    }

    static TrainingData of(List<SampleStore.Entry> entries, List<String> classes, int maxPerClass) {
        Map<String, List<SampleStore.Entry>> byContent = new TreeMap<>();
        int unknown = 0;
        for (SampleStore.Entry entry : entries.stream().sorted(Comparator.comparing(SampleStore.Entry::key)).toList()) {
            if (classes.contains(entry.label())) {
                byContent.computeIfAbsent(entry.sha256(), c -> new ArrayList<>()).add(entry);
            } else {
                unknown++;
            }
        }
        List<Item> holdout = new ArrayList<>();
        Map<String, List<Item>> trainByClass = new LinkedHashMap<>();
        int conflicts = 0;
        for (Map.Entry<String, List<SampleStore.Entry>> content : byContent.entrySet()) {
            List<SampleStore.Entry> samples = content.getValue();
            boolean onHoldout = samples.stream().anyMatch(SampleStore.Entry::holdout);
            List<SampleStore.Entry> voters = onHoldout
                    ? samples.stream().filter(s -> s.source() == LabelSource.AUDIT).toList() : samples;
            SampleStore.Entry image = samples.stream().filter(s -> !s.pruned()).findFirst().orElse(null);
            if (voters.isEmpty() || image == null) {
                continue;
            }
            if (voters.stream().map(SampleStore.Entry::label).distinct().count() > 1) {
                conflicts++;
            }
            Item item = new Item(content.getKey(), winner(voters), image, samples);
            if (onHoldout) {
                holdout.add(item);
            } else {
                trainByClass.computeIfAbsent(item.label(), c -> new ArrayList<>()).add(item);
            }
        }
        List<Item> train = new ArrayList<>();
        List<SampleStore.Entry> toPrune = new ArrayList<>();
        for (List<Item> items : trainByClass.values()) {
            items.sort(Comparator.comparingDouble(i -> HashSelection.fraction("reservoir:" + i.sha256())));
            for (int i = 0; i < items.size(); i++) {
                if (i < maxPerClass) {
                    train.add(items.get(i));
                } else {
                    items.get(i).samples().stream().filter(s -> !s.pruned()).forEach(toPrune::add);
                }
            }
        }
        return new TrainingData(train, holdout, conflicts, unknown, toPrune);
    }

    /** Most votes; a tie goes to the class labelled last, then to the alphabetically first class. */
    static String winner(List<SampleStore.Entry> voters) {
        Map<String, Integer> votes = new HashMap<>();
        Map<String, Long> newest = new HashMap<>();
        for (SampleStore.Entry voter : voters) {
            votes.merge(voter.label(), 1, Integer::sum);
            newest.merge(voter.label(), voter.labelledAtMs(), Math::max);
        }
        return votes.keySet().stream().min(Comparator.<String>comparingInt(votes::get).reversed()
                .thenComparing(Comparator.<String>comparingLong(newest::get).reversed())
                .thenComparing(Comparator.naturalOrder())).orElseThrow();
    }

    /**
     * SHA-256 of a judging set's sorted "content label" lines, from the images that decoded (ImageSet names are content
     * hashes here): two runs with one digest were judged on the same set.
     */
    static String digest(ImageSet set, List<String> classes) {
        StringBuilder lines = new StringBuilder();
        IntStream.range(0, set.size()).mapToObj(i -> set.name(i) + " " + classes.get(set.label(i)) + "\n").sorted().forEach(lines::append);
        return Sha256.hex(lines.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The training samples' label offsets per partition, for the manifest's lineage. */
    List<ModelManifest.OffsetRange> trainLabelOffsets() {
        Map<Integer, long[]> ranges = new TreeMap<>();
        for (Item item : train) {
            for (SampleStore.Entry s : item.samples()) {
                ranges.merge(s.labelPartition(), new long[] {s.labelOffset(), s.labelOffset()},
                        (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
            }
        }
        return ranges.entrySet().stream().map(e -> new ModelManifest.OffsetRange(e.getKey(), e.getValue()[0], e.getValue()[1])).toList();
    }

    /** Images to decode on demand, read from the store's files. */
    static List<ImageSet.Source> sources(List<Item> items, List<String> classes, SampleStore store) {
        return items.stream().map(i -> new ImageSet.Source(i.sha256(), classes.indexOf(i.label()),
                ImageFormat.ofContentType(i.image().contentType()).orElse(ImageFormat.JPEG), () -> store.image(i.image()))).toList();
    }
}
