/// An error meant for the user: one line that names the file, line, rank or field at fault.
///
/// Commands let it propagate; argument parser prints `Error: <message>` and exits non-zero.
public struct TxfError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
