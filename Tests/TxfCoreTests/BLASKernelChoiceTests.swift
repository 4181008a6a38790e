import Testing
import TxfCore

@Suite("BLAS kernel choice")
struct BLASKernelChoiceTests {
    let avx512 = CPUFeatures.parse(cpuinfo: SampleCPUInfo.zen5AVX512)
    let avx2 = CPUFeatures.parse(cpuinfo: SampleCPUInfo.zenAVX2)
    let unknown = CPUFeatures(flags: [])

    @Test func requestParsing() {
        #expect(BLASCoreTypeRequest(environmentValue: nil) == .auto)
        #expect(BLASCoreTypeRequest(environmentValue: "") == .auto)
        #expect(BLASCoreTypeRequest(environmentValue: " AUTO ") == .auto)
        #expect(BLASCoreTypeRequest(environmentValue: "system") == .system)
        #expect(BLASCoreTypeRequest(environmentValue: "Haswell") == .named("Haswell"))
    }

    @Test func kernelClasses() {
        #expect(BLASKernelClass(coreType: "SkylakeX") == .avx512)
        #expect(BLASKernelClass(coreType: "cooperlake") == .avx512)
        #expect(BLASKernelClass(coreType: "Zen") == .avx2)
        #expect(BLASKernelClass(coreType: "HASWELL") == .avx2)
        #expect(BLASKernelClass(coreType: "Sandybridge") == .older)
        #expect(BLASKernelClass(features: avx512) == .avx512)
        #expect(BLASKernelClass(features: avx2) == .avx2)
    }

    /// The case: the machine presets Haswell on an AVX-512 CPU.
    @Test func avx512WithHaswellPresetGetsSkylakeX() {
        let d = decideBLASCoreType(features: avx512, request: .auto, current: "Haswell", loaded: "Haswell")
        #expect(d.coreType == "SkylakeX")
        #expect(d.source == .txf)
        #expect(d.needsReexec(current: "Haswell"))
        #expect(d.warning == nil)
    }

    @Test func avx512WithAVX512KernelsLoadedKeepsThem() {
        let detected = decideBLASCoreType(features: avx512, request: .auto, current: nil, loaded: "Cooperlake")
        #expect(detected.coreType == nil)
        #expect(detected.source == .library)
        #expect(!detected.needsReexec(current: nil))

        let preset = decideBLASCoreType(features: avx512, request: .auto, current: "skylakex", loaded: "SkylakeX")
        #expect(preset.source == .environment)
        #expect(!preset.needsReexec(current: "skylakex"))  // case differs, same kernels
    }

    @Test func avx512WhereOpenBLASDetectsOnlyAVX2() {
        let d = decideBLASCoreType(features: avx512, request: .auto, current: nil, loaded: "Zen")
        #expect(d.coreType == "SkylakeX")
        #expect(d.needsReexec(current: nil))
    }

    /// This development machine: AVX2, nothing preset, OpenBLAS detects Zen; Haswell's
    /// kernels are faster on small shapes (measured), so txf asks for them.
    @Test func avx2PrefersHaswellOverZen() {
        let d = decideBLASCoreType(features: avx2, request: .auto, current: nil, loaded: "Zen")
        #expect(d.coreType == "Haswell")
        #expect(d.source == .txf)
        #expect(d.reason == "AVX2 CPU, instead of Zen")
        #expect(d.needsReexec(current: nil))

        let haswell = decideBLASCoreType(features: avx2, request: .auto, current: "Haswell", loaded: "Haswell")
        #expect(haswell.coreType == "Haswell")
        #expect(haswell.source == .environment)
        #expect(!haswell.needsReexec(current: "Haswell"))
    }

    /// A CPU older than AVX2 keeps whatever OpenBLAS detected.
    @Test func olderCPUKeepsDetection() {
        let sse = CPUFeatures(flags: ["sse", "sse2", "avx"])
        let d = decideBLASCoreType(features: sse, request: .auto, current: nil, loaded: "Sandybridge")
        #expect(d.coreType == nil)
        #expect(d.source == .library)
        #expect(!d.needsReexec(current: nil))
    }

    /// SkylakeX kernels on an AVX2 CPU die of SIGILL (measured), so a preset is replaced;
    /// on a pre-AVX2 CPU it is dropped and OpenBLAS detects.
    @Test func unrunnablePresetIsReplaced() {
        let d = decideBLASCoreType(features: avx2, request: .auto, current: "SkylakeX", loaded: "SkylakeX")
        #expect(d.coreType == "Haswell")
        #expect(d.source == .txf)
        #expect(d.needsReexec(current: "SkylakeX"))

        let sse = CPUFeatures(flags: ["sse", "sse2"])
        let old = decideBLASCoreType(features: sse, request: .auto, current: "Haswell", loaded: "Haswell")
        #expect(old.coreType == nil)
        #expect(old.needsReexec(current: "Haswell"))
    }

    @Test func avx2UpgradesAnOlderPreset() {
        let d = decideBLASCoreType(features: avx2, request: .auto, current: "Sandybridge", loaded: "Sandybridge")
        #expect(d.coreType == "Haswell")
        #expect(d.source == .txf)
    }

    @Test func userRequestIsHonouredWhereTheCPUCanRunIt() {
        let d = decideBLASCoreType(features: avx512, request: .named("Haswell"), current: nil, loaded: "SkylakeX")
        #expect(d.coreType == "Haswell")
        #expect(d.source == .user)
        #expect(d.needsReexec(current: nil))

        let refused = decideBLASCoreType(features: avx2, request: .named("SkylakeX"), current: nil, loaded: "Zen")
        #expect(refused.coreType == "Haswell")  // the automatic choice, with a warning
        #expect(refused.warning?.contains("AVX-512") == true)
    }

    @Test func systemKeepsTheEnvironment() {
        let d = decideBLASCoreType(features: avx512, request: .system, current: "Haswell", loaded: "Haswell")
        #expect(d.coreType == "Haswell")
        #expect(d.source == .environment)
        #expect(!d.needsReexec(current: "Haswell"))
    }

    /// Without flags (no /proc/cpuinfo) nothing is forced, and a user request passes through.
    @Test func unknownCPUForcesNothing() {
        let d = decideBLASCoreType(features: unknown, request: .auto, current: "Haswell", loaded: "Haswell")
        #expect(!d.needsReexec(current: "Haswell"))
        let user = decideBLASCoreType(features: unknown, request: .named("SkylakeX"), current: nil, loaded: "Haswell")
        #expect(user.coreType == "SkylakeX")
    }

    /// The running process: `selectKernels` was not called in the test runner, so the decision
    /// is derived from the environment, and the start-up line names the loaded kernels.
    @Test func startupLineNamesTheLoadedKernels() {
        let line = BLASRuntime.startupLine()
        #expect(line.hasPrefix("blas: OpenBLAS "))
        #expect(line.contains("kernels \(blasCoreName()) ("))
        #expect(line.contains("TXF_BLAS_CORETYPE"))
    }
}
