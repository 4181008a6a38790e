import Foundation
import Testing
import TxfCore

@Suite("sgemm benchmark")
struct SgemmBenchmarkTests {
    @Test func shapeParsingAndLabels() {
        let nt = SgemmBenchmark.Shape(parsing: "64x32x64NT")
        #expect(nt == SgemmBenchmark.Shape(m: 64, k: 32, n: 64, transB: true, role: "user shape"))
        #expect(nt?.label == "64×32×64 NT")
        #expect(SgemmBenchmark.Shape(parsing: "384×2048×1536 TN")?.transA == true)
        #expect(SgemmBenchmark.Shape(parsing: "8x8x8")?.label == "8×8×8 NN")
        #expect(SgemmBenchmark.Shape(parsing: "8x8") == nil)
        #expect(SgemmBenchmark.Shape(parsing: "8x0x8") == nil)
        #expect(SgemmBenchmark.Shape(parsing: "8x8x8XT") == nil)
        #expect(SgemmBenchmark.Shape(m: 2, k: 3, n: 5).flops == 60)
    }

    /// The BERT set: MiniLM-sized projections, FFN and weight gradients, one attention head,
    /// and a large square reference, in this order.
    @Test func bertShapes() {
        #expect(SgemmBenchmark.bertShapes.map(\.label) == [
            "2048×384×384 NN", "2048×384×1536 NN", "2048×1536×384 NT",
            "384×2048×1536 TN", "64×32×64 NT", "2048×2048×2048 NN",
        ])
    }

    /// A real (tiny) measurement: positive figures, the sampling rules, peak = best shape,
    /// and a JSON round trip that carries the peak.
    @Test func measuresAndEncodes() throws {
        let shapes = [SgemmBenchmark.Shape(m: 64, k: 32, n: 64, transB: true), SgemmBenchmark.Shape(m: 96, k: 96, n: 96)]
        let report = SgemmBenchmark.run(shapes: shapes, secondsPerShape: 0.01)
        #expect(report.results.count == 2)
        #expect(report.kernels == blasCoreName())
        for r in report.results {
            #expect(r.gflops > 0 && r.gflops.isFinite)
            #expect(r.samples >= 3)
            // Tiny shapes batch several calls per sample (how many depends on the machine's
            // speed at calibration, so only the lower bound is checked: no timing assertions).
            #expect(r.callsPerSample >= 1)
            assertClose(r.gflops, r.shape.flops / r.seconds * 1e-9, relativeTolerance: 1e-12)
        }
        #expect(report.peakGflops == report.results.map(\.gflops).max())

        let data = try JSONEncoder().encode(report)
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        // JSON text keeps ~16 significant digits, not always the last bit.
        assertClose(try #require(object["peakGflops"] as? Double), report.peakGflops, relativeTolerance: 1e-12)
        let decoded = try JSONDecoder().decode(SgemmBenchmark.Report.self, from: data)
        #expect(decoded.results.map(\.shape) == shapes)
        assertClose(decoded.results.map(\.gflops), report.results.map(\.gflops), relativeTolerance: 1e-12)
    }
}
