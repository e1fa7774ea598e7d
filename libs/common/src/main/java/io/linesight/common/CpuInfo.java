package io.linesight.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The CPU a benchmark runs on, read from /proc/cpuinfo and sysfs, and the arithmetic limits that follow from it:
 * machines change CPU, so no clock, ISA or FLOP figure is assumed. The FP32 limit counts two vector FMA units per
 * core (what current x86 server cores have; a part with one AVX-512 FMA unit reaches half); the bf16 limit counts
 * AMX tiles (1,024 FLOP/cycle/core) or AVX512-BF16 dot products (128). Cores may run above the published clock
 * (boost, or a VM that reports its nominal clock), so the limits use the faster of it and the clock measured here.
 */
public record CpuInfo(String model, int cores, double clockHz, String clockSource, Set<String> flags) {
    private static final Pattern CLOCK_IN_NAME = Pattern.compile("@\\s*([0-9.]+)\\s*GHz");

    /**
     * This machine: the cores this JVM may use, the base clock where the system tells it, else the current one,
     * raised to the running clock measured by {@link #measureClockHz()} where that is faster.
     */
    public static CpuInfo detect() {
        String cpuinfo = read(Path.of("/proc/cpuinfo")).orElse("");
        Optional<Double> baseKhz = read(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/base_frequency")).map(v -> Double.parseDouble(v.trim()));
        return parse(cpuinfo, Runtime.getRuntime().availableProcessors(), baseKhz.orElse(null)).withRunningClock(measureClockHz());
    }

    /** The faster of the published clock and {@code runningHz}, saying which one the limits use. */
    CpuInfo withRunningClock(double runningHz) {
        if (!(runningHz > clockHz * 1.02)) {
            return new CpuInfo(model, cores, clockHz, clockSource + "; measured running clock " + ghz(runningHz), flags);
        }
        return new CpuInfo(model, cores, runningHz, "measured running clock; published " + ghz(clockHz) + " from " + clockSource, flags);
    }

    /**
     * The clock one core runs at now, boost included: a chain of dependent shift + add steps costs 2 cycles per step
     * on every x86 core (one cycle each, and no step can start before the previous one ends). Best of 5 runs of 0.1 s.
     */
    public static double measureClockHz() {
        long steps = 50_000_000L;
        double best = 0;
        long sink = 0;
        for (int run = 0; run < 5; run++) {
            long start = System.nanoTime();
            sink += dependentSteps(run + 1, steps);
            best = Math.max(best, 2.0 * steps / ((System.nanoTime() - start) * 1e-9));
        }
        return sink == 42 ? best + 1 : best; // uses the result so the JIT cannot drop the loop
    }

    private static long dependentSteps(long x, long steps) {
        for (long i = 0; i < steps; i++) {
            x += x >>> 7;
        }
        return x;
    }

    private static String ghz(double hz) {
        return String.format(Locale.ROOT, "%.2f GHz", hz / 1e9);
    }

    /** From the text of /proc/cpuinfo; {@code baseKhz} from sysfs when it exists (null otherwise). */
    static CpuInfo parse(String cpuinfo, int cores, Double baseKhz) {
        String model = field(cpuinfo, "model name").orElse("unknown CPU");
        Set<String> flags = field(cpuinfo, "flags").map(f -> Arrays.stream(f.trim().split("\\s+")).collect(Collectors.toSet()))
                .orElse(Set.of());
        Matcher named = CLOCK_IN_NAME.matcher(model);
        if (named.find()) {
            return new CpuInfo(model, cores, Double.parseDouble(named.group(1)) * 1e9, "model name", flags);
        }
        if (baseKhz != null) {
            return new CpuInfo(model, cores, baseKhz * 1e3, "sysfs base_frequency", flags);
        }
        double mhz = field(cpuinfo, "cpu MHz").map(v -> Double.parseDouble(v.trim())).orElse(Double.NaN);
        return new CpuInfo(model, cores, mhz * 1e6, "cpu MHz (current clock: no base clock is published here)", flags);
    }

    /**
     * The CPU as oneDNN uses it under {@code ONEDNN_MAX_CPU_ISA} (null, blank, ALL or DEFAULT: uncapped). A cap below
     * AVX-512 drops the AVX-512 and AMX units; an AVX-512 cap without AMX drops AMX, and bf16 unless it names it.
     */
    public CpuInfo cappedAt(String oneDnnMaxIsa) {
        String cap = oneDnnMaxIsa == null ? "" : oneDnnMaxIsa.trim().toUpperCase(Locale.ROOT);
        if (cap.isEmpty() || cap.equals("ALL") || cap.equals("DEFAULT")) {
            return this;
        }
        boolean avx512 = cap.startsWith("AVX512") || cap.startsWith("AVX10");
        boolean amx = avx512 && cap.contains("AMX");
        boolean bf16 = amx || cap.contains("BF16");
        Set<String> kept = new TreeSet<>();
        for (String flag : flags) {
            boolean dropped = (flag.startsWith("avx512") && !avx512) || (flag.startsWith("amx") && !amx)
                    || (flag.equals("avx512_bf16") && !bf16);
            if (!dropped) {
                kept.add(flag);
            }
        }
        return new CpuInfo(model + " [oneDNN capped at " + oneDnnMaxIsa.trim() + "]", cores, clockHz, clockSource, kept);
    }

    /** The widest FP32 vector unit: AVX-512, AVX2 with FMA, AVX or SSE. */
    public String isa() {
        if (flags.contains("avx512f")) {
            return "AVX-512";
        }
        if (flags.contains("avx2") && flags.contains("fma")) {
            return "AVX2+FMA";
        }
        return flags.contains("avx") ? "AVX" : "SSE";
    }

    /** FP32 FLOP per cycle per core: 2 units x lanes x 2 (FMA), or 2 units x lanes without FMA. */
    public int fp32FlopPerCycle() {
        return switch (isa()) {
            case "AVX-512" -> 2 * 16 * 2;
            case "AVX2+FMA" -> 2 * 8 * 2;
            case "AVX" -> 2 * 8;
            default -> 2 * 4;
        };
    }

    /** bf16 FLOP per cycle per core on the matrix units, or 0 where the CPU has none. */
    public int bf16FlopPerCycle() {
        if (flags.contains("amx_bf16") && flags.contains("amx_tile")) {
            return 1024;
        }
        return flags.contains("avx512_bf16") ? 128 : 0;
    }

    public double fp32PeakFlops() {
        return cores * clockHz * fp32FlopPerCycle();
    }

    /** 0 where the CPU has no bf16 matrix units. */
    public double bf16PeakFlops() {
        return cores * clockHz * bf16FlopPerCycle();
    }

    /** One line saying what was detected and how the limits are computed. */
    public String describe() {
        String bf16 = bf16FlopPerCycle() == 0 ? "no bf16 matrix units"
                : String.format(Locale.ROOT, "bf16 (%s) %d FLOP/cycle/core -> %.0f GFLOP/s",
                        flags.contains("amx_bf16") ? "AMX" : "AVX512-BF16", bf16FlopPerCycle(), bf16PeakFlops() / 1e9);
        return String.format(Locale.ROOT, "%s: %d cores x %.2f GHz (%s) x %d FP32 FLOP/cycle (%s, 2 FMA units) = %.0f GFLOP/s; %s",
                model, cores, clockHz / 1e9, clockSource, fp32FlopPerCycle(), isa(), fp32PeakFlops() / 1e9, bf16);
    }

    private static Optional<String> field(String cpuinfo, String name) {
        return cpuinfo.lines().filter(l -> l.startsWith(name) && l.indexOf(':') > 0 && l.substring(0, l.indexOf(':')).trim().equals(name))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst();
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.isReadable(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
