/// One owned, contiguous, zero-initialised allocation of `Float`s (parameters, gradients,
/// optimizer moments, activations).
///
/// A class so that the memory has one owner and one lifetime: layers receive raw pointers into
/// it, taken once per kernel. Never reallocated or resized, so those pointers stay valid for the
/// life of the buffer. Not thread-safe; one owner mutates it at a time.
public final class FloatBuffer: @unchecked Sendable {
    /// Number of elements.
    public let count: Int
    /// First element; valid for `count` elements until the buffer is released.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` elements, all zero.
    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must be non-negative")
        self.count = count
        // Allocate at least one element so `pointer` is always a real allocation.
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    /// The whole buffer as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }

    /// Element access (bounds-checked in debug builds); not meant for hot loops.
    public subscript(index: Int) -> Float {
        get { assert(index >= 0 && index < count); return pointer[index] }
        set { assert(index >= 0 && index < count); pointer[index] = newValue }
    }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Copies the elements into an array (for tests, checkpoints and inspection).
    public func toArray() -> [Float] { Array(buffer) }
}
