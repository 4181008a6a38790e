import Testing
import TxfCore

/// Excerpts of /proc/cpuinfo from real machines (first core only, shortened flag lists).
enum SampleCPUInfo {
    static let zen5AVX512 = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        model name\t: AMD EPYC 9R45
        flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 avx512vnni
        bugs\t\t: sysret_ss_attrs

        processor\t: 1
        flags\t\t: fpu vme
        """
    static let zenAVX2 = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        model name\t: AMD EPYC
        flags\t\t: fpu vme de pse tsc msr sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c rdrand avx2 bmi1 bmi2
        """
    /// Some hypervisors expose avx512f without bw/vl: not enough for SkylakeX kernels.
    static let avx512fOnly = """
        model name\t: Some CPU
        flags\t\t: sse sse2 fma avx avx2 avx512f
        """
    static let arm = """
        processor\t: 0
        BogoMIPS\t: 243.75
        Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
        """
}

@Suite("CPU features")
struct CPUFeaturesTests {
    @Test func parsesAVX512Machine() {
        let cpu = CPUFeatures.parse(cpuinfo: SampleCPUInfo.zen5AVX512)
        #expect(cpu.hasAVX512)
        #expect(cpu.hasAVX2)
        #expect(cpu.vectorExtension == "AVX-512")
        #expect(cpu.modelName == "AMD EPYC 9R45")
        #expect(cpu.flags.contains("avx512_bf16"))
        #expect(!cpu.flags.contains("processor"))  // only the first flags line is read
    }

    @Test func parsesAVX2Machine() {
        let cpu = CPUFeatures.parse(cpuinfo: SampleCPUInfo.zenAVX2)
        #expect(!cpu.hasAVX512)
        #expect(cpu.hasAVX2)
        #expect(cpu.vectorExtension == "AVX2")
        #expect(cpu.flags.count == 19)
    }

    @Test func avx512FoundationAloneIsNotEnough() {
        let cpu = CPUFeatures.parse(cpuinfo: SampleCPUInfo.avx512fOnly)
        #expect(!cpu.hasAVX512)
        #expect(cpu.vectorExtension == "AVX2")
    }

    @Test func armFeaturesAndEmptyText() {
        let arm = CPUFeatures.parse(cpuinfo: SampleCPUInfo.arm)
        #expect(arm.flags.contains("asimd"))
        #expect(!arm.hasAVX2)
        #expect(CPUFeatures.parse(cpuinfo: "").flags.isEmpty)
    }

    /// The running machine: whatever it is, the parse must find x86 or ARM flags on Linux.
    @Test func currentMachineHasFlags() {
        #if os(Linux)
        #expect(!CPUFeatures.current().flags.isEmpty)
        #endif
    }

    @Test func cpuLists() {
        #expect(countCPUList("0-3,8,10-11") == 7)
        #expect(countCPUList("0") == 1)
        #expect(countCPUList("0-1") == 2)
        #expect(countCPUList("3-1") == nil)
        #expect(countCPUList("a") == nil)
        #expect(affinityCoreCount() >= 1)
        #expect(affinityCoreCount() <= onlineCoreCount())
    }
}
