/// An error meant for the user: one line that names the file, line, rank or field at fault.
///
/// Every local failure is one (HDF5's included, turned into it at the HDF5 boundary; a failure
/// all ranks share is TxfDist's `CollectiveError`). Commands let it propagate; the executables'
/// one error path (`Job`) prints its message.
public struct TxfError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
