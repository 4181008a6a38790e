import Foundation
import Testing
import TxfCore
import TxfData
import TxfDist
import TxfMatmul
import TxfModel
@testable import TxfTrain

/// The gradient reduction behind backward (`OverlappedReduction`): the same optimizer steps,
/// bit for bit, as the reduction after backward, on 2 and 3 ranks (threads of this process),
/// with accumulation, in fp32 and the bf16 reference, for full fine-tuning and LoRA.
@Suite struct OverlappedReductionTests {
    /// Two blocks, so chunks of 64 floats are readied by the head, each block and the embeddings.
    let config = ModelConfig(vocabSize: 40, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                             intermediateSize: 16, maxPositionEmbeddings: 8, numLabels: 2)

    enum Case: String, CaseIterable {
        case twoRanks, threeRanks, bf16Reference, lora, denseWordEmbeddings
        var world: Int { self == .threeRanks || self == .lora ? 3 : 2 }
    }

    /// What every rank ends with: its parameters and the steps' outcomes.
    private final class Results: @unchecked Sendable {
        var params: [[Float]]
        var outcomes: [[TrainingStep.Outcome]]
        var readyAfter: [[Int]] = []
        init(world: Int) {
            params = Array(repeating: [], count: world)
            outcomes = Array(repeating: [], count: world)
        }
    }

    /// Rank `rank`'s two micro-batches of two rows at step `step` (rows differ by rank and step).
    private static func microBatches(rank: Int, world: Int, step: Int) -> [MicroBatch] {
        (0 ..< 2).map { micro in
            let first = (step * world + rank) * 4 + micro * 2
            var rows: [[Int32]] = []
            for s in first ..< first + 2 {
                let words = (0 ..< 1 + s % 5).map { (w: Int) -> Int32 in Int32(4 + (s * 7 + w * 3) % 36) }
                rows.append([2] + words + [3])
            }
            let labels: [Int32] = [Int32(first % 2), Int32((first + 1) % 2)]
            return MicroBatch(rows: rows, labels: labels, sampleIndices: [first, first + 1])
        }
    }

    /// Three steps of `testCase` on every rank, the reduction behind backward or after it.
    private func train(_ testCase: Case, overlap: Bool) -> Results {
        let world = testCase.world, config = config
        let results = Results(world: world), group = ThreadRanks(size: world)
        runRanks(world) { rank in
            let lora = testCase == .lora ? LoRAConfig(rank: 2, alpha: 4, targets: [.query, .value, .output]) : nil
            let model = try! BertClassifier(config: config, maxBatch: 2, maxSeqLen: 8, lora: lora,
                                            matmul: testCase == .bf16Reference ? .bf16Reference : .openBLAS)
            model.initializeWeights(seed: 3)
            model.initializeAdapters(seed: 3)
            let step = TrainingStep(model: model, communicator: ThreadRank(group, rank: rank),
                                    layout: try! BatchLayout(globalBatch: 4 * world, worldSize: world, microBatch: 2),
                                    optimizer: AdamW(weightDecay: 0.01), seed: 5, maxGradNorm: 1,
                                    denseWordEmbeddings: testCase == .denseWordEmbeddings, overlapReduction: overlap,
                                    chunkElements: 64)
            for k in 0 ..< 3 {
                let outcome = try! step.run(Self.microBatches(rank: rank, world: world, step: k), step: k, learningRate: 1e-2)
                results.outcomes[rank].append(outcome)
            }
            results.params[rank] = model.parameters.toArray()
            if rank == 0 { results.readyAfter = step.overlapped!.readyAfter }
        }
        return results
    }

    @Test(arguments: Case.allCases)
    func theSameStepsBitForBit(_ testCase: Case) {
        let on = train(testCase, overlap: true), off = train(testCase, overlap: false)
        for rank in 0 ..< testCase.world {
            let differ = zip(on.params[rank], off.params[rank]).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "rank \(rank): \(differ) parameters differ with overlap")
            #expect(on.outcomes[rank] == off.outcomes[rank], "rank \(rank): losses or norms differ with overlap")
            #expect(on.params[rank] == on.params[0], "rank \(rank) left with other parameters than rank 0")
        }
        // The steps moved the model, and the chunks were not all left to the end of backward.
        #expect(on.outcomes[0].allSatisfy { $0.gradNorm > 0 })
        let stages = on.readyAfter.map(\.count)
        #expect(stages.reduce(0, +) > 1)
        #expect(stages.dropLast().contains { $0 > 0 }, "chunks per stage: \(stages)")
    }
}

/// The same under mpirun: `txf-train` on 3 ranks (an odd world: the ring has two rounds) with
/// accumulation, the reduction behind backward and after it, the same run bit for bit.
@Suite(.serialized, .enabled(if: Job.mpirunAvailable, "mpirun not on PATH; install openmpi-bin"))
struct OverlappedReductionRunTests {
    @Test func txfTrainOnThreeRanksIsTheSameWithAndWithoutOverlap() throws {
        let fixture = TrainFixture.paths
        var finals: [[Float]] = [], losses: [[String]] = []
        for overlap in ["--overlap-reduction", "--no-overlap-reduction"] {
            let out = TrainFixture.runDirectory("overlap\(overlap)")
            let job = try Job.train(ranks: 3, ["--train", fixture.train, "--out", out] + TrainFixture.modelFlags
                + ["--global-batch", "24", "--micro-batch", "4", "--max-steps", "6", "--lr", "3e-3", "--dropout", "0.1",
                   "--seed", "5", "--log-every", "1", "--precision", "fp32", overlap])
            #expect(job.status == 0 && !job.timedOut, "txf-train \(overlap) failed (\(job.status)): \(job.stderr)")
            losses.append(trainLosses(out + "/metrics.jsonl").map(\.loss))
            finals.append(try checkpointState(out + "/final.h5"))
        }
        #expect(losses[0].count == 6 && losses[0] == losses[1])
        #expect(finals[0] == finals[1], "final parameters and moments differ with overlap")
    }
}
