package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuInfoTest {
    private static final String XEON = """
            processor\t: 0
            model name\t: Intel(R) Xeon(R) Platinum 8480C @ 2.60GHz
            cpu MHz\t\t: 3800.000
            flags\t\t: fpu sse avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8
            """;
    private static final String EPYC = """
            processor\t: 0
            model name\t: AMD EPYC 7B13
            cpu MHz\t\t: 2450.000
            flags\t\t: fpu sse avx avx2 fma
            """;

    @Test
    void xeonWithAmxHasTheAvx512AndAmxLimits() {
        CpuInfo cpu = CpuInfo.parse(XEON, 2, null);
        assertEquals(2.6e9, cpu.clockHz(), 1);
        assertEquals("AVX-512", cpu.isa());
        assertEquals(64, cpu.fp32FlopPerCycle());
        assertEquals(2 * 2.6e9 * 64, cpu.fp32PeakFlops(), 1);
        assertEquals(1024, cpu.bf16FlopPerCycle());
        assertTrue(cpu.describe().contains("333 GFLOP/s"), cpu.describe());
    }

    @Test
    void oneDnnsIsaCapSetsTheLimit() {
        CpuInfo cpu = CpuInfo.parse(XEON, 2, null);
        CpuInfo avx2 = cpu.cappedAt("AVX2");
        assertEquals("AVX2+FMA", avx2.isa());
        assertEquals(2 * 2.6e9 * 32, avx2.fp32PeakFlops(), 1);
        assertEquals(0, avx2.bf16FlopPerCycle(), "no AMX under an AVX2 cap");
        assertTrue(avx2.describe().contains("capped at AVX2"), avx2.describe());
        assertEquals(64, cpu.cappedAt("AVX512_CORE").fp32FlopPerCycle());
        assertEquals(0, cpu.cappedAt("AVX512_CORE").bf16FlopPerCycle());
        assertEquals(128, cpu.cappedAt("AVX512_CORE_BF16").bf16FlopPerCycle());
        assertEquals(1024, cpu.cappedAt("AVX512_CORE_AMX").bf16FlopPerCycle());
        assertEquals(cpu, cpu.cappedAt("ALL"));
        assertEquals(cpu, cpu.cappedAt(null));
    }

    @Test
    void zen3WithoutClockInItsNameUsesSysfsThenTheCurrentClock() {
        assertEquals(2.0e9, CpuInfo.parse(EPYC, 2, 2_000_000.0).clockHz(), 1);
        CpuInfo cpu = CpuInfo.parse(EPYC, 2, null);
        assertEquals(2.45e9, cpu.clockHz(), 1);
        assertEquals("AVX2+FMA", cpu.isa());
        assertEquals(32, cpu.fp32FlopPerCycle());
        assertEquals(0, cpu.bf16FlopPerCycle());
        assertTrue(cpu.describe().contains("no bf16 matrix units"), cpu.describe());
    }

    @Test
    void aCoreRunningAboveItsPublishedClockRaisesTheLimitAndSaysSo() {
        CpuInfo boosted = CpuInfo.parse(EPYC, 2, null).withRunningClock(3.3e9);
        assertEquals(3.3e9, boosted.clockHz(), 1);
        assertTrue(boosted.describe().contains("measured running clock; published 2.45 GHz"), boosted.describe());
        CpuInfo throttled = CpuInfo.parse(EPYC, 2, null).withRunningClock(1.2e9);
        assertEquals(2.45e9, throttled.clockHz(), 1);
    }

    @Test
    void theMeasuredClockIsAPlausibleCpuClock() {
        double hz = CpuInfo.measureClockHz();
        assertTrue(hz > 0.5e9 && hz < 7e9, "measured " + hz + " Hz");
    }
}
