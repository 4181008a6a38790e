import Testing
@testable import TxfEval
@testable import TxfStore
@testable import TxfTrain

@Suite struct ScheduleTests {
    // Peak 1, 4 warmup steps, 12 in all: decay spans steps 4 ..< 12 (8 steps), so step 6 is
    // p = 2/8, step 8 is p = 1/2, step 11 is p = 7/8. Values by hand; Float rounding only.
    @Test func warmupThenLinear() {
        let s = LearningRateSchedule(kind: .linear, peak: 1, warmupSteps: 4, totalSteps: 12)
        assertClose((0..<12).map { s.rate(step: $0) },
                    [0.25, 0.5, 0.75, 1, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125],
                    relativeTolerance: 1e-7)
    }

    @Test func warmupThenCosine() {
        let s = LearningRateSchedule(kind: .cosine, peak: 2e-3, warmupSteps: 4, totalSteps: 12)
        // ½(1 + cos(π/4)) = 0.853553390593, ½(1 + cos(7π/8)) = 0.038060233744
        assertClose([s.rate(step: 1), s.rate(step: 4), s.rate(step: 6), s.rate(step: 8), s.rate(step: 11)],
                    [1e-3, 2e-3, 2e-3 * 0.853553390593, 1e-3, 2e-3 * 0.038060233744],
                    relativeTolerance: 1e-6)
    }

    @Test func constantAndNoWarmup() {
        let c = LearningRateSchedule(kind: .constant, peak: 0.5, warmupSteps: 2, totalSteps: 10)
        #expect([0, 1, 2, 9, 50].map { c.rate(step: $0) } == [0.25, 0.5, 0.5, 0.5, 0.5])
        let l = LearningRateSchedule(kind: .linear, peak: 1, warmupSteps: 0, totalSteps: 4)
        #expect([0, 1, 2, 3].map { l.rate(step: $0) } == [1, 0.75, 0.5, 0.25])
        // Past the end the rate stays at the end's value (zero), never negative.
        #expect(l.rate(step: 7) == 0)
    }

    @Test func warmupFromRatioRoundsUp() {
        var config = TrainConfig()
        config.warmupRatio = 0.1
        #expect(config.warmup(totalSteps: 95) == 10)
        #expect(config.warmup(totalSteps: 100) == 10)
        config.warmupRatio = nil
        config.warmupSteps = 7
        #expect(config.warmup(totalSteps: 100) == 7)
    }
}
