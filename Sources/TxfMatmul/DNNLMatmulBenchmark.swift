import TxfCore

/// Measures oneDNN matmul throughput on the shapes a BERT/MiniLM step runs, sampled exactly as
/// `SgemmBenchmark` samples OpenBLAS (same shapes, same report), so the two compare directly.
///
/// Operands are plain strided row-major matrices, as `DNNLMatmul.gemm` takes them; primitive
/// creation happens in the warm-up call and is not timed.
public enum DNNLMatmulBenchmark {
    /// Times `shapes` with `dataType` inputs and fp32 outputs.
    ///
    /// - Parameters:
    ///   - threads: the OpenMP threads oneDNN runs with (OMP_NUM_THREADS; oneDNN has no call
    ///     that reports them), for the per-thread figures.
    ///   - secondsPerShape: time budget per shape after warm-up (at least 3 samples).
    /// - Returns: the report, `kernels` listing the oneDNN implementations used.
    /// - Throws: `TxfError` when oneDNN has no matmul for `dataType` here (bf16 on AVX2).
    public static func run(shapes: [SgemmBenchmark.Shape] = SgemmBenchmark.bertShapes, dataType: MatmulDataType,
                           threads: Int, secondsPerShape: Double = 0.3) throws -> SgemmBenchmark.Report {
        let engine = try DNNLMatmul()
        var results: [SgemmBenchmark.Result] = []
        for shape in shapes {
            switch dataType {
            case .f32: results.append(try measure(shape, as: Float.self, engine: engine, threads: threads, secondsPerShape: secondsPerShape) { $0 })
            case .bf16: results.append(try measure(shape, as: BFloat16.self, engine: engine, threads: threads, secondsPerShape: secondsPerShape) { BFloat16($0) })
            }
        }
        return SgemmBenchmark.Report(results: results, threads: threads,
                                     kernels: "\(dnnlVersion()) \(engine.implementations.sorted().joined(separator: ", "))")
    }

    /// Times one shape with `Element` inputs made from values in [-1, 1) by `convert`.
    private static func measure<Element: MatmulElement>(
        _ shape: SgemmBenchmark.Shape, as _: Element.Type, engine: DNNLMatmul, threads: Int, secondsPerShape: Double,
        _ convert: (Float) -> Element
    ) throws -> SgemmBenchmark.Result {
        // Values in [-1, 1): denormals or NaN would distort timings.
        var seed: UInt32 = 12345
        func next() -> Element {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return convert(Float(seed >> 8) / Float(1 << 23) - 1)
        }
        let a = (0..<shape.m * shape.k).map { _ in next() }  // [m, k] or [k, m]
        let b = (0..<shape.k * shape.n).map { _ in next() }  // [k, n] or [n, k]
        var c = [Float](repeating: 0, count: shape.m * shape.n)  // [m, n]
        return try a.withUnsafeBufferPointer { a in
            try b.withUnsafeBufferPointer { b in
                try c.withUnsafeMutableBufferPointer { c in
                    func call() throws {
                        try engine.gemm(transA: shape.transA, transB: shape.transB, m: shape.m, n: shape.n, k: shape.k,
                                        a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!)
                    }
                    // Creates the primitive, so that a failure is thrown here and not inside the timing.
                    try call()
                    return SgemmBenchmark.sample(shape, secondsPerShape: secondsPerShape, threads: threads) { try? call() }
                }
            }
        }
    }
}
