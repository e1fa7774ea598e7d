package io.linesight.training.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON header naming
 * each tensor's dtype, shape and byte range, then the raw little-endian data. Floating-point tensors are
 * read as float32 (F32, F16 and BF16 are accepted, as published checkpoints use all three); integer
 * tensors such as BN's num_batches_tracked are skipped on reading.
 */
public final class SafeTensors {
    /** A float tensor in row-major order. */
    public record Tensor(long[] shape, float[] values) {
        public Tensor {
            long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
            if (count != values.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count
                        + " values, got " + values.length);
            }
        }
    }

    /** Sanity bound on the JSON header: real headers are kilobytes; a huge value means a foreign file. */
    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    /** Every floating-point tensor in {@code file}, in file order. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
                throw new IOException(file + " is not a safetensors file (header length " + headerLength + ", file size "
                        + fileSize + ")");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IOException(file + " has an unreadable safetensors header: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLength;
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (entry.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode info = entry.getValue();
                String dtype = info.path("dtype").asText();
                int elementSize = switch (dtype) {
                    case "F32" -> 4;
                    case "F16", "BF16" -> 2;
                    default -> 0;
                };
                if (elementSize == 0) {
                    continue;
                }
                long[] shape = new long[info.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = info.path("shape").get(i).asLong();
                }
                long begin = info.path("data_offsets").path(0).asLong(-1);
                long end = info.path("data_offsets").path(1).asLong(-1);
                long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
                if (begin < 0 || end - begin != count * elementSize || dataStart + end > fileSize) {
                    throw new IOException(file + ": tensor " + entry.getKey() + " (" + dtype + " " + Arrays.toString(shape)
                            + ") has byte range [" + begin + ", " + end + ") that does not fit its shape or the file");
                }
                ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                readFully(channel, data, dataStart + begin);
                data.flip();
                tensors.put(entry.getKey(), new Tensor(shape, decode(data, dtype, (int) count)));
            }
            return tensors;
        }
    }

    /** Writes float32 tensors (and int64 scalars, for PyTorch's num_batches_tracked) in the given order. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, Long> int64Scalars,
            Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            long bytes = 4L * entry.getValue().values().length;
            describe(header.putObject(entry.getKey()), "F32", entry.getValue().shape(), offset, offset + bytes);
            offset += bytes;
        }
        for (String name : int64Scalars.keySet()) {
            describe(header.putObject(name), "I64", new long[0], offset, offset + 8);
            offset += 8;
        }
        byte[] headerJson = JSON.writeValueAsBytes(header);
        // The format asks for the data to start 8-byte aligned; spaces are valid JSON padding.
        int padded = (headerJson.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(headerJson, padded);
        Arrays.fill(headerBytes, headerJson.length, padded, (byte) ' ');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            for (Tensor tensor : tensors.values()) {
                ByteBuffer data = ByteBuffer.allocate(4 * tensor.values().length).order(ByteOrder.LITTLE_ENDIAN);
                data.asFloatBuffer().put(tensor.values());
                out.write(data.array());
            }
            for (long value : int64Scalars.values()) {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
            }
        }
    }

    private static void describe(ObjectNode node, String dtype, long[] shape, long begin, long end) {
        node.put("dtype", dtype);
        var shapeNode = node.putArray("shape");
        for (long dim : shape) {
            shapeNode.add(dim);
        }
        node.putArray("data_offsets").add(begin).add(end);
    }

    private static float[] decode(ByteBuffer data, String dtype, int count) {
        float[] values = new float[count];
        switch (dtype) {
            case "F32" -> data.asFloatBuffer().get(values);
            case "BF16" -> {
                for (int i = 0; i < count; i++) {
                    values[i] = Float.intBitsToFloat((data.getShort() & 0xffff) << 16);
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    values[i] = halfToFloat(data.getShort());
                }
            }
        }
        return values;
    }

    /** IEEE 754 half precision to float, subnormals and infinities included. */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa / 1024f / 16384f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
            }
        }
    }
}
