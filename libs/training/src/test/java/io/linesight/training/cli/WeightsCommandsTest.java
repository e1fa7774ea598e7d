package io.linesight.training.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.localstack.ImageSamples;
import io.linesight.common.ImageFolder;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.weights.SafeTensors;
import io.linesight.training.weights.TorchvisionWeights;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class WeightsCommandsTest {
    private static final Path IMAGENET_LABELS = ImageSamples.neuSurface().getParent().resolve("imagenet-labels/imagenet_classes.txt");

    @Test
    void classifyNamesTheTopFiveImagenetClassesOfImportedWeights(@TempDir Path dir) throws Exception {
        List<String> names = Files.readAllLines(IMAGENET_LABELS);
        ResNetSpec spec = new ResNetSpec(names, 32, 8, false);
        Path weights = dir.resolve("imagenet-like.safetensors");
        Path image = ImageSamples.neuSurface().resolve("scratches/scratches_1.jpg");
        List<String> expected;
        try (ResNetModel model = ResNetModel.create(spec, 3, 2)) {
            TorchvisionWeights.export(model, weights, Map.of());
            ImageSet set = ImageSet.load(List.of(new ImageFolder.Item(image, "x", 0)), 32, 1, "image");
            float[] p = model.predict(set.pixels(0), 1).probabilities();
            expected = IntStream.range(0, 1000).boxed().sorted(Comparator.comparingDouble(c -> -p[c])).limit(5)
                    .map(names::get).toList();
        }

        String out = run("classify", "--pretrained", weights.toString(), "--imagenet-labels", IMAGENET_LABELS.toString(),
                "--input-size", "32", image.toString());

        for (int rank = 0; rank < 5; rank++) {
            assertTrue(out.contains((rank + 1) + ". " + expected.get(rank) + " "), "rank " + (rank + 1) + " in: " + out);
        }
    }

    @Test
    void trainingFromPretrainedWeightsReplacesTheHeadAndWritesAReport(@TempDir Path dir) throws Exception {
        Path weights = dir.resolve("pretrained.safetensors");
        ResNetSpec thousand = new ResNetSpec(Files.readAllLines(IMAGENET_LABELS), 32, 8, false);
        try (ResNetModel model = ResNetModel.create(thousand, 4, 2)) {
            TorchvisionWeights.export(model, weights, Map.of());
        }
        Path registry = dir.resolve("registry");
        Path report = dir.resolve("report");

        String out = run("train", "--data", ImageSamples.neuSurface().toString(), "--pretrained", weights.toString(),
                "--input-size", "32", "--epochs", "2", "--limit-per-class", "6", "--batch-size", "12",
                "--registry", registry.toString(), "--model", "m", "--report", report.toString());

        assertTrue(out.contains("fc replaced: 1000 -> 6 classes"), out);
        for (String file : List.of("index.html", "report.json", "loss.png", "accuracy.png", "learning-rate.png",
                "confusion.png", "conv1-filters.png")) {
            assertTrue(Files.size(report.resolve(file)) > 0, file);
        }
        JsonNode json = ModelRegistry.JSON.readTree(report.resolve("report.json").toFile());
        assertEquals(2, json.get("epochs").size());
        assertEquals(376, json.get("validation").get("count").asInt());
        int misclassified = json.get("misclassified").size();
        assertEquals(misclassified > 0, Files.exists(report.resolve("misclassified.png")));
        assertTrue(Files.readString(report.resolve("index.html")).contains("conv1-filters.png"));

        Path exported = dir.resolve("v1.safetensors");
        run("export", "--registry", registry.toString(), "--model", "m", "--version", "1", "--out", exported.toString());
        Map<String, SafeTensors.Tensor> published = SafeTensors.read(exported);
        assertArrayEquals(new long[] {8, 3, 7, 7}, published.get("conv1.weight").shape());
        assertArrayEquals(new long[] {6, 64}, published.get("fc.weight").shape());
    }

    private static String run(String... args) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = new CommandLine(new TrainingCli()).execute(args);
        } finally {
            System.setOut(original);
        }
        String out = buffer.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        return out;
    }
}
