import Testing
import TxfCore
import TxfMatmul
@testable import TxfModel

/// Loss, logits and every gradient of one forward + backward (loss scale 1) from zeroed gradients.
struct PassResult {
    var loss: Double
    var logits: [Float]
    var gradients: [Float]

    init(_ model: BertClassifier, _ batch: MicroBatch, mode: ForwardMode) {
        model.zeroGradients()
        loss = model.forward(batch, mode: mode)
        logits = Array(model.logits)
        model.backward(lossScale: 1)
        gradients = model.gradients.toArray()
    }
}

/// Largest |x| of a tensor, the scale of the scale-relative bounds below.
func largestMagnitude(_ values: some Collection<Float>) -> Double {
    values.reduce(0) { max($0, Double(abs($1))) }
}

/// The magnitude a tensor's gradient error is judged against: its largest element, and for a
/// bias also its weight's (the key bias's exact gradient is 0 — softmax ignores adding q·b_k
/// to a whole row — so both computations give only rounding noise there, of the order of the
/// key weight's gradient times the unit roundoff).
func gradientScale(of entry: ParameterInfo, in gradients: [Float], table: ParameterTable) -> Double {
    var scale = largestMagnitude(gradients[entry.range])
    if entry.name.hasSuffix(".bias"), let weight = table[String(entry.name.dropLast(4)) + "weight"], weight.trainable {
        scale = max(scale, largestMagnitude(gradients[weight.range]))
    }
    return scale
}

/// Compares two passes: the loss and the logits elementwise (relative + absolute), and each
/// trainable tensor's gradient with an absolute bound of `gradientScale` times its scale
/// (`gradientScale(of:in:table:)`), so near-zero elements are judged against their tensor,
/// not against themselves.
func assertPassesClose(_ actual: PassResult, _ expected: PassResult, table: ParameterTable, relative: Double,
                       absolute: Double, gradientScale scale: Double, _ what: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    assertClose([actual.loss], [expected.loss], relativeTolerance: relative, absoluteTolerance: absolute,
                "\(what): loss", sourceLocation: sourceLocation)
    assertClose(actual.logits, expected.logits, relativeTolerance: relative, absoluteTolerance: absolute,
                "\(what): logits", sourceLocation: sourceLocation)
    for e in table.entries where e.trainable {
        let bound = scale * gradientScale(of: e, in: expected.gradients, table: table)
        assertClose(actual.gradients[e.range], expected.gradients[e.range], relativeTolerance: relative,
                    absoluteTolerance: bound, "\(what): gradient of \(e.name)", sourceLocation: sourceLocation)
    }
}

/// The batch shapes the engine comparisons run: all four rows (lengths 5, 2, 4, 6: padded to
/// 6), three rows padded to 5, and single rows of length 2 and 6 (no padding).
let engineBatches: [Range<Int>] = [0 ..< 4, 0 ..< 3, 1 ..< 2, 3 ..< 4]

/// Whether this CPU and oneDNN multiply bf16 natively (the oneDNN bf16 tests need it).
let nativeBF16 = CPUFeatures.current().bf16Hardware != nil && BF16EngineSupport.probe().isNative
let noNativeBF16Message: Comment = "this CPU has no native bf16 matmul (no AVX512-BF16 or AMX-BF16, or oneDNN does not use it)"

@Suite("Model products on each engine: oneDNN f32 equals OpenBLAS, bf16 equals its reference")
struct MatmulModeTests {
    static let lora = LoRAConfig(rank: 2, alpha: 4, dropout: 0.2, targets: LoRATarget.allCases)

    /// The tiny model (full or LoRA with random B) on an engine.
    static func model(_ matmul: MatmulMode, lora: Bool) -> BertClassifier {
        lora ? tinyLoRAModel(Self.lora, randomB: true, matmul: matmul) : tinyModel(matmul: matmul)
    }

    /// oneDNN with f32 data runs every line of the integration (prepared weights, batched
    /// attention, primitives per shape) and differs from OpenBLAS only in fp32 summation order:
    /// each product's error is at most about k·2⁻²⁴ of Σ|a·b| (k ≤ 32 here: ~2e-6), a few
    /// products deep; 1e-4 relative leaves a wide margin, a wrong product is off by O(1).
    @Test(arguments: [false, true])
    func oneDNNF32MatchesOpenBLAS(lora: Bool) {
        let fp32 = Self.model(.openBLAS, lora: lora), engine = Self.model(.oneDNN(.f32), lora: lora)
        for (n, rows) in engineBatches.enumerated() {
            for mode in [ForwardMode.train(seed: 4, step: UInt64(n)), .eval] {
                let expected = PassResult(fp32, tinyBatch(rows), mode: mode)
                let actual = PassResult(engine, tinyBatch(rows), mode: mode)
                assertPassesClose(actual, expected, table: fp32.table, relative: 1e-4, absolute: 1e-6, gradientScale: 1e-5,
                                  "rows \(rows), \(mode), lora \(lora)")
            }
        }
        #expect(engine.products.batchesHeads && !fp32.products.batchesHeads)
    }

    /// The full last block (not [CLS]-only) on oneDNN f32: the batched attention's every query row.
    @Test func oneDNNF32MatchesOpenBLASWithTheFullLastBlock() {
        let fp32 = tinyModel(), engine = tinyModel(matmul: .oneDNN(.f32))
        fp32.lastBlockComputesCLSOnly = false
        engine.lastBlockComputesCLSOnly = false
        let mode = ForwardMode.train(seed: 9, step: 1)
        assertPassesClose(PassResult(engine, tinyBatch(), mode: mode), PassResult(fp32, tinyBatch(), mode: mode),
                          table: fp32.table, relative: 1e-4, absolute: 1e-6, gradientScale: 1e-5, "full last block")
    }

    /// After parameters change, the engine's weight copies are stale until `parametersDidChange`
    /// (a stale copy gives other logits), then rewritten once per weight; a training forward of
    /// a new step rewrites the trainable ones by itself.
    @Test(arguments: [false, true])
    func weightCopiesAreRefreshedAfterAChange(lora: Bool) {
        let fp32 = Self.model(.openBLAS, lora: lora), engine = Self.model(.oneDNN(.f32), lora: lora)
        let batch = tinyBatch()
        engine.forward(batch, mode: .eval)
        let weightCount = engine.table.entries.filter { $0.shape.count == 2 && !$0.name.hasPrefix("embeddings.") }.count
        let trainableWeightCount = engine.table.entries.filter {
            $0.shape.count == 2 && !$0.name.hasPrefix("embeddings.") && $0.trainable
        }.count
        #expect(engine.products.weightRefreshes == weightCount)  // the forward copies, once each

        func perturb(_ name: String, by factor: Float) {
            for model in [fp32, engine] {
                let p = model.parameter(name)
                for i in 0 ..< p.count { p[i] *= factor }
            }
        }
        let frozenName = "encoder.layer.0.attention.self.query.weight"  // frozen under LoRA
        perturb(frozenName, by: 1.5)
        perturb("classifier.weight", by: -0.5)
        fp32.forward(batch, mode: .eval)
        let expected = Array(fp32.logits)
        engine.forward(batch, mode: .eval)
        let stale = Array(engine.logits)
        #expect(zip(stale, expected).contains { abs($0 - $1) > 1e-3 }, "a stale copy gives other logits")
        engine.parametersDidChange()
        engine.forward(batch, mode: .eval)
        assertClose(Array(engine.logits), expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-6, "after parametersDidChange")
        #expect(engine.products.weightRefreshes == 2 * weightCount)

        // A new optimizer step: the trainable copies are rewritten without being told, the
        // frozen ones (LoRA's base) are not.
        let step1 = ForwardMode.train(seed: 2, step: 1), step2 = ForwardMode.train(seed: 2, step: 2)
        engine.forward(batch, mode: step1)
        let before = engine.products.weightRefreshes
        perturb("classifier.weight", by: 2)
        engine.forward(batch, mode: step2)
        #expect(engine.products.weightRefreshes == before + trainableWeightCount)
        fp32.forward(batch, mode: step2)
        assertClose(Array(engine.logits), Array(fp32.logits), relativeTolerance: 1e-4, absoluteTolerance: 1e-6,
                    "after a new step")
        // The same step again (another micro-step of it) rewrites nothing.
        engine.forward(batch, mode: step2)
        #expect(engine.products.weightRefreshes == before + trainableWeightCount)
    }

    /// Finite differences of the whole model on oneDNN f32 (as `ModelGradientTests`), the
    /// parameters announced after every perturbation.
    @Test func oneDNNF32GradientMatchesFiniteDifferences() {
        let model = tinyModel(matmul: .oneDNN(.f32))
        let batch = tinyBatch(0 ..< 3)
        let mode = ForwardMode.train(seed: 3, step: 2)
        model.zeroGradients()
        model.forward(batch, mode: mode)
        model.backward(lossScale: 1)
        let objective = { model.parametersDidChange(); return model.forward(batch, mode: mode) }
        for (n, e) in model.table.entries.enumerated() {
            let indices = ModelGradientTests.sampleIndices(e.count, key: RandomKey(seed: 77).with(UInt64(n)))
            checkGradient(e.name, values: model.parameters.pointer + e.offset,
                          analytic: model.gradients.pointer + e.offset, indices: indices, objective)
        }
    }

    /// The bf16 reference model against fp32. Each product input is rounded with relative error
    /// ≤ u = 2⁻⁹ (8 significant bits), so each term a·b of a product is off by ≤ 2u and a sum of
    /// K terms by ≤ 2u·Σ|a·b| ≈ 0.4 % of Σ|a·b| — relative to the result's own magnitude that
    /// is multiplied by the cancellation Σ|a·b| / |Σ a·b|. Errors of the ~12 products chained
    /// from the embeddings to the logits (and as many in backward) add up to roughly 12 × 0.4 %
    /// ≈ 5 % of a tensor's scale (LayerNorm keeps the scale at 1); the logits sit where the
    /// errors of the last products average out, so: loss and logits within 2 % of their largest
    /// magnitude, gradients within 10 % of their tensor's scale (backward chains twice as many
    /// products, and small tensors such as LoRA's A cancel strongly). Measured here: logits
    /// ≤ 0.95 %, loss ≤ 0.22 %, gradients ≤ 7.5 % (LoRA), ≤ 5.2 % (full). A missing rounding
    /// would make them equal (checked apart), a wrong product is off by 100 %.
    @Test(arguments: [false, true])
    func bf16ReferenceIsCloseToFP32(lora: Bool) {
        let fp32 = Self.model(.openBLAS, lora: lora), reference = Self.model(.bf16Reference, lora: lora)
        for rows in engineBatches {
            let mode = ForwardMode.train(seed: 6, step: 1)
            let expected = PassResult(fp32, tinyBatch(rows), mode: mode)
            let actual = PassResult(reference, tinyBatch(rows), mode: mode)
            assertClose([actual.loss], [expected.loss], relativeTolerance: 0.02, "rows \(rows): loss")
            assertClose(actual.logits, expected.logits, relativeTolerance: 0,
                        absoluteTolerance: 0.02 * largestMagnitude(expected.logits), "rows \(rows): logits")
            for e in fp32.table.entries where e.trainable {
                let bound = 0.1 * gradientScale(of: e, in: expected.gradients, table: fp32.table)
                assertClose(actual.gradients[e.range], expected.gradients[e.range], relativeTolerance: 0,
                            absoluteTolerance: bound, "rows \(rows): gradient of \(e.name)")
            }
            #expect(actual.logits != expected.logits, "the bf16 products round their inputs")
        }
    }

    /// Every product kind of the bf16 reference engine (activations, weights both ways, batched)
    /// is bit for bit `referenceBF16Gemm`, through `Linear` as the layers call it.
    @Test func bf16ReferenceProductsAreReferenceBF16Gemm() {
        let products = try! MatrixProducts(mode: .bf16Reference, preparedTokens: 1)
        let key = RandomKey(seed: 41)
        let t = 7, inF = 13, outF = 5
        let x = randomBuffer(t * inF, key: key.with(1), scale: 3.7), w = randomBuffer(outF * inF, key: key.with(2))
        let bias = randomBuffer(outF, key: key.with(3)), dy = randomBuffer(t * outF, key: key.with(4), scale: 1.3)
        let y = FloatBuffer(count: t * outF), dx = randomBuffer(t * inF, key: key.with(5)), dw = randomBuffer(outF * inF, key: key.with(6))
        let expectedY = FloatBuffer(count: t * outF), expectedDx = FloatBuffer(count: t * inF)
        let expectedDw = FloatBuffer(count: outF * inF)
        expectedDx.pointer.update(from: dx.pointer, count: dx.count)
        expectedDw.pointer.update(from: dw.pointer, count: dw.count)

        Linear.forward(x: x.pointer, weight: w.pointer, bias: bias.pointer, y: y.pointer, tokens: t, inFeatures: inF,
                       outFeatures: outF, products: products)
        for r in 0 ..< t { (expectedY.pointer + r * outF).update(from: bias.pointer, count: outF) }
        referenceBF16Gemm(transB: true, m: t, n: outF, k: inF, a: x.pointer, b: w.pointer, beta: 1, c: expectedY.pointer)
        #expect(y.toArray() == expectedY.toArray(), "forward x·Wᵀ + b")

        Linear.backward(dy: dy.pointer, x: x.pointer, weight: w.pointer, dx: dx.pointer, accumulateInput: true,
                        dWeight: dw.pointer, dBias: nil, tokens: t, inFeatures: inF, outFeatures: outF, products: products)
        referenceBF16Gemm(m: t, n: inF, k: outF, a: dy.pointer, b: w.pointer, beta: 1, c: expectedDx.pointer)
        referenceBF16Gemm(transA: true, m: outF, n: inF, k: t, a: dy.pointer, b: x.pointer, beta: 1, c: expectedDw.pointer)
        #expect(dx.toArray() == expectedDx.toArray(), "input gradient dY·W")
        #expect(dw.toArray() == expectedDw.toArray(), "weight gradient dYᵀ·X")

        // Strided operands and a batch of heads, as attention calls them.
        let heads = 3, dh = 4, len = 5, s = 6, d = heads * dh
        let q = randomBuffer(s * d, key: key.with(7), scale: 2.1), k = randomBuffer(s * d, key: key.with(8), scale: 1.7)
        let scores = FloatBuffer(count: heads * s * s), expectedScores = FloatBuffer(count: heads * s * s)
        products.batchedGemm(batch: heads, transB: true, m: len, n: len, k: dh, alpha: 0.5, a: q.pointer, lda: d, strideA: dh,
                             b: k.pointer, ldb: d, strideB: dh, c: scores.pointer, ldc: s, strideC: s * s)
        for h in 0 ..< heads {
            referenceBF16Gemm(transB: true, m: len, n: len, k: dh, alpha: 0.5, a: q.pointer + h * dh, lda: d,
                              b: k.pointer + h * dh, ldb: d, c: expectedScores.pointer + h * s * s, ldc: s)
        }
        #expect(scores.toArray() == expectedScores.toArray(), "batched Q·Kᵀ")
    }

    /// oneDNN bf16 against the reference: the same rounded inputs, so only fp32 summation order
    /// differs inside a product (~k·2⁻²⁴) — but an activation that lands next to a rounding
    /// boundary can then round the other way in the next product (one input off by 2⁻⁸), so
    /// the bound is a little above fp32's: 1e-3 relative, gradients 1e-3 of their tensor.
    @Test(.enabled(if: nativeBF16, noNativeBF16Message), arguments: [false, true])
    func oneDNNBF16MatchesTheReference(lora: Bool) {
        let reference = Self.model(.bf16Reference, lora: lora), engine = Self.model(.oneDNN(.bf16), lora: lora)
        for (n, rows) in engineBatches.enumerated() {
            let mode = ForwardMode.train(seed: 5, step: UInt64(n))
            assertPassesClose(PassResult(engine, tinyBatch(rows), mode: mode), PassResult(reference, tinyBatch(rows), mode: mode),
                              table: reference.table, relative: 1e-3, absolute: 1e-5, gradientScale: 1e-3,
                              "rows \(rows), lora \(lora)")
        }
    }

    /// bf16 on oneDNN where the CPU cannot run it is refused when the model is built.
    @Test(.enabled(if: BF16EngineSupport.probe().implementation == nil, "oneDNN has a bf16 matmul on this CPU"))
    func oneDNNBF16WithoutAnEngineIsRefusedAtInit() {
        #expect(throws: TxfError.self) { try BertClassifier(config: tinyConfig(), maxBatch: 1, maxSeqLen: 4, matmul: .oneDNN(.bf16)) }
    }
}
