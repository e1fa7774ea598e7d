package io.linesight.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ModelVerificationException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FixtureCommandTest {
    @Test
    void writesTwoGoodVersionsAndACorruptTwin(@TempDir Path dir) throws Exception {
        int exit = new CommandLine(new TrainingCli()).execute("fixture", "--registry", dir.toString(), "--model", "fixture");

        assertEquals(0, exit);
        ModelRegistry registry = new ModelRegistry(dir);
        assertEquals(List.of(1, 2, 3), registry.versions("fixture"));
        assertEquals(List.of("crazing", "inclusion", "scratches"), ModelRegistry.verify(registry.versionDir("fixture", 1)).classes());
        assertEquals(32, ModelRegistry.verify(registry.versionDir("fixture", 2)).inputSize());
        assertThrows(ModelVerificationException.class, () -> ModelRegistry.verify(registry.versionDir("fixture", 3)));
    }
}
