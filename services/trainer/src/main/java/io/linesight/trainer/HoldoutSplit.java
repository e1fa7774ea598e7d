package io.linesight.trainer;

import io.linesight.common.HashSelection;
import io.linesight.common.ImageFormat;
import io.linesight.common.registry.ModelManifest;
import io.linesight.proto.LabelSource;
import io.linesight.proto.TrainingSample;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which samples train and which judge: AUDIT samples whose frame id hashes below the holdout fraction are the holdout,
 * every other sample of a known class trains; samples of classes the model does not have are counted and left out.
 */
record HoldoutSplit(List<TrainingSample> train, List<TrainingSample> holdout, int unknownClass) {
    static HoldoutSplit of(List<TrainingSample> samples, ResNetSpec spec, double holdoutFraction) {
        List<TrainingSample> train = new ArrayList<>();
        List<TrainingSample> holdout = new ArrayList<>();
        int unknownClass = 0;
        for (TrainingSample sample : samples) {
            if (!spec.classes().contains(sample.getLabel())) {
                unknownClass++;
            } else if (sample.getSource() == LabelSource.AUDIT && HashSelection.isHoldout(sample.getFrameId(), holdoutFraction)) {
                holdout.add(sample);
            } else {
                train.add(sample);
            }
        }
        return new HoldoutSplit(train, holdout, unknownClass);
    }

    /** The training samples' label offsets per partition, for the manifest's lineage. */
    List<ModelManifest.OffsetRange> trainLabelOffsets() {
        Map<Integer, long[]> ranges = new HashMap<>();
        for (TrainingSample s : train) {
            ranges.merge(s.getLabelPartition(), new long[] {s.getLabelOffset(), s.getLabelOffset()},
                    (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
        }
        return ranges.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> new ModelManifest.OffsetRange(e.getKey(), e.getValue()[0], e.getValue()[1])).toList();
    }

    static List<ImageSet.Source> sources(List<TrainingSample> samples, ResNetSpec spec) {
        return samples.stream().map(s -> new ImageSet.Source(s.getFrameId(), spec.classes().indexOf(s.getLabel()),
                ImageFormat.ofContentType(s.getContentType()).orElse(ImageFormat.JPEG), () -> s.getImage().toByteArray())).toList();
    }
}
