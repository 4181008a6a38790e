/// A user-facing failure in TxfText (bad vocab file, unreadable input): one line naming the
/// file or value at fault.
///
/// TxfText depends on nothing but Foundation, so it cannot throw TxfCore's `TxfError`; this has
/// the same shape, and commands print its `description` the same way.
public struct TextError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
