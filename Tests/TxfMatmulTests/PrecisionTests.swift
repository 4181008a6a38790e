import Testing
import TxfCore
import TxfMatmul

@Suite("precision resolution")
struct PrecisionTests {
    static let epyc = CPUFeatures(flags: ["avx2", "fma", "avx"], modelName: "AMD EPYC 7B12")
    static let skylake = CPUFeatures(flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl"])
    static let cooperLake = CPUFeatures(flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"])
    static let sapphireRapids = CPUFeatures(flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile", "amx_bf16"])

    static let noBF16Matmul = BF16EngineSupport(library: "oneDNN 2.6.3", effectiveISA: "avx2", isaHasBF16: false, implementation: nil)
    static let emulated = BF16EngineSupport(library: "oneDNN 2.6.3", effectiveISA: "avx512_core", isaHasBF16: false, implementation: "gemm:jit")
    static let amx = BF16EngineSupport(library: "oneDNN 2.6.3", effectiveISA: "avx512_core_amx", isaHasBF16: true,
                                       implementation: "brg:avx512_core_amx_bf16")
    static let avx512BF16 = BF16EngineSupport(library: "oneDNN 2.6.3", effectiveISA: "avx512_core_bf16", isaHasBF16: true,
                                              implementation: "brg:avx512_core_bf16")
    static let reference = BF16EngineSupport(library: "oneDNN 2.6.3", effectiveISA: "avx512_core_bf16", isaHasBF16: true,
                                             implementation: "ref:any")

    @Test func cpuFlags() {
        #expect(Self.epyc.bf16Hardware == nil)
        #expect(Self.skylake.bf16Hardware == nil)
        #expect(Self.cooperLake.bf16Hardware == "AVX512-BF16")
        #expect(Self.sapphireRapids.bf16Hardware == "AMX-BF16")
        #expect(!CPUFeatures(flags: ["amx_bf16"]).hasAMXBF16, "AMX needs its tile unit flag too")
    }

    @Test func autoPicksBF16OnlyWhereNative() throws {
        let amx = try Precision.auto.resolve(cpu: Self.sapphireRapids, engine: Self.amx)
        #expect(amx.resolved == .bf16 && amx.isBF16)
        #expect(amx.startupLine == "precision: bf16 (auto: AMX-BF16, oneDNN 2.6.3 brg:avx512_core_amx_bf16)")
        #expect(try Precision.auto.resolve(cpu: Self.cooperLake, engine: Self.avx512BF16).resolved == .bf16)

        let epyc = try Precision.auto.resolve(cpu: Self.epyc, engine: Self.noBF16Matmul)
        #expect(epyc.resolved == .fp32)
        #expect(epyc.startupLine == "precision: fp32 (auto: this CPU (AMD EPYC 7B12) has no AVX512-BF16 or AMX-BF16)")
        #expect(try Precision.auto.resolve(cpu: Self.skylake, engine: Self.emulated).resolved == .fp32)
        // Flags present but oneDNN would not use them (capped ISA, or only its reference code).
        let capped = try Precision.auto.resolve(cpu: Self.sapphireRapids, engine: Self.emulated)
        #expect(capped.resolved == .fp32)
        #expect(capped.reason.contains("AMX-BF16 but oneDNN 2.6.3 does not use it"), "\(capped.reason)")
        #expect(try Precision.auto.resolve(cpu: Self.cooperLake, engine: Self.reference).resolved == .fp32)
        // oneDNN native but the flags missing (a hypervisor hiding them): trust the flags.
        #expect(try Precision.auto.resolve(cpu: Self.epyc, engine: Self.amx).resolved == .fp32)
    }

    @Test func explicitChoices() throws {
        #expect(try Precision.bf16.resolve(cpu: Self.sapphireRapids, engine: Self.amx).startupLine
            == "precision: bf16 (requested; AMX-BF16, oneDNN 2.6.3 brg:avx512_core_amx_bf16)")
        for cpu in [Self.epyc, Self.sapphireRapids] {
            #expect(try Precision.fp32.resolve(cpu: cpu, engine: Self.amx).startupLine == "precision: fp32 (requested)")
        }
        for (cpu, engine) in [(Self.epyc, Self.noBF16Matmul), (Self.skylake, Self.emulated), (Self.cooperLake, Self.reference)] {
            let error = #expect(throws: TxfError.self) { try Precision.bf16.resolve(cpu: cpu, engine: engine) }
            #expect(error?.message.contains("slower than fp32") == true, "\(String(describing: error))")
        }
    }

    /// The probe of this machine is consistent with its flags (whatever the CPU is).
    @Test func probeOfThisMachine() throws {
        let support = BF16EngineSupport.probe()
        #expect(support.library.hasPrefix("oneDNN "))
        let choice = try Precision.auto.resolve(cpu: .current(), engine: support)
        if CPUFeatures.current().bf16Hardware == nil { #expect(choice.resolved == .fp32) }
        #expect(choice.startupLine.hasPrefix("precision: "))
    }
}
