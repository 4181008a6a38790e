import TxfCore

/// TxfText's failures are `TxfError`s like every local failure: one line naming the file or
/// value at fault. The name stays for the code that catches it.
public typealias TextError = TxfError
