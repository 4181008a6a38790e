import Foundation

/// A job of one rank without MPI: rank 0 of 1, every collective is the identity.
///
/// For tests and for single-process tools that run library code written against
/// `Communicator`. `abort` prints `txf: message` to stderr and exits with status 1.
public final class SingleProcessCommunicator: Communicator, @unchecked Sendable {
    public let rank = 0
    public let worldSize = 1
    public let localRankCount = 1

    public init() {}

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}

    public func reduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {}

    public func allGather(_ buffer: UnsafeMutableBufferPointer<Float>, layout: ShardLayout) {}

    public func allGather(_ buffer: UnsafeMutableBufferPointer<UInt16>, layout: ShardLayout) {}

    public func allReduceSum(_ values: inout [Double]) {}

    public func allReduceSum(_ values: inout [Int64]) {}

    public func broadcast(_ bytes: inout [UInt8], root: Int) {
        precondition(root == 0, "broadcast root \(root) outside 0..<1")
    }

    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }

    public func barrier() {}

    public func abort(_ message: String) -> Never {
        writeStandardError("txf: \(message)")
        exit(1)
    }
}
