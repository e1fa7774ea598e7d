package io.linesight.training.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @Test
    void readsHalfPrecisionAndSkipsIntegerTensors(@TempDir Path dir) throws Exception {
        // F16 [1.0, -2.0, smallest subnormal], BF16 [1.5], I64 counter: as PyTorch's safetensors writer lays them out.
        String header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[6,8]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001).putShort((short) 0x3FC0).putLong(7);
        Path file = write(dir, header, data.array());

        Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(file);
        assertEquals(Set.of("a", "b"), tensors.keySet());
        assertArrayEquals(new float[] {1f, -2f, 5.9604645e-8f}, tensors.get("a").values());
        assertArrayEquals(new float[] {1.5f}, tensors.get("b").values());
    }

    @Test
    void writtenFilesReadBackAndStartDataEightByteAligned(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("w.safetensors");
        SafeTensors.write(file, Map.of("w", new SafeTensors.Tensor(new long[] {2, 2}, new float[] {1, 2, 3, 4})),
                Map.of("n", 3L), Map.of("format", "pt"));
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
        assertArrayEquals(new float[] {1, 2, 3, 4}, SafeTensors.read(file).get("w").values());
    }

    @Test
    void foreignOrTruncatedFilesGetAClearError(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "these are not weights at all");
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.read(text)).getMessage().contains("not a safetensors file"));

        Path truncated = write(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.read(truncated)).getMessage().contains("does not fit"));
    }

    private static Path write(Path dir, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json).put(data);
        Path path = dir.resolve("t" + System.nanoTime() + ".safetensors");
        Files.write(path, file.array());
        return path;
    }
}
