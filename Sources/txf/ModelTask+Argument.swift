import ArgumentParser
import TxfCore

extension ModelTask: ExpressibleByArgument {}
