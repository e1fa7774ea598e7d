package io.linesight.trainer;

import io.linesight.proto.TrainingSample;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/** The trainer's local copy of its samples, one file per frame (the newest label wins, as on the compacted topic). */
@ApplicationScoped
public class SampleStore {
    private static final Logger LOG = Logger.getLogger(SampleStore.class);

    private final Path dir;

    SampleStore(TrainerConfig config) throws IOException {
        this.dir = Files.createDirectories(config.samplesDir());
    }

    public void put(TrainingSample sample) {
        try {
            Path temp = dir.resolve("." + sample.getFrameId() + ".tmp");
            Files.write(temp, sample.toByteArray());
            Files.move(temp, dir.resolve(sample.getFrameId() + ".pb"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store sample " + sample.getFrameId(), e);
        }
    }

    public List<TrainingSample> all() {
        try (Stream<Path> files = Files.list(dir)) {
            List<TrainingSample> samples = new ArrayList<>();
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".pb")).sorted().toList()) {
                try {
                    samples.add(TrainingSample.parseFrom(Files.readAllBytes(file)));
                } catch (IOException e) {
                    LOG.warnf("Skipping unreadable sample %s: %s", file, e.getMessage());
                }
            }
            return samples;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list samples in " + dir, e);
        }
    }
}
