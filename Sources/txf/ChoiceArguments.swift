import ArgumentParser
import TxfCore
import TxfModel

// The library's enumerations that commands take as option values, by their raw values.
extension ModelTask: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}
