#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures sgemm throughput through `gemm(...)` on the shapes a BERT/MiniLM step runs.
///
/// A shape is timed by warming up, then taking samples of one or more back-to-back calls
/// (enough calls that a sample lasts ≥ 1 ms, so clock resolution does not matter for the tiny
/// attention shapes) until the time budget is used, at least 3 samples; the figure is the
/// median sample. FLOPs per call are 2·M·N·K.
public enum SgemmBenchmark {
    /// One row-major problem: op(A) [m, k] · op(B) [k, n] = C [m, n].
    public struct Shape: Codable, Equatable, Sendable {
        public var m: Int
        public var k: Int
        public var n: Int
        public var transA: Bool
        public var transB: Bool
        /// What the shape stands for in a training step.
        public var role: String

        public init(m: Int, k: Int, n: Int, transA: Bool = false, transB: Bool = false, role: String = "") {
            self.m = m
            self.k = k
            self.n = n
            self.transA = transA
            self.transB = transB
            self.role = role
        }

        /// Parses "MxKxN" with an optional transpose suffix ("64x32x64NT", "384×2048×1536 TN");
        /// nil when the text is not such a shape.
        public init?(parsing text: String) {
            var body = Substring(text.replacingCharacter("×", with: "x")).trimmingSpaces()
            var transA = false, transB = false
            if let last = body.last, last == "N" || last == "T" || last == "n" || last == "t" {
                let ops = body.suffix(2)
                guard ops.count == 2, ops.allSatisfy({ "NTnt".contains($0) }) else { return nil }
                transA = ops.first!.uppercased() == "T"
                transB = ops.last!.uppercased() == "T"
                body = body.dropLast(2).trimmingSpaces()
            }
            let dims = body.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard dims.count == 3, let m = dims[0], let k = dims[1], let n = dims[2],
                  m > 0, k > 0, n > 0 else { return nil }
            self.init(m: m, k: k, n: n, transA: transA, transB: transB, role: "user shape")
        }

        /// "2048×384×1536 NT".
        public var label: String { "\(m)×\(k)×\(n) \(transA ? "T" : "N")\(transB ? "T" : "N")" }

        /// Floating-point operations of one call.
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// The measurement of one shape.
    public struct Result: Codable, Equatable, Sendable {
        public var shape: Shape
        /// Median seconds per call.
        public var seconds: Double
        /// 1e-9 · flops / seconds.
        public var gflops: Double
        /// `gflops` / threads.
        public var gflopsPerThread: Double
        /// 1e-9 · flops per second of process CPU time (all threads, spinning included), from
        /// the median sample. On a machine other jobs share, wall-clock figures fall with the
        /// load while this one mostly does not, so it is the fairer way to compare kernels.
        public var gflopsPerCPUSecond: Double
        /// Samples taken, and calls per sample.
        public var samples: Int
        public var callsPerSample: Int
    }

    /// All shapes of one run, with the threads and kernels they ran on.
    public struct Report: Codable, Equatable, Sendable {
        public var results: [Result]
        public var threads: Int
        /// The OpenBLAS core name (e.g. "SkylakeX").
        public var kernels: String
        /// The best GFLOP/s over all shapes: the machine's measured sgemm peak, for MFU.
        public var peakGflops: Double { results.map(\.gflops).max() ?? 0 }
        public var peakGflopsPerThread: Double { results.map(\.gflopsPerThread).max() ?? 0 }

        enum CodingKeys: String, CodingKey { case results, threads, kernels, peakGflops, peakGflopsPerThread }

        public init(results: [Result], threads: Int, kernels: String) {
            self.results = results
            self.threads = threads
            self.kernels = kernels
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            results = try c.decode([Result].self, forKey: .results)
            threads = try c.decode(Int.self, forKey: .threads)
            kernels = try c.decode(String.self, forKey: .kernels)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(results, forKey: .results)
            try c.encode(threads, forKey: .threads)
            try c.encode(kernels, forKey: .kernels)
            try c.encode(peakGflops, forKey: .peakGflops)
            try c.encode(peakGflopsPerThread, forKey: .peakGflopsPerThread)
        }
    }

    /// BERT-base-like / MiniLM shapes for 2048 tokens (e.g. 32 sequences of 64), hidden 384,
    /// FFN 1536, head size 32, plus a square reference.
    public static let bertShapes: [Shape] = [
        Shape(m: 2048, k: 384, n: 384, role: "input gradient dY·W, hidden to hidden"),
        Shape(m: 2048, k: 384, n: 1536, role: "input gradient dY·W of the FFN down projection"),
        Shape(m: 2048, k: 1536, n: 384, transB: true, role: "FFN down forward x·Wᵀ"),
        Shape(m: 384, k: 2048, n: 1536, transA: true, role: "weight gradient dYᵀ·X"),
        Shape(m: 64, k: 32, n: 64, transB: true, role: "attention scores Q·Kᵀ, one head"),
        Shape(m: 2048, k: 2048, n: 2048, role: "square reference"),
    ]

    /// Times `shapes` with the current OpenBLAS threads.
    ///
    /// - Parameters:
    ///   - shapes: the problems to time.
    ///   - secondsPerShape: time budget per shape after warm-up (at least 3 samples are taken
    ///     even when one call exceeds it).
    public static func run(shapes: [Shape] = bertShapes, secondsPerShape: Double = 0.3) -> Report {
        let threads = blasThreads()
        let results = shapes.map { measure($0, secondsPerShape: secondsPerShape, threads: threads) }
        return Report(results: results, threads: threads, kernels: blasCoreName())
    }

    /// Times one shape (see the type's description for the sampling).
    public static func measure(_ shape: Shape, secondsPerShape: Double, threads: Int) -> Result {
        let storedA = shape.m * shape.k, storedB = shape.k * shape.n
        // Values in [-1, 1): denormals or NaN would distort timings.
        var seed: UInt32 = 12345
        func next() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / Float(1 << 23) - 1
        }
        let a = UnsafeMutablePointer<Float>.allocate(capacity: max(1, storedA))  // [m, k] or [k, m]
        let b = UnsafeMutablePointer<Float>.allocate(capacity: max(1, storedB))  // [k, n] or [n, k]
        let c = UnsafeMutablePointer<Float>.allocate(capacity: max(1, shape.m * shape.n))  // [m, n]
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<storedA { a[i] = next() }
        for i in 0..<storedB { b[i] = next() }
        c.initialize(repeating: 0, count: max(1, shape.m * shape.n))

        return sample(shape, secondsPerShape: secondsPerShape, threads: threads) {
            gemm(transA: shape.transA, transB: shape.transB, m: shape.m, n: shape.n, k: shape.k,
                 a: a, b: b, c: c)
        }
    }

    /// Times `call`, one product of `shape`, as the type's description says (the sampling
    /// every product benchmark shares, whatever library runs the product).
    public static func sample(_ shape: Shape, secondsPerShape: Double, threads: Int, _ call: () -> Void) -> Result {
        // Warm-up: thread pool start, page faults, caches; also a first estimate of one call.
        call()
        var single = time(call)
        if single < 1e-4 { single = time(repeating: 100, call) / 100 }
        let callsPerSample = max(1, Int((1e-3 / max(single, 1e-9)).rounded(.up)))
        let sampleSeconds = single * Double(callsPerSample)
        let sampleCount = min(200, max(3, Int(secondsPerShape / max(sampleSeconds, 1e-9))))

        var samples: [Double] = [], cpuSamples: [Double] = []
        samples.reserveCapacity(sampleCount)
        cpuSamples.reserveCapacity(sampleCount)
        for _ in 0..<sampleCount {
            let cpuStart = processCPUSeconds()
            samples.append(time(repeating: callsPerSample, call) / Double(callsPerSample))
            cpuSamples.append((processCPUSeconds() - cpuStart) / Double(callsPerSample))
        }
        samples.sort()
        cpuSamples.sort()
        let median = samples[samples.count / 2]
        let cpuMedian = cpuSamples[cpuSamples.count / 2]
        let gflops = shape.flops / median * 1e-9
        return Result(shape: shape, seconds: median, gflops: gflops,
                      gflopsPerThread: gflops / Double(max(1, threads)),
                      gflopsPerCPUSecond: cpuMedian > 0 ? shape.flops / cpuMedian * 1e-9 : 0,
                      samples: sampleCount, callsPerSample: callsPerSample)
    }

    /// Seconds `body` takes, run `count` times back to back (monotonic clock).
    private static func time(repeating count: Int = 1, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let elapsed = clock.measure { for _ in 0..<count { body() } }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}

extension String {
    /// The string with every `character` replaced by `replacement`.
    func replacingCharacter(_ character: Character, with replacement: Character) -> String {
        String(map { $0 == character ? replacement : $0 })
    }
}
