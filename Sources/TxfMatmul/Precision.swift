import CDNNL
import TxfCore

/// The precision of the matrix products a run asks for.
///
/// fp32 is the OpenBLAS path. bf16 is the mixed recipe: bf16 product inputs on oneDNN, fp32
/// accumulation, outputs, master weights and everything that is not a product.
public enum Precision: String, CaseIterable, Codable, Sendable {
    /// bf16 where the CPU multiplies bf16 natively and oneDNN uses it, fp32 otherwise.
    case auto
    case bf16
    case fp32
    /// The bf16 recipe's numbers on any CPU: product inputs rounded to bf16, then OpenBLAS sgemm
    /// in fp32 (what a bf16 × bf16 → fp32 engine computes, up to summation order). Slower than
    /// fp32; for checking a bf16 run where the CPU has no bf16 hardware.
    case bf16Reference = "bf16-reference"

    /// The precision a run uses (never `.auto`), and why.
    ///
    /// A pure function of what the CPU and oneDNN report, so every branch is testable on any
    /// machine.
    /// - Throws: `TxfError` when bf16 is asked for without native bf16: oneDNN would emulate it
    ///   (AVX-512 without BF16) or has no bf16 matmul at all (AVX2), and emulated bf16 is slower
    ///   than fp32.
    public func resolve(cpu: CPUFeatures, engine: BF16EngineSupport) throws -> PrecisionChoice {
        let hardware = cpu.bf16Hardware
        let native = hardware != nil && engine.isNative
        let engineText = "\(engine.library) \(engine.implementation ?? "none")"
        switch self {
        case .fp32:
            return PrecisionChoice(requested: self, resolved: .fp32, reason: "requested")
        case .bf16Reference:
            return PrecisionChoice(requested: self, resolved: .bf16Reference,
                                   reason: "requested: bf16-rounded inputs, fp32 sgemm; slower than fp32")
        case .bf16:
            guard let hardware, native else {
                throw TxfError("precision bf16 needs native bf16 products, and \(Self.missing(cpu: cpu, engine: engine)); "
                    + "emulated bf16 is slower than fp32: use precision fp32 or auto")
            }
            return PrecisionChoice(requested: self, resolved: .bf16, reason: "requested; \(hardware), \(engineText)")
        case .auto:
            guard let hardware, native else {
                return PrecisionChoice(requested: self, resolved: .fp32, reason: "auto: \(Self.missing(cpu: cpu, engine: engine))")
            }
            return PrecisionChoice(requested: self, resolved: .bf16, reason: "auto: \(hardware), \(engineText)")
        }
    }

    /// Why there is no native bf16: the CPU lacks the instructions, or oneDNN does not use them.
    private static func missing(cpu: CPUFeatures, engine: BF16EngineSupport) -> String {
        guard let hardware = cpu.bf16Hardware else {
            let model = cpu.modelName.map { " (\($0))" } ?? ""
            return "this CPU\(model) has no AVX512-BF16 or AMX-BF16"
        }
        let implementation = engine.implementation.map { "implementation \($0)" } ?? "no bf16 matmul"
        return "the CPU has \(hardware) but \(engine.library) does not use it (ISA \(engine.effectiveISA), \(implementation))"
    }
}

/// A resolved precision and the reason, for the start-up line and run logs.
public struct PrecisionChoice: Equatable, Sendable {
    public var requested: Precision
    /// `.bf16`, `.fp32` or `.bf16Reference`.
    public var resolved: Precision
    public var reason: String

    /// Whether products take bf16 inputs on oneDNN.
    public var isBF16: Bool { resolved == .bf16 }

    /// The engine of the model's products.
    public var matmulMode: MatmulMode {
        switch resolved {
        case .bf16: .oneDNN(.bf16)
        case .bf16Reference: .bf16Reference
        case .fp32, .auto: .openBLAS
        }
    }

    /// "precision: fp32 (auto: this CPU has no AVX512-BF16 or AMX-BF16)", printed beside the
    /// "blas: …" line.
    public var startupLine: String { "precision: \(resolved.rawValue) (\(reason))" }
}

extension CPUFeatures {
    /// The best bf16 multiply the CPU has ("AMX-BF16", "AVX512-BF16"), nil when none.
    public var bf16Hardware: String? {
        if hasAMXBF16 { return "AMX-BF16" }
        if hasAVX512BF16 { return "AVX512-BF16" }
        return nil
    }
}

/// What oneDNN says about bf16 matmul on this CPU.
public struct BF16EngineSupport: Equatable, Sendable {
    /// "oneDNN 2.6.3".
    public var library: String
    /// oneDNN's name for the instruction set it dispatches to ("avx2", "avx512_core_amx").
    public var effectiveISA: String
    /// Whether that instruction set includes the bf16 instructions.
    public var isaHasBF16: Bool
    /// The implementation oneDNN picks for a bf16 × bf16 → f32 matmul; nil when it has none.
    public var implementation: String?

    public init(library: String, effectiveISA: String, isaHasBF16: Bool, implementation: String?) {
        self.library = library
        self.effectiveISA = effectiveISA
        self.isaHasBF16 = isaHasBF16
        self.implementation = implementation
    }

    /// Native: oneDNN dispatches to a bf16 instruction set and its bf16 matmul is not the
    /// reference (scalar C++) implementation.
    public var isNative: Bool {
        guard isaHasBF16, let implementation else { return false }
        return !implementation.hasPrefix("ref")
    }

    /// Asks oneDNN: its effective ISA, and the implementation of a small bf16 matmul
    /// (64×64×64 NT, plain layouts; creating its descriptor takes well under a millisecond).
    public static func probe() -> BF16EngineSupport {
        let isa = dnnl_get_effective_cpu_isa()
        let bf16Bits = dnnl_cpu_isa_avx512_core_bf16.rawValue
        var implementation: String?
        if let context = try? DNNLContext() {
            let what = "bf16 probe"
            let size = 64
            if let source = try? stridedDescriptor(dims: [size, size], strides: [size, 1], type: .bf16, what: what),
               let weights = try? stridedDescriptor(dims: [size, size], strides: [1, size], type: .bf16, what: what),
               let destination = try? stridedDescriptor(dims: [size, size], strides: [size, 1], type: .f32, what: what),
               let pd = try? makeMatmulPrimitiveDescriptor(context: context, source: source, weights: weights,
                                                           destination: destination, alpha: 1, beta: 0, what: what) {
                implementation = implementationName(pd)
                dnnl_primitive_desc_destroy(pd)
            }
        }
        return BF16EngineSupport(library: dnnlVersion(), effectiveISA: isaName(isa),
                                 isaHasBF16: isa.rawValue & bf16Bits == bf16Bits, implementation: implementation)
    }

    private static func isaName(_ isa: dnnl_cpu_isa_t) -> String {
        switch isa {
        case dnnl_cpu_isa_sse41: "sse41"
        case dnnl_cpu_isa_avx: "avx"
        case dnnl_cpu_isa_avx2: "avx2"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        case dnnl_cpu_isa_avx512_mic: "avx512_mic"
        case dnnl_cpu_isa_avx512_mic_4ops: "avx512_mic_4ops"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        default: "isa 0x\(String(isa.rawValue, radix: 16))"
        }
    }
}

/// Which engine computes a model's matrix products.
public enum MatmulMode: Sendable, Equatable, CustomStringConvertible {
    /// OpenBLAS sgemm in fp32: the fp32 precision.
    case openBLAS
    /// oneDNN matmul with inputs of this type, fp32 accumulation and outputs: bf16 is the bf16
    /// precision; f32 runs the same integration (prepared weights, batched attention) on any CPU.
    case oneDNN(MatmulDataType)
    /// bf16-rounded inputs, then OpenBLAS sgemm: the bf16 numbers on any CPU.
    case bf16Reference

    /// Whether product inputs are rounded to bf16.
    public var roundsToBF16: Bool { self == .oneDNN(.bf16) || self == .bf16Reference }

    public var description: String {
        switch self {
        case .openBLAS: "OpenBLAS fp32"
        case .oneDNN(let type): "oneDNN \(type.rawValue)"
        case .bf16Reference: "bf16 reference (rounded inputs, OpenBLAS)"
        }
    }
}
