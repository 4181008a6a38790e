#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import TxfCore

/// The element types a oneDNN product takes as inputs; outputs and accumulation are fp32.
public enum MatmulDataType: String, Codable, Sendable, CaseIterable {
    case f32, bf16

    var dnnl: dnnl_data_type_t { self == .f32 ? dnnl_f32 : dnnl_bf16 }
}

/// Element types a `DNNLMatmul` product reads: Float or BFloat16.
public protocol MatmulElement {
    static var matmulDataType: MatmulDataType { get }
}

extension Float: MatmulElement {
    public static var matmulDataType: MatmulDataType { .f32 }
}

extension BFloat16: MatmulElement {
    public static var matmulDataType: MatmulDataType { .bf16 }
}

/// One oneDNN CPU engine and its in-order stream.
///
/// Not shareable between threads: each thread (or each object that runs products) owns one.
/// Everything built on it (primitives, memory objects, prepared weights) keeps a reference,
/// so the engine outlives them.
final class DNNLContext {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    init() throws {
        OneDNNThreads.matchBLAS()
        var engine: dnnl_engine_t?
        try dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create", "CPU engine 0")
        var stream: dnnl_stream_t?
        let status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue)
        if status != dnnl_success { dnnl_engine_destroy(engine) }
        try dnnlCheck(status, "dnnl_stream_create", "CPU stream")
        self.engine = engine!
        self.stream = stream!
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }

    /// Runs `primitive` with `arguments` (DNNL_ARG_* index, memory) and waits for it.
    func execute(_ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_t)], what: @autoclosure () -> String) throws {
        // On the stack: a model step runs about a thousand products.
        let status = withUnsafeTemporaryAllocation(of: dnnl_exec_arg_t.self, capacity: arguments.count) { args in
            for (i, argument) in arguments.enumerated() { args.initializeElement(at: i, to: dnnl_exec_arg_t(arg: argument.0, memory: argument.1)) }
            return dnnl_primitive_execute(primitive, stream, Int32(args.count), args.baseAddress)
        }
        try dnnlCheck(status, "dnnl_primitive_execute", what())
        try dnnlCheck(dnnl_stream_wait(stream), "dnnl_stream_wait", what())
    }

    /// A memory object for `descriptor` whose buffer the caller sets per call.
    func borrowedMemory(_ descriptor: dnnl_memory_desc_t, what: @autoclosure () -> String) throws -> dnnl_memory_t {
        var descriptor = descriptor
        var memory: dnnl_memory_t?
        try dnnlCheck(dnnl_memory_create(&memory, &descriptor, engine, nil), "dnnl_memory_create", what())
        return memory!
    }
}

/// Throws a TxfError naming the call, oneDNN's status and what was being done.
func dnnlCheck(_ status: dnnl_status_t, _ call: String, _ context: @autoclosure () -> String) throws {
    guard status != dnnl_success else { return }
    throw TxfError("oneDNN \(call) failed: \(String(cString: dnnl_status2str(status))) (\(context()))")
}

/// A plain memory descriptor with explicit strides (elements, outermost dimension first).
func stridedDescriptor(dims: [Int], strides: [Int], type: MatmulDataType, what: @autoclosure () -> String) throws -> dnnl_memory_desc_t {
    var descriptor = dnnl_memory_desc_t()
    try dnnlCheck(dnnl_memory_desc_init_by_strides(&descriptor, Int32(dims.count), dims.map(Int64.init), type.dnnl,
                                                   strides.map(Int64.init)),
                  "dnnl_memory_desc_init_by_strides", what())
    return descriptor
}

/// A descriptor that leaves the layout to the primitive (`dnnl_format_tag_any`).
func anyLayoutDescriptor(dims: [Int], type: MatmulDataType, what: @autoclosure () -> String) throws -> dnnl_memory_desc_t {
    var descriptor = dnnl_memory_desc_t()
    try dnnlCheck(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims.map(Int64.init), type.dnnl, dnnl_format_tag_any),
                  "dnnl_memory_desc_init_by_tag", what())
    return descriptor
}

/// "oneDNN 2.6.3".
public func dnnlVersion() -> String {
    let version = dnnl_version()!.pointee
    return "oneDNN \(version.major).\(version.minor).\(version.patch)"
}

/// oneDNN's threads (its Debian build runs products on OpenMP, libgomp, which it loads).
///
/// OpenMP would start one thread per core in every rank; the products get what BLAS gets
/// instead (`BLASThreads`: cores on the node / ranks on the node, at most the rank's cores).
/// `omp_set_num_threads` is looked up at run time, so txf links no OpenMP library of its own.
public enum OneDNNThreads {
    /// Gives oneDNN the calling thread's BLAS thread count; false when OpenMP is not loaded.
    @discardableResult
    public static func matchBLAS() -> Bool { set(blasThreads()) }

    /// Sets the OpenMP threads of products started from the calling thread.
    @discardableResult
    public static func set(_ count: Int) -> Bool {
        guard let symbol = dlsym(nil, "omp_set_num_threads") else { return false }
        typealias SetThreads = @convention(c) (Int32) -> Void
        unsafeBitCast(symbol, to: SetThreads.self)(Int32(max(1, count)))
        return true
    }
}
